import { createHash } from 'node:crypto';
/** Export options: splits, filters, class subset/remap, image copy/link/convert, temp-folder swap, reports. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { exportDataset, type ExportProgress } from '../../../core/formats';
import { assignSplits } from '../../../core/formats/assign-splits';
import { decodePng, encodePng } from '../../../core/formats/png-codec';
import { vocColormap } from '../../../core/formats/voc';
import { LabelMap } from '../../../core/mask/label-map';
import type { ProjectStore } from '../../../core/store';
import { projectWith, syntheticRow, tmpDir } from './helpers';

let tmp: string;
let store: ProjectStore;
let classIds: number[];

const W = 20;
const H = 16;

/** Image i: instance 1 (class A) = left block, instance 2 (class B) = right block, instance 3 (class C) = a dot. */
function maskFor(i: number): LabelMap {
  const m = new LabelMap(W, H);
  m.addInstance({ id: 1, classId: classIds[0]! });
  m.addInstance({ id: 2, classId: classIds[1]! });
  m.addInstance({ id: 3, classId: classIds[2]! });
  for (let y = 2; y < 10; y++) for (let x = 1; x < 6 + (i % 3); x++) m.ids[y * W + x] = 1;
  for (let y = 4; y < 12; y++) for (let x = 10; x < 15; x++) m.ids[y * W + x] = 2;
  m.ids[14 * W + 18] = 3;
  return m;
}

beforeEach(async () => {
  tmp = tmpDir('export');
  const imgDir = path.join(tmp, 'imgs');
  fs.mkdirSync(imgDir);
  const rows = [];
  for (let i = 0; i < 10; i++) {
    const file = path.join(imgDir, `im${i}.png`);
    const png = encodePng({ width: W, height: H, bitDepth: 8, kind: 'grey', data: new Uint8Array(W * H).fill(40 + i) });
    fs.writeFileSync(file, png);
    // the content hash an import records (export checks it before copying)
    rows.push(syntheticRow(i, W, H, { fileName: `im${i}.png`, path: file, hash: createHash('sha256').update(png).digest('hex') }));
  }
  store = projectWith(path.join(tmp, 'p'), rows, [{ name: 'A', color: '#ff0000' }, { name: 'B' }, { name: 'C' }]);
  classIds = store.classes.list().map((c) => c.id);
  const images = store.images.list().items;
  images.forEach((img, i) => {
    if (i < 8) store.annotations.save(img.id, maskFor(i).encode());
  });
  store.images.setStatus([images[0]!.id, images[1]!.id, images[2]!.id], 'done');
});
afterEach(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const leftovers = () => fs.readdirSync(tmp).filter((f) => f.includes('.partial-'));

describe('splits', () => {
  it('are seeded, proportional and stable', () => {
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    const a = assignSplits(ids, { train: 0.7, val: 0.2, test: 0.1, seed: 1 });
    const b = assignSplits([...ids].reverse(), { train: 0.7, val: 0.2, test: 0.1, seed: 1 });
    const c = assignSplits(ids, { train: 0.7, val: 0.2, test: 0.1, seed: 2 });
    expect([...a.values()].filter((s) => s === 'train').length).toBe(70);
    expect([...a.values()].filter((s) => s === 'val').length).toBe(20);
    expect([...a.values()].filter((s) => s === 'test').length).toBe(10);
    expect([...b.entries()].sort((x, y) => x[0] - y[0])).toEqual([...a.entries()].sort((x, y) => x[0] - y[0]));
    expect([...c.entries()]).not.toEqual([...a.entries()]);
  });

  it('COCO writes one annotation file per split; YOLO data.yaml and VOC ImageSets list them', async () => {
    const split = { train: 0.5, val: 0.25, test: 0.25, seed: 7 };
    const coco = await exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'coco'), split, images: 'copy' });
    expect(coco.splits).toEqual({ train: { images: 4, instances: 12 }, val: { images: 2, instances: 6 }, test: { images: 2, instances: 6 } });
    const names = new Set<string>();
    for (const s of ['train', 'val', 'test']) {
      const j = readJson(path.join(tmp, 'coco', 'annotations', `instances_${s}.json`));
      for (const im of j.images) {
        expect(fs.existsSync(path.join(tmp, 'coco', 'images', s, im.file_name))).toBe(true);
        names.add(im.file_name);
      }
    }
    expect(names.size).toBe(8);
    // same seed, same split in every format
    await exportDataset(store, { format: 'yolo-seg', outDir: path.join(tmp, 'yolo'), split, images: 'none' });
    const yaml = fs.readFileSync(path.join(tmp, 'yolo', 'data.yaml'), 'utf8');
    expect(yaml).toContain('train: images/train\nval: images/val\ntest: images/test\nnc: 3\nnames:\n  0: "A"\n  1: "B"\n  2: "C"\n');
    const trainCoco = readJson(path.join(tmp, 'coco', 'annotations', 'instances_train.json')).images.map((i: { file_name: string }) => i.file_name.replace('.png', '.txt')).sort();
    expect(fs.readdirSync(path.join(tmp, 'yolo', 'labels', 'train')).sort()).toEqual(trainCoco);
    await exportDataset(store, { format: 'voc', outDir: path.join(tmp, 'voc'), split, images: 'none' });
    const sets = (s: string) => fs.readFileSync(path.join(tmp, 'voc', 'ImageSets', 'Segmentation', `${s}.txt`), 'utf8').trim().split('\n');
    expect(sets('train').length).toBe(4);
    expect(sets('trainval').sort()).toEqual([...sets('train'), ...sets('val')].sort());
    expect(sets('test').length).toBe(2);
  });

  it('rejects unusable fractions', async () => {
    await expect(exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'x'), split: { train: -1, val: 0, seed: 1 } })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('filters, classes and reports', () => {
  it('exports only images with the given statuses; unannotated images only on request', async () => {
    const r = await exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'done'), statuses: ['done'], images: 'none' });
    expect(r.images).toBe(3);
    const all = await exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'all'), images: 'none', includeUnannotated: true });
    expect(all.images).toBe(10);
    expect(all.instances).toBe(24);
  });

  it('a class subset leaves other instances out, and remapping merges classes into one category', async () => {
    const out = path.join(tmp, 'voc');
    const r = await exportDataset(store, {
      format: 'voc',
      outDir: out,
      images: 'none',
      classIds: [classIds[0]!, classIds[1]!],
      classRemap: { [classIds[0]!]: 'thing', [classIds[1]!]: 'thing' },
    });
    expect(r.categories).toEqual([{ id: 1, name: 'thing', classIds: [classIds[0], classIds[1]], instances: 16 }]);
    expect(fs.readFileSync(path.join(out, 'labelmap.txt'), 'utf8')).toBe('# label:color_rgb:parts:actions\nbackground:0,0,0::\nthing:128,0,0::\n');
    const cls = decodePng(fs.readFileSync(path.join(out, 'SegmentationClass', 'im0.png')));
    const obj = decodePng(fs.readFileSync(path.join(out, 'SegmentationObject', 'im0.png')));
    expect(cls.colorType).toBe(3);
    expect(cls.palette).toEqual(vocColormap(256));
    expect(cls.data[5 * W + 2]).toBe(1);
    expect(cls.data[5 * W + 12]).toBe(1);
    expect(cls.data[14 * W + 18]).toBe(0); // class C left out
    expect([obj.data[5 * W + 2], obj.data[5 * W + 12], obj.data[14 * W + 18]]).toEqual([1, 2, 0]);
    // what other tools see: sharp decodes the palette to VOC's colours
    const { data, info } = await sharp(path.join(out, 'SegmentationClass', 'im0.png')).raw().toBuffer({ resolveWithObject: true });
    const o = (5 * W + 2) * info.channels;
    expect([data[o], data[o + 1], data[o + 2]]).toEqual([128, 0, 0]);
  });

  it('rejects unknown class ids and too many classes for VOC', async () => {
    await expect(exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'x'), classIds: [999] })).rejects.toMatchObject({ code: 'invalid-argument', message: 'Class id 999 does not exist in this project.' });
    await expect(exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'x'), classRemap: { [classIds[0]!]: ' ' } })).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('reports progress for every image', async () => {
    const seen: ExportProgress[] = [];
    await exportDataset(store, { format: 'labelme', outDir: path.join(tmp, 'lm'), images: 'none' }, { onProgress: (p) => seen.push(p) });
    expect(seen[0]).toEqual({ done: 0, total: 8, current: null });
    expect(seen.at(-1)).toEqual({ done: 8, total: 8, current: 'im7.png' });
    expect(seen.length).toBe(9);
  });

  it('YOLO lines are class-1 and normalised coordinates; LabelMe groups parts by group_id', async () => {
    await exportDataset(store, { format: 'yolo-seg', outDir: path.join(tmp, 'y'), images: 'none' });
    const lines = fs.readFileSync(path.join(tmp, 'y', 'labels', 'im0.txt'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['0', '1', '2']);
    // pixels x 1..5, y 2..9 as a polygon through their centres ((x + 0.5) / W), clockwise from the top left
    expect(lines[0]).toBe('0 0.075 0.15625 0.275 0.15625 0.275 0.59375 0.075 0.59375');
    // the one-pixel instance: its centre three times (Ultralytics reads lines of <= 6 numbers as boxes)
    expect(lines[2]).toBe('2 0.925 0.90625 0.925 0.90625 0.925 0.90625');
    await exportDataset(store, { format: 'labelme', outDir: path.join(tmp, 'l'), images: 'none' });
    const doc = readJson(path.join(tmp, 'l', 'im0.json'));
    // no copy: imagePath leads from the JSON to the image where it lives
    const row0 = store.images.list().items.find((r) => r.fileName === 'im0.png')!;
    expect(doc).toMatchObject({ imagePath: path.relative(path.join(tmp, 'l'), row0.path).split(path.sep).join('/'), imageData: null, imageWidth: W, imageHeight: H });
    expect(path.resolve(path.join(tmp, 'l'), doc.imagePath)).toBe(row0.path);
    expect(doc.shapes.map((s: { label: string; group_id: number; shape_type: string }) => [s.label, s.group_id, s.shape_type])).toEqual([
      ['A', 1, 'polygon'],
      ['B', 2, 'polygon'],
      ['C', 3, 'polygon'],
    ]);
    // a one-pixel instance: its centre, three times (LabelMe wants more than two points)
    expect(doc.shapes[2].points).toEqual([
      [18, 14],
      [18, 14],
      [18, 14],
    ]);
  });

  it('index masks: 8-bit class maps and 16-bit instance maps by default, 8-bit on request; both read back by sharp', async () => {
    const out = path.join(tmp, 'idx');
    await exportDataset(store, { format: 'index-masks', outDir: out, images: 'none' });
    const sem = decodePng(fs.readFileSync(path.join(out, 'semantic_masks', 'im3.png')));
    const ins = decodePng(fs.readFileSync(path.join(out, 'instance_labels', 'im3.png')));
    expect([sem.bitDepth, sem.colorType, ins.bitDepth]).toEqual([8, 0, 16]);
    expect([sem.data[5 * W + 2], sem.data[5 * W + 12], sem.data[14 * W + 18]]).toEqual([1, 2, 3]);
    expect([ins.data[5 * W + 2], ins.data[5 * W + 12], ins.data[14 * W + 18]]).toEqual([1, 2, 3]);
    expect(fs.readFileSync(path.join(out, 'classes.txt'), 'utf8')).toBe('background\nA\nB\nC\n');
    const meta = await sharp(path.join(out, 'instance_labels', 'im3.png')).metadata();
    expect([meta.channels, meta.depth]).toEqual([1, 'ushort']);
    const viaSharp = await sharp(path.join(out, 'instance_labels', 'im3.png')).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const u16 = new Uint16Array(viaSharp.data.buffer, viaSharp.data.byteOffset, viaSharp.data.byteLength / 2);
    expect(u16[(5 * W + 12) * viaSharp.info.channels]).toBe(2);
    const out8 = path.join(tmp, 'idx8');
    await exportDataset(store, { format: 'index-masks', outDir: out8, images: 'none', indexBitDepth: 8 });
    expect(decodePng(fs.readFileSync(path.join(out8, 'instance_labels', 'im3.png'))).bitDepth).toBe(8);
  });

  it('too many instances for VOC objects or 8-bit instance maps are reported', async () => {
    const img = store.images.list().items[9]!;
    const m = new LabelMap(W, H);
    for (let k = 1; k <= 300; k++) {
      m.addInstance({ id: k, classId: classIds[0]! });
      m.ids[k - 1] = k;
    }
    store.annotations.save(img.id, m.encode());
    const r = await exportDataset(store, { format: 'voc', outDir: path.join(tmp, 'v'), images: 'none' });
    expect(r.issues.filter((i) => i.code === 'too-many')).toEqual([expect.objectContaining({ action: 'skipped', message: expect.stringMatching(/^300 instances; VOC's SegmentationObject holds 254/) })]);
    const obj = decodePng(fs.readFileSync(path.join(tmp, 'v', 'SegmentationObject', 'im9.png')));
    expect([obj.data[253], obj.data[254]]).toEqual([254, 0]);
    const r8 = await exportDataset(store, { format: 'index-masks', outDir: path.join(tmp, 'i8'), images: 'none', indexBitDepth: 8 });
    expect(r8.issues.some((i) => i.code === 'too-many')).toBe(true);
  });

  it('damaged masks, orphan pixels, empty instances and unknown classes are reported and left out', async () => {
    const imgs = store.images.list().items;
    // damaged blob: bypass the repo's save to store garbage
    store.db.prepare('UPDATE annotation SET label_map = ? WHERE image_id = ?').run(Buffer.from('not a mask'), imgs[0]!.id);
    const m = maskFor(1);
    m.removeInstance(3, false); // pixels of id 3 without a table row
    m.addInstance({ id: 9, classId: classIds[0]! }); // a row without pixels
    m.addInstance({ id: 10, classId: 4242 }); // a class the project does not have
    m.ids[15 * W] = 10;
    store.annotations.save(imgs[1]!.id, m.encode());
    const r = await exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'c'), images: 'none' });
    expect(r.skippedImages).toBe(1);
    expect(r.issues.map((i) => [i.code, i.action, i.entry])).toEqual([
      ['unreadable', 'skipped', 'stored mask'],
      ['unknown-category', 'skipped', 'instance 3'],
      ['unknown-category', 'skipped', 'instance 10'],
      ['empty-mask', 'skipped', 'instance 9'],
    ]);
    expect(r.instances).toBe(2 + 6 * 3);
  });
});

describe('images and the output folder', () => {
  it('copies, links, or converts images for VOC (JPEGImages/*.jpg)', async () => {
    const copy = await exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'copy') });
    expect(fs.lstatSync(path.join(tmp, 'copy', 'images', 'im0.png')).isFile()).toBe(true);
    expect(copy.files).toBe(9);
    await exportDataset(store, { format: 'labelme', outDir: path.join(tmp, 'link'), images: 'link' });
    const link = path.join(tmp, 'link', 'im0.png');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(link)).toEqual(fs.readFileSync(path.join(tmp, 'imgs', 'im0.png')));
    await exportDataset(store, { format: 'voc', outDir: path.join(tmp, 'voc') });
    const jpg = path.join(tmp, 'voc', 'JPEGImages', 'im0.jpg');
    expect((await sharp(jpg).metadata()).format).toBe('jpeg');
  });

  it('images missing on disk are reported and left out with their annotations', async () => {
    fs.rmSync(path.join(tmp, 'imgs', 'im2.png'));
    const r = await exportDataset(store, { format: 'coco', outDir: path.join(tmp, 'c') });
    expect(r.images).toBe(7);
    expect(r.skippedImages).toBe(1);
    expect(r.issues).toEqual([expect.objectContaining({ code: 'missing-image', action: 'skipped', file: path.join(tmp, 'imgs', 'im2.png') })]);
    const j = readJson(path.join(tmp, 'c', 'annotations.json'));
    expect(j.images.map((i: { file_name: string }) => i.file_name)).not.toContain('im2.png');
    expect(j.annotations.length).toBe(21);
  });

  it('files with the same name are renamed, and reported', async () => {
    const img = store.images.list().items[9]!;
    const other = path.join(tmp, 'imgs', 'sub');
    fs.mkdirSync(other);
    fs.copyFileSync(path.join(tmp, 'imgs', 'im9.png'), path.join(other, 'im0.png')); // the row's bytes (its recorded hash), under another folder
    store.db.prepare('UPDATE image SET file_name = ?, path = ? WHERE id = ?').run('im0.png', path.join(other, 'im0.png'), img.id);
    store.annotations.save(img.id, maskFor(0).encode());
    const r = await exportDataset(store, { format: 'yolo-seg', outDir: path.join(tmp, 'y') });
    expect(r.issues).toEqual([expect.objectContaining({ code: 'duplicate-id', action: 'repaired', message: `another exported image is also named "im0": exported as "im0_${img.id}"` })]);
    expect(fs.existsSync(path.join(tmp, 'y', 'images', `im0_${img.id}.png`))).toBe(true);
    expect(fs.existsSync(path.join(tmp, 'y', 'labels', `im0_${img.id}.txt`))).toBe(true);
  });

  it('refuses a non-empty folder unless overwriting; an empty folder is fine', async () => {
    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    await exportDataset(store, { format: 'coco', outDir: out, images: 'none' });
    await expect(exportDataset(store, { format: 'coco', outDir: out, images: 'none' })).rejects.toMatchObject({ code: 'already-exists' });
    const r = await exportDataset(store, { format: 'voc', outDir: out, images: 'none', overwrite: true });
    expect(r.images).toBe(8);
    expect(fs.readdirSync(out).sort()).toEqual(['ImageSets', 'SegmentationClass', 'SegmentationObject', 'labelmap.txt']);
    expect(leftovers()).toEqual([]);
  });

  it('a cancelled export leaves nothing behind', async () => {
    const ac = new AbortController();
    const out = path.join(tmp, 'cancelled');
    const err = await exportDataset(store, { format: 'coco', outDir: out }, { signal: ac.signal, onProgress: (p) => p.done === 3 && ac.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('cancelled');
    expect(fs.existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a failing export leaves nothing behind, and an existing folder untouched', async () => {
    const out = path.join(tmp, 'keep');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'old.txt'), 'old');
    // an image "file" that is a folder: copying it fails half-way through the export
    const img = store.images.list().items[5]!;
    store.db.prepare('UPDATE image SET path = ? WHERE id = ?').run(path.join(tmp, 'imgs'), img.id);
    const err = await exportDataset(store, { format: 'coco', outDir: out, overwrite: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('io');
    expect((err as AppError).message).toMatch(/failed; nothing was written/);
    expect(fs.readdirSync(out)).toEqual(['old.txt']);
    expect(leftovers()).toEqual([]);
  });
});
