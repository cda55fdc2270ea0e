/**
 * Folders of mask PNGs, one per image, matched to project images by name without extension.
 *
 * Layout written by the 'index-masks' export and read by the 'mask-folder' import:
 *
 *   images/<name>.<ext>             the images (unless images: 'none')
 *   semantic_masks/<name>.png       class map: pixel = category number (0 = background), 8-bit (16 when needed)
 *   instance_labels/<name>.png      instance map: pixel = instance number 1..N (0 = background), 16-bit by default
 *   classes.txt                     line k = name of category k (line 0 = background)
 *   train.txt / val.txt / test.txt  image names per split (when split)
 *
 * The importer also takes a bare folder of class-map PNGs (grey or palette index PNGs, or colour
 * PNGs with a colour -> class mapping), with or without a folder of instance-id PNGs. Without
 * instance maps, each 8-connected region of one class becomes an instance.
 */
import fs from 'node:fs';
import path from 'node:path';
import { labelSemanticComponents } from '../mask/components';
import { LabelMap } from '../mask/label-map';
import type { ExportItem, FormatWriter, WriterContext } from './export-context';
import { categoryMap, ordinalMap } from './export-context';
import type { ImportContext } from './import-context';
import { stemOf } from './import-context';
import { decodePng, encodePng, PngError, type DecodedPng } from './png-codec';
import type { IssueList } from './validation-report';

// ---------------------------------------------------------------------------------------------
// Shared by the mask-based readers (mask folders, VOC)

/** Reads a PNG; null (with an issue, action 'skipped') when it is missing or damaged. */
export async function loadPng(file: string, issues: IssueList): Promise<DecodedPng | null> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    issues.add('unreadable', 'skipped', file, null, code === 'ENOENT' ? 'the mask file does not exist' : `cannot read the mask file (${(e as Error).message})`);
    return null;
  }
  try {
    return decodePng(bytes);
  } catch (e) {
    if (e instanceof PngError) {
      issues.add('unreadable', 'skipped', file, null, e.message);
      return null;
    }
    throw e;
  }
}

export function hexColor(r: number, g: number, b: number): string {
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

/**
 * One value per pixel from a mask PNG: grey and palette images give their stored values (indices
 * for palette images, unless `colorMap` is given); colour images need `colorMap` (lower-case
 * '#rrggbb' -> value). Alpha is ignored. Returns null (with an issue) when the PNG cannot be read
 * as values. Unknown colours become 0 and are reported once per file.
 */
export function pngValues(png: DecodedPng, file: string, issues: IssueList, colorMap: Map<string, number> | null): Uint16Array | Uint8Array | null {
  const n = png.width * png.height;
  const { data, channels } = png;
  if (png.colorType === 0 || png.colorType === 4 || (png.colorType === 3 && !colorMap)) {
    if (channels === 1) return data;
    const out = png.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = data[i * channels]!;
    return out;
  }
  if (!colorMap) {
    issues.add('schema', 'skipped', file, null, 'this is a colour PNG: give a colour -> class mapping to import it');
    return null;
  }
  const out = new Uint16Array(n);
  const unknown = new Map<string, number>();
  const pal = png.palette;
  const shift = png.bitDepth === 16 ? 8 : 0;
  let lastKey = -1;
  let lastV = 0;
  for (let i = 0; i < n; i++) {
    let r: number;
    let g: number;
    let b: number;
    if (png.colorType === 3) {
      const k = data[i]!;
      r = pal![3 * k] ?? 0;
      g = pal![3 * k + 1] ?? 0;
      b = pal![3 * k + 2] ?? 0;
    } else {
      const o = i * channels;
      if (channels >= 3) {
        r = data[o]! >> shift;
        g = data[o + 1]! >> shift;
        b = data[o + 2]! >> shift;
      } else {
        r = g = b = data[o]! >> shift;
      }
    }
    const key = (r << 16) | (g << 8) | b;
    if (key !== lastKey) {
      lastKey = key;
      const hex = hexColor(r, g, b);
      const v = colorMap.get(hex);
      if (v === undefined) {
        lastV = 0;
        if (key !== 0) unknown.set(hex, (unknown.get(hex) ?? 0) + 1);
      } else lastV = v;
    } else if (lastV === 0 && key !== 0) {
      const hex = hexColor(r, g, b);
      if (!colorMap.has(hex)) unknown.set(hex, (unknown.get(hex) ?? 0) + 1);
    }
    out[i] = lastV;
  }
  if (unknown.size) {
    const list = [...unknown.entries()].sort((a, b) => b[1] - a[1]);
    issues.add(
      'unknown-color',
      'repaired',
      file,
      null,
      `${list.length} colour${list.length === 1 ? '' : 's'} not in the colour mapping (${list.slice(0, 4).map(([h, c]) => `${h}: ${c} px`).join(', ')}${list.length > 4 ? ', ...' : ''}): left as background`,
    );
  }
  return out;
}

/**
 * Builds a planned mask from a class map and an optional instance map (`ignore`: a value that is
 * neither background nor an object, e.g. VOC's 255 boundary). With an instance map, every nonzero
 * instance value is one instance (painted in ascending value order) whose class is the most
 * frequent class value under it; without one, each 8-connected region of one class is an
 * instance. `slotOf(classValue)` gives the plan slot (0: left out).
 */
export function planFromIndexMasks(
  ctx: ImportContext,
  row: NonNullable<ReturnType<ImportContext['matchImage']>>,
  file: string,
  width: number,
  height: number,
  semantic: ArrayLike<number> | null,
  instance: ArrayLike<number> | null,
  slotOf: (classValue: number) => number,
  ignore: number | null,
): void {
  const n = width * height;
  const map = new LabelMap(width, height);
  const refs: string[] = [];
  if (instance) {
    // votes[instanceValue] -> Map(classValue -> pixels)
    const votes = new Map<number, Map<number, number>>();
    let last = -1;
    let lastVotes: Map<number, number> | undefined;
    for (let i = 0; i < n; i++) {
      const v = instance[i]!;
      if (v === 0 || v === ignore) continue;
      if (v !== last) {
        last = v;
        lastVotes = votes.get(v);
        if (!lastVotes) votes.set(v, (lastVotes = new Map()));
      }
      const c = semantic ? semantic[i]! : 1;
      if (c === 0 || c === ignore) continue;
      lastVotes!.set(c, (lastVotes!.get(c) ?? 0) + 1);
    }
    const values = [...votes.keys()].sort((a, b) => a - b);
    const idOf = new Map<number, number>();
    for (const v of values) {
      const vv = votes.get(v)!;
      const ref = `instance value ${v}`;
      if (vv.size === 0) {
        ctx.issues.add('unknown-category', 'skipped', file, ref, 'the class map has no class under this instance; left out');
        continue;
      }
      const ranked = [...vv.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      const [cls] = ranked[0]!;
      if (ranked.length > 1) {
        const total = ranked.reduce((s, [, c]) => s + c, 0);
        ctx.issues.add('mixed-class', 'repaired', file, ref, `its pixels carry ${ranked.length} classes; the most frequent (${cls}, ${((100 * ranked[0]![1]) / total).toFixed(1)} %) is used`);
      }
      const slot = slotOf(cls);
      if (slot === 0) continue;
      const id = refs.length + 1;
      map.setInstance({ id, classId: slot, source: 'import', score: null });
      refs.push(ref);
      idOf.set(v, id);
    }
    const ids = map.ids;
    last = -1;
    let lastId = 0;
    for (let i = 0; i < n; i++) {
      const v = instance[i]!;
      if (v === 0) continue;
      if (v !== last) {
        last = v;
        lastId = idOf.get(v) ?? 0;
      }
      ids[i] = lastId;
    }
  } else if (semantic) {
    let src: ArrayLike<number> = semantic;
    if (ignore !== null) {
      const copy = new Uint16Array(n);
      for (let i = 0; i < n; i++) copy[i] = semantic[i] === ignore ? 0 : semantic[i]!;
      src = copy;
    }
    const comps = labelSemanticComponents(src, width, height, 8, 0);
    const idOf = new Uint32Array(comps.count + 1);
    for (let l = 1; l <= comps.count; l++) {
      const slot = slotOf(comps.classes[l]!);
      if (slot === 0) continue;
      const id = refs.length + 1;
      map.setInstance({ id, classId: slot, source: 'import', score: null });
      refs.push(`region ${l} (class value ${comps.classes[l]})`);
      idOf[l] = id;
    }
    const ids = map.ids;
    for (let i = 0; i < n; i++) ids[i] = idOf[comps.labels[i]!]!;
  }
  ctx.finishImage(row, map, refs, file);
}

// ---------------------------------------------------------------------------------------------
// Reader

export interface MaskFolderSource {
  /** the dataset root (holding semantic_masks/, optionally instance_labels/ and classes.txt), or a folder of class-map PNGs */
  path: string;
  /** a folder of instance-id PNGs (default: <path>/instance_labels when present) */
  instancePath?: string;
  /** colour PNGs: '#rrggbb' -> class name */
  colorMap?: Record<string, string>;
  /** class value -> class name (default: classes.txt when present, else "class <value>") */
  classNames?: Record<number, string>;
  /**
   * class-map value -> class name (several values may name one class; value 0 may be a real class).
   * When given, values not in the map (other than 0 and `ignoreValue`) are left as background and
   * reported as skipped, so `strict` refuses the import.
   */
  valueMap?: Record<number, string>;
  /** a class-map value that is neither background nor a class (VOC's 255 border, CamVid's 11): left unlabelled */
  ignoreValue?: number;
}

/** what the dry run says about one class-map value: where it went and how many pixels it had */
export interface MaskValueReport {
  value: number;
  /** the dataset class name it went to; null: background, ignored or unmapped */
  className: string | null;
  role: 'class' | 'background' | 'ignored' | 'unmapped';
  pixels: number;
}

/**
 * Remaps class-map values through a value map (value -> class name) and an ignore value, tallying
 * pixels per value into `counts`. Returns the remapped values (1..k: the k class names in `order`).
 */
export function applyValueMap(
  semantic: ArrayLike<number>,
  valueMap: Map<number, number> | null,
  ignore: number | null,
  counts: Map<number, number>,
): Uint16Array {
  const n = semantic.length;
  const out = new Uint16Array(n);
  let last = -1;
  let lastOut = 0;
  let run = 0;
  const flush = () => {
    if (last >= 0 && run > 0) counts.set(last, (counts.get(last) ?? 0) + run);
  };
  for (let i = 0; i < n; i++) {
    const v = semantic[i]!;
    if (v !== last) {
      flush();
      last = v;
      run = 0;
      lastOut = v === ignore ? 0 : valueMap ? (valueMap.get(v) ?? 0) : v;
    }
    run++;
    out[i] = lastOut;
  }
  flush();
  return out;
}

async function exists(p: string, dir: boolean): Promise<boolean> {
  try {
    const st = await fs.promises.stat(p);
    return dir ? st.isDirectory() : st.isFile();
  } catch {
    return false;
  }
}

/** Reads classes.txt: line k (0-based) names value k; blank lines keep their number. */
export async function readClassList(file: string): Promise<Map<number, string> | null> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return null;
  }
  const out = new Map<number, string>();
  text.split(/\r?\n/).forEach((line, k) => {
    const name = line.trim();
    if (name) out.set(k, name);
  });
  return out;
}

/** Reads a folder of mask PNGs into the import plan. */
export async function readMaskFolder(ctx: ImportContext, src: MaskFolderSource): Promise<MaskValueReport[] | null> {
  const root = path.resolve(src.path);
  if (!(await exists(root, true))) {
    ctx.issues.add('unreadable', 'fatal', root, null, 'the mask folder does not exist');
    return null;
  }
  const nested = await exists(path.join(root, 'semantic_masks'), true);
  const semDir = nested ? path.join(root, 'semantic_masks') : root;
  let instDir: string | null = src.instancePath ? path.resolve(src.instancePath) : null;
  if (!instDir && nested && (await exists(path.join(root, 'instance_labels'), true))) instDir = path.join(root, 'instance_labels');
  if (instDir && !(await exists(instDir, true))) {
    ctx.issues.add('unreadable', 'fatal', instDir, null, 'the instance mask folder does not exist');
    return null;
  }
  let names = new Map<number, string>();
  if (src.classNames) for (const [k, v] of Object.entries(src.classNames)) names.set(Number(k), v);
  else names = (await readClassList(path.join(root, 'classes.txt'))) ?? names;
  let colorValues: Map<string, number> | null = null;
  if (src.colorMap) {
    colorValues = new Map();
    const byName = new Map<string, number>();
    for (const [hex, name] of Object.entries(src.colorMap)) {
      const key = hex.trim().toLowerCase();
      if (!/^#[0-9a-f]{6}$/.test(key)) {
        ctx.issues.add('schema', 'fatal', '(colour mapping)', hex, `"${hex}" is not a colour of the form #rrggbb`);
        return null;
      }
      let v = byName.get(name);
      if (v === undefined) {
        v = byName.size + 1;
        byName.set(name, v);
        names.set(v, name);
      }
      colorValues.set(key, v);
    }
  }
  let valueIndex: Map<number, number> | null = null;
  if (src.valueMap) {
    const m = valueMapping(ctx, src.valueMap);
    if (!m) return null;
    valueIndex = m.index;
    names = m.names;
  }
  const ignore = src.ignoreValue ?? null;
  const counts = src.valueMap || ignore !== null ? new Map<number, number>() : null;
  const slots = new Map<number, number>();
  const slotOf = (v: number): number => {
    let s = slots.get(v);
    if (s === undefined) {
      const name = names.get(v) ?? `class ${v}`;
      const color = src.colorMap ? (Object.entries(src.colorMap).find(([, n]) => n === name)?.[0]?.toLowerCase() ?? null) : null;
      s = ctx.classSlot(name, color);
      slots.set(v, s);
    }
    return s;
  };

  const files = (await fs.promises.readdir(semDir)).filter((f) => f.toLowerCase().endsWith('.png')).sort(naturalCompare);
  if (files.length === 0) {
    ctx.issues.add('unreadable', 'fatal', semDir, null, 'no PNG mask files in this folder');
    return null;
  }
  for (const f of files) {
    const file = path.join(semDir, f);
    const row = ctx.matchImage(f, file, null, 'stem');
    if (!row) continue;
    const png = await loadPng(file, ctx.issues);
    if (!png) continue;
    if (!ctx.checkSize(row, png.width, png.height, file, null)) continue;
    const raw = pngValues(png, file, ctx.issues, colorValues);
    if (!raw) continue;
    const semantic = counts ? applyValueMap(raw, valueIndex, ignore, counts) : raw;
    let instance: ArrayLike<number> | null = null;
    if (instDir) {
      const ifile = path.join(instDir, `${stemOf(f)}.png`);
      const ipng = await loadPng(ifile, ctx.issues);
      if (!ipng) continue;
      if (ipng.width !== png.width || ipng.height !== png.height) {
        ctx.issues.add('size-mismatch', 'skipped', ifile, null, `the instance map is ${ipng.width}x${ipng.height} but the class map is ${png.width}x${png.height}`);
        continue;
      }
      instance = pngValues(ipng, ifile, ctx.issues, null);
      if (!instance) continue;
    }
    planFromIndexMasks(ctx, row, file, png.width, png.height, semantic, instance, slotOf, null);
  }
  if (!counts) return null;
  return valueReport(ctx, counts, valueIndex, ignore, (idx) => names.get(idx) ?? `class ${idx}`);
}

/**
 * A value map (dataset value -> class name) as value -> 1..k, one per class name in first-given
 * order, with the names; null (a fatal issue added) when an entry is malformed.
 */
export function valueMapping(ctx: ImportContext, valueMap: Record<number, string>): { index: Map<number, number>; names: Map<number, string> } | null {
  const index = new Map<number, number>();
  const names = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const [k, rawName] of Object.entries(valueMap)) {
    const value = Number(k);
    const name = String(rawName).trim();
    if (!Number.isInteger(value) || value < 0 || value > 65535 || !name) {
      ctx.issues.add('schema', 'fatal', '(value mapping)', k, `"${k}=${rawName}" is not a mask value (0-65535) with a class name`);
      return null;
    }
    let idx = byName.get(name);
    if (idx === undefined) {
      idx = byName.size + 1;
      byName.set(name, idx);
      names.set(idx, name);
    }
    index.set(value, idx);
  }
  return { index, names };
}

/**
 * The dry run's per-value report (where each value went, its pixels); values missing from the
 * value map become one 'skipped' issue, so that `strict` refuses the import.
 */
export function valueReport(
  ctx: ImportContext,
  counts: Map<number, number>,
  valueIndex: Map<number, number> | null,
  ignore: number | null,
  nameOf: (idx: number) => string,
): MaskValueReport[] {
  const report: MaskValueReport[] = [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([value, pixels]) => {
      if (value === ignore) return { value, className: null, role: 'ignored', pixels };
      const idx = valueIndex ? valueIndex.get(value) : value;
      if (idx !== undefined && idx !== 0) return { value, className: nameOf(idx), role: 'class', pixels };
      return { value, className: null, role: value === 0 ? 'background' : 'unmapped', pixels };
    });
  const unmapped = report.filter((r) => r.role === 'unmapped');
  if (unmapped.length > 0) {
    ctx.issues.add(
      'unknown-category',
      'skipped',
      '(value mapping)',
      null,
      `${unmapped.length} mask value${unmapped.length === 1 ? '' : 's'} not in the value mapping (${unmapped.slice(0, 6).map((u) => `${u.value}: ${u.pixels} px`).join(', ')}${unmapped.length > 6 ? ', ...' : ''}): left as background`,
    );
  }
  return report;
}

/** '2.png' before '10.png'. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

// ---------------------------------------------------------------------------------------------
// Writer ('index-masks')

export function createIndexMaskWriter(ctx: WriterContext, bitDepth?: 8 | 16): FormatWriter {
  const semDepth: 8 | 16 = bitDepth ?? (ctx.categories.length > 255 ? 16 : 8);
  const instDepth: 8 | 16 = bitDepth ?? 16;
  const lists = new Map<string, string[]>();
  return {
    imagePath: (item) => `images/${item.fileName}`,
    async write(item: ExportItem) {
      const { width, height } = item;
      await ctx.sink.write(`semantic_masks/${item.stem}.png`, encodePng({ width, height, bitDepth: semDepth, kind: 'grey', data: categoryMap(item, semDepth) }));
      const max = instDepth === 8 ? 255 : 65535;
      let inst = ordinalMap(item, 16);
      if (item.instances.length > max) {
        ctx.issues.add('too-many', 'skipped', item.row.path, null, `${item.instances.length} instances; a ${instDepth}-bit instance map holds ${max}: instances beyond are left out of instance_labels/`);
        inst = inst.map((v) => (v > max ? 0 : v));
      }
      if (instDepth === 8) inst = Uint8Array.from(inst);
      await ctx.sink.write(`instance_labels/${item.stem}.png`, encodePng({ width, height, bitDepth: instDepth, kind: 'grey', data: inst }));
      if (item.split) {
        let l = lists.get(item.split);
        if (!l) lists.set(item.split, (l = []));
        l.push(item.stem);
      }
    },
    async finish() {
      await ctx.sink.write('classes.txt', ['background', ...ctx.categories.map((c) => c.name)].join('\n') + '\n');
      for (const [split, stems] of lists) await ctx.sink.write(`${split}.txt`, stems.join('\n') + '\n');
    },
  };
}
