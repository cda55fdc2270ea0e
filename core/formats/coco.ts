/**
 * COCO instance segmentation JSON: reader (polygons, compressed and uncompressed RLE) and writer.
 *
 * Reading: images are matched to project images by `file_name`; annotations are painted in file
 * order, so where two overlap the later one wins (a label map holds one instance per pixel).
 * Polygons are rasterised as pycocotools does (`annToRLE`: each polygon by `frPyObjects`, then the
 * union); RLE is decoded as is. Annotations with iscrowd = 1 are imported as ordinary instances.
 *
 * Writing: one annotation per instance with pixel-exact geometry. 'auto' writes the traced outline
 * (vertices on pixel corners, exact under pycocotools) unless the instance has a hole or the
 * outline would not give back exactly its pixels, then compressed RLE. 'polygon' always writes
 * polygons (a hole is joined to its outer ring by a zero-width bridge, still exact in
 * pycocotools); 'rle' always writes compressed RLE. `area` is the pixel count, `bbox` is
 * pycocotools' `toBbox`, `iscrowd` is 0.
 */
import path from 'node:path';
import { z } from 'zod';
import { LabelMap } from '../mask/label-map';
import { polygonsToRle } from '../mask/polygon';
import { MaskDecodeError } from '../mask/mask-decode-error';
import { encodeInstances, fromCocoRle, rleArea, rleBbox, toCocoRle, type Rle } from '../mask/rle';
import type { ExportItem, FormatWriter, SplitName, WriterContext } from './export-context';
import type { ImportContext } from './import-context';
import { checkRing, instancePolygons, sameRle, singleRing } from './instance-geometry';
import { describeZodError, readJsonFile, typeName } from './json-file';

// ---------------------------------------------------------------------------------------------
// Schemas

const Id = z.union([z.number().int(), z.string().min(1)], { error: 'expected an integer or a string id' });

export const CocoFileSchema = z.object({
  images: z.array(z.unknown(), { error: 'expected "images" to be an array' }),
  annotations: z.array(z.unknown(), { error: 'expected "annotations" to be an array' }),
  categories: z.array(z.unknown(), { error: 'expected "categories" to be an array' }),
});

export const CocoCategorySchema = z.object({
  id: z.number().int(),
  name: z.string().trim().min(1),
  supercategory: z.string().optional(),
});

export const CocoImageSchema = z.object({
  id: Id,
  file_name: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export const CocoAnnotationSchema = z.object({
  id: Id.optional(),
  image_id: Id,
  category_id: z.number().int(),
  segmentation: z.unknown(),
  iscrowd: z.union([z.literal(0), z.literal(1), z.boolean()]).optional(),
});

export type CocoEncoding = 'auto' | 'polygon' | 'rle';

// ---------------------------------------------------------------------------------------------
// Reader

interface PendingImage {
  row: NonNullable<ReturnType<ImportContext['matchImage']>>;
  entry: string;
  anns: { rle: Rle; slot: number; ref: string }[];
  /** this image's annotations that were skipped */
  skipped: number;
}

/** Reads a COCO instances JSON file into the import plan. */
export async function readCoco(ctx: ImportContext, file: string): Promise<void> {
  const json = await readJsonFile(file, ctx.issues, 'fatal');
  if (json === undefined) return;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    ctx.issues.add('schema', 'fatal', file, null, `a COCO file is a JSON object with "images", "annotations" and "categories"; this one is a ${typeName(json)}`);
    return;
  }
  const top = CocoFileSchema.safeParse(json);
  if (!top.success) {
    ctx.issues.add('schema', 'fatal', file, null, `not a COCO instances file: ${describeZodError(top.error)}`);
    return;
  }
  const { images, annotations, categories } = top.data;

  // An entry that fails its schema is reported once; annotations that refer to it are then
  // left out without a report of their own (null below).
  const rawId = (raw: unknown): string | null =>
    typeof raw === 'object' && raw !== null && 'id' in raw && (typeof raw.id === 'number' || typeof raw.id === 'string') ? String(raw.id) : null;
  const cats = new Map<number, { name: string; slot: number } | null>();
  categories.forEach((raw, i) => {
    const entry = `categories[${i}]`;
    const c = CocoCategorySchema.safeParse(raw);
    if (!c.success) {
      ctx.issues.add('schema', 'skipped', file, entry, describeZodError(c.error));
      const id = rawId(raw);
      if (id !== null && Number.isInteger(Number(id)) && !cats.has(Number(id))) cats.set(Number(id), null);
      return;
    }
    if (cats.has(c.data.id)) {
      const first = cats.get(c.data.id);
      ctx.issues.add('duplicate-id', 'skipped', file, `${entry} (id ${c.data.id})`, `category id ${c.data.id} is declared twice; the first${first ? ` ("${first.name}")` : ''} is used`);
      return;
    }
    cats.set(c.data.id, { name: c.data.name, slot: ctx.classSlot(c.data.name) });
  });

  const imgs = new Map<string, PendingImage | null>();
  const order: PendingImage[] = [];
  images.forEach((raw, i) => {
    const entry = `images[${i}]`;
    const im = CocoImageSchema.safeParse(raw);
    if (!im.success) {
      ctx.issues.add('schema', 'skipped', file, entry, `${describeZodError(im.error)}; its annotations are not imported`);
      const id = rawId(raw);
      if (id !== null && !imgs.has(id)) imgs.set(id, null);
      return;
    }
    const key = String(im.data.id);
    const e = `${entry} (id ${key}, ${im.data.file_name})`;
    if (imgs.has(key)) {
      ctx.issues.add('duplicate-id', 'skipped', file, e, `image id ${key} is declared twice; the first is used`);
      return;
    }
    const row = ctx.matchImage(im.data.file_name, file, e, 'name');
    if (!row || !ctx.checkSize(row, im.data.width, im.data.height, file, e)) {
      imgs.set(key, null);
      return;
    }
    const p: PendingImage = { row, entry: e, anns: [], skipped: 0 };
    imgs.set(key, p);
    order.push(p);
  });

  const annIds = new Set<string>();
  annotations.forEach((raw, i) => {
    const idText = typeof raw === 'object' && raw !== null && 'id' in raw ? ` (id ${String((raw as { id: unknown }).id)})` : '';
    const entry = `annotations[${i}]${idText}`;
    const a = CocoAnnotationSchema.safeParse(raw);
    if (!a.success) {
      ctx.issues.add('schema', 'skipped', file, entry, describeZodError(a.error));
      // still an entry of its image, when that can be told: the image's mask lacks it
      const imageId = typeof raw === 'object' && raw !== null && 'image_id' in raw ? (raw as { image_id: unknown }).image_id : undefined;
      const owner = typeof imageId === 'number' || typeof imageId === 'string' ? imgs.get(String(imageId)) : undefined;
      if (owner) owner.skipped++;
      return;
    }
    const ann = a.data;
    if (ann.id !== undefined) {
      const k = String(ann.id);
      if (annIds.has(k)) ctx.issues.add('duplicate-id', 'repaired', file, entry, `annotation id ${k} is used twice; both are imported (ids are not carried over)`);
      annIds.add(k);
    }
    const imgKey = String(ann.image_id);
    if (!imgs.has(imgKey)) {
      ctx.issues.add('unknown-image', 'skipped', file, entry, `image_id ${imgKey} is not in "images"`);
      return;
    }
    const img = imgs.get(imgKey);
    if (!cats.has(ann.category_id)) {
      ctx.issues.add('unknown-category', 'skipped', file, entry, `category_id ${ann.category_id} is not in "categories"`);
      if (img) img.skipped++;
      return;
    }
    const cat = cats.get(ann.category_id);
    if (img && !cat) img.skipped++;
    if (!img || !cat) return; // image not matched, or a broken entry: reported once with it
    if (cat.slot === 0) {
      ctx.leftOut(cat.name);
      return;
    }
    const before = ctx.issues.counts.byAction.skipped ?? 0;
    const rle = segmentationToRle(ctx, file, entry, ann.segmentation, img.row.width, img.row.height);
    if (rle) img.anns.push({ rle, slot: cat.slot, ref: entry });
    if ((ctx.issues.counts.byAction.skipped ?? 0) > before) img.skipped++;
  });

  for (const img of order) {
    const map = new LabelMap(img.row.width, img.row.height);
    img.anns.forEach((a, k) => {
      map.setInstance({ id: k + 1, classId: a.slot, source: 'import', score: null });
      ctx.paintRle(map, a.rle, k + 1);
    });
    ctx.finishImage(img.row, map, img.anns.map((a) => a.ref), file, img.skipped);
  }
}

/** COCO `segmentation` (polygon list or RLE object) -> RLE, reporting and skipping what is broken. */
function segmentationToRle(ctx: ImportContext, file: string, entry: string, seg: unknown, width: number, height: number): Rle | null {
  if (Array.isArray(seg)) {
    if (seg.length === 0) {
      ctx.issues.add('empty-polygon', 'skipped', file, entry, 'the segmentation is an empty list (no polygon)');
      return null;
    }
    const rings: number[][] = [];
    seg.forEach((ring, j) => {
      const e = seg.length > 1 ? `${entry} polygon ${j}` : entry;
      if (!Array.isArray(ring)) {
        ctx.issues.add('schema', 'skipped', file, e, `segmentation[${j}] should be a list of numbers [x0, y0, x1, y1, ...], got a ${typeName(ring)}`);
        return;
      }
      const c = checkRing(ring, width, height);
      if (!c.ok) {
        ctx.issues.add(c.code, 'skipped', file, e, c.message);
        return;
      }
      if (c.outside > 0) {
        ctx.issues.add('out-of-bounds', 'repaired', file, e, `${c.outside} point${c.outside === 1 ? '' : 's'} outside the ${width}x${height} image: clipped`);
      }
      rings.push(c.ring);
    });
    if (rings.length === 0) return null;
    return polygonsToRle(rings, width, height);
  }
  if (typeof seg === 'object' && seg !== null) {
    let rle: Rle;
    try {
      rle = fromCocoRle(seg);
    } catch (e) {
      if (e instanceof MaskDecodeError) {
        ctx.issues.add('bad-rle', 'skipped', file, entry, e.message);
        return null;
      }
      throw e;
    }
    if (rle.width !== width || rle.height !== height) {
      ctx.issues.add('bad-rle', 'skipped', file, entry, `the RLE is ${rle.height}x${rle.width} (size [h, w]) but the image is ${height}x${width}`);
      return null;
    }
    return rle;
  }
  ctx.issues.add('schema', 'skipped', file, entry, `segmentation must be a list of polygons or an RLE object {size, counts}, got ${seg === undefined ? 'nothing' : `a ${typeName(seg)}`}`);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Writer

export interface CocoWriterStats {
  polygon: number;
  rle: number;
}

interface SplitBuffer {
  images: string[];
  annotations: string[];
}

/**
 * COCO layout: without splits `annotations.json` + `images/`; with splits
 * `annotations/instances_<split>.json` + `images/<split>/` (file_name relative to that folder).
 */
export function createCocoWriter(ctx: WriterContext, encoding: CocoEncoding): FormatWriter & { stats: CocoWriterStats } {
  const stats: CocoWriterStats = { polygon: 0, rle: 0 };
  const buffers = new Map<string, SplitBuffer>();
  let annId = 0;
  const bufferFor = (split: SplitName | null): SplitBuffer => {
    const k = split ?? '';
    let b = buffers.get(k);
    if (!b) buffers.set(k, (b = { images: [], annotations: [] }));
    return b;
  };
  for (const s of ctx.splits ?? [null]) bufferFor(s);

  return {
    stats,
    imagePath: (item) => (item.split ? `images/${item.split}/${item.fileName}` : `images/${item.fileName}`),
    async write(item: ExportItem) {
      const b = bufferFor(item.split);
      b.images.push(
        JSON.stringify({ id: item.row.id, file_name: item.fileName, width: item.width, height: item.height, license: 1 }),
      );
      if (item.instances.length === 0) return;
      const rles = encodeInstances(item, item.instances.map((i) => i.id));
      for (const inst of item.instances) {
        const rle = rles.get(inst.id)!;
        const seg = segmentationFor(ctx, item, inst.id, rle, encoding);
        if (Array.isArray(seg)) stats.polygon++;
        else stats.rle++;
        b.annotations.push(
          JSON.stringify({
            id: ++annId,
            image_id: item.row.id,
            category_id: inst.categoryId,
            segmentation: seg,
            area: rleArea(rle),
            bbox: rleBbox(rle),
            iscrowd: 0,
          }),
        );
      }
    },
    async finish() {
      const now = new Date();
      const head = {
        info: {
          description: ctx.description ?? 'Exported from Maskwright',
          url: '',
          version: '1.0',
          year: now.getUTCFullYear(),
          contributor: 'Maskwright',
          date_created: now.toISOString(),
        },
        licenses: [{ id: 1, name: 'Unknown', url: '' }],
      };
      const categories = ctx.categories.map((c) => ({ id: c.id, name: c.name, supercategory: c.name }));
      for (const [split, b] of buffers) {
        const rel = split ? `annotations/instances_${split}.json` : 'annotations.json';
        await ctx.sink.writeParts(rel, jsonParts(head, b, categories));
      }
    },
  };
}

function* jsonParts(head: object, b: SplitBuffer, categories: object[]): Generator<string> {
  const h = JSON.stringify(head);
  yield h.slice(0, -1) + ',"images":[';
  yield* joined(b.images);
  yield '],"annotations":[';
  yield* joined(b.annotations);
  yield `],"categories":${JSON.stringify(categories)}}\n`;
}

function* joined(parts: string[]): Generator<string> {
  for (let i = 0; i < parts.length; i++) yield i === 0 ? parts[i]! : ',' + parts[i]!;
}

function segmentationFor(ctx: WriterContext, item: ExportItem, id: number, rle: Rle, encoding: CocoEncoding): number[][] | { size: [number, number]; counts: string } {
  if (encoding === 'rle') return toCocoRle(rle);
  const inst = item.instances.find((i) => i.id === id)!;
  const polys = instancePolygons(item.ids, item.width, id, inst.bbox);
  const hasHole = polys.some((p) => p.holes.length > 0);
  const file = path.posix.join(item.split ?? '', item.fileName);
  const entry = `instance ${id}`;
  if (hasHole && encoding === 'auto') {
    ctx.issues.add('encoding', 'noted', file, entry, 'has a hole: written as RLE');
    return toCocoRle(rle);
  }
  const rings = hasHole ? polys.map((p) => singleRing([p])) : polys.map((p) => p.outer);
  const back = polygonsToRle(rings, item.width, item.height);
  if (!sameRle(back, rle)) {
    if (encoding === 'auto') {
      ctx.issues.add('encoding', 'noted', file, entry, 'its outline would not give back exactly its pixels: written as RLE');
      return toCocoRle(rle);
    }
    const diff = Math.abs(rleArea(back) - rleArea(rle));
    ctx.issues.add('encoding', 'noted', file, entry, `written as a polygon as asked; it differs from the mask (pixel count off by ${diff})`);
  } else if (hasHole) {
    ctx.issues.add('encoding', 'noted', file, entry, 'has a hole: written as one polygon with a zero-width bridge to the hole (exact in pycocotools; outline-drawing fillers also fill the bridge)');
  }
  return rings;
}
