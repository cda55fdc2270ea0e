import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { renderPreview, renderPreviewWithInfo, renderThumbnail, writeThumbnail } from '../../../core/imaging';
import { makeBadImageFolder, testPattern, type BadImageFile } from '../../fixtures/make-bad-images';

let dir: string;
let files: BadImageFile[];
const bad = (name: string) => join(dir, 'bad', name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mw-thumb-'));
  files = await makeBadImageFolder(join(dir, 'bad'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function meanOf(buf: Buffer): Promise<{ mean: number; channels: number; width: number; height: number; format: string }> {
  const meta = await sharp(buf).metadata();
  const s = await sharp(buf).stats();
  const colour = s.channels.slice(0, 3);
  return { mean: colour.reduce((a, c) => a + c.mean, 0) / colour.length, channels: meta.channels, width: meta.width, height: meta.height, format: meta.format };
}

describe('writeThumbnail', () => {
  it('writes a WebP for every valid file, and nothing for bad ones', async () => {
    for (const f of files) {
      const out = join(dir, 'thumbs', `${f.name}.webp`);
      if (f.code === null) {
        const r = await writeThumbnail(f.path, out);
        expect(r.format).toBe('webp');
        expect(r.bytes).toBe((await stat(out)).size);
        expect([r.width, r.height], f.name).toEqual([f.probe!.width, f.probe!.height]); // small images are not enlarged
        const m = await sharp(out).metadata();
        expect([m.format, m.width, m.height], f.name).toEqual(['webp', r.width, r.height]);
      } else {
        const err = await writeThumbnail(f.path, out).catch((e: unknown) => e);
        expect(err, f.name).toBeInstanceOf(AppError);
        expect((err as AppError).code, f.name).toBe(f.code);
      }
    }
    const written = await readdir(join(dir, 'thumbs'));
    expect(written.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(written.length).toBe(files.filter((f) => f.code === null).length);
  });

  it('fits the longer side, after EXIF rotation', async () => {
    const p = join(dir, 'rot.jpg');
    await writeFile(p, await sharp(testPattern(800, 600, 3), { raw: { width: 800, height: 600, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer());
    const r = await writeThumbnail(p, join(dir, 'out', 'rot.webp'));
    expect([r.width, r.height]).toEqual([192, 256]);
    const j = await writeThumbnail(p, join(dir, 'out', 'rot.jpg'), { sizePx: 100, format: 'jpeg' });
    expect([j.width, j.height, j.format]).toEqual([75, 100, 'jpeg']);
    expect((await sharp(join(dir, 'out', 'rot.jpg')).metadata()).format).toBe('jpeg');
  });

  it('contrast-stretches 12-bit images instead of writing a black thumbnail', async () => {
    const t = await renderThumbnail(bad('grey16-12bit.tif'));
    const m = await meanOf(t.data);
    expect(m.mean).toBeGreaterThan(60);
  });

  it('flattens alpha onto a neutral background', async () => {
    const p = join(dir, 'clear.png');
    await writeFile(p, await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toBuffer());
    const t = await renderThumbnail(p, { format: 'jpeg', quality: 95 });
    const m = await meanOf(t.data);
    expect(m.channels).toBe(3);
    expect(Math.abs(m.mean - 128)).toBeLessThan(3);
  });
});

describe('renderPreview', () => {
  it('returns a PNG buffer, downscaled when large', async () => {
    const p = join(dir, 'large.png');
    await writeFile(p, await sharp(testPattern(1000, 500, 3), { raw: { width: 1000, height: 500, channels: 3 } }).png().toBuffer());
    const buf = await renderPreview(p, 400);
    expect(Buffer.isBuffer(buf)).toBe(true);
    const m = await meanOf(buf);
    expect([m.format, m.width, m.height, m.channels]).toEqual(['png', 400, 200, 3]);
    const info = await renderPreviewWithInfo(p, 4096, { format: 'webp' });
    expect(info).toMatchObject({ format: 'webp', mimeType: 'image/webp', width: 1000, height: 500, sourceWidth: 1000, sourceHeight: 500, scale: 1, range: null });
    // lossless at full size
    const px = await sharp(info.data).raw().toBuffer();
    expect(px.equals(testPattern(1000, 500, 3))).toBe(true);
  });

  it('shows 16-bit images stretched', async () => {
    const info = await renderPreviewWithInfo(bad('grey16-12bit.tif'), 4096);
    expect(info.range!.high).toBeGreaterThan(3500);
    expect((await meanOf(info.data)).mean).toBeGreaterThan(60);
  });

  it('rejects bad files and bad sizes', async () => {
    await expect(renderPreview(bad('corrupt-idat.png'), 512)).rejects.toMatchObject({ code: 'corrupt-image' });
    await expect(renderPreview(bad('valid-rgb8.png'), 0)).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});
