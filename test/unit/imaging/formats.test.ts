import { describe, expect, it } from 'vitest';
import { detectFormat, extensionOf, formatFromExtension, isSupportedExtension, SUPPORTED_FORMATS_TEXT } from '../../../core/imaging';

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);

describe('formats', () => {
  it('accepts the supported extensions in any case', () => {
    for (const p of ['a.png', 'b.JPG', 'c.jpeg', '/x/y/d.TIF', 'e.tiff', 'f.webp', 'C:\\data\\g.Bmp']) {
      expect(isSupportedExtension(p), p).toBe(true);
    }
    for (const p of ['a.gif', 'b.svg', 'noext', '.png', 'dir.png/file', 'x.png.txt', 'a.heic']) {
      expect(isSupportedExtension(p), p).toBe(false);
    }
  });

  it('maps extensions to formats', () => {
    expect(formatFromExtension('x.jpg')).toBe('jpeg');
    expect(formatFromExtension('x.TIF')).toBe('tiff');
    expect(formatFromExtension('x.gif')).toBeNull();
    expect(extensionOf('/a.b/c')).toBe('');
    expect(extensionOf('archive.tar.PNG')).toBe('.png');
  });

  it('detects formats from magic bytes', () => {
    expect(detectFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toEqual({ supported: true, format: 'png' });
    expect(detectFormat(bytes(0xff, 0xd8, 0xff, 0xe0))).toEqual({ supported: true, format: 'jpeg' });
    expect(detectFormat(bytes(0x49, 0x49, 0x2a, 0))).toEqual({ supported: true, format: 'tiff' });
    expect(detectFormat(bytes(0x4d, 0x4d, 0, 0x2a))).toEqual({ supported: true, format: 'tiff' });
    expect(detectFormat(text('RIFF\0\0\0\0WEBPVP8 '))).toEqual({ supported: true, format: 'webp' });
    expect(detectFormat(text('BM' + '\0'.repeat(30)))).toEqual({ supported: true, format: 'bmp' });
    expect(detectFormat(text('GIF89a'))).toEqual({ supported: false, format: 'gif' });
    expect(detectFormat(text('\0\0\0\x1cftypheic'))).toEqual({ supported: false, format: 'heif' });
    expect(detectFormat(text('\0\0\0\x1cftypavif'))).toEqual({ supported: false, format: 'avif' });
    expect(detectFormat(text('<?xml version="1.0"?><svg xmlns="x">'))).toEqual({ supported: false, format: 'svg' });
    expect(detectFormat(text('hello, world'))).toEqual({ supported: false, format: null });
    expect(detectFormat(new Uint8Array(0))).toEqual({ supported: false, format: null });
  });

  it('names the supported formats for messages', () => {
    expect(SUPPORTED_FORMATS_TEXT).toBe('PNG, JPEG, TIFF, WebP and BMP');
  });
});
