/**
 * LabelMe JSON, one file per image (`<name>.json` beside the image; in `<split>/` when split).
 *
 * Convention: LabelMe's own `utils.shape_to_mask` (used by labelme2coco, labelme_json_to_dataset
 * and most converters), i.e. PIL `ImageDraw.polygon(xy, outline=1, fill=1)` with pixel (x, y)'s
 * CENTRE at the point (x, y), coordinates truncated to integers, the boundary itself filled;
 * rectangles are `ImageDraw.rectangle` and circles `ImageDraw.ellipse` with the same rule
 * (core/mask/pil-raster ports all three; tests compare them with the real Pillow).
 *
 * Writing: per 8-connected part of an instance one polygon through the centres of its boundary
 * pixels (core/mask/centre-outline: 1-pixel-wide parts walked there and back, holes joined by a
 * bridge through the part's own pixels), checked with both PIL fillers (Pillow 9.4-11.0 and
 * 11.3+); a part that either filler would not give back exactly is written as rectangles (one per
 * run of equal rows), which every version fills exactly. All shapes of an instance share a
 * `group_id` (1..N per image), which LabelMe's converters use to group shapes into one instance.
 * `shapes: 'mask'` writes one `mask` shape per instance instead (LabelMe >= 5.3: a PNG of the
 * instance's box, exact by construction). The image is referenced by `imagePath` relative to the
 * JSON file: the exported copy, or with `images: 'none'` the image where it lives; `imageData`
 * (base64 of the file) is embedded on request.
 *
 * Reading: polygon, rectangle, circle and mask shapes (others, such as lines and points, are
 * reported and skipped), rasterised with the rule above (Pillow 9.4-11.0's filler; 11.3+ differs
 * only where slanted edges meet at a corner). Shapes with the same label and group_id form one
 * instance; a shape without group_id is an instance of its own. Shapes are painted in file order,
 * later on top (as `shapes_to_label` does); pixels taken from an earlier instance are reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { centreOutlines, maskRectangles } from '../mask/centre-outline';
import { LabelMap } from '../mask/label-map';
import { pilEllipse, pilInt, pilPolygon, pilRectangle, type PilVersion } from '../mask/pil-raster';
import type { ExportItem, FormatWriter, WriterContext } from './export-context';
import type { ImportContext } from './import-context';
import { describeValue, describeZodError, readJsonFile, typeName } from './json-file';
import { naturalCompare } from './mask-folder';
import { decodePng, encodePng, PngError } from './png-codec';

export const LabelmeShapeSchema = z.object({
  label: z.string().min(1, { error: 'label must not be empty' }),
  points: z.array(z.array(z.unknown()), { error: 'points must be a list of [x, y] pairs' }),
  group_id: z.number().int().nullable().optional(),
  shape_type: z.string().nullable().optional(),
  mask: z.string().nullable().optional(),
});

export const LabelmeFileSchema = z.object({
  shapes: z.array(z.unknown(), { error: 'expected "shapes" to be a list' }),
  imagePath: z.string().optional(),
  imageWidth: z.number().int().positive().optional(),
  imageHeight: z.number().int().positive().optional(),
});

const LABELME_VERSION = '5.5.0';
/** both PIL fillers a written polygon must fill exactly */
const PIL_VERSIONS: readonly PilVersion[] = ['9.4', '11.3'];

export interface LabelmeWriterOptions {
  /** 'polygon' (default): polygons (rectangles where a polygon cannot be exact); 'mask': one mask shape per instance */
  shapes?: 'polygon' | 'mask';
  /** embed the image file as base64 `imageData` */
  imageData?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Writer

/** Whether both PIL fillers give back exactly `mask` (a crop at bbox) from the centre ring. */
function ringIsExact(ring: readonly number[], mask: Uint8Array, bx: number, by: number, bw: number, bh: number): boolean {
  const pts = paddedRing(ring);
  const local = pts.map((v, k) => v - (k % 2 === 0 ? bx : by));
  for (const v of PIL_VERSIONS) {
    const got = new Uint8Array(bw * bh);
    pilPolygon(got, bw, bh, local, 1, v);
    for (let i = 0; i < got.length; i++) if (got[i] !== mask[i]) return false;
  }
  return true;
}

/** LabelMe needs more than 2 points per polygon: a 1- or 2-point ring is padded by repeating points. */
function paddedRing(ring: readonly number[]): number[] {
  if (ring.length >= 6) return ring.slice();
  if (ring.length === 2) return [ring[0]!, ring[1]!, ring[0]!, ring[1]!, ring[0]!, ring[1]!];
  return [ring[0]!, ring[1]!, ring[2]!, ring[3]!, ring[0]!, ring[1]!];
}

function pairs(flat: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let j = 0; j < flat.length; j += 2) out.push([flat[j]!, flat[j + 1]!]);
  return out;
}

/** LabelMe shapes for one instance: polygons (rectangles where a polygon is not exact), or one mask shape. */
export function labelmeShapes(item: ExportItem, instId: number, bbox: ExportItem['instances'][number]['bbox'], label: string, groupId: number, mode: 'polygon' | 'mask'): { shapes: object[]; rectangleParts: number } {
  const base = { label, group_id: groupId, description: '', flags: {} };
  if (mode === 'mask') {
    const { x, y, width: w, height: h } = bbox;
    const m = new Uint8Array(w * h);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) if (item.ids[(y + r) * item.width + x + c] === instId) m[r * w + c] = 255;
    const png = Buffer.from(encodePng({ width: w, height: h, bitDepth: 8, kind: 'grey', data: m })).toString('base64');
    return { shapes: [{ ...base, points: [[x, y], [x + w - 1, y + h - 1]], shape_type: 'mask', mask: png }], rectangleParts: 0 };
  }
  const shapes: object[] = [];
  let rectangleParts = 0;
  for (const comp of centreOutlines(item.ids, item.width, instId, bbox)) {
    const { x, y, width: w, height: h } = comp.bbox;
    if (comp.joined && ringIsExact(comp.ring, comp.mask, x, y, w, h)) {
      shapes.push({ ...base, points: pairs(paddedRing(comp.ring)), shape_type: 'polygon', mask: null });
      continue;
    }
    rectangleParts++;
    for (const [x0, y0, x1, y1] of maskRectangles(comp.mask, comp.bbox)) {
      shapes.push({ ...base, points: [[x0, y0], [x1, y1]], shape_type: 'rectangle', mask: null });
    }
  }
  return { shapes, rectangleParts };
}

export function createLabelmeWriter(ctx: WriterContext, options: LabelmeWriterOptions = {}): FormatWriter {
  const names = new Map(ctx.categories.map((c) => [c.id, c.name]));
  const dirOf = (item: ExportItem) => (item.split ? `${item.split}/` : '');
  const mode = options.shapes ?? 'polygon';
  let rectangleParts = 0;
  let firstRect = '';
  return {
    imagePath: (item) => `${dirOf(item)}${item.fileName}`,
    async write(item: ExportItem) {
      const shapes: object[] = [];
      item.instances.forEach((inst, k) => {
        const r = labelmeShapes(item, inst.id, inst.bbox, names.get(inst.categoryId)!, k + 1, mode);
        shapes.push(...r.shapes);
        if (r.rectangleParts && rectangleParts === 0) firstRect = `${item.fileName} instance ${inst.id}`;
        rectangleParts += r.rectangleParts;
      });
      // imagePath is relative to the JSON file: the copy beside it, or the image where it lives
      let imagePath = item.fileName;
      if (ctx.images === 'none' && ctx.outDir) {
        imagePath = path.relative(path.join(ctx.outDir, dirOf(item)), item.row.path).split(path.sep).join('/');
      }
      let imageData: string | null = null;
      if (options.imageData) {
        try {
          imageData = (await (ctx.readImage ?? ((r) => fs.promises.readFile(r.path)))(item.row)).toString('base64');
        } catch (e) {
          ctx.issues.add('missing-image', 'noted', item.row.path, null, `cannot read the image to embed it (${(e as Error).message}); imageData is null`);
        }
      }
      const doc = {
        version: LABELME_VERSION,
        flags: {},
        shapes,
        imagePath,
        imageData,
        imageHeight: item.height,
        imageWidth: item.width,
      };
      await ctx.sink.write(`${dirOf(item)}${item.stem}.json`, JSON.stringify(doc) + '\n');
    },
    async finish() {
      if (rectangleParts > 0) {
        ctx.issues.add(
          'encoding',
          'noted',
          'shapes',
          firstRect,
          `${rectangleParts} instance part(s) written as rectangles: no polygon through their pixel centres fills exactly those pixels in PIL (LabelMe's shape_to_mask), e.g. 1-pixel diagonal lines`,
        );
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reader

async function listJson(p: string, out: string[]): Promise<void> {
  for (const e of await fs.promises.readdir(p, { withFileTypes: true })) {
    const f = path.join(p, e.name);
    if (e.isDirectory()) await listJson(f, out);
    else if (e.isFile() && e.name.toLowerCase().endsWith('.json')) out.push(f);
  }
}

/** Reads LabelMe JSON files (a folder, searched recursively, or one file) into the import plan. */
export async function readLabelme(ctx: ImportContext, p: string): Promise<void> {
  const target = path.resolve(p);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(target);
  } catch {
    ctx.issues.add('unreadable', 'fatal', target, null, 'the file or folder does not exist');
    return;
  }
  const files: string[] = [];
  if (st.isDirectory()) await listJson(target, files);
  else files.push(target);
  files.sort(naturalCompare);
  if (files.length === 0) {
    ctx.issues.add('unreadable', 'fatal', target, null, 'no LabelMe JSON files found');
    return;
  }
  // A single file that cannot be read is fatal; one bad file among many is skipped.
  const badFile = files.length === 1 ? 'fatal' : 'skipped';
  for (const file of files) {
    const json = await readJsonFile(file, ctx.issues, badFile);
    if (json === undefined) continue;
    const doc = LabelmeFileSchema.safeParse(json);
    if (!doc.success) {
      ctx.issues.add('schema', badFile, file, null, `not a LabelMe file: ${typeof json === 'object' && json !== null && !Array.isArray(json) ? describeZodError(doc.error) : `the top level is a ${typeName(json)}`}`);
      continue;
    }
    const { shapes, imagePath, imageWidth, imageHeight } = doc.data;
    const row = imagePath ? ctx.matchImage(imagePath, file, null, 'name') : ctx.matchImage(path.basename(file), file, null, 'stem');
    if (!row) continue;
    if (imageWidth !== undefined && imageHeight !== undefined && !ctx.checkSize(row, imageWidth, imageHeight, file, null)) continue;
    const { width, height } = row;
    const groups = new Map<string, number>();
    const map = new LabelMap(width, height);
    const refs: string[] = [];
    const scratch = new Uint8Array(width * height);
    shapes.forEach((raw, i) => {
      const entry = `shapes[${i}]`;
      const s = LabelmeShapeSchema.safeParse(raw);
      if (!s.success) {
        ctx.issues.add('schema', 'skipped', file, entry, describeZodError(s.error));
        return;
      }
      const shape = s.data;
      const e = `${entry} (${shape.label})`;
      const box = shapePixels(ctx, file, e, shape, width, height, scratch);
      if (!box) return;
      const slot = ctx.classSlot(shape.label);
      if (slot === 0) {
        clearBox(scratch, width, box);
        ctx.leftOut(shape.label);
        return;
      }
      const key = shape.group_id === null || shape.group_id === undefined ? `#${i}` : `${shape.label}\u0000${shape.group_id}`;
      let id = groups.get(key);
      if (id === undefined) {
        id = refs.length + 1;
        groups.set(key, id);
        refs.push(shape.group_id === null || shape.group_id === undefined ? e : `${e}, group ${shape.group_id}`);
        map.setInstance({ id, classId: slot, source: 'import', score: null });
      }
      ctx.paintPixels(map, scratch, box, id);
    });
    ctx.finishImage(row, map, refs, file);
  }
}

/** Inclusive pixel box [x0, y0, x1, y1] inside the image. */
type Box = [number, number, number, number];

function clearBox(scratch: Uint8Array, width: number, [x0, y0, x1, y1]: Box): void {
  for (let y = y0; y <= y1; y++) scratch.fill(0, y * width + x0, y * width + x1 + 1);
}

/** The box of truncated coordinates, clipped to the image; null when it misses the image. */
function clipBox(xs: readonly number[], ys: readonly number[], width: number, height: number): Box | null {
  const x0 = Math.max(0, Math.min(...xs));
  const y0 = Math.max(0, Math.min(...ys));
  const x1 = Math.min(width - 1, Math.max(...xs));
  const y1 = Math.min(height - 1, Math.max(...ys));
  return x0 > x1 || y0 > y1 ? null : [x0, y0, x1, y1];
}

/**
 * Rasterises one shape into `scratch` (zero outside the returned box) with LabelMe's rule; reports
 * and returns null when the shape is unusable or covers no pixel of the image.
 */
function shapePixels(ctx: ImportContext, file: string, entry: string, shape: z.infer<typeof LabelmeShapeSchema>, width: number, height: number, scratch: Uint8Array): Box | null {
  const type = shape.shape_type ?? 'polygon';
  const pts = shape.points;
  if (type === 'mask') return maskShapePixels(ctx, file, entry, shape, width, height, scratch);
  if (type !== 'polygon' && type !== 'rectangle' && type !== 'circle') {
    ctx.issues.add('unsupported-shape', 'skipped', file, entry, `a "${type}" shape has no area; only polygon, rectangle, circle and mask shapes are imported`);
    return null;
  }
  const flat: number[] = [];
  for (let k = 0; k < pts.length; k++) {
    const p = pts[k]!;
    if (p.length !== 2) {
      ctx.issues.add('degenerate-polygon', 'skipped', file, entry, `point ${k} has ${p.length} numbers instead of 2: ${describeValue(p)}`);
      return null;
    }
    for (let c = 0; c < 2; c++) {
      const v = p[c];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        ctx.issues.add('degenerate-polygon', 'skipped', file, entry, `point ${k} ${c === 0 ? 'x' : 'y'} is ${describeValue(v)}, not a finite number`);
        return null;
      }
      flat.push(v);
    }
  }
  const need = type === 'polygon' ? 3 : 2;
  if (type === 'polygon' ? pts.length < 3 : pts.length !== 2) {
    ctx.issues.add(
      pts.length === 0 ? 'empty-polygon' : 'degenerate-polygon',
      'skipped',
      file,
      entry,
      type === 'polygon' ? `a polygon needs at least ${need} points (LabelMe's rule), got ${pts.length}` : `a ${type} needs 2 points, got ${pts.length}`,
    );
    return null;
  }
  let box: Box | null;
  if (type === 'polygon') {
    const xs = flat.filter((_, k) => k % 2 === 0).map(pilInt);
    const ys = flat.filter((_, k) => k % 2 === 1).map(pilInt);
    // (Pillow 9.4's corner rule can reach one pixel past the vertices: the box has a margin)
    box = clipBox([Math.min(...xs) - 2, Math.max(...xs) + 2], ys, width, height);
    if (box) pilPolygon(scratch, width, height, flat, 1, '9.4');
  } else if (type === 'rectangle') {
    const xs = [pilInt(flat[0]!), pilInt(flat[2]!)];
    const ys = [pilInt(flat[1]!), pilInt(flat[3]!)];
    box = clipBox(xs, ys, width, height);
    if (box) pilRectangle(scratch, width, height, flat[0]!, flat[1]!, flat[2]!, flat[3]!, 1);
  } else {
    // labelme: d = |centre - point|; ImageDraw.ellipse([cx - d, cy - d, cx + d, cy + d])
    const [cx, cy, px, py] = flat as [number, number, number, number];
    const d = Math.sqrt((cx - px) ** 2 + (cy - py) ** 2);
    const q = [cx - d, cy - d, cx + d, cy + d];
    box = clipBox([pilInt(q[0]!), pilInt(q[2]!)], [pilInt(q[1]!), pilInt(q[3]!)], width, height);
    if (box) pilEllipse(scratch, width, height, q[0]!, q[1]!, q[2]!, q[3]!, 1);
  }
  let outside = 0;
  for (let k = 0; k < flat.length; k += 2) {
    const x = pilInt(flat[k]!);
    const y = pilInt(flat[k + 1]!);
    if (x < 0 || y < 0 || x >= width || y >= height) outside++;
  }
  if (outside > 0) ctx.issues.add('out-of-bounds', 'repaired', file, entry, `${outside} point(s) outside the ${width}x${height} image: clipped`);
  if (!box) {
    ctx.issues.add('empty-mask', 'skipped', file, entry, `the ${type} lies outside the ${width}x${height} image`);
    return null;
  }
  return box;
}

/**
 * LabelMe 5 'mask' shape: a base64 PNG covering the box points[0]..points[1] (truncated to
 * integers; labelme assigns it to `mask[y1:y2 + 1, x1:x2 + 1]`); nonzero samples are inside.
 */
function maskShapePixels(ctx: ImportContext, file: string, entry: string, shape: { mask?: string | null; points: unknown[][] }, width: number, height: number, scratch: Uint8Array): Box | null {
  const p0 = shape.points[0];
  if (!shape.mask || !p0 || typeof p0[0] !== 'number' || typeof p0[1] !== 'number' || !Number.isFinite(p0[0]) || !Number.isFinite(p0[1])) {
    ctx.issues.add('schema', 'skipped', file, entry, 'a mask shape needs "mask" (base64 PNG) and its top-left point');
    return null;
  }
  let png;
  try {
    png = decodePng(Buffer.from(shape.mask, 'base64'));
  } catch (e) {
    if (e instanceof PngError) {
      ctx.issues.add('schema', 'skipped', file, entry, `the mask is not a readable PNG (${e.message})`);
      return null;
    }
    throw e;
  }
  const x0 = pilInt(p0[0]);
  const y0 = pilInt(p0[1]);
  let outside = 0;
  let bx0 = width;
  let by0 = height;
  let bx1 = -1;
  let by1 = -1;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      if (png.data[(y * png.width + x) * png.channels] === 0) continue;
      const X = x0 + x;
      const Y = y0 + y;
      if (X < 0 || Y < 0 || X >= width || Y >= height) {
        outside++;
        continue;
      }
      scratch[Y * width + X] = 1;
      if (X < bx0) bx0 = X;
      if (X > bx1) bx1 = X;
      if (Y < by0) by0 = Y;
      if (Y > by1) by1 = Y;
    }
  }
  if (outside) ctx.issues.add('out-of-bounds', 'repaired', file, entry, `${outside} mask pixel(s) outside the image: clipped`);
  if (bx1 < 0) {
    ctx.issues.add('empty-mask', 'skipped', file, entry, 'the mask has no pixel inside the image');
    return null;
  }
  return [bx0, by0, bx1, by1];
}
