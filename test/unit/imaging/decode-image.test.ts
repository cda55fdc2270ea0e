import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { decodeImage, toDisplayRgb8, type DecodedImage } from '../../../core/imaging';
import { encodeBmp } from '../../fixtures/encode-bmp';
import { encodeFloatTiff } from '../../fixtures/encode-tiff';
import { makeBadImageFolder, testPattern, type BadImageFile } from '../../fixtures/make-bad-images';

let dir: string;
let files: BadImageFile[];
const bad = (name: string) => join(dir, 'bad', name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mw-decode-'));
  files = await makeBadImageFolder(join(dir, 'bad'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function mean(img: DecodedImage): number {
  let s = 0;
  for (const v of img.data) s += v;
  return s / img.data.length;
}

/** Rotates interleaved pixels 90° clockwise (EXIF orientation 6). */
function rotateCw(data: Uint8Array, w: number, h: number, c: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const nx = h - 1 - y;
      const ny = x;
      for (let k = 0; k < c; k++) out[(ny * h + nx) * c + k] = data[(y * w + x) * c + k]!;
    }
  }
  return out;
}

describe('decodeImage', () => {
  it('decodes an 8-bit PNG exactly', async () => {
    const img = await decodeImage(bad('valid-rgb8.png'));
    expect(img).toMatchObject({ width: 64, height: 48, channels: 3, bitDepth: 8 });
    expect(Array.from(img.data)).toEqual(Array.from(testPattern(64, 48, 3)));
  });

  it('applies EXIF orientation 6 (90° clockwise)', async () => {
    const img = await decodeImage(bad('exif-orientation-6.jpg'));
    expect([img.width, img.height, img.channels]).toEqual([48, 64, 3]);
    const stored = await sharp(bad('exif-orientation-6.jpg'), { autoOrient: false }).raw().toBuffer();
    expect(Array.from(img.data)).toEqual(Array.from(rotateCw(stored, 64, 48, 3)));
  });

  it('keeps 16-bit samples when asked', async () => {
    const img = await decodeImage(bad('grey16-12bit.tif'), { keepDepth: true });
    expect(img).toMatchObject({ width: 64, height: 48, channels: 1, bitDepth: 16 });
    expect(img.data).toBeInstanceOf(Uint16Array);
    expect(Math.max(...img.data)).toBe(4095);
    expect(img.data[63]).toBe(Math.round(4095 * 0.5)); // first row ends at half scale
    const rgb = await decodeImage(bad('rgb16.tif'), { keepDepth: true });
    expect(rgb).toMatchObject({ channels: 3, bitDepth: 16 });
    expect(Array.from(rgb.data)).toEqual(Array.from(testPattern(64, 48, 3), (v) => v * 257));
  });

  it('stretches 12-bit data to 8-bit instead of showing black', async () => {
    const stretched = await decodeImage(bad('grey16-12bit.tif'));
    expect(stretched.bitDepth).toBe(8);
    expect(Math.max(...stretched.data)).toBe(255);
    expect(mean(stretched)).toBeGreaterThan(50);
    const scaled = await decodeImage(bad('grey16-12bit.tif'), { depthTo8: 'scale' });
    expect(Math.max(...scaled.data)).toBe(16);
    // true 16-bit data scales back exactly
    const rgb = await decodeImage(bad('rgb16.tif'), { depthTo8: 'scale' });
    expect(Array.from(rgb.data)).toEqual(Array.from(testPattern(64, 48, 3)));
  });

  it('keeps grey + alpha as two channels', async () => {
    const img = await decodeImage(bad('grey-alpha.png'));
    expect([img.channels, img.bitDepth]).toEqual([2, 8]);
    expect(Array.from(img.data)).toEqual(Array.from(testPattern(64, 48, 2)));
  });

  it('decodes 16-bit grey + alpha and RGBA', async () => {
    const ga16 = new Uint16Array(8 * 4 * 2).map((_, i) => (i % 2 ? 65535 - i : i * 100));
    const p = join(dir, 'ga16.png');
    await writeFile(p, await sharp(ga16, { raw: { width: 8, height: 4, channels: 2 } }).toColourspace('grey16').png().toBuffer());
    const img = await decodeImage(p, { keepDepth: true });
    expect([img.channels, img.bitDepth]).toEqual([2, 16]);
    expect(Array.from(img.data)).toEqual(Array.from(ga16));
    const rgba = testPattern(8, 4, 4);
    const p2 = join(dir, 'rgba.webp');
    await writeFile(p2, await sharp(rgba, { raw: { width: 8, height: 4, channels: 4 } }).webp({ lossless: true }).toBuffer());
    const img2 = await decodeImage(p2);
    expect(img2.channels).toBe(4);
    expect(Array.from(img2.data)).toEqual(Array.from(rgba));
  });

  it('decodes BMPs through our own reader', async () => {
    const img = await decodeImage(bad('rgb24.bmp'));
    expect(img).toMatchObject({ width: 37, height: 23, channels: 3, bitDepth: 8 });
    expect(Array.from(img.data)).toEqual(Array.from(testPattern(37, 23, 3)));
    const grey = new Uint8Array(5 * 3 * 4).map((_, i) => (i % 4 === 3 ? 255 : Math.floor(i / 4) * 10));
    const p = join(dir, 'grey.bmp');
    await writeFile(p, encodeBmp({ width: 5, height: 3, rgba: grey }, { bitsPerPixel: 8 }));
    const g = await decodeImage(p);
    expect(g.channels).toBe(1);
    expect(Array.from(g.data)).toEqual(Array.from({ length: 15 }, (_, i) => i * 10));
  });

  it('rescales float TIFFs', async () => {
    const values = new Float32Array(20 * 10).map((_, i) => i / 10 - 5);
    const p = join(dir, 'float.tif');
    await writeFile(p, encodeFloatTiff(20, 10, values));
    const img = await decodeImage(p, { keepDepth: true });
    expect([img.bitDepth, img.channels]).toEqual([16, 1]);
    expect(img.data[0]).toBe(0);
    expect(img.data[199]).toBe(65535);
    const img8 = await decodeImage(p);
    expect(img8.bitDepth).toBe(8);
    expect(img8.data[199]).toBe(255);
  });

  it('converts CMYK to RGB', async () => {
    const p = join(dir, 'cmyk.jpg');
    await writeFile(p, await sharp(testPattern(16, 16, 3), { raw: { width: 16, height: 16, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer());
    const img = await decodeImage(p);
    expect(img.channels).toBe(3);
  });

  it('throws the probe errors', async () => {
    for (const f of files.filter((x) => x.code !== null)) {
      const err = await decodeImage(f.path).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, f.name).toBeInstanceOf(AppError);
      expect((err as AppError).code, f.name).toBe(f.code);
    }
  });
});

describe('toDisplayRgb8 on decoded files', () => {
  it('gives visible RGB for 12-bit TIFFs and flattens alpha', async () => {
    const d = toDisplayRgb8(await decodeImage(bad('grey16-12bit.tif'), { keepDepth: true }));
    expect(d.channels).toBe(3);
    expect(d.data.length).toBe(64 * 48 * 3);
    expect(d.range!.high).toBeGreaterThan(3500);
    const ga = toDisplayRgb8(await decodeImage(bad('grey-alpha.png')), { background: [0, 0, 0] });
    // right half has alpha 96 over black: darker than the grey value
    const src = testPattern(64, 48, 2);
    const i = 63; // first row, last column
    expect(ga.data[i * 3]).toBe(Math.round((src[i * 2]! * 96) / 255));
  });
});
