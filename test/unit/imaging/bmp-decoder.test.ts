import { describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { decodeBmp, readBmpHeader } from '../../../core/imaging';
import { encodeBmp, type RgbaPixels } from '../../fixtures/encode-bmp';

/** A 13x7 image (odd width exercises row padding) with few colours and varied alpha. */
function pattern(colours: number, alpha = false): RgbaPixels {
  const width = 13;
  const height = 7;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = (x * 3 + y * 5) % colours;
      const o = (y * width + x) * 4;
      rgba[o] = (k * 53) & 0xff;
      rgba[o + 1] = (k * 101 + 17) & 0xff;
      rgba[o + 2] = (k * 29 + 200) & 0xff;
      rgba[o + 3] = alpha ? (x * 20) & 0xff : 255;
    }
  }
  return { width, height, rgba };
}

function rgbOf(p: RgbaPixels): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.width * p.height; i++) out.push(p.rgba[i * 4]!, p.rgba[i * 4 + 1]!, p.rgba[i * 4 + 2]!);
  return out;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).code;
  }
  return undefined;
}

describe('decodeBmp', () => {
  for (const [bpp, colours] of [
    [1, 2],
    [4, 16],
    [8, 200],
  ] as const) {
    for (const topDown of [false, true]) {
      it(`reads ${bpp}-bit palette images (${topDown ? 'top-down' : 'bottom-up'})`, () => {
        const src = pattern(colours);
        const img = decodeBmp(encodeBmp(src, { bitsPerPixel: bpp, topDown }));
        expect([img.width, img.height, img.channels]).toEqual([13, 7, 3]);
        expect(Array.from(img.data)).toEqual(rgbOf(src));
      });
    }
  }

  it('reads OS/2 core-header palette images', () => {
    const src = pattern(16);
    const img = decodeBmp(encodeBmp(src, { bitsPerPixel: 4, headerSize: 12 }));
    expect(img.header.headerSize).toBe(12);
    expect(Array.from(img.data)).toEqual(rgbOf(src));
  });

  it('returns one channel for grey palettes', () => {
    const src = pattern(256);
    for (let i = 0; i < src.rgba.length; i += 4) src.rgba[i + 1] = src.rgba[i + 2] = src.rgba[i]!;
    const img = decodeBmp(encodeBmp(src, { bitsPerPixel: 8 }));
    expect(img.channels).toBe(1);
    expect(Array.from(img.data)).toEqual(rgbOf(src).filter((_, i) => i % 3 === 0));
  });

  for (const headerSize of [40, 108, 124] as const) {
    for (const topDown of [false, true]) {
      it(`reads 24-bit images (header ${headerSize}, ${topDown ? 'top-down' : 'bottom-up'})`, () => {
        const src = pattern(1000);
        const img = decodeBmp(encodeBmp(src, { bitsPerPixel: 24, topDown, headerSize }));
        expect(img.channels).toBe(3);
        expect(Array.from(img.data)).toEqual(rgbOf(src));
      });
    }
  }

  it('reads 16-bit 5-5-5 (BI_RGB) and 5-6-5 (BI_BITFIELDS)', () => {
    const src = pattern(1000);
    const expected = rgbOf(src);
    const i555 = decodeBmp(encodeBmp(src, { bitsPerPixel: 16, layout: '555' }));
    const i565 = decodeBmp(encodeBmp(src, { bitsPerPixel: 16, layout: '565', headerSize: 40 }));
    const i565v5 = decodeBmp(encodeBmp(src, { bitsPerPixel: 16, layout: '565', headerSize: 124 }));
    expect(i565.header.compression).toBe('bitfields');
    for (const img of [i555, i565, i565v5]) {
      expect(img.channels).toBe(3);
      img.data.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(8));
    }
    expect(Array.from(i565.data)).toEqual(Array.from(i565v5.data));
  });

  it('reads 32-bit BGRA with an alpha mask and keeps alpha', () => {
    const src = pattern(1000, true);
    for (const headerSize of [108, 124] as const) {
      const img = decodeBmp(encodeBmp(src, { bitsPerPixel: 32, layout: 'bgra', headerSize }));
      expect(img.channels).toBe(4);
      expect(Array.from(img.data)).toEqual(Array.from(src.rgba));
    }
    // a 40-byte header with BI_BITFIELDS carries only R, G and B masks
    const noAlphaMask = decodeBmp(encodeBmp(src, { bitsPerPixel: 32, layout: 'bgra', headerSize: 40 }));
    expect(noAlphaMask.channels).toBe(3);
    expect(Array.from(noAlphaMask.data)).toEqual(rgbOf(src));
  });

  it('treats an all-zero fourth byte of 32-bit BI_RGB as opaque', () => {
    const src = pattern(1000);
    const img = decodeBmp(encodeBmp(src, { bitsPerPixel: 32, layout: 'bgrx' }));
    expect(img.channels).toBe(3);
    expect(Array.from(img.data)).toEqual(rgbOf(src));
  });

  it('shows palette indices past a short palette as black', () => {
    const src = pattern(2);
    const file = encodeBmp(src, { bitsPerPixel: 8 });
    const pixelOffset = new DataView(file.buffer).getUint32(10, true);
    file[pixelOffset] = 250; // bottom-up: last row, first pixel
    const img = decodeBmp(file);
    const o = (img.height - 1) * img.width * 3;
    expect(Array.from(img.data.subarray(o, o + 3))).toEqual([0, 0, 0]);
  });

  it('refuses RLE and other compressed BMPs as unsupported-format', () => {
    const rle = encodeBmp(pattern(20), { bitsPerPixel: 8, compression: 'rle8' });
    expect(codeOf(() => decodeBmp(rle))).toBe('unsupported-format');
    expect(() => decodeBmp(rle, { fileName: 'scan.bmp' })).toThrow(/"scan\.bmp" is run-length encoded \(RLE8\)/);
    const jpegInBmp = encodeBmp(pattern(20), { bitsPerPixel: 24 });
    new DataView(jpegInBmp.buffer).setUint32(30, 4, true);
    expect(codeOf(() => decodeBmp(jpegInBmp))).toBe('unsupported-format');
    const odd = encodeBmp(pattern(20), { bitsPerPixel: 24 });
    new DataView(odd.buffer).setUint16(28, 64, true);
    expect(codeOf(() => decodeBmp(odd))).toBe('unsupported-format');
  });

  it('reports files cut anywhere as truncated-image', () => {
    const file = encodeBmp(pattern(1000), { bitsPerPixel: 24 });
    for (const cut of [16, 30, 54, 60, file.length >> 1, file.length - 2]) {
      expect(codeOf(() => decodeBmp(file.subarray(0, cut))), `cut at ${cut}`).toBe('truncated-image');
    }
    const pal = encodeBmp(pattern(200), { bitsPerPixel: 8 });
    expect(codeOf(() => decodeBmp(pal.subarray(0, 54 + 100)))).toBe('truncated-image');
    // the last row may lack its padding
    const file2 = encodeBmp(pattern(1000), { bitsPerPixel: 24 });
    expect(decodeBmp(file2.subarray(0, file2.length - 1)).width).toBe(13);
  });

  it('reports impossible header values as corrupt-image', () => {
    const zeroWidth = encodeBmp(pattern(20), { bitsPerPixel: 24 });
    new DataView(zeroWidth.buffer).setInt32(18, 0, true);
    expect(codeOf(() => decodeBmp(zeroWidth))).toBe('corrupt-image');
    const badOffset = encodeBmp(pattern(20), { bitsPerPixel: 24 });
    new DataView(badOffset.buffer).setUint32(10, 20, true);
    expect(codeOf(() => decodeBmp(badOffset))).toBe('corrupt-image');
  });

  it('checks the pixel limit before allocating', () => {
    const header = encodeBmp(pattern(20), { bitsPerPixel: 24 });
    const dv = new DataView(header.buffer);
    dv.setInt32(18, 100_000, true);
    dv.setInt32(22, 100_000, true);
    expect(codeOf(() => decodeBmp(header, { maxPixels: 400_000_000 }))).toBe('too-large');
    expect(codeOf(() => decodeBmp(header))).toBe('truncated-image');
  });

  it('readBmpHeader describes the file without decoding', () => {
    const h = readBmpHeader(encodeBmp(pattern(20), { bitsPerPixel: 24, topDown: true }));
    expect(h).toMatchObject({ width: 13, height: 7, topDown: true, bitsPerPixel: 24, compression: 'rgb', rowStride: 40 });
    expect(codeOf(() => readBmpHeader(new Uint8Array(0)))).toBe('empty-file');
    expect(codeOf(() => readBmpHeader(new TextEncoder().encode('hello')))).toBe('unsupported-format');
  });
});
