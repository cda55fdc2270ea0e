import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, probeImage, renderThumbnail } from '../../../core/imaging';
import { DATASETS_DIR, DATASETS_GROUP } from '../../helpers/paths';

/** dsb2018-nuclei in the public data sets folder (MASKWRIGHT_DATASETS or ../shared/datasets). */
const DATASET = join(DATASETS_DIR, 'dsb2018-nuclei');
const present = existsSync(join(DATASET, 'images')) && existsSync(join(DATASET, 'instance_labels'));
const title = present ? `${DATASETS_GROUP} dsb2018-nuclei dataset` : `${DATASETS_GROUP} dsb2018-nuclei dataset (skipped: not found at ${DATASET})`;

/** Size counts from the dataset README. */
const README_SIZES: Record<string, number> = {
  '256x256': 48,
  '320x256': 16,
  '360x360': 13,
  '696x520': 13,
  '1024x1024': 2,
  '640x512': 2,
  '1272x603': 2,
  '347x260': 2,
  '1388x1040': 1,
};

/** Width, height, bit depth and colour type straight from the PNG IHDR chunk. */
async function ihdr(path: string): Promise<{ width: number; height: number; bitDepth: number; colourType: number }> {
  const b = await readFile(path);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bitDepth: b[24]!, colourType: b[25]! };
}

describe.skipIf(!present)(title, () => {
  it('probes every image with the right size, 8-bit RGBA', async () => {
    const names = (await readdir(join(DATASET, 'images'))).filter((n) => n.endsWith('.png')).sort();
    expect(names.length).toBe(99);
    const sizes: Record<string, number> = {};
    for (const name of names) {
      const path = join(DATASET, 'images', name);
      const [p, h] = await Promise.all([probeImage(path), ihdr(path)]);
      expect([p.width, p.height], name).toEqual([h.width, h.height]);
      expect(p, name).toMatchObject({ format: 'png', bitDepth: 8, channels: 4, hasAlpha: true, orientation: 1 });
      expect(p.hash).toMatch(/^[0-9a-f]{64}$/);
      sizes[`${p.width}x${p.height}`] = (sizes[`${p.width}x${p.height}`] ?? 0) + 1;
    }
    expect(sizes).toEqual(README_SIZES);
  });

  it('probes every instance label map as 16-bit single-channel, same size as its image', async () => {
    const names = (await readdir(join(DATASET, 'instance_labels'))).filter((n) => n.endsWith('.png')).sort();
    expect(names.length).toBe(99);
    for (const name of names) {
      const p = await probeImage(join(DATASET, 'instance_labels', name));
      const h = await ihdr(join(DATASET, 'images', name));
      expect(p, name).toMatchObject({ format: 'png', bitDepth: 16, channels: 1, hasAlpha: false, width: h.width, height: h.height });
    }
  });

  it('decodes a label map losslessly and thumbnails the largest image', async () => {
    const names = (await readdir(join(DATASET, 'instance_labels'))).sort();
    const labels = await decodeImage(join(DATASET, 'instance_labels', names[0]!), { keepDepth: true });
    expect(labels.bitDepth).toBe(16);
    const ids = new Set(labels.data);
    expect(ids.has(0)).toBe(true);
    expect(Math.max(...ids)).toBe(ids.size - 1); // instances numbered 1..k
    let largest = '';
    let area = 0;
    for (const n of (await readdir(join(DATASET, 'images'))).sort()) {
      const h = await ihdr(join(DATASET, 'images', n));
      if (h.width * h.height > area) {
        area = h.width * h.height;
        largest = n;
      }
    }
    const t = await renderThumbnail(join(DATASET, 'images', largest));
    expect([t.width, t.height]).toEqual([256, Math.round((256 * 1040) / 1388)]);
  });
});
