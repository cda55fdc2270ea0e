/**
 * Import planning and applying: one transaction, replace/merge, class mapping, image matching, and
 * the VOC, mask-folder, YOLO-seg and LabelMe readers on hand-made (also malformed) inputs.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { applyImport, planImport, type ImportPlan, type ImportRequest } from '../../../core/formats';
import { encodePng } from '../../../core/formats/png-codec';
import { vocColormap } from '../../../core/formats/voc';
import { parseYoloNames } from '../../../core/formats/yolo-seg';
import { LabelMap } from '../../../core/mask/label-map';
import type { ProjectStore } from '../../../core/store';
import { masksByName, projectSnapshot, projectWith, rowsFromMask, syntheticRow, tmpDir } from './helpers';

let tmp: string;
let store: ProjectStore;
let before: string;

beforeEach(() => {
  tmp = tmpDir('import');
  store = projectWith(
    path.join(tmp, 'p'),
    [
      syntheticRow(0, 8, 6, { fileName: 'a.jpg', path: '/data/x/a.jpg' }),
      syntheticRow(1, 8, 6, { fileName: 'b.jpg', path: '/data/x/b.jpg' }),
      syntheticRow(2, 8, 6, { fileName: 'c.jpg', path: '/data/x/c.jpg' }),
    ],
    [{ name: 'Cat' }],
  );
  before = projectSnapshot(store);
});
afterEach(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(rel: string, data: string | Uint8Array | object): string {
  const f = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, typeof data === 'string' || data instanceof Uint8Array ? data : JSON.stringify(data));
  return f;
}

function rows(name: string): string[] {
  const m = masksByName(store).get(name)!;
  return rowsFromMask(m.ids, m.width, m.height).map((r, y) => [...r].map((_, x) => String(m.ids[y * m.width + x])).join(''));
}

function classOf(name: string, id: number): string {
  const m = masksByName(store).get(name)!;
  return store.classes.list().find((c) => c.id === m.getInstance(id)!.classId)!.name;
}

const coco = (anns: object[], cats = [{ id: 1, name: 'cat' }, { id: 2, name: 'dog' }]) => ({
  images: [
    { id: 1, file_name: 'a.jpg', width: 8, height: 6 },
    { id: 2, file_name: 'b.jpg', width: 8, height: 6 },
  ],
  categories: cats,
  annotations: anns,
});
const box = (x0: number, y0: number, x1: number, y1: number) => [[x0, y0, x1, y0, x1, y1, x0, y1]];

describe('plan and apply', () => {
  it('matches names, maps classes (existing by name ignoring case, new ones created) and writes one revision per image', async () => {
    const f = write('c.json', coco([
      { id: 1, image_id: 1, category_id: 1, segmentation: box(0, 0, 4, 3) },
      { id: 2, image_id: 1, category_id: 2, segmentation: box(2, 1, 6, 5) },
      { id: 3, image_id: 2, category_id: 2, segmentation: box(5, 0, 8, 6) },
    ]));
    const plan = await planImport(store, { format: 'coco', path: f });
    expect(plan.classes).toEqual([
      { sourceName: 'cat', targetName: 'Cat', projectClassId: store.classes.list()[0]!.id, color: null, instances: 1 },
      { sourceName: 'dog', targetName: 'dog', projectClassId: null, color: null, instances: 2 },
    ]);
    expect(plan.totals).toEqual({ datasetImages: 2, matchedImages: 2, unmatchedImages: 0, instances: 3, existingMasks: 0, newClasses: 1 });
    const r = applyImport(store, plan);
    expect(r).toMatchObject({ images: 2, instances: 3, classesCreated: ['dog'], replacedMasks: 0, mergedMasks: 0 });
    // later annotations are drawn over earlier ones
    expect(rows('a.jpg')).toEqual(['11110000', '11222200', '11222200', '00222200', '00222200', '00000000']);
    expect([classOf('a.jpg', 1), classOf('a.jpg', 2)]).toEqual(['Cat', 'dog']);
    const img = store.images.list().items[0]!;
    expect(store.annotations.revisions(img.id)).toEqual([expect.objectContaining({ source: 'import', reason: 'import:coco' })]);
    const m = LabelMap.decode(store.annotations.get(img.id)!.labelMap);
    expect(m.instances().map((i) => [i.source, i.score])).toEqual([
      ['import', null],
      ['import', null],
    ]);
  });

  it('replaces existing masks by default, or merges the import on top', async () => {
    const img = store.images.list().items[0]!;
    const cat = store.classes.list()[0]!.id;
    const old = new LabelMap(8, 6);
    old.addInstance({ id: 5, classId: cat });
    old.addInstance({ id: 6, classId: cat });
    old.ids.fill(5, 40, 48); // bottom row
    old.ids.fill(6, 0, 2); // top-left, will be covered
    store.annotations.save(img.id, old.encode());
    const f = write('c.json', coco([{ id: 1, image_id: 1, category_id: 2, segmentation: box(0, 0, 3, 2) }]));
    const merged = await planImport(store, { format: 'coco', path: f, existingMasks: 'merge' });
    expect(merged.totals.existingMasks).toBe(1);
    expect(applyImport(store, merged)).toMatchObject({ mergedMasks: 1, replacedMasks: 0 });
    expect(rows('a.jpg')).toEqual(['77700000', '77700000', '00000000', '00000000', '00000000', '55555555']);
    expect(LabelMap.decode(store.annotations.get(img.id)!.labelMap).instances().map((i) => i.id)).toEqual([5, 7]);
    const replaced = await planImport(store, { format: 'coco', path: f });
    // instance 5 was drawn by a person: the dry run says the mask would shrink, and replacing needs consent
    expect(replaced.maskChanges).toEqual({ emptied: 0, shrunk: 1, partial: 0, humanMasks: 1 });
    expect(replaced.issues.filter((i) => i.code === 'mask-loss').map((i) => [i.entry, i.message])).toEqual([
      ['a.jpg', 'its mask would SHRINK from 2 instances, 14 px, 1 drawn by people to 1 instance, 6 px; replacing a mask drawn by people needs replaceHumanMasks (CLI --replace-human), or merge instead'],
    ]);
    expect(() => applyImport(store, replaced)).toThrow(/1 image has a mask drawn by people \(e\.g\. "a\.jpg"\)/);
    // b.jpg is listed without annotations: the first import gave it an (empty) mask, replaced now too
    expect(applyImport(store, replaced, { replaceHumanMasks: true })).toMatchObject({ mergedMasks: 0, replacedMasks: 2 });
    expect(rows('a.jpg')).toEqual(['11100000', '11100000', '00000000', '00000000', '00000000', '00000000']);
  });

  it('class mapping: rename, send to a class id, or leave out', async () => {
    const f = write('c.json', coco([
      { id: 1, image_id: 1, category_id: 1, segmentation: box(0, 0, 4, 3) },
      { id: 2, image_id: 1, category_id: 2, segmentation: box(4, 3, 8, 6) },
    ]));
    const cat = store.classes.list()[0]!.id;
    const plan = await planImport(store, { format: 'coco', path: f, classMapping: { cat: null, dog: cat } });
    expect(plan.classes.map((c) => [c.sourceName, c.targetName, c.projectClassId, c.instances])).toEqual([
      ['cat', null, null, 1],
      ['dog', 'Cat', cat, 1],
    ]);
    applyImport(store, plan);
    expect(rows('a.jpg')[4]).toBe('00001111');
    expect(rows('a.jpg')[0]).toBe('00000000');
    const renamed = await planImport(store, { format: 'coco', path: f, classMapping: { cat: 'feline', dog: 'feline' } });
    expect(renamed.totals.newClasses).toBe(1);
    expect(applyImport(store, renamed).classesCreated).toEqual(['feline']);
    const bad = await planImport(store, { format: 'coco', path: f, classMapping: { dog: 999 } });
    expect(bad.ok).toBe(false);
    expect(bad.issues[0]).toMatchObject({ code: 'unknown-category', action: 'fatal', message: 'the class mapping sends "dog" to class id 999, which this project does not have' });
  });

  it('is one transaction: a failure on the last image leaves the project as it was', async () => {
    const f = write('c.json', coco([
      { id: 1, image_id: 1, category_id: 2, segmentation: box(0, 0, 4, 3) },
      { id: 2, image_id: 2, category_id: 2, segmentation: box(0, 0, 4, 3) },
    ]));
    const plan = await planImport(store, { format: 'coco', path: f });
    // the second image disappears between planning and applying
    store.db.prepare('DELETE FROM image WHERE file_name = ?').run('b.jpg');
    const snap = projectSnapshot(store);
    expect(() => applyImport(store, plan)).toThrow(AppError);
    try {
      applyImport(store, plan);
    } catch (e) {
      expect((e as AppError).code).toBe('conflict');
      expect((e as AppError).message).toBe('Image "b.jpg" was removed or changed after the import was planned; plan it again.');
    }
    expect(projectSnapshot(store)).toBe(snap);
    expect(store.classes.list().map((c) => c.name)).toEqual(['Cat']); // "dog" was not created
  });

  it('refuses a plan made for another project', async () => {
    const other = projectWith(path.join(tmp, 'other'), [syntheticRow(0, 8, 6, { fileName: 'a.jpg' })]);
    const f = write('c.json', coco([{ id: 1, image_id: 1, category_id: 1, segmentation: box(0, 0, 4, 3) }]));
    const plan = await planImport(other, { format: 'coco', path: f });
    expect(() => applyImport(store, plan)).toThrow(/another project/);
    other.close();
    expect(projectSnapshot(store)).toBe(before);
  });

  it('ambiguous names are reported unless the dataset path tells them apart', async () => {
    const s2 = projectWith(path.join(tmp, 'dups'), [
      syntheticRow(0, 8, 6, { fileName: 'a.jpg', path: '/data/train/a.jpg' }),
      syntheticRow(1, 8, 6, { fileName: 'a.jpg', path: '/data/val/a.jpg' }),
    ]);
    const base = { categories: [{ id: 1, name: 'cat' }], annotations: [{ id: 1, image_id: 1, category_id: 1, segmentation: box(0, 0, 2, 2) }] };
    const amb = await planImport(s2, { format: 'coco', path: write('amb.json', { ...base, images: [{ id: 1, file_name: 'a.jpg', width: 8, height: 6 }] }) });
    expect(amb.issues).toEqual([expect.objectContaining({ code: 'ambiguous-image', action: 'skipped' })]);
    expect(amb.unmatched[0]!.reason).toBe('ambiguous');
    const ok = await planImport(s2, { format: 'coco', path: write('ok.json', { ...base, images: [{ id: 1, file_name: 'val/a.jpg', width: 8, height: 6 }] }) });
    expect(ok.issues).toEqual([]);
    expect(ok.images[0]!.imageId).toBe(s2.images.list().items[1]!.id);
    s2.close();
  });

  it('rejects unknown formats and empty paths', async () => {
    await expect(planImport(store, { format: 'csv', path: 'x' } as unknown as ImportRequest)).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(planImport(store, { format: 'coco', path: ' ' })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('Pascal VOC reader', () => {
  const PAL = vocColormap(256);
  const palettePng = (data: number[]) => encodePng({ width: 8, height: 6, bitDepth: 8, kind: 'palette', data: Uint8Array.from(data), palette: PAL });

  it("reads class and object masks, treats 255 as void, uses VOC's class names without a labelmap", async () => {
    // a cat (8) with a void border, and a dog (12) whose object mask is missing: regions become instances
    const cls = [
      0, 0, 0, 0, 0, 0, 0, 0,
      0, 255, 255, 255, 0, 0, 0, 0,
      0, 255, 8, 255, 0, 12, 12, 0,
      0, 255, 255, 255, 0, 12, 12, 0,
      0, 0, 0, 0, 0, 0, 0, 0,
      12, 0, 0, 0, 0, 0, 0, 0,
    ];
    const obj = cls.map((v) => (v === 8 ? 1 : v === 255 ? 255 : v === 12 ? 2 : 0));
    write('voc/SegmentationClass/a.png', palettePng(cls));
    write('voc/SegmentationObject/a.png', palettePng(obj));
    write('voc/SegmentationClass/b.png', palettePng(cls));
    write('voc/ImageSets/Segmentation/train.txt', 'a\nb\nzzz\n');
    const plan = await planImport(store, { format: 'voc', path: path.join(tmp, 'voc') });
    expect(plan.classes.map((c) => [c.sourceName, c.instances])).toEqual([
      ['cat', 2],
      ['dog', 3],
    ]);
    expect(plan.issues).toEqual([expect.objectContaining({ code: 'unmatched-image', entry: null, message: 'no image named "zzz" in the project; its annotations are not imported' })]);
    applyImport(store, plan);
    expect(rows('a.jpg')).toEqual(['00000000', '00000000', '00100220', '00000220', '00000000', '20000000']);
    // b has no object mask: each 8-connected region of one class is an instance
    expect(rows('b.jpg')).toEqual(['00000000', '00000000', '00100220', '00000220', '00000000', '30000000']);
  });

  it('reads RGB class masks through labelmap.txt colours', async () => {
    const rgb = Buffer.alloc(8 * 6 * 3);
    rgb.set([10, 20, 30, 10, 20, 30], 0); // two pixels of "apple"
    rgb.set([224, 224, 192], 3 * 47); // VOC's void colour (index 255): background
    write('voc/SegmentationClass/a.png', await sharp(rgb, { raw: { width: 8, height: 6, channels: 3 } }).png().toBuffer());
    write('voc/labelmap.txt', '# label:color_rgb:parts:actions\nbackground:0,0,0::\napple:10,20,30::\n');
    const plan = await planImport(store, { format: 'voc', path: path.join(tmp, 'voc') });
    expect(plan.issues).toEqual([]);
    expect(plan.classes).toEqual([expect.objectContaining({ sourceName: 'apple', color: '#0a141e', instances: 1 })]);
    applyImport(store, plan);
    expect(rows('a.jpg')[0]).toBe('11000000');
  });

  it('reports a folder that is not VOC, and damaged PNGs', async () => {
    const p = await planImport(store, { format: 'voc', path: tmp });
    expect(p.issues[0]).toMatchObject({ code: 'unreadable', action: 'fatal', message: 'not a Pascal VOC segmentation folder (no SegmentationClass/ inside)' });
    const png = palettePng(new Array(48).fill(0));
    write('voc2/SegmentationClass/a.png', png.slice(0, png.length - 20));
    const bad = png.slice();
    bad[40] = bad[40]! ^ 0xff;
    write('voc2/SegmentationClass/b.png', bad);
    const q = await planImport(store, { format: 'voc', path: path.join(tmp, 'voc2') });
    expect(q.issues.map((i) => [i.code, i.action, i.message])).toEqual([
      ['unreadable', 'skipped', 'truncated PNG (chunk IDAT is cut off)'],
      ['unreadable', 'skipped', expect.stringMatching(/^damaged PNG \(CRC mismatch in chunk/)],
    ]);
    expect(projectSnapshot(store)).toBe(before);
  });
});

describe('mask-folder reader', () => {
  it('reads colour PNGs through a colour -> class mapping, reporting unknown colours', async () => {
    const rgb = Buffer.alloc(8 * 6 * 3);
    const paint = (x: number, y: number, c: number[]) => rgb.set(c, (y * 8 + x) * 3);
    for (let x = 0; x < 3; x++) paint(x, 0, [255, 0, 0]);
    for (let x = 5; x < 8; x++) paint(x, 5, [0, 0, 255]);
    paint(4, 3, [9, 9, 9]);
    const png = await sharp(rgb, { raw: { width: 8, height: 6, channels: 3 } }).png().toBuffer();
    write('masks/a.png', png);
    const noMap = await planImport(store, { format: 'mask-folder', path: path.join(tmp, 'masks') });
    expect(noMap.issues).toEqual([expect.objectContaining({ code: 'schema', action: 'skipped', message: 'this is a colour PNG: give a colour -> class mapping to import it' })]);
    const plan = await planImport(store, { format: 'mask-folder', path: path.join(tmp, 'masks'), colorMap: { '#FF0000': 'cat', '#0000ff': 'sky' } });
    expect(plan.issues).toEqual([expect.objectContaining({ code: 'unknown-color', action: 'repaired', message: '1 colour not in the colour mapping (#090909: 1 px): left as background' })]);
    expect(plan.classes.map((c) => [c.sourceName, c.targetName, c.color, c.instances])).toEqual([
      ['cat', 'Cat', '#ff0000', 1],
      ['sky', 'sky', '#0000ff', 1],
    ]);
    applyImport(store, plan);
    expect(rows('a.jpg')).toEqual(['11100000', '00000000', '00000000', '00000000', '00000000', '00000222']);
    expect(store.classes.list().find((c) => c.name === 'sky')!.color).toBe('#0000ff');
  });

  it('pairs class maps with instance maps; instances with mixed classes take the most frequent one', async () => {
    const sem = new Uint8Array(48);
    const ins = new Uint16Array(48);
    sem.fill(1, 0, 4);
    sem[4] = 2;
    ins.fill(300, 0, 5);
    sem.fill(2, 40, 48);
    ins.fill(7, 40, 48);
    write('root/semantic_masks/a.png', encodePng({ width: 8, height: 6, bitDepth: 8, kind: 'grey', data: sem }));
    write('root/instance_labels/a.png', encodePng({ width: 8, height: 6, bitDepth: 16, kind: 'grey', data: ins }));
    write('root/classes.txt', 'background\nround\nlong\n');
    const plan = await planImport(store, { format: 'mask-folder', path: path.join(tmp, 'root') });
    expect(plan.issues).toEqual([expect.objectContaining({ code: 'mixed-class', action: 'repaired', entry: 'instance value 300', message: 'its pixels carry 2 classes; the most frequent (1, 80.0 %) is used' })]);
    applyImport(store, plan);
    // ascending instance values: 7 -> 1, 300 -> 2
    expect(rows('a.jpg')).toEqual(['22222000', '00000000', '00000000', '00000000', '00000000', '11111111']);
    expect([classOf('a.jpg', 1), classOf('a.jpg', 2)]).toEqual(['long', 'round']);
  });
});

describe('YOLO-seg reader', () => {
  it('parses the names of data.yaml in its three spellings', () => {
    expect(parseYoloNames('path: .\nnames: [cat, "dog, big", \'it\'\'s\']\n')).toEqual(['cat', 'dog, big', "it's"]);
    expect(parseYoloNames('names:\n  - cat\n  - dog  # comment\nnc: 2\n')).toEqual(['cat', 'dog']);
    expect(parseYoloNames('nc: 2\nnames:\n  0: cat\n  1: "dog"\n')).toEqual(['cat', 'dog']);
    expect(parseYoloNames('names: {0: cat, 1: dog}\n')).toEqual(['cat', 'dog']);
    expect(parseYoloNames('nc: 2\n')).toBeNull();
  });

  it("reads polygons and boxes with Ultralytics' rule; reports unknown classes, bad numbers (quoted) and clamped points", async () => {
    write('y/data.yaml', 'train: images/train\nval: images/train\nnames: [cat, dog]\n');
    const lines = [
      '0 0.0625 0.083333 0.4375 0.083333 0.4375 0.416667 0.0625 0.416667',
      '1 0.75 0.5 0.5 0.333333',
      '5 0 0 1 0 1 1',
      '0 0 0 x 1 1 1',
      '0 0 0 1e999 1 1 1',
      '0 0.1 0.9 0.9 0.9 0.9 0.9',
      '1 -0.5 0 1 0 1 0.5',
      '1 0.5',
    ];
    write('y/labels/train/a.txt', lines.join('\n'));
    write('y/labels/train/b.txt', '1 0.75 0.5 0.5 0.333333\n');
    const plan = await planImport(store, { format: 'yolo-seg', path: path.join(tmp, 'y') });
    const rule = "smaller instances are drawn on top, as in Ultralytics' overlap masks";
    expect(plan.issues.map((i) => [i.code, i.action, i.entry, i.message])).toEqual([
      ['unknown-category', 'skipped', 'line 3', "class 5 is not in data.yaml's names (2 classes)"],
      ['degenerate-polygon', 'skipped', 'line 4', 'coordinate 2 ("x") is not a finite number'],
      ['degenerate-polygon', 'skipped', 'line 5', 'coordinate 2 ("1e999") is not a finite number'],
      ['out-of-bounds', 'repaired', 'line 7', '1 coordinate(s) outside 0..1 (e.g. -0.5): clamped to the image'],
      ['degenerate-polygon', 'skipped', 'line 8', 'the polygon has an odd number of coordinates (1)'],
      ['overlap', 'noted', 'line 7', `overlaps line 1: 8 pixels go to the smaller one (${rule})`],
      ['overlap', 'noted', 'line 7', `overlaps line 2: 3 pixels go to the smaller one (${rule})`],
      ['degenerate-polygon', 'repaired', 'line 1', 'a box (cx cy w h), not a polygon: imported as a rectangle'],
    ]);
    applyImport(store, plan);
    // line 1: pixels x 0..3, y 0..2 (a polygon through their centres); line 2: in a file of polygons
    // 4 numbers are a 2-point polygon (Ultralytics), here a diagonal whose resampled points round
    // to (4, 2) too; line 6: a 2-point polygon is the row it draws; line 7 (clamped) is the largest,
    // so under the others. In b.txt (boxes only) the box is a rectangle.
    expect(rows('a.jpg')).toEqual(['11114444', '11112444', '11112244', '00000024', '00000000', '33333333']);
    expect(rows('b.jpg')).toEqual(['00000000', '00000000', '00001111', '00001111', '00000000', '00000000']);
  });
});

describe('LabelMe reader', () => {
  const doc = (shapes: object[], over: object = {}) => ({ version: '5.5.0', flags: {}, shapes, imagePath: 'a.jpg', imageData: null, imageHeight: 6, imageWidth: 8, ...over });

  it('reads polygons, rectangles, circles and masks; groups shapes by label and group_id; skips lines', async () => {
    const maskPng = Buffer.from(encodePng({ width: 2, height: 2, bitDepth: 8, kind: 'grey', data: Uint8Array.of(1, 0, 1, 1) })).toString('base64');
    write(
      'lm/a.json',
      doc([
        { label: 'cat', points: [[0, 0], [2, 0], [2, 2], [0, 2]], group_id: 4, shape_type: 'polygon' },
        { label: 'cat', points: [[6, 0], [8, 2]], group_id: 4, shape_type: 'rectangle' },
        { label: 'dog', points: [[3, 3], [5, 3]], group_id: null, shape_type: 'circle' },
        { label: 'dot', points: [[0, 4], [1, 5]], shape_type: 'mask', mask: maskPng },
        { label: 'cat', points: [[0, 5], [8, 5]], shape_type: 'line' },
      ]),
    );
    const plan = await planImport(store, { format: 'labelme', path: path.join(tmp, 'lm') });
    expect(plan.issues.map((i) => [i.code, i.action, i.entry])).toEqual([
      ['out-of-bounds', 'repaired', 'shapes[1] (cat)'], // x = 8 is the centre of a pixel past the right edge
      ['unsupported-shape', 'skipped', 'shapes[4] (cat)'],
      ['overlap', 'noted', 'shapes[0] (cat), group 4'],
    ]);
    expect(plan.issues[2]!.message).toBe('overlaps shapes[2] (dog): 3 pixels go to the later one (later entries are drawn on top)');
    applyImport(store, plan);
    // LabelMe's shape_to_mask (PIL, pixel centres, boundary filled), later shapes on top; the same
    // scene drawn by Pillow 9.4 with labelme's code gives exactly these rows
    expect(rows('a.jpg')).toEqual(['11100011', '11222011', '12222211', '02222200', '32222200', '33222000']);
  });

  it('one unreadable file among several is skipped; a single one is fatal', async () => {
    write('lm/a.json', doc([{ label: 'cat', points: [[0, 0], [2, 0], [2, 2]] }]));
    write('lm/b.json', '{"shapes": [');
    write('lm/c.json', { shapes: 'none', imagePath: 'c.jpg' });
    const plan = await planImport(store, { format: 'labelme', path: path.join(tmp, 'lm') });
    expect(plan.ok).toBe(true);
    expect(plan.issues.map((i) => [path.basename(i.file), i.code, i.action])).toEqual([
      ['b.json', 'invalid-json', 'skipped'],
      ['c.json', 'schema', 'skipped'],
    ]);
    expect(plan.issues[1]!.message).toBe('not a LabelMe file: shapes: expected "shapes" to be a list');
    const one = await planImport(store, { format: 'labelme', path: path.join(tmp, 'lm', 'b.json') });
    expect(one.ok).toBe(false);
    expect(() => applyImport(store, one)).toThrow(/Nothing was imported/);
    expect(projectSnapshot(store)).toBe(before);
  });

  it('reports shapes with bad points and a size mismatch', async () => {
    write('lm/a.json', doc([{ label: 'cat', points: [[0, 0], [2, 0]] }, { label: 'cat', points: [[0, 0, 1], [2, 0], [1, 1]] }, { label: '', points: [] }]));
    write('lm/b.json', doc([{ label: 'cat', points: [[0, 0], [2, 0], [2, 2]] }], { imagePath: 'b.jpg', imageWidth: 80 }));
    const plan: ImportPlan = await planImport(store, { format: 'labelme', path: path.join(tmp, 'lm') });
    expect(plan.issues.map((i) => [i.code, i.entry, i.message])).toEqual([
      ['degenerate-polygon', 'shapes[0] (cat)', "a polygon needs at least 3 points (LabelMe's rule), got 2"],
      ['degenerate-polygon', 'shapes[1] (cat)', 'point 0 has 3 numbers instead of 2: [0,0,1]'],
      ['schema', 'shapes[2]', 'label: label must not be empty'],
      ['all-skipped', 'a.jpg', 'all 3 entries for this image were skipped; it gets no mask'],
      ['size-mismatch', null, 'the dataset says 80x6 but the project image "b.jpg" is 8x6; its annotations are not imported'],
    ]);
  });
});
