/**
 * The synthetic sets the UI tests use instead of the public data sets: deterministic, masks that
 * agree with the objects listed, and a COCO file the project's importer reads as written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../../core/formats/png-codec';
import { makeSyntheticMicroscopy, makeSyntheticPhotos } from '../../fixtures/make-synthetic-photos';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-synth-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('synthetic image sets', () => {
  it('microscopy: the same seed writes the same bytes; instance and semantic masks agree with the objects', async () => {
    const a = await makeSyntheticMicroscopy(path.join(tmp, 'a'), { count: 2 });
    const b = await makeSyntheticMicroscopy(path.join(tmp, 'b'), { count: 2 });
    const c = await makeSyntheticMicroscopy(path.join(tmp, 'c'), { count: 2, seed: 99 });
    const bytes = (dir: string, f: string) => fs.readFileSync(path.join(dir, 'images', f));
    expect(bytes(a.dir, 'cell-01.png').equals(bytes(b.dir, 'cell-01.png'))).toBe(true);
    expect(bytes(a.dir, 'cell-01.png').equals(bytes(c.dir, 'cell-01.png'))).toBe(false);
    for (const im of a.images) {
      expect(im.objects.length).toBeGreaterThanOrEqual(5);
      const ins = decodePng(fs.readFileSync(path.join(a.dir, 'instance_labels', im.fileName.replace(/\.\w+$/, '.png'))));
      const sem = decodePng(fs.readFileSync(path.join(a.dir, 'semantic_masks', im.fileName.replace(/\.\w+$/, '.png'))));
      expect(ins.bitDepth).toBe(16);
      const counts = new Map<number, number>();
      for (let i = 0; i < ins.data.length; i++) {
        const v = ins.data[i]!;
        expect(sem.data[i]).toBe(v ? 255 : 0);
        if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      expect([...counts.entries()].sort((x, y) => x[0] - y[0])).toEqual(im.objects.map((o) => [o.id, o.area]));
    }
  });

  it('photos: names 0.jpg …, three classes, COCO polygons whose areas match the rasterised objects within 5 %', async () => {
    const set = await makeSyntheticPhotos(path.join(tmp, 'photos'), { count: 11 });
    expect(set.images.map((i) => i.fileName)).toContain('10.jpg');
    const coco = JSON.parse(fs.readFileSync(set.cocoPath!, 'utf8')) as { images: unknown[]; annotations: { image_id: number; area: number; category_id: number }[]; categories: { name: string }[] };
    expect(coco.images).toHaveLength(11);
    expect(coco.annotations).toHaveLength(set.instances);
    expect(coco.categories.map((c) => c.name)).toEqual(['date', 'fig', 'hazelnut']);
    expect(new Set(coco.annotations.map((a) => a.category_id)).size).toBe(3);
    const objs = set.images.flatMap((im) => im.objects);
    coco.annotations.forEach((a, i) => expect(Math.abs(a.area - objs[i]!.area) / a.area).toBeLessThan(0.05));
  });
});
