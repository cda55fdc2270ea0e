/**
 * YOLO segmentation (Ultralytics) layout:
 *
 *   data.yaml                    train/val/test image folders (relative to data.yaml), nc, names {0: ..., 1: ...}
 *   images/<split>/<name>.<ext>  images (unsplit: images/<name>.<ext>)
 *   labels/<split>/<name>.txt    one line per instance: `class x1 y1 x2 y2 ...`, coordinates / image size
 *
 * One polygon per line, so an instance with several parts or holes is written as ONE ring whose
 * parts and holes are joined by zero-width bridges (as Ultralytics' own converters merge
 * segments). Coordinates are pixel corners written with 6 decimals; read back with pycocotools'
 * rasteriser (which rounds vertices to 1/5 pixel), the masks are pixel-identical while
 * 0.5e-6 * max(width, height) < 0.1 px, i.e. for images up to 200,000 px. The writer checks every
 * instance and reports any that would not come back exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LabelMap } from '../mask/label-map';
import { polygonToRle } from '../mask/polygon';
import { encodeInstances, type Rle } from '../mask/rle';
import type { ExportItem, FormatWriter, WriterContext } from './export-context';
import type { ImportContext } from './import-context';
import { checkRing, instancePolygons, sameRle, singleRing } from './instance-geometry';
import { naturalCompare, readClassList } from './mask-folder';

const DECIMALS = 6;

function fmt(v: number): string {
  const s = v.toFixed(DECIMALS);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

// ---------------------------------------------------------------------------------------------
// Writer

export function createYoloSegWriter(ctx: WriterContext): FormatWriter {
  let inexact = 0;
  let firstInexact = '';
  return {
    imagePath: (item) => (item.split ? `images/${item.split}/${item.fileName}` : `images/${item.fileName}`),
    async write(item: ExportItem) {
      const { width, height } = item;
      const rles = encodeInstances(item, item.instances.map((i) => i.id));
      const lines: string[] = [];
      for (const inst of item.instances) {
        const ring = singleRing(instancePolygons(item.ids, width, inst.id, inst.bbox));
        const xs: string[] = [];
        const back: number[] = [];
        for (let k = 0; k < ring.length; k += 2) {
          const nx = fmt(ring[k]! / width);
          const ny = fmt(ring[k + 1]! / height);
          xs.push(nx, ny);
          back.push(Number(nx) * width, Number(ny) * height);
        }
        if (!sameRle(polygonToRle(back, width, height), rles.get(inst.id)!)) {
          if (inexact++ === 0) firstInexact = `${item.fileName} instance ${inst.id}`;
        }
        lines.push(`${inst.categoryId - 1} ${xs.join(' ')}`);
      }
      const rel = item.split ? `labels/${item.split}/${item.stem}.txt` : `labels/${item.stem}.txt`;
      await ctx.sink.write(rel, lines.length ? lines.join('\n') + '\n' : '');
    },
    async finish() {
      if (inexact > 0) {
        ctx.issues.add('encoding', 'noted', 'labels', firstInexact, `${inexact} instance(s) do not come back pixel-exact after rounding coordinates to ${DECIMALS} decimals`);
      }
      const dir = (s: string) => (ctx.splits ? `images/${s}` : 'images');
      const has = (s: string) => !ctx.splits || ctx.splits.includes(s as never);
      const lines = ['# Exported from Maskwright (YOLO segmentation). Paths are relative to this file.'];
      lines.push(`train: ${has('train') ? dir('train') : dir(ctx.splits![0]!)}`);
      lines.push(`val: ${has('val') ? dir('val') : has('train') ? dir('train') : dir(ctx.splits![0]!)}`);
      if (ctx.splits?.includes('test')) lines.push(`test: ${dir('test')}`);
      lines.push(`nc: ${ctx.categories.length}`, 'names:');
      for (const c of ctx.categories) lines.push(`  ${c.id - 1}: ${JSON.stringify(c.name)}`);
      await ctx.sink.write('data.yaml', lines.join('\n') + '\n');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reader

/** A YAML scalar: quoted strings unquoted, plain ones trimmed. */
function yamlScalar(s: string): string {
  const t = s.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return t.slice(1, -1);
    }
  }
  if (t.startsWith("'") && t.endsWith("'") && t.length >= 2) return t.slice(1, -1).replace(/''/g, "'");
  return t.replace(/\s+#.*$/, '');
}

/** The `names` of an Ultralytics data.yaml: a flow list, a block list, or an index mapping. */
export function parseYoloNames(yaml: string): string[] | null {
  const lines = yaml.split(/\r?\n/);
  const i = lines.findIndex((l) => /^names\s*:/.test(l));
  if (i < 0) return null;
  const rest = lines[i]!.replace(/^names\s*:/, '').trim();
  if (rest.startsWith('[')) {
    let flow = rest;
    for (let j = i + 1; !flow.includes(']') && j < lines.length; j++) flow += ' ' + lines[j]!.trim();
    const inner = flow.slice(flow.indexOf('[') + 1, flow.lastIndexOf(']'));
    const items = [...inner.matchAll(/\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,]+)\s*,?/g)].map((m) => m[1]!);
    return items.map(yamlScalar).filter((s) => s !== '');
  }
  if (rest.startsWith('{')) {
    const inner = rest.slice(1, rest.lastIndexOf('}'));
    const out: string[] = [];
    for (const part of inner.split(',')) {
      const m = /^\s*(\d+)\s*:\s*(.*)$/.exec(part);
      if (m) out[Number(m[1])] = yamlScalar(m[2]!);
    }
    return out;
  }
  const out: string[] = [];
  let listIndex = 0;
  for (let j = i + 1; j < lines.length; j++) {
    const l = lines[j]!;
    if (!/^\s+\S/.test(l)) {
      if (l.trim() === '' || l.trim().startsWith('#')) continue;
      break;
    }
    const item = /^\s+-\s*(.*)$/.exec(l);
    if (item) {
      out[listIndex++] = yamlScalar(item[1]!);
      continue;
    }
    const kv = /^\s+(\d+)\s*:\s*(.*)$/.exec(l);
    if (kv) out[Number(kv[1])] = yamlScalar(kv[2]!);
  }
  return out;
}

async function walk(dir: string, ext: string, out: string[]): Promise<void> {
  for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, ext, out);
    else if (e.isFile() && e.name.toLowerCase().endsWith(ext)) out.push(p);
  }
}

/** Reads a YOLO-seg dataset (its root, holding data.yaml and labels/) into the import plan. */
export async function readYoloSeg(ctx: ImportContext, rootIn: string): Promise<void> {
  const root = path.resolve(rootIn);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(root);
  } catch {
    ctx.issues.add('unreadable', 'fatal', root, null, 'the folder does not exist');
    return;
  }
  const base = st.isDirectory() ? root : path.dirname(root);
  const yamlFile = st.isFile() ? root : ['data.yaml', 'data.yml', 'dataset.yaml'].map((f) => path.join(base, f)).find((f) => fs.existsSync(f));
  let names: string[] | null = null;
  if (yamlFile) {
    names = parseYoloNames(await fs.promises.readFile(yamlFile, 'utf8'));
    if (!names) ctx.issues.add('schema', 'noted', yamlFile, 'names', 'no class names; classes are named "class <n>"');
  } else {
    const list = await readClassList(path.join(base, 'classes.txt'));
    if (list) names = [...list.values()];
  }
  const labelsDir = fs.existsSync(path.join(base, 'labels')) ? path.join(base, 'labels') : base;
  const files: string[] = [];
  await walk(labelsDir, '.txt', files);
  const isLabelFile = (f: string): boolean => {
    const b = path.basename(f).toLowerCase();
    if (b === 'classes.txt') return false;
    return labelsDir !== base || !/^(train|val|valid|test|trainval|readme)\.txt$/.test(b);
  };
  const labelFiles = files.filter(isLabelFile);
  labelFiles.sort(naturalCompare);
  if (labelFiles.length === 0) {
    ctx.issues.add('unreadable', 'fatal', labelsDir, null, 'no label files (.txt) found');
    return;
  }
  const slots = new Map<number, number>();
  const slotOf = (k: number): number => {
    let s = slots.get(k);
    if (s === undefined) {
      s = ctx.classSlot(names?.[k] ?? `class ${k}`);
      slots.set(k, s);
    }
    return s;
  };
  for (const file of labelFiles) {
    const row = ctx.matchImage(path.basename(file), file, null, 'stem');
    if (!row) continue;
    const { width, height } = row;
    const text = await fs.promises.readFile(file, 'utf8');
    const anns: { rle: Rle; slot: number; ref: string }[] = [];
    text.split(/\r?\n/).forEach((line, li) => {
      const t = line.trim();
      if (!t || t.startsWith('#')) return;
      const entry = `line ${li + 1}`;
      const parts = t.split(/\s+/);
      const cls = Number(parts[0]);
      if (!Number.isInteger(cls) || cls < 0) {
        ctx.issues.add('schema', 'skipped', file, entry, `the class "${parts[0]}" is not a non-negative integer`);
        return;
      }
      if (names && (cls >= names.length || names[cls] === undefined)) {
        ctx.issues.add('unknown-category', 'skipped', file, entry, `class ${cls} is not in data.yaml's names (${names.length} classes)`);
        return;
      }
      const nums = parts.slice(1).map(Number);
      let ring: number[];
      if (nums.length === 4 && nums.every(Number.isFinite)) {
        const [cx, cy, w, h] = nums as [number, number, number, number];
        ctx.issues.add('degenerate-polygon', 'repaired', file, entry, 'a box (cx cy w h), not a polygon: imported as a rectangle');
        ring = [cx - w / 2, cy - h / 2, cx + w / 2, cy - h / 2, cx + w / 2, cy + h / 2, cx - w / 2, cy + h / 2];
      } else {
        ring = nums;
      }
      const badToken = parts.slice(1).findIndex((p) => !Number.isFinite(Number(p)));
      if (badToken >= 0) {
        ctx.issues.add('degenerate-polygon', 'skipped', file, entry, `coordinate ${badToken} ("${parts[badToken + 1]}") is not a number`);
        return;
      }
      const px = ring.map((v, k) => v * (k % 2 === 0 ? width : height));
      const c = checkRing(px, width, height);
      if (!c.ok) {
        ctx.issues.add(c.code, 'skipped', file, entry, c.message);
        return;
      }
      if (c.outside > 0) ctx.issues.add('out-of-bounds', 'repaired', file, entry, `${c.outside} point(s) outside 0..1: clipped`);
      const slot = slotOf(cls);
      if (slot === 0) {
        ctx.leftOut(names?.[cls] ?? `class ${cls}`);
        return;
      }
      anns.push({ rle: polygonToRle(c.ring, width, height), slot, ref: entry });
    });
    const map = new LabelMap(width, height);
    anns.forEach((a, k) => {
      map.setInstance({ id: k + 1, classId: a.slot, source: 'import', score: null });
      ctx.paintRle(map, a.rle, k + 1);
    });
    ctx.finishImage(row, map, anns.map((a) => a.ref), file);
  }
}
