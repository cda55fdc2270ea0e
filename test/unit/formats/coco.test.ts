/**
 * COCO specifics: exported RLE strings equal pycocotools' reference encodings byte for byte,
 * polygons follow pycocotools' rasterisation convention, the 'auto' encoding choice, and malformed
 * COCO files give clear reports while leaving the project unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { applyImport, exportDataset, planImport, type ImportPlan } from '../../../core/formats';
import { LabelMap } from '../../../core/mask/label-map';
import type { ProjectStore } from '../../../core/store';
import { REPO_ROOT } from '../../helpers/paths';
import { masksByName, maskFromRows, projectSnapshot, projectWith, rowsFromMask, syntheticRow, tmpDir } from './helpers';

const VECTORS_FILE = path.resolve(REPO_ROOT, '../shared/peers/coco-rle-vectors.json');
const hasVectors = fs.existsSync(VECTORS_FILE);

interface Vector {
  name: string;
  h: number;
  w: number;
  rows?: string[];
  rule?: string;
  counts?: number[];
  compressed: string;
  area: number;
  bbox: number[];
}

function vectorMask(v: Vector): Uint8Array {
  if (v.rows) return maskFromRows(v.rows).mask;
  // "m[5:35,10:50]=1; m[20,55]=1" (numpy row, col slices)
  const m = new Uint8Array(v.w * v.h);
  for (const part of v.rule!.split(';')) {
    const r = /m\[(\d+)(?::(\d+))?,(\d+)(?::(\d+))?\]=1/.exec(part.replace(/\s/g, ''))!;
    const y0 = Number(r[1]);
    const y1 = r[2] ? Number(r[2]) : y0 + 1;
    const x0 = Number(r[3]);
    const x1 = r[4] ? Number(r[4]) : x0 + 1;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * v.w + x] = 1;
  }
  return m;
}

let tmp: string;
beforeEach(() => {
  tmp = tmpDir('coco');
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function readJson(file: string): { images: { id: number; file_name: string }[]; annotations: Record<string, unknown>[]; categories: unknown[]; info: unknown; licenses: unknown[] } {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

describe.skipIf(!hasVectors)(`pycocotools reference vectors${hasVectors ? '' : ` — skipped: ${VECTORS_FILE} is not present`}`, () => {
  const data = hasVectors ? (JSON.parse(fs.readFileSync(VECTORS_FILE, 'utf8')) as { vectors: Vector[]; polygon_convention: Vector & { about: string } }) : null;

  it('exported RLE strings, areas and bboxes equal the reference encodings byte for byte', async () => {
    const vectors = data!.vectors;
    const store = projectWith(path.join(tmp, 'p'), vectors.map((v, i) => syntheticRow(i, v.w, v.h)), [{ name: 'thing' }]);
    const cls = store.classes.list()[0]!.id;
    const images = store.images.list().items;
    vectors.forEach((v, i) => {
      const mask = vectorMask(v);
      const map = new LabelMap(v.w, v.h);
      if (v.area > 0) {
        map.addInstance({ id: 1, classId: cls });
        mask.forEach((b, k) => (map.ids[k] = b ? 1 : 0));
      }
      store.annotations.save(images[i]!.id, map.encode());
    });
    for (const encoding of ['rle', 'auto'] as const) {
      const out = path.join(tmp, `out-${encoding}`);
      await exportDataset(store, { format: 'coco', outDir: out, images: 'none', coco: { encoding } });
      const coco = readJson(path.join(out, 'annotations.json'));
      vectors.forEach((v, i) => {
        const anns = coco.annotations.filter((a) => a.image_id === images[i]!.id);
        if (v.area === 0) {
          expect(anns, v.name).toEqual([]);
          return;
        }
        expect(anns.length, v.name).toBe(1);
        const a = anns[0]!;
        expect(a.area, v.name).toBe(v.area);
        expect(a.bbox, v.name).toEqual(v.bbox);
        expect(a.iscrowd).toBe(0);
        if (encoding === 'rle') expect(a.segmentation, v.name).toEqual({ size: [v.h, v.w], counts: v.compressed });
      });
    }
    store.close();
  });

  it("rasterises polygons with pycocotools' convention (the worked triangle), and exports it back to the reference RLE", async () => {
    const pc = data!.polygon_convention;
    const store = projectWith(path.join(tmp, 'tri'), [syntheticRow(0, pc.w, pc.h)]);
    const file = path.join(tmp, 'tri.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        images: [{ id: 1, file_name: 'img-0.png', width: pc.w, height: pc.h }],
        categories: [{ id: 1, name: 'triangle' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, segmentation: [[1, 1, 8, 1, 1, 6]], iscrowd: 0 }],
      }),
    );
    const plan = await planImport(store, { format: 'coco', path: file });
    expect(plan.issues).toEqual([]);
    applyImport(store, plan);
    const map = masksByName(store).get('img-0.png')!;
    expect(rowsFromMask(map.ids, pc.w, pc.h)).toEqual(pc.rows);
    const out = path.join(tmp, 'tri-out');
    await exportDataset(store, { format: 'coco', outDir: out, images: 'none', coco: { encoding: 'rle' } });
    const a = readJson(path.join(out, 'annotations.json')).annotations[0]!;
    expect(a.segmentation).toEqual({ size: [pc.h, pc.w], counts: pc.compressed });
    expect(a.area).toBe(pc.area);
    expect(a.bbox).toEqual(pc.bbox);
    store.close();
  });
});

describe('COCO export', () => {
  it('fills info, licenses, categories, image entries, and picks polygons or RLE per instance', async () => {
    const store = projectWith(path.join(tmp, 'p'), [syntheticRow(0, 12, 10)], [{ name: 'ring' }, { name: 'blob' }]);
    const [ring, blob] = store.classes.list();
    const map = LabelMap.decode(new LabelMap(12, 10).encode());
    map.addInstance({ id: 1, classId: ring!.id });
    map.addInstance({ id: 2, classId: blob!.id });
    const rows = maskFromRows([
      '111110000000',
      '100010000000',
      '100010002200',
      '111110002220',
      '000000000220',
      '000000000000',
      '000000000000',
      '220000000000',
      '220000000000',
      '000000000000',
    ].map((r) => r.replace(/2/g, '1')));
    const twos = ['', '', '000000002200', '000000002220', '000000000220', '', '', '220000000000', '220000000000', ''];
    rows.mask.forEach((b, k) => (map.ids[k] = b ? 1 : 0));
    twos.forEach((r, y) => [...r].forEach((c, x) => c === '2' && (map.ids[y * 12 + x] = 2)));
    store.annotations.save(store.images.list().items[0]!.id, map.encode());
    const out = path.join(tmp, 'out');
    const report = await exportDataset(store, { format: 'coco', outDir: out, images: 'none' });
    const coco = readJson(path.join(out, 'annotations.json'));
    expect(coco.info).toMatchObject({ contributor: 'Maskwright', version: '1.0' });
    expect(coco.licenses).toEqual([{ id: 1, name: 'Unknown', url: '' }]);
    expect(coco.categories).toEqual([
      { id: 1, name: 'ring', supercategory: 'ring' },
      { id: 2, name: 'blob', supercategory: 'blob' },
    ]);
    expect(coco.images).toEqual([expect.objectContaining({ file_name: 'img-0.png', width: 12, height: 10, license: 1 })]);
    const [a1, a2] = coco.annotations;
    // the square ring has a hole: RLE
    expect(a1).toMatchObject({ id: 1, category_id: 1, area: 14, bbox: [0, 0, 5, 4], iscrowd: 0, segmentation: { size: [10, 12] } });
    // two separate parts, no hole: two exact polygons (pixel-corner vertices)
    expect(a2).toMatchObject({ id: 2, category_id: 2, area: 11, iscrowd: 0 });
    expect(a2!.segmentation).toEqual([
      [10, 2, 10, 3, 11, 3, 11, 5, 9, 5, 9, 4, 8, 4, 8, 2],
      [2, 7, 2, 9, 0, 9, 0, 7],
    ]);
    expect(report.coco).toEqual({ polygon: 1, rle: 1 });
    expect(report.issues).toEqual([expect.objectContaining({ code: 'encoding', action: 'noted', entry: 'instance 1', message: 'has a hole: written as RLE' })]);
    store.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed input

describe('malformed COCO files give a clear report and leave the project unchanged', () => {
  let store: ProjectStore;
  let before: string;
  beforeEach(() => {
    store = projectWith(path.join(tmp, 'p'), [syntheticRow(0, 10, 10, { fileName: 'a.png' }), syntheticRow(1, 10, 10, { fileName: 'b.png' })], [{ name: 'cat' }]);
    // an existing mask (from an earlier import, smaller than the good file's), which a failed import must not touch
    const m = new LabelMap(10, 10);
    m.addInstance({ id: 1, classId: store.classes.list()[0]!.id, source: 'import' });
    m.ids.fill(1, 0, 20);
    store.annotations.save(store.images.list().items[0]!.id, m.encode());
    before = projectSnapshot(store);
  });
  afterEach(() => store.close());

  const good = () => ({
    images: [
      { id: 1, file_name: 'a.png', width: 10, height: 10 },
      { id: 2, file_name: 'b.png', width: 10, height: 10 },
    ],
    categories: [{ id: 1, name: 'dog' }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, segmentation: [[1, 1, 6, 1, 6, 6, 1, 6]], iscrowd: 0 },
      { id: 2, image_id: 2, category_id: 1, segmentation: { size: [10, 10], counts: [11, 3, 7, 3, 76] }, iscrowd: 1 },
    ],
  });

  async function plan(content: string | object): Promise<ImportPlan> {
    const file = path.join(tmp, `in-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    const p = await planImport(store, { format: 'coco', path: file });
    expect(projectSnapshot(store)).toBe(before); // planning writes nothing
    return p;
  }

  function expectRefusedAndUnchanged(p: ImportPlan, strict = false): AppError {
    let err: unknown;
    try {
      applyImport(store, p, { strict });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('corrupt-data');
    expect(projectSnapshot(store)).toBe(before);
    return err as AppError;
  }

  it('the well-formed file imports both annotations (control)', async () => {
    const p = await plan(good());
    expect(p.ok).toBe(true);
    expect(p.issues).toEqual([]);
    expect(p.totals).toMatchObject({ matchedImages: 2, instances: 2, existingMasks: 1, newClasses: 1 });
    const r = applyImport(store, p, { strict: true });
    expect(r).toMatchObject({ images: 2, instances: 2, classesCreated: ['dog'], replacedMasks: 1 });
  });

  it('truncated JSON', async () => {
    const text = JSON.stringify(good());
    const p = await plan(text.slice(0, text.length - 40));
    expect(p.ok).toBe(false);
    expect(p.images).toEqual([]);
    expect(p.issues).toEqual([expect.objectContaining({ code: 'invalid-json', action: 'fatal', entry: null })]);
    expect(p.issues[0]!.message).toMatch(/not valid JSON \(the file looks truncated\)/);
    expect(expectRefusedAndUnchanged(p).message).toMatch(/Nothing was imported: .*in-.*\.json: not valid JSON/);
  });

  it('an empty file, and a file that is not there', async () => {
    const p = await plan('');
    expect(p.issues[0]).toMatchObject({ code: 'invalid-json', action: 'fatal', message: 'the file is empty' });
    expectRefusedAndUnchanged(p);
    const q = await planImport(store, { format: 'coco', path: path.join(tmp, 'nope.json') });
    expect(q.issues[0]).toMatchObject({ code: 'unreadable', action: 'fatal', message: 'the file does not exist' });
    expectRefusedAndUnchanged(q);
  });

  it('wrong types at the top level', async () => {
    const p = await plan({ ...good(), images: { id: 1 } });
    expect(p.issues).toEqual([expect.objectContaining({ code: 'schema', action: 'fatal' })]);
    expect(p.issues[0]!.message).toBe('not a COCO instances file: images: expected "images" to be an array');
    expectRefusedAndUnchanged(p);
    const q = await plan([1, 2, 3]);
    expect(q.issues[0]!.message).toMatch(/JSON object .* this one is a array/);
    expectRefusedAndUnchanged(q);
  });

  it('wrong types in entries are reported with the entry and skipped', async () => {
    const f = good();
    (f.annotations[0] as Record<string, unknown>).category_id = '1';
    (f.images[1] as Record<string, unknown>).width = 'ten';
    const p = await plan(f);
    expect(p.ok).toBe(true);
    expect(p.issues).toEqual([
      { code: 'schema', action: 'skipped', file: expect.stringMatching(/\.json$/), entry: 'images[1]', message: 'width: expected number, received string; its annotations are not imported' },
      { code: 'schema', action: 'skipped', file: expect.any(String), entry: 'annotations[0] (id 1)', message: 'category_id: expected number, received string' },
      // a.png's only entry is broken: its mask is kept, not emptied
      { code: 'all-skipped', action: 'skipped', file: expect.any(String), entry: 'a.png', message: 'the only entry for this image was skipped; its current mask (1 instance) is kept' },
    ]);
    expect(p.totals.instances).toBe(0);
    expectRefusedAndUnchanged(p, true);
  });

  it('polygons with two points (and other degenerate polygons)', async () => {
    const f = good();
    f.annotations[0]!.segmentation = [[1, 1, 5, 5]];
    f.annotations.push({ id: 3, image_id: 1, category_id: 1, segmentation: [[1, 1, 2, 2, 3, 3]], iscrowd: 0 });
    f.annotations.push({ id: 4, image_id: 1, category_id: 1, segmentation: [[1, 1, 2, 2, 3]], iscrowd: 0 });
    f.annotations.push({ id: 5, image_id: 1, category_id: 1, segmentation: [[]], iscrowd: 0 });
    f.annotations.push({ id: 6, image_id: 1, category_id: 1, segmentation: [], iscrowd: 0 });
    const p = await plan(f);
    const byEntry = Object.fromEntries(p.issues.map((i) => [i.entry, `${i.code}/${i.action}: ${i.message}`]));
    expect(byEntry).toEqual({
      'annotations[0] (id 1)': 'degenerate-polygon/skipped: the polygon has 2 distinct points; at least 3 are needed',
      'annotations[2] (id 3)': 'degenerate-polygon/skipped: the polygon has zero area (all points on a line)',
      'annotations[3] (id 4)': 'degenerate-polygon/skipped: the polygon has an odd number of coordinates (5)',
      'annotations[4] (id 5)': 'empty-polygon/skipped: the polygon has no coordinates',
      'annotations[5] (id 6)': 'empty-polygon/skipped: the segmentation is an empty list (no polygon)',
      'a.png': 'all-skipped/skipped: all 5 entries for this image were skipped; its current mask (1 instance) is kept',
    });
    expect(p.totals.instances).toBe(1); // only the RLE of b.png
    expectRefusedAndUnchanged(p, true);
  });

  it('RLE whose counts do not sum to h*w, bad characters, and a wrong size', async () => {
    const f = good();
    f.annotations[1]!.segmentation = { size: [10, 10], counts: [11, 3, 7, 3, 70] };
    f.annotations.push({ id: 3, image_id: 1, category_id: 1, segmentation: { size: [10, 10], counts: '5 !x' } as never, iscrowd: 0 });
    f.annotations.push({ id: 4, image_id: 1, category_id: 1, segmentation: { size: [8, 8], counts: [64] } as never, iscrowd: 0 });
    const p = await plan(f);
    const bad = p.issues.filter((i) => i.code === 'bad-rle');
    expect(bad.map((i) => [i.entry, i.action])).toEqual([
      ['annotations[1] (id 2)', 'skipped'],
      ['annotations[2] (id 3)', 'skipped'],
      ['annotations[3] (id 4)', 'skipped'],
    ]);
    expect(bad[0]!.message).toBe('RLE counts cover 94 pixels but the mask is 10x10 = 100 (corrupt or wrong size)');
    expect(bad[1]!.message).toMatch(/invalid character/);
    expect(bad[2]!.message).toBe('the RLE is 8x8 (size [h, w]) but the image is 10x10');
    expectRefusedAndUnchanged(p, true);
  });

  it('images missing from the project, unknown categories, duplicate ids, points outside the image', async () => {
    const f = good();
    f.images.push({ id: 3, file_name: 'missing.png', width: 10, height: 10 });
    f.images.push({ id: 1, file_name: 'b.png', width: 10, height: 10 });
    f.categories.push({ id: 1, name: 'again' });
    f.annotations.push({ id: 3, image_id: 3, category_id: 1, segmentation: [[0, 0, 4, 0, 4, 4]], iscrowd: 0 });
    f.annotations.push({ id: 4, image_id: 2, category_id: 9, segmentation: [[0, 0, 4, 0, 4, 4]], iscrowd: 0 });
    f.annotations.push({ id: 1, image_id: 2, category_id: 1, segmentation: [[-3, 0, 14, 0, 4, 4]], iscrowd: 0 });
    const p = await plan(f);
    expect(p.issues.map((i) => [i.code, i.action, i.entry])).toEqual([
      ['duplicate-id', 'skipped', 'categories[1] (id 1)'],
      ['unmatched-image', 'skipped', 'images[2] (id 3, missing.png)'],
      ['duplicate-id', 'skipped', 'images[3] (id 1, b.png)'],
      ['unknown-category', 'skipped', 'annotations[3] (id 4)'],
      ['duplicate-id', 'repaired', 'annotations[4] (id 1)'],
      ['out-of-bounds', 'repaired', 'annotations[4] (id 1)'],
      // the clipped triangle is drawn over b.png's RLE: reported, the later one wins
      ['overlap', 'noted', 'annotations[1] (id 2)'],
    ]);
    expect(p.issues[6]!.message).toMatch(/^overlaps annotations\[4\] \(id 1\): \d+ (pixel goes|pixels go) to the later one \(later entries are drawn on top\)$/);
    expect(p.issues[1]!.message).toBe('no image named "missing.png" in the project; its annotations are not imported');
    expect(p.issues[5]!.message).toBe('2 points outside the 10x10 image: clipped');
    expect(p.unmatched).toEqual([{ name: 'missing.png', file: expect.any(String), reason: 'not-in-project' }]);
    expect(p.totals).toMatchObject({ datasetImages: 3, matchedImages: 2, unmatchedImages: 1, instances: 3 });
    expectRefusedAndUnchanged(p, true);
    // without `strict` the rest is imported, in one transaction
    const r = applyImport(store, p);
    expect(r.instances).toBe(3);
  });

  it('a size mismatch and a fully covered annotation are reported', async () => {
    const f = good();
    f.images[1]!.width = 12;
    f.annotations.push({ id: 3, image_id: 1, category_id: 1, segmentation: [[0, 0, 10, 0, 10, 10, 0, 10]], iscrowd: 0 });
    const p = await plan(f);
    expect(p.issues.map((i) => [i.code, i.action, i.entry])).toEqual([
      ['size-mismatch', 'skipped', 'images[1] (id 2, b.png)'],
      ['overlap', 'noted', 'annotations[0] (id 1)'],
      ['empty-mask', 'skipped', 'annotations[0] (id 1)'],
      // a.png's mask is replaced by one that lacks an entry: said before anything is written
      ['mask-loss', 'noted', 'a.png'],
    ]);
    expect(p.issues[1]!.message).toBe('overlaps annotations[2] (id 3): 25 pixels go to the later one (later entries are drawn on top)');
    expect(p.issues[3]!.message).toBe('its mask (1 instance, 20 px) would be replaced by a PARTIAL one: 1 of its entries was skipped, 1 instance (100 px) remain');
    expect(p.issues[0]!.message).toBe('the dataset says 12x10 but the project image "b.png" is 10x10; its annotations are not imported');
    expect(p.images[0]!.refs).toEqual(['annotations[2] (id 3)']);
    expectRefusedAndUnchanged(p, true);
  });
});
