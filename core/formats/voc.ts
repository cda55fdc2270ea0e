/**
 * Pascal VOC segmentation layout:
 *
 *   JPEGImages/<name>.jpg                  images (non-JPEG copies are converted to JPEG, quality 95)
 *   SegmentationClass/<name>.png           8-bit palette PNG, index = category number (0 background)
 *   SegmentationObject/<name>.png          8-bit palette PNG, index = instance number 1..254
 *   ImageSets/Segmentation/<split>.txt     names per split: train, val and trainval always (empty files where a
 *                                          split is empty; unsplit: train and trainval list all), test when split
 *
 * With layout 'vocdevkit' all of it goes under VOCdevkit/VOC2012/ (what torchvision's
 * `VOCSegmentation(root)` expects); the reader accepts either root.
 *   labelmap.txt                           `name:r,g,b::` per index, background first (CVAT's VOC convention)
 *
 * The palette is VOC's standard colour map; index 255 (VOC's "void" boundary) is never written and
 * is read as background. Reading: instances come from SegmentationObject (class = most frequent
 * SegmentationClass value under each), or from 8-connected regions of SegmentationClass when a
 * file has no object mask. Class names come from labelmap.txt, else VOC's 20 class names.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExportItem, FormatWriter, WriterContext } from './export-context';
import { categoryMap, ordinalMap } from './export-context';
import type { ImportContext } from './import-context';
import { stemOf } from './import-context';
import { applyValueMap, hexColor, loadPng, naturalCompare, planFromIndexMasks, pngValues, valueMapping, valueReport, type MaskValueReport } from './mask-folder';
import { encodePng } from './png-codec';

export const VOC_CLASS_NAMES = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** VOC's colour map (bit-interleaved), `n` RGB triplets. */
export function vocColormap(n = 256): Uint8Array {
  const out = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    out[3 * i] = r;
    out[3 * i + 1] = g;
    out[3 * i + 2] = b;
  }
  return out;
}

const PALETTE = vocColormap(256);
const VOID = 255;
const MAX_OBJECTS = 254;

// ---------------------------------------------------------------------------------------------
// Writer

export function createVocWriter(ctx: WriterContext, layout: 'flat' | 'vocdevkit' = 'flat'): FormatWriter {
  const pre = layout === 'vocdevkit' ? 'VOCdevkit/VOC2012/' : '';
  const lists = new Map<string, string[]>();
  const listFor = (k: string): string[] => {
    let l = lists.get(k);
    if (!l) lists.set(k, (l = []));
    return l;
  };
  return {
    wantsJpeg: true,
    imagePath: (item) => `${pre}JPEGImages/${item.fileName}`,
    async write(item: ExportItem) {
      const { width, height } = item;
      const cls = categoryMap(item, 8);
      await ctx.sink.write(`${pre}SegmentationClass/${item.stem}.png`, encodePng({ width, height, bitDepth: 8, kind: 'palette', data: cls, palette: PALETTE }));
      let obj: Uint8Array | Uint16Array;
      if (item.instances.length > MAX_OBJECTS) {
        ctx.issues.add('too-many', 'skipped', item.row.path, null, `${item.instances.length} instances; VOC's SegmentationObject holds ${MAX_OBJECTS}: instances beyond are left out of it (SegmentationClass keeps them)`);
        obj = Uint8Array.from(ordinalMap(item, 16), (v) => (v > MAX_OBJECTS ? 0 : v));
      } else {
        obj = ordinalMap(item, 8);
      }
      await ctx.sink.write(`${pre}SegmentationObject/${item.stem}.png`, encodePng({ width, height, bitDepth: 8, kind: 'palette', data: obj, palette: PALETTE }));
      if (item.split) {
        listFor(item.split).push(item.stem);
        if (item.split !== 'test') listFor('trainval').push(item.stem);
      } else {
        listFor('train').push(item.stem);
        listFor('trainval').push(item.stem);
      }
    },
    async finish() {
      const lines = ['# label:color_rgb:parts:actions', 'background:0,0,0::'];
      for (const c of ctx.categories) lines.push(`${c.name}:${PALETTE[3 * c.id]},${PALETTE[3 * c.id + 1]},${PALETTE[3 * c.id + 2]}::`);
      await ctx.sink.write(`${pre}labelmap.txt`, lines.join('\n') + '\n');
      // every list VOC loaders open (torchvision's VOCSegmentation: train, val, trainval), empty
      // where the split is: an empty file, not a blank line, which loaders would read as a name
      for (const split of ['train', 'val', 'trainval', 'test']) {
        const l = lists.get(split) ?? [];
        if (split === 'test' && !l.length && !ctx.splits?.includes('test')) continue;
        await ctx.sink.write(`${pre}ImageSets/Segmentation/${split}.txt`, l.length ? l.join('\n') + '\n' : '');
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reader

/** labelmap.txt (`name:r,g,b:parts:actions`, '#' comments): index = line order. */
export async function readVocLabelmap(file: string): Promise<{ names: string[]; colors: (string | null)[] } | null> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return null;
  }
  const names: string[] = [];
  const colors: (string | null)[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [name, rgb] = line.split(':');
    names.push((name ?? '').trim());
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$/.exec(rgb ?? '');
    colors.push(m ? hexColor(Number(m[1]), Number(m[2]), Number(m[3])) : null);
  }
  return { names, colors };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads a Pascal VOC folder into the import plan. With a value map (palette index -> class name,
 * as for mask folders) only mapped values become classes and the dry run reports each value's
 * pixels; `ignoreValue` (default VOC's 255 border) stays unlabelled.
 */
export async function readVoc(ctx: ImportContext, rootIn: string, opts: { valueMap?: Record<number, string>; ignoreValue?: number } = {}): Promise<MaskValueReport[] | null> {
  let root = path.resolve(rootIn);
  if (!(await isDir(path.join(root, 'SegmentationClass'))) && (await isDir(path.join(root, 'VOCdevkit', 'VOC2012', 'SegmentationClass')))) {
    root = path.join(root, 'VOCdevkit', 'VOC2012');
  }
  const clsDir = path.join(root, 'SegmentationClass');
  const objDir = path.join(root, 'SegmentationObject');
  if (!(await isDir(clsDir))) {
    ctx.issues.add('unreadable', 'fatal', root, null, 'not a Pascal VOC segmentation folder (no SegmentationClass/ inside)');
    return null;
  }
  const hasObj = await isDir(objDir);
  const labelmap = await readVocLabelmap(path.join(root, 'labelmap.txt'));
  const names = labelmap?.names ?? VOC_CLASS_NAMES;
  const colors = labelmap?.colors ?? [];
  // Colour (non-palette) class PNGs are read through the label map's colours, or VOC's colour map.
  const colorMap = new Map<string, number>();
  for (let v = 0; v < 256; v++) {
    const c = colors[v] ?? hexColor(PALETTE[3 * v]!, PALETTE[3 * v + 1]!, PALETTE[3 * v + 2]!);
    if (!colorMap.has(c)) colorMap.set(c, v);
  }
  const mapping = opts.valueMap ? valueMapping(ctx, opts.valueMap) : null;
  if (opts.valueMap && !mapping) return null;
  const ignore = opts.ignoreValue ?? VOID;
  const counts = mapping || opts.ignoreValue !== undefined ? new Map<number, number>() : null;
  // with a value map, class index k (1..) takes the colour of the first value mapped to it
  const firstValue = new Map<number, number>();
  for (const [v, idx] of mapping?.index ?? []) if (!firstValue.has(idx)) firstValue.set(idx, v);
  const slots = new Map<number, number>();
  const slotOf = (v: number): number => {
    let s = slots.get(v);
    if (s === undefined) {
      const name = mapping ? (mapping.names.get(v) ?? `class ${v}`) : (names[v] ?? `class ${v}`);
      const pv = mapping ? (firstValue.get(v) ?? v) & 255 : v;
      s = ctx.classSlot(name, colors[pv] ?? hexColor(PALETTE[3 * pv]!, PALETTE[3 * pv + 1]!, PALETTE[3 * pv + 2]!));
      slots.set(v, s);
    }
    return s;
  };

  // Which images: ImageSets/Segmentation/*.txt when present, else every class PNG.
  let stems: string[] = [];
  const setsDir = path.join(root, 'ImageSets', 'Segmentation');
  if (await isDir(setsDir)) {
    const seen = new Set<string>();
    for (const f of (await fs.promises.readdir(setsDir)).filter((f) => f.endsWith('.txt')).sort()) {
      const text = await fs.promises.readFile(path.join(setsDir, f), 'utf8');
      for (const line of text.split(/\r?\n/)) {
        const s = line.trim().split(/\s+/)[0];
        if (s && !seen.has(s)) {
          seen.add(s);
          stems.push(s);
        }
      }
    }
  }
  if (stems.length === 0) {
    stems = (await fs.promises.readdir(clsDir)).filter((f) => f.toLowerCase().endsWith('.png')).map(stemOf).sort(naturalCompare);
  }
  if (stems.length === 0) {
    ctx.issues.add('unreadable', 'fatal', clsDir, null, 'no class masks (PNG) in this folder');
    return null;
  }
  for (const stem of stems) {
    const file = path.join(clsDir, `${stem}.png`);
    const row = ctx.matchImage(stem, file, null, 'stem');
    if (!row) continue;
    const png = await loadPng(file, ctx.issues);
    if (!png) continue;
    if (!ctx.checkSize(row, png.width, png.height, file, null)) continue;
    const raw = pngValues(png, file, ctx.issues, png.colorType === 3 || png.colorType === 0 || png.colorType === 4 ? null : colorMap);
    if (!raw) continue;
    const semantic = counts ? applyValueMap(raw, mapping?.index ?? null, ignore, counts) : raw;
    let instance: ArrayLike<number> | null = null;
    const ofile = path.join(objDir, `${stem}.png`);
    if (hasObj && fs.existsSync(ofile)) {
      const opng = await loadPng(ofile, ctx.issues);
      if (!opng) continue;
      if (opng.width !== png.width || opng.height !== png.height) {
        ctx.issues.add('size-mismatch', 'skipped', ofile, null, `the object mask is ${opng.width}x${opng.height} but the class mask is ${png.width}x${png.height}`);
        continue;
      }
      if (opng.colorType !== 3 && opng.colorType !== 0) {
        ctx.issues.add('schema', 'skipped', ofile, null, 'object masks must be palette or grey index PNGs');
        continue;
      }
      instance = pngValues(opng, ofile, ctx.issues, null);
      if (!instance) continue;
    }
    // 255 stays the border of the object masks (and of class maps not remapped)
    planFromIndexMasks(ctx, row, file, png.width, png.height, semantic, instance, slotOf, VOID);
  }
  if (!counts) return null;
  const report = valueReport(ctx, counts, mapping?.index ?? null, ignore, (idx) => (mapping ? (mapping.names.get(idx) ?? `class ${idx}`) : (names[idx] ?? `class ${idx}`)));
  // without a value map the 255 border stays unlabelled beside --ignore's value
  return mapping ? report : report.map((r) => (r.value === VOID ? { ...r, className: null, role: 'ignored' as const } : r));
}
