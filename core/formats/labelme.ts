/**
 * LabelMe JSON, one file per image (`<name>.json` beside the image; in `<split>/` when split).
 *
 * Writing: one polygon shape per 8-connected part of an instance, its holes joined to it by
 * zero-width bridges; all shapes of an instance share a `group_id` (1..N per image), which
 * LabelMe's own converters use to group shapes into one instance. Vertices are pixel corners.
 *
 * Reading: polygon, rectangle, circle and mask shapes (others, such as lines and points, are
 * reported and skipped). Shapes with the same label and group_id form one instance; a shape
 * without group_id is an instance of its own. Shapes are painted in file order (later on top),
 * polygons with pycocotools' rasteriser (LabelMe's own `shape_to_mask` uses PIL, which also fills
 * the right/bottom boundary pixels).
 */
import { paintRle } from '../mask/rle';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LabelMap } from '../mask/label-map';
import { polygonToRle } from '../mask/polygon';
import { encodeMask, type Rle } from '../mask/rle';
import type { ExportItem, FormatWriter, WriterContext } from './export-context';
import type { ImportContext } from './import-context';
import { checkRing, instancePolygons, singleRing } from './instance-geometry';
import { describeZodError, readJsonFile, typeName } from './json-file';
import { naturalCompare } from './mask-folder';
import { decodePng, PngError } from './png-codec';

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
const CIRCLE_VERTICES = 64;

// ---------------------------------------------------------------------------------------------
// Writer

export function createLabelmeWriter(ctx: WriterContext): FormatWriter {
  const names = new Map(ctx.categories.map((c) => [c.id, c.name]));
  const dirOf = (item: ExportItem) => (item.split ? `${item.split}/` : '');
  return {
    imagePath: (item) => `${dirOf(item)}${item.fileName}`,
    async write(item: ExportItem) {
      const shapes: object[] = [];
      item.instances.forEach((inst, k) => {
        for (const poly of instancePolygons(item.ids, item.width, inst.id, inst.bbox)) {
          const ring = singleRing([poly]);
          const points: [number, number][] = [];
          for (let j = 0; j < ring.length; j += 2) points.push([ring[j]!, ring[j + 1]!]);
          shapes.push({
            label: names.get(inst.categoryId),
            points,
            group_id: k + 1,
            description: '',
            shape_type: 'polygon',
            flags: {},
            mask: null,
          });
        }
      });
      const doc = {
        version: LABELME_VERSION,
        flags: {},
        shapes,
        imagePath: item.fileName,
        imageData: null,
        imageHeight: item.height,
        imageWidth: item.width,
      };
      await ctx.sink.write(`${dirOf(item)}${item.stem}.json`, JSON.stringify(doc) + '\n');
    },
    async finish() {},
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
    shapes.forEach((raw, i) => {
      const entry = `shapes[${i}]`;
      const s = LabelmeShapeSchema.safeParse(raw);
      if (!s.success) {
        ctx.issues.add('schema', 'skipped', file, entry, describeZodError(s.error));
        return;
      }
      const shape = s.data;
      const e = `${entry} (${shape.label})`;
      const rle = shapeToRle(ctx, file, e, shape, width, height);
      if (!rle) return;
      const slot = ctx.classSlot(shape.label);
      if (slot === 0) {
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
      paintRle(map.ids, rle, id);
    });
    ctx.finishImage(row, map, refs, file);
  }
}

function shapeToRle(ctx: ImportContext, file: string, entry: string, shape: z.infer<typeof LabelmeShapeSchema>, width: number, height: number): Rle | null {
  const type = shape.shape_type ?? 'polygon';
  const pts = shape.points;
  const flat: unknown[] = [];
  for (const p of pts) {
    if (p.length !== 2) {
      ctx.issues.add('degenerate-polygon', 'skipped', file, entry, `a point has ${p.length} numbers instead of 2`);
      return null;
    }
    flat.push(p[0], p[1]);
  }
  let ring: unknown[];
  if (type === 'polygon') {
    ring = flat;
  } else if (type === 'rectangle') {
    if (pts.length !== 2) {
      ctx.issues.add('degenerate-polygon', 'skipped', file, entry, `a rectangle needs 2 points, got ${pts.length}`);
      return null;
    }
    const [x1, y1, x2, y2] = flat as number[];
    ring = [x1, y1, x2, y1, x2, y2, x1, y2];
  } else if (type === 'circle') {
    if (pts.length !== 2 || !flat.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      ctx.issues.add('degenerate-polygon', 'skipped', file, entry, 'a circle needs 2 points (centre and a point on it)');
      return null;
    }
    const [cx, cy, px, py] = flat as number[];
    const r = Math.hypot(px! - cx!, py! - cy!);
    ring = [];
    for (let k = 0; k < CIRCLE_VERTICES; k++) {
      const a = (2 * Math.PI * k) / CIRCLE_VERTICES;
      ring.push(cx! + r * Math.cos(a), cy! + r * Math.sin(a));
    }
  } else if (type === 'mask') {
    return maskShapeToRle(ctx, file, entry, shape, flat, width, height);
  } else {
    ctx.issues.add('unsupported-shape', 'skipped', file, entry, `a "${type}" shape has no area; only polygon, rectangle, circle and mask shapes are imported`);
    return null;
  }
  const c = checkRing(ring, width, height);
  if (!c.ok) {
    ctx.issues.add(c.code, 'skipped', file, entry, c.message);
    return null;
  }
  if (c.outside > 0) ctx.issues.add('out-of-bounds', 'repaired', file, entry, `${c.outside} point(s) outside the ${width}x${height} image: clipped`);
  return polygonToRle(c.ring, width, height);
}

/** LabelMe 5 'mask' shape: a base64 PNG covering the box from points[0] (rounded down). */
function maskShapeToRle(ctx: ImportContext, file: string, entry: string, shape: { mask?: string | null }, flat: unknown[], width: number, height: number): Rle | null {
  if (!shape.mask || flat.length < 2 || typeof flat[0] !== 'number' || typeof flat[1] !== 'number') {
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
  const x0 = Math.floor(flat[0]);
  const y0 = Math.floor(flat[1]);
  const full = new Uint8Array(width * height);
  let outside = 0;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      if (png.data[(y * png.width + x) * png.channels] === 0) continue;
      const X = x0 + x;
      const Y = y0 + y;
      if (X < 0 || Y < 0 || X >= width || Y >= height) outside++;
      else full[Y * width + X] = 1;
    }
  }
  if (outside) ctx.issues.add('out-of-bounds', 'repaired', file, entry, `${outside} mask pixel(s) outside the image: clipped`);
  return encodeMask(full, width, height);
}
