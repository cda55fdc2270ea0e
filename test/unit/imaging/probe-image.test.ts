import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { probeImage, type ImageProbe } from '../../../core/imaging';
import { encodeFloatTiff } from '../../fixtures/encode-tiff';
import { corruptPngIdat, makeBadImageFolder, testPattern, type BadImageFile } from '../../fixtures/make-bad-images';

let dir: string;
let files: BadImageFile[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mw-probe-'));
  files = await makeBadImageFolder(join(dir, 'bad'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function probeError(path: string, opts?: Parameters<typeof probeImage>[1]): Promise<AppError> {
  try {
    await probeImage(path, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error(`probeImage(${path}) did not fail`);
}

describe('probeImage on the bad-image folder', () => {
  it('covers every kind of file the brief lists', () => {
    const names = files.map((f) => f.name);
    for (const n of ['valid-rgb8.png', 'corrupt-idat.png', 'truncated-half.jpg', 'empty.png', 'grey16-12bit.tif', 'rgb16.tif', 'text-renamed.png', 'palette8.bmp', 'rgb24.bmp', 'exif-orientation-6.jpg', 'valid.webp', 'grey-alpha.png', 'huge-dimensions.png']) {
      expect(names).toContain(n);
    }
  });

  it('gives each file its expected result', async () => {
    for (const f of files) {
      if (f.code === null) {
        const p = await probeImage(f.path);
        expect(p, f.name).toMatchObject(f.probe!);
        const bytes = await readFile(f.path);
        expect(p.sizeBytes, f.name).toBe(bytes.length);
        expect(p.hash, f.name).toBe(createHash('sha256').update(bytes).digest('hex'));
      } else {
        const err = await probeError(f.path);
        expect(err.code, `${f.name}: ${err.message}`).toBe(f.code);
        expect(err.message, f.name).toContain(`"${f.name}"`);
      }
    }
  });

  it('explains each failure in words', async () => {
    const msg = async (name: string) => (await probeError(join(dir, 'bad', name))).message;
    expect(await msg('corrupt-idat.png')).toMatch(/is damaged: its PNG data cannot be decoded/);
    expect(await msg('truncated-half.jpg')).toMatch(/is truncated: .*end-of-image marker/);
    expect(await msg('truncated-half.png')).toMatch(/is truncated: the IDAT chunk .* needs \d+ bytes/);
    expect(await msg('empty.png')).toMatch(/is empty \(0 bytes\)/);
    expect(await msg('text-renamed.png')).toMatch(/not an image file .* content is not a PNG image/);
    expect(await msg('rle8.bmp')).toMatch(/run-length encoded/);
    expect(await msg('huge-dimensions.png')).toMatch(/30000 × 30000 pixels \(900\.0 megapixels\) is more than the limit of 400\.0 megapixels/);
  });
});

describe('probeImage', () => {
  const write = async (name: string, data: Uint8Array | string) => {
    const p = join(dir, name);
    await writeFile(p, data);
    return p;
  };
  const rgb = testPattern(80, 60, 3);
  const raw = { raw: { width: 80, height: 60, channels: 3 as const } };

  it('reports a missing file and a folder', async () => {
    const missing = await probeError(join(dir, 'nope.png'));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toContain('"nope.png" was not found');
    const folder = await probeError(join(dir, 'bad'));
    expect(folder.code).toBe('io');
    expect(folder.message).toContain('is a folder');
  });

  it('applies a configurable pixel limit', async () => {
    const p = join(dir, 'bad', 'valid-rgb8.png');
    expect((await probeError(p, { maxPixels: 1000 })).code).toBe('too-large');
    expect((await probeImage(p, { maxPixels: 64 * 48 })).width).toBe(64);
    expect((await probeError(join(dir, 'bad', 'rgb24.bmp'), { maxPixels: 100 })).code).toBe('too-large');
  });

  it('sniffs the content, not the extension', async () => {
    const jpegNamedPng = await write('photo.png', await sharp(rgb, raw).jpeg().toBuffer());
    expect((await probeImage(jpegNamedPng)).format).toBe('jpeg');
    const gif = await write('anim.gif.png', await sharp(rgb, raw).gif().toBuffer());
    const err = await probeError(gif);
    expect(err.code).toBe('unsupported-format');
    expect(err.message).toMatch(/is a GIF file; Maskwright reads PNG, JPEG, TIFF, WebP and BMP/);
  });

  it('finds damage in PNGs whatever the CRCs say', async () => {
    const png = await sharp(rgb, raw).png().toBuffer();
    const corrupt = corruptPngIdat(png);
    // flip a byte of the last IDAT CRC (the IEND chunk is the final 12 bytes): still corrupt, not truncated
    corrupt[corrupt.length - 13] = corrupt[corrupt.length - 13]! ^ 0xff;
    expect((await probeError(await write('crc.png', corrupt))).code).toBe('corrupt-image');
  });

  it('reports truncated JPEGs, PNGs, WebPs and TIFFs at several cut points', async () => {
    const big = testPattern(300, 200, 3);
    const bigRaw = { raw: { width: 300, height: 200, channels: 3 as const } };
    const encoded = {
      jpg: await sharp(big, bigRaw).jpeg({ quality: 90 }).toBuffer(),
      progressive: await sharp(big, bigRaw).jpeg({ quality: 90, progressive: true }).toBuffer(),
      png: await sharp(big, bigRaw).png().toBuffer(),
      webp: await sharp(big, bigRaw).webp().toBuffer(),
      tif: await sharp(big, bigRaw).tiff({ compression: 'lzw' }).toBuffer(),
    };
    for (const [kind, buf] of Object.entries(encoded)) {
      for (const frac of [0.2, 0.5, 0.9]) {
        const p = await write(`cut-${kind}-${frac}.${kind === 'progressive' ? 'jpg' : kind}`, buf.subarray(0, Math.floor(buf.length * frac)));
        const err = await probeError(p);
        expect(err.code, `${kind} cut at ${frac}: ${err.message}`).toBe('truncated-image');
      }
    }
  });

  it('reports 16-bit, float and alpha images', async () => {
    const bad = (n: string) => join(dir, 'bad', n);
    const g16: ImageProbe = await probeImage(bad('grey16-12bit.tif'));
    expect([g16.bitDepth, g16.channels, g16.hasAlpha, g16.sampleFormat]).toEqual([16, 1, false, 'uint']);
    const ga = await probeImage(bad('grey-alpha.png'));
    expect([ga.bitDepth, ga.channels, ga.hasAlpha]).toEqual([8, 2, true]);
    const values = new Float32Array(20 * 10).map((_, i) => i / 7 - 3);
    const floatTiff = encodeFloatTiff(20, 10, values);
    const f = await probeImage(await write('float.tif', floatTiff));
    expect(f).toMatchObject({ format: 'tiff', width: 20, height: 10, bitDepth: 32, sampleFormat: 'float', channels: 1 });
    // directory first, strip cut short: found from the strip offsets
    const cut = await probeError(await write('float-cut.tif', floatTiff.subarray(0, floatTiff.length - 100)));
    expect(cut.code).toBe('truncated-image');
    expect(cut.message).toMatch(/pixel data should run to byte \d+ but the file has only/);
    const rgba = await probeImage(await write('rgba.png', await sharp(testPattern(30, 20, 4), { raw: { width: 30, height: 20, channels: 4 } }).png().toBuffer()));
    expect([rgba.channels, rgba.hasAlpha]).toEqual([4, true]);
  });

  it('applies every EXIF orientation to width and height', async () => {
    for (let orientation = 1; orientation <= 8; orientation++) {
      const p = await write(`o${orientation}.jpg`, await sharp(rgb, raw).jpeg().withMetadata({ orientation }).toBuffer());
      const probe = await probeImage(p);
      expect(probe.orientation).toBe(orientation);
      expect([probe.width, probe.height], `orientation ${orientation}`).toEqual(orientation >= 5 ? [60, 80] : [80, 60]);
    }
  });

  it('can skip the pixel check', async () => {
    const p = join(dir, 'bad', 'corrupt-idat.png');
    expect((await probeImage(p, { verifyPixels: false })).width).toBe(64);
  });
});
