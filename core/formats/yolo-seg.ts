/**
 * YOLO segmentation (Ultralytics) layout:
 *
 *   data.yaml                    train/val/test image folders (relative to data.yaml), nc, names {0: ..., 1: ...}
 *   images/<split>/<name>.<ext>  images (unsplit: images/<name>.<ext>)
 *   labels/<split>/<name>.txt    one line per polygon: `class x1 y1 x2 y2 ...`, coordinates / image size
 *
 * Convention: Ultralytics' own, i.e. what its YOLODataset hands to training at the image's own size:
 * coordinates parsed as float32, each polygon resampled by `resample_segments` (to 1000 points, or
 * the longest polygon of the file + 1; the original vertices are kept), multiplied by width/height
 * in float32, cast to int32 (truncation) and filled by `polygon2mask` = `cv2.fillPoly`, which fills
 * the boundary itself (core/mask/cv-fillpoly ports it; tests compare it with the real cv2).
 * `ultralyticsRings` + `cvFillPoly` are that pipeline; the reader and the writer's check use it.
 *
 * Writing: per 8-connected part of an instance one line, a polygon through the CENTRES of the
 * part's boundary pixels (core/mask/centre-outline; holes joined by a bridge through the part's own
 * pixels, which fillPoly's parity fill leaves open), vertex x at (x + 0.5) / width with 6 decimals,
 * so that the int32 cast gives back the pixel. Diagonal steps are turned into an L through a pixel of
 * the part where one exists, so resampled points between vertices cannot round off the line. A
 * bridge between separate parts would add the pixels under it, so an instance of several parts is
 * written as one line per part (read back, each part is an instance of its own: YOLO has no
 * grouping). Lines get at least 3 points (a 1- or 2-pixel part repeats points), since Ultralytics
 * reads a file whose lines have <= 6 numbers as boxes. The writer rasterises every line the way
 * Ultralytics does; a part that does not come back exactly (a 1-pixel diagonal link with no pixel of
 * the part beside it, where a resampled point rounds off the line) is padded to n - 1 points by
 * repeating its last vertex, which makes the resampling keep exactly its vertices; parts still
 * inexact are reported. Exact while 0.5e-6 * width < 0.5 px, i.e. up to ~10^6 px.
 *
 * Reading: each line is one instance, rasterised with the pipeline above (vertices outside the
 * image clamped to it, which Ultralytics would refuse). As in Ultralytics, a file with a line of
 * more than 6 numbers is polygons throughout (a 4-number line there is a 2-point polygon); in a file
 * of 4-number lines they are boxes (cx cy w h), imported as rectangles. Where instances overlap, the
 * smaller one is on top (Ultralytics' overlap masks, `polygons2masks_overlap`, sort by area; equal
 * areas: the later line on top); overlaps are reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { centreOutlines, compressRing, type CentreComponent } from '../mask/centre-outline';
import { cvFillPoly, cvInt } from '../mask/cv-fillpoly';
import { LabelMap } from '../mask/label-map';
import type { ExportItem, FormatWriter, WriterContext } from './export-context';
import type { ImportContext } from './import-context';
import { describeValue } from './json-file';
import { naturalCompare, readClassList } from './mask-folder';

const DECIMALS = 6;

function fmt(v: number): string {
  const s = v.toFixed(DECIMALS);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

// ---------------------------------------------------------------------------------------------
// Ultralytics' polygon -> pixels

/**
 * numpy `np.linspace(0, stop, num)` (float64): j * (stop / (num - 1)), the last one exactly `stop`.
 */
function linspace(stop: number, num: number): number[] {
  const out: number[] = [];
  if (num <= 0) return out;
  if (num === 1) return [0];
  const step = stop / (num - 1);
  for (let j = 0; j < num; j++) out.push(step === 0 ? (j / (num - 1)) * stop : j * step);
  out[num - 1] = stop;
  return out;
}

/**
 * Ultralytics `resample_segments(segments, n)` on one float32 polygon (flat, normalised): closed
 * with its first point, `n - len - 1` evenly spaced parameters plus the original vertex indices
 * (`np.insert(x, np.searchsorted(x, xp), xp)`), `np.interp` per coordinate, cast to float32.
 * Unchanged when it already has n points.
 */
export function ultralyticsResample(ring: readonly number[], n: number): number[] {
  const L = ring.length >> 1;
  if (L === n) return ring.slice();
  const m = L + 1; // closed
  const xs = ring.filter((_, k) => k % 2 === 0);
  const ys = ring.filter((_, k) => k % 2 === 1);
  xs.push(xs[0]!);
  ys.push(ys[0]!);
  let t = linspace(m - 1, m < n ? n - m : n);
  if (m < n) {
    const merged: number[] = [];
    let j = 0;
    for (let v = 0; v < m; v++) {
      while (j < t.length && t[j]! < v) merged.push(t[j++]!);
      merged.push(v);
    }
    while (j < t.length) merged.push(t[j++]!);
    t = merged;
  }
  const out: number[] = [];
  const interp = (fp: readonly number[], x: number): number => {
    if (x >= m - 1) return fp[m - 1]!;
    if (x <= 0) return fp[0]!;
    const j = Math.floor(x);
    if (j === x) return fp[j]!;
    const slope = (fp[j + 1]! - fp[j]!) / 1;
    return slope * (x - j) + fp[j]!;
  };
  for (const x of t) out.push(Math.fround(interp(xs, x)), Math.fround(interp(ys, x)));
  return out;
}

/**
 * The integer polygons `polygon2mask` fills for the lines of one label file (normalised flat
 * rings, as written): float32 parse, resample (n = 1000, or the longest + 1), x * width and
 * y * height in float32, int32 cast; then clamped into the image (Ultralytics refuses files with
 * coordinates outside 0..1, our cvFillPoly port is exact inside the image).
 */
export function ultralyticsRings(rings: readonly (readonly number[])[], width: number, height: number, n = ultralyticsResampleCount(rings)): number[][] {
  return rings.map((r) => {
    const s = ultralyticsResample(
      r.map((v) => Math.fround(v)),
      n,
    );
    for (let k = 0; k < s.length; k += 2) {
      s[k] = Math.min(width - 1, Math.max(0, cvInt(Math.fround(s[k]! * width))));
      s[k + 1] = Math.min(height - 1, Math.max(0, cvInt(Math.fround(s[k + 1]! * height))));
    }
    return s;
  });
}

/** The number of points Ultralytics resamples every polygon of a file to: 1000, or the longest + 1. */
export function ultralyticsResampleCount(rings: readonly (readonly number[])[]): number {
  const maxLen = Math.max(0, ...rings.map((r) => r.length >> 1));
  return maxLen > 1000 ? maxLen + 1 : 1000;
}

/** Inclusive box [x0, y0, x1, y1] of an integer ring (inside the image). */
function ringBox(ring: readonly number[]): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let k = 0; k < ring.length; k += 2) {
    x0 = Math.min(x0, ring[k]!);
    x1 = Math.max(x1, ring[k]!);
    y0 = Math.min(y0, ring[k + 1]!);
    y1 = Math.max(y1, ring[k + 1]!);
  }
  return [x0, y0, x1, y1];
}

// ---------------------------------------------------------------------------------------------
// Writer

/**
 * A part's centre ring with its diagonal steps turned into two axis-parallel steps through a pixel
 * of the part (the filled pixels do not change: the triangle cut off holds no other pixel centre),
 * where the part has such a pixel; at least 3 points.
 */
export function yoloRing(comp: CentreComponent): number[] {
  const { ring, mask, bbox } = comp;
  const inPart = (x: number, y: number): boolean => {
    const cx = x - bbox.x;
    const cy = y - bbox.y;
    return cx >= 0 && cy >= 0 && cx < bbox.width && cy < bbox.height && mask[cy * bbox.width + cx] === 1;
  };
  const n = ring.length >> 1;
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let x = ring[2 * k]!;
    let y = ring[2 * k + 1]!;
    const ex = ring[(2 * k + 2) % ring.length]!;
    const ey = ring[(2 * k + 3) % ring.length]!;
    out.push(x, y);
    if (n === 1) break;
    const sx = Math.sign(ex - x);
    const sy = Math.sign(ey - y);
    const steps = Math.max(Math.abs(ex - x), Math.abs(ey - y));
    for (let s = 0; s < steps; s++) {
      if (sx !== 0 && sy !== 0) {
        if (inPart(x + sx, y)) out.push(x + sx, y);
        else if (inPart(x, y + sy)) out.push(x, y + sy);
      }
      x += sx;
      y += sy;
      if (s < steps - 1) out.push(x, y);
    }
  }
  const c = n === 1 ? out : compressRing(out);
  if (c.length >= 6) return c;
  return c.length === 2 ? [c[0]!, c[1]!, c[0]!, c[1]!, c[0]!, c[1]!] : [c[0]!, c[1]!, c[2]!, c[3]!, c[0]!, c[1]!];
}

/** Pixels where cv2.fillPoly of the integer ring differs from the part. */
function partDiff(comp: CentreComponent, ring: readonly number[]): number {
  const [x0, y0, x1, y1] = ringBox(ring);
  const bx0 = Math.min(x0, comp.bbox.x);
  const by0 = Math.min(y0, comp.bbox.y);
  const bw = Math.max(x1, comp.bbox.x + comp.bbox.width - 1) - bx0 + 1;
  const bh = Math.max(y1, comp.bbox.y + comp.bbox.height - 1) - by0 + 1;
  const got = new Uint8Array(bw * bh);
  cvFillPoly(got, bw, bh, [ring.map((v, j) => v - (j % 2 === 0 ? bx0 : by0))], 1);
  let d = 0;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const cx = x + bx0 - comp.bbox.x;
      const cy = y + by0 - comp.bbox.y;
      const want = cx >= 0 && cy >= 0 && cx < comp.bbox.width && cy < comp.bbox.height ? comp.mask[cy * comp.bbox.width + cx]! : 0;
      if (got[y * bw + x] !== want) d++;
    }
  }
  return d;
}

export function createYoloSegWriter(ctx: WriterContext): FormatWriter {
  let inexact = 0;
  let inexactPixels = 0;
  let firstInexact = '';
  return {
    imagePath: (item) => (item.split ? `images/${item.split}/${item.fileName}` : `images/${item.fileName}`),
    async write(item: ExportItem) {
      const { width, height } = item;
      const parts: { comp: CentreComponent; inst: ExportItem['instances'][number]; ring: number[] }[] = [];
      for (const inst of item.instances) {
        for (const comp of centreOutlines(item.ids, width, inst.id, inst.bbox)) parts.push({ comp, inst, ring: yoloRing(comp) });
      }
      const encode = (ring: readonly number[]) => {
        const text: string[] = [];
        const norm: number[] = [];
        for (let k = 0; k < ring.length; k += 2) {
          const nx = fmt((ring[k]! + 0.5) / width);
          const ny = fmt((ring[k + 1]! + 0.5) / height);
          text.push(nx, ny);
          norm.push(Number(nx), Number(ny));
        }
        return { text, norm };
      };
      const enc = parts.map((p) => encode(p.ring));
      // what Ultralytics makes of the file, part by part
      const n = ultralyticsResampleCount(enc.map((e) => e.norm));
      const wrong = (ks: readonly number[]): number[] => {
        const back = ultralyticsRings(
          ks.map((k) => enc[k]!.norm),
          width,
          height,
          n,
        );
        return ks.map((k, j) => partDiff(parts[k]!.comp, back[j]!));
      };
      let bad = parts.map((_, k) => k);
      let diffs = wrong(bad);
      bad = bad.filter((k) => diffs[k]! > 0);
      if (bad.length) {
        // Points resampled between the vertices of a diagonal edge can round off it (a 1-pixel
        // diagonal link, no pixel of the part beside it): padded to n - 1 points, the line is
        // resampled to exactly its vertices. Repeating the last point changes no pixel; n stays.
        for (const k of bad) {
          const r = parts[k]!.ring;
          while (r.length < 2 * (n - 1)) r.push(r[r.length - 2]!, r[r.length - 1]!);
          enc[k] = encode(r);
        }
        diffs = wrong(bad);
        bad.forEach((k, j) => {
          if (diffs[j]! > 0) {
            if (inexact++ === 0) firstInexact = `${item.fileName} instance ${parts[k]!.inst.id}`;
            inexactPixels += diffs[j]!;
          }
        });
      }
      const lines = parts.map((p, k) => `${p.inst.categoryId - 1} ${enc[k]!.text.join(' ')}`);
      const rel = item.split ? `labels/${item.split}/${item.stem}.txt` : `labels/${item.stem}.txt`;
      await ctx.sink.write(rel, lines.length ? lines.join('\n') + '\n' : '');
    },
    async finish() {
      if (inexact > 0) {
        ctx.issues.add('encoding', 'noted', 'labels', firstInexact, `${inexact} instance part(s) do not come back pixel-exact through Ultralytics' polygon2mask (cv2.fillPoly): ${inexactPixels} pixel(s) differ`);
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
  ctx.overlapRule = { winner: 'the smaller one', rule: "smaller instances are drawn on top, as in Ultralytics' overlap masks" };
  for (const file of labelFiles) {
    const row = ctx.matchImage(path.basename(file), file, null, 'stem');
    if (!row) continue;
    const { width, height } = row;
    const text = await fs.promises.readFile(file, 'utf8');
    const anns: { ring: number[]; slot: number; ref: string }[] = [];
    const textLines = text.split(/\r?\n/);
    // Ultralytics: a file with any line of more than 6 numbers is read as polygons throughout
    const polygonFile = textLines.some((l) => l.trim().split(/\s+/).length > 6);
    textLines.forEach((line, li) => {
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
      const badToken = parts.slice(1).findIndex((p) => !Number.isFinite(Number(p)));
      if (badToken >= 0) {
        ctx.issues.add('degenerate-polygon', 'skipped', file, entry, `coordinate ${badToken} ("${parts[badToken + 1]}") is not a finite number`);
        return;
      }
      const nums = parts.slice(1).map(Number);
      let ring: number[];
      if (nums.length === 4 && !polygonFile) {
        const [cx, cy, w, h] = nums as [number, number, number, number];
        ctx.issues.add('degenerate-polygon', 'repaired', file, entry, 'a box (cx cy w h), not a polygon: imported as a rectangle');
        ring = [cx - w / 2, cy - h / 2, cx + w / 2, cy - h / 2, cx + w / 2, cy + h / 2, cx - w / 2, cy + h / 2];
      } else {
        ring = nums;
      }
      if (ring.length === 0) {
        ctx.issues.add('empty-polygon', 'skipped', file, entry, 'the polygon has no coordinates');
        return;
      }
      if (ring.length % 2 !== 0) {
        ctx.issues.add('degenerate-polygon', 'skipped', file, entry, `the polygon has an odd number of coordinates (${ring.length})`);
        return;
      }
      const outside = ring.filter((v) => v < 0 || v > 1).length;
      if (outside > 0) ctx.issues.add('out-of-bounds', 'repaired', file, entry, `${outside} coordinate(s) outside 0..1 (e.g. ${describeValue(ring.find((v) => v < 0 || v > 1))}): clamped to the image`);
      const slot = slotOf(cls);
      if (slot === 0) {
        ctx.leftOut(names?.[cls] ?? `class ${cls}`);
        return;
      }
      anns.push({ ring, slot, ref: entry });
    });
    const map = new LabelMap(width, height);
    const pixels = ultralyticsRings(
      anns.map((a) => a.ring),
      width,
      height,
    );
    // fill each line; paint larger ones first, so the smaller is on top (Ultralytics' overlap masks)
    const scratch = new Uint8Array(width * height);
    const filled = anns.map((a, k) => {
      map.setInstance({ id: k + 1, classId: a.slot, source: 'import', score: null });
      const box = ringBox(pixels[k]!);
      const [x0, y0, x1, y1] = box;
      const bw = x1 - x0 + 1;
      const bh = y1 - y0 + 1;
      const crop = new Uint8Array(bw * bh);
      cvFillPoly(crop, bw, bh, [pixels[k]!.map((v, j) => v - (j % 2 === 0 ? x0 : y0))], 1);
      let area = 0;
      for (const v of crop) area += v;
      return { k, box, crop, area };
    });
    const order = filled.slice().sort((a, b) => b.area - a.area || a.k - b.k);
    for (const f of order) {
      const [x0, y0, x1, y1] = f.box;
      const bw = x1 - x0 + 1;
      for (let y = y0; y <= y1; y++) scratch.set(f.crop.subarray((y - y0) * bw, (y - y0 + 1) * bw), y * width + x0);
      ctx.paintPixels(map, scratch, f.box, f.k + 1);
    }
    ctx.finishImage(row, map, anns.map((a) => a.ref), file);
  }
}
