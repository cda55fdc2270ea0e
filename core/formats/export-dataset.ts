/**
 * Exports a project's masks as a dataset: COCO, Pascal VOC, YOLO-seg, LabelMe or plain index-mask
 * PNGs. Everything is written into a temporary sibling folder of `outDir` that is renamed into
 * place when the export succeeded, so a failed or cancelled export leaves nothing half-written.
 *
 * Categories are the project classes (all, or `classIds`), in project class order, numbered
 * 1..K; `classRemap` renames classes, and classes renamed alike are merged into one category.
 * The category number is what every format writes: COCO category_id, the pixel value of VOC and
 * index masks, and YOLO class = number - 1.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../api/errors';
import { EXPORT_META_FILE, IMAGE_STATUSES, type ImageRow, type ImageStatus, type LabelClass } from '../api/types';
import { renderThumbnail } from '../imaging/thumbnail';
import { LabelMap } from '../mask/label-map';
import { cleanStaleExportPartials } from '../store/leftovers';
import { contentMismatch, resolveImageFile, sha256File } from '../store/project-paths';
import { assignSplits, splitSpecProblem, type SplitSpec } from './assign-splits';
import { createCocoWriter, type CocoEncoding, type CocoWriterStats } from './coco';
import {
  ExportSink,
  SPLIT_NAMES,
  splitKey,
  type ExportCategory,
  type ExportFormat,
  type ExportInstance,
  type ExportItem,
  type FormatWriter,
  type SplitName,
  type WriterContext,
} from './export-context';
import { stemOf } from './import-context';
import { createLabelmeWriter } from './labelme';
import { createIndexMaskWriter } from './mask-folder';
import { IssueList, type IssueCounts, type ValidationIssue } from './validation-report';
import { createVocWriter } from './voc';
import { createYoloSegWriter } from './yolo-seg';
import type { DatasetSource } from './project-access';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['coco', 'voc', 'yolo-seg', 'labelme', 'index-masks'];

export interface ExportOptions {
  format: ExportFormat;
  /** the dataset folder to create; it must not exist or be empty, unless `overwrite` */
  outDir: string;
  /** replace an existing non-empty `outDir` (swapped in only after the export succeeded) */
  overwrite?: boolean;
  /** seeded train/val/test split; absent: one unsplit set */
  split?: SplitSpec;
  /** only images with one of these statuses (default: all) */
  statuses?: ImageStatus[];
  /** only these project classes (default: all); instances of other classes are left out */
  classIds?: number[];
  /** project class id -> exported name; classes given the same name become one category */
  classRemap?: Record<number, string>;
  /** images without a stored mask are left out unless this is true (then they have no instances) */
  includeUnannotated?: boolean;
  /** 'copy' (default) the image files, 'link' them (symbolic links), or write annotations only */
  images?: 'copy' | 'link' | 'none';
  coco?: { encoding?: CocoEncoding };
  /** bit depth of index-mask PNGs (index-masks format); default 8 for class maps, 16 for instance maps */
  indexBitDepth?: 8 | 16;
  /** LabelMe: 'polygon' shapes (default) or one 'mask' shape per instance; embed images as imageData */
  labelme?: { shapes?: 'polygon' | 'mask'; imageData?: boolean };
  /** VOC: 'flat' (default: the folders at the root) or 'vocdevkit' (VOCdevkit/VOC2012/..., torchvision's `root`) */
  voc?: { layout?: 'flat' | 'vocdevkit' };
  /** refuse (AppError 'corrupt-data', nothing written) as soon as an image or instance would be left out */
  strict?: boolean;
  /**
   * 'masks' (default): the person's masks; 'predictions': each image's latest model proposal
   * instead (images without one are left out unless `includeUnannotated`), with the model
   * versions in maskwright-export.json (and COCO's info.description)
   */
  source?: ExportSource;
}

export type ExportSource = 'masks' | 'predictions';


/** the model versions whose proposals a predictions export holds */
export interface ExportedVersion {
  /** null: the version was deleted since it pre-labeled */
  id: number | null;
  name: string | null;
  images: number;
}

export interface ExportProgress {
  done: number;
  total: number;
  /** the image being written */
  current: string | null;
}

export interface ExportRunOptions {
  onProgress?: (p: ExportProgress) => void;
  signal?: AbortSignal;
}

export interface ExportReport {
  format: ExportFormat;
  outDir: string;
  images: number;
  instances: number;
  /** per split ('all' when not split) */
  splits: Record<string, { images: number; instances: number }>;
  categories: { id: number; name: string; classIds: number[]; instances: number }[];
  /** COCO only: how many annotations were written as polygons and as RLE */
  coco?: CocoWriterStats;
  /** images selected but left out (missing file, damaged mask, ...; see issues) */
  skippedImages: number;
  files: number;
  bytesWritten: number;
  durationMs: number;
  issues: ValidationIssue[];
  issueCounts: IssueCounts;
  source: ExportSource;
  /** predictions exports: which model versions made the exported proposals */
  modelVersions?: ExportedVersion[];
}

function invalid(msg: string): never {
  throw new AppError('invalid-argument', msg);
}

function checkOptions(o: ExportOptions): void {
  if (!EXPORT_FORMATS.includes(o.format)) invalid(`Unknown export format "${String(o.format)}"; use one of ${EXPORT_FORMATS.join(', ')}.`);
  if (typeof o.outDir !== 'string' || o.outDir.trim() === '') invalid('Choose a folder to export to.');
  if (o.split) {
    const p = splitSpecProblem(o.split);
    if (p) invalid(`Invalid split: ${p}.`);
  }
  if (o.statuses && !o.statuses.every((s) => (IMAGE_STATUSES as readonly string[]).includes(s))) {
    invalid(`Unknown image status in ${JSON.stringify(o.statuses)}; use ${IMAGE_STATUSES.join(', ')}.`);
  }
  if (o.images !== undefined && !['copy', 'link', 'none'].includes(o.images)) invalid(`images must be 'copy', 'link' or 'none', got ${String(o.images)}.`);
  if (o.coco?.encoding !== undefined && !['auto', 'polygon', 'rle'].includes(o.coco.encoding)) {
    invalid(`COCO encoding must be 'auto', 'polygon' or 'rle', got ${String(o.coco.encoding)}.`);
  }
  if (o.indexBitDepth !== undefined && o.indexBitDepth !== 8 && o.indexBitDepth !== 16) invalid(`indexBitDepth must be 8 or 16, got ${String(o.indexBitDepth)}.`);
  if (o.labelme?.shapes !== undefined && o.labelme.shapes !== 'polygon' && o.labelme.shapes !== 'mask') invalid(`LabelMe shapes must be 'polygon' or 'mask', got ${String(o.labelme.shapes)}.`);
  if (o.source !== undefined && o.source !== 'masks' && o.source !== 'predictions') invalid(`source must be 'masks' or 'predictions', got ${String(o.source)}.`);
  if (o.voc?.layout !== undefined && o.voc.layout !== 'flat' && o.voc.layout !== 'vocdevkit') invalid(`VOC layout must be 'flat' or 'vocdevkit', got ${String(o.voc.layout)}.`);
}

/** Project classes -> export categories (subset, remap, merge by name), in project class order. */
export function buildCategories(classes: readonly LabelClass[], classIds?: readonly number[], remap: Record<number, string> = {}): ExportCategory[] {
  const known = new Set(classes.map((c) => c.id));
  for (const id of classIds ?? []) if (!known.has(id)) invalid(`Class id ${id} does not exist in this project.`);
  for (const k of Object.keys(remap)) {
    if (!known.has(Number(k))) invalid(`classRemap names class id ${k}, which does not exist in this project.`);
    const name = remap[Number(k)];
    if (typeof name !== 'string' || name.trim() === '') invalid(`classRemap gives class id ${k} an empty name.`);
  }
  const wanted = classIds ? new Set(classIds) : null;
  const out: ExportCategory[] = [];
  const byName = new Map<string, ExportCategory>();
  for (const c of classes) {
    if (wanted && !wanted.has(c.id)) continue;
    const name = (remap[c.id] ?? c.name).trim();
    let cat = byName.get(name);
    if (!cat) {
      cat = { id: out.length + 1, name, color: c.color, classIds: [] };
      out.push(cat);
      byName.set(name, cat);
    }
    cat.classIds.push(c.id);
  }
  return out;
}

function createWriter(o: ExportOptions, ctx: WriterContext): FormatWriter & { stats?: CocoWriterStats } {
  switch (o.format) {
    case 'coco':
      return createCocoWriter(ctx, o.coco?.encoding ?? 'auto');
    case 'voc':
      return createVocWriter(ctx, o.voc?.layout ?? 'flat');
    case 'yolo-seg':
      return createYoloSegWriter(ctx);
    case 'labelme':
      return createLabelmeWriter(ctx, o.labelme ?? {});
    case 'index-masks':
      return createIndexMaskWriter(ctx, o.indexBitDepth);
  }
}

function listImages(store: DatasetSource): ImageRow[] {
  const rows: ImageRow[] = [];
  for (let offset = 0; ; ) {
    const page = store.images.list({ offset, limit: 5000 });
    rows.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) break;
  }
  return rows;
}

async function isEmptyDir(dir: string): Promise<boolean | null> {
  try {
    const st = await fs.promises.stat(dir);
    if (!st.isDirectory()) return false;
    return (await fs.promises.readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function ioError(what: string, e: unknown): AppError {
  if (e instanceof AppError) return e;
  return new AppError('io', `${what}: ${(e as Error).message}`);
}

/** Exports the project; see the file comment. Throws AppError ('invalid-argument', 'already-exists', 'cancelled', 'io'). */
export async function exportDataset(store: DatasetSource, options: ExportOptions, run: ExportRunOptions = {}): Promise<ExportReport> {
  const t0 = performance.now();
  checkOptions(options);
  const outDir = path.resolve(options.outDir);
  cleanStaleExportPartials(outDir); // .<out>.partial-<pid>-<ts> folders of killed exports
  const existing = await isEmptyDir(outDir).catch((e: unknown) => {
    throw ioError(`Cannot look at ${outDir}`, e);
  });
  if (existing === false && !options.overwrite) {
    throw new AppError('already-exists', `${outDir} already exists and is not an empty folder; choose another folder or allow overwriting.`);
  }
  const categories = buildCategories(store.classes.list(), options.classIds, options.classRemap);
  const catOfClass = new Map<number, number>();
  for (const c of categories) for (const id of c.classIds) catOfClass.set(id, c.id);
  const projectClassIds = new Set(store.classes.list().map((c) => c.id));
  const maxCat = categories.length;
  if (options.format === 'voc' && maxCat > 254) invalid(`Pascal VOC masks hold at most 254 classes; this export has ${maxCat}. Export fewer classes or merge some.`);
  if (options.format === 'index-masks' && options.indexBitDepth === 8 && maxCat > 255) {
    invalid(`8-bit index masks hold at most 255 classes; this export has ${maxCat}. Use 16-bit.`);
  }

  // Which images, in which split, under which name.
  const source: ExportSource = options.source ?? 'masks';
  const annotated = new Set(source === 'predictions' ? store.predictions.imageIds() : store.annotations.annotatedImageIds());
  const statuses = options.statuses ? new Set<ImageStatus>(options.statuses) : null;
  const rows = listImages(store).filter((r) => (!statuses || statuses.has(r.status)) && (options.includeUnannotated || annotated.has(r.id)));
  const splitOf = options.split ? assignSplits(rows.map((r) => r.id), options.split) : null;
  const issues = new IssueList();
  const usedStems = new Set<string>();
  const names = new Map<number, string>();
  for (const r of rows) {
    const stem = stemOf(r.fileName);
    let s = stem;
    if (usedStems.has(s.toLowerCase())) {
      s = `${stem}_${r.id}`;
      for (let k = 2; usedStems.has(s.toLowerCase()); k++) s = `${stem}_${r.id}_${k}`;
      issues.add('duplicate-id', 'repaired', r.path, null, `another exported image is also named "${stem}": exported as "${s}"`);
    }
    usedStems.add(s.toLowerCase());
    names.set(r.id, s);
  }
  const splits = splitOf ? SPLIT_NAMES.filter((s) => options.split![s] !== undefined && options.split![s]! > 0) : null;

  const tmp = path.join(path.dirname(outDir), `.${path.basename(outDir)}.partial-${process.pid}-${Date.now().toString(36)}`);
  try {
    await fs.promises.mkdir(tmp, { recursive: true });
  } catch (e) {
    throw ioError(`Cannot create a folder next to ${outDir}`, e);
  }
  const sink = new ExportSink(tmp);
  const readImage = async (row: ImageRow): Promise<Buffer> => {
    const file = resolveImageFile(store.dir, row);
    const data = await fs.promises.readFile(file);
    if (createHash('sha256').update(data).digest('hex') !== row.hash) throw contentMismatch(`The image file "${row.fileName}"`, file);
    return data;
  };
  const ctx: WriterContext = { sink, categories, splits, issues, outDir, images: options.images ?? 'copy', readImage };
  const report: ExportReport = {
    format: options.format,
    outDir,
    images: 0,
    instances: 0,
    splits: {},
    categories: categories.map((c) => ({ id: c.id, name: c.name, classIds: c.classIds, instances: 0 })),
    skippedImages: 0,
    files: 0,
    bytesWritten: 0,
    durationMs: 0,
    issues: issues.items,
    issueCounts: issues.counts,
    source,
  };
  // predictions: the latest proposal of each exported image and the version that made it
  type ExportedPrediction = { imageId: number; file: string; predictionId: number; modelVersionId: number | null; state: string; createdAt: string };
  const exportedPredictions: ExportedPrediction[] = [];
  const maskOf = (row: ImageRow): { labelMap: Uint8Array | null; prediction?: ExportedPrediction } => {
    if (source === 'masks') return { labelMap: store.annotations.get(row.id)?.labelMap ?? null };
    const p = store.predictions.latest(row.id);
    if (!p) return { labelMap: null };
    return { labelMap: p.labelMap, prediction: { imageId: row.id, file: row.fileName, predictionId: p.id, modelVersionId: p.modelVersionId, state: p.state, createdAt: p.createdAt } };
  };
  for (const s of splits ?? [null]) report.splits[splitKey(s)] = { images: 0, instances: 0 };
  const mode = options.images ?? 'copy';
  const signal = run.signal;
  try {
    const writer = createWriter(options, ctx);
    let done = 0;
    run.onProgress?.({ done, total: rows.length, current: null });
    let notedNonJpeg = false;
    for (const row of rows) {
      if (signal?.aborted) throw new AppError('cancelled', 'The export was cancelled; nothing was written.');
      const split = splitOf?.get(row.id) ?? null;
      const stored = maskOf(row);
      const item = prepareItem(row, stored.labelMap, split, names.get(row.id)!, catOfClass, projectClassIds, issues);
      if (!item) {
        report.skippedImages++;
      } else {
        let placed = true;
        if (mode !== 'none') {
          const convert = writer.wantsJpeg === true && row.format !== 'jpeg' && mode === 'copy';
          // VOC loaders open JPEGImages/<id>.jpg exactly (torchvision): converted copies and JPEGs named .jpeg/.JPG get that name
          if (convert || (writer.wantsJpeg === true && row.format === 'jpeg' && !item.fileName.endsWith('.jpg'))) item.fileName = `${item.stem}.jpg`;
          else if (writer.wantsJpeg && row.format !== 'jpeg' && !notedNonJpeg) {
            notedNonJpeg = true;
            issues.add('encoding', 'noted', row.path, null, 'linked images keep their format; loaders that expect JPEGImages/<id>.jpg will not find non-JPEG images');
          }
          placed = await placeImage(store.dir, row, sink, writer.imagePath(item), mode, convert, issues);
        }
        if (!placed) {
          report.skippedImages++;
        } else {
          await writer.write(item);
          if (stored.prediction) exportedPredictions.push(stored.prediction);
          report.images++;
          report.instances += item.instances.length;
          const sk = report.splits[splitKey(split)]!;
          sk.images++;
          sk.instances += item.instances.length;
          for (const inst of item.instances) report.categories[inst.categoryId - 1]!.instances++;
        }
      }
      if (options.strict && (issues.counts.byAction.skipped ?? 0) > 0) {
        const first = issues.items.find((i) => i.action === 'skipped');
        throw new AppError('corrupt-data', `--strict: ${first ? `${first.file}${first.entry ? ` [${first.entry}]` : ''}: ${first.message}` : 'an item would be left out'}; nothing was written.`);
      }
      done++;
      run.onProgress?.({ done, total: rows.length, current: row.fileName });
    }
    if (signal?.aborted) throw new AppError('cancelled', 'The export was cancelled; nothing was written.');
    if (source === 'predictions') {
      report.modelVersions = exportedVersions(store, exportedPredictions);
      ctx.description = `Maskwright model proposals (not human masks) from ${report.modelVersions.map((v) => (v.id === null ? 'a deleted model version' : `model version ${v.id} "${v.name}"`)).join(', ') || 'no model'}`;
      await sink.write(
        EXPORT_META_FILE,
        JSON.stringify({ source, description: ctx.description, format: options.format, exportedAt: new Date().toISOString(), modelVersions: report.modelVersions, images: exportedPredictions }, null, 2),
      );
    }
    await writer.finish();
    if (writer.stats) report.coco = { ...writer.stats };
    // Swap into place.
    if (existing === null) {
      await fs.promises.rename(tmp, outDir);
    } else if (existing === true) {
      await fs.promises.rmdir(outDir);
      await fs.promises.rename(tmp, outDir);
    } else {
      const old = `${tmp}-old`;
      await fs.promises.rename(outDir, old);
      try {
        await fs.promises.rename(tmp, outDir);
      } catch (e) {
        await fs.promises.rename(old, outDir).catch(() => undefined);
        throw e;
      }
      await fs.promises.rm(old, { recursive: true, force: true });
    }
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw ioError(`The export to ${outDir} failed; nothing was written`, e);
  }
  report.files = sink.files;
  report.bytesWritten = sink.bytes;
  report.durationMs = performance.now() - t0;
  return report;
}

/** Loads and filters one image's mask; null (with an issue) when it cannot be exported. */
function prepareItem(
  row: ImageRow,
  storedMask: Uint8Array | null,
  split: SplitName | null,
  stem: string,
  catOfClass: Map<number, number>,
  projectClassIds: Set<number>,
  issues: IssueList,
): ExportItem | null {
  const ext = path.extname(row.fileName) || `.${row.format === 'jpeg' ? 'jpg' : row.format}`;
  const base: ExportItem = {
    row,
    split,
    stem,
    fileName: stem + ext,
    width: row.width,
    height: row.height,
    ids: new Uint32Array(0),
    instances: [],
  };
  if (!storedMask) return { ...base, ids: new Uint32Array(row.width * row.height) };
  let map: LabelMap;
  try {
    map = LabelMap.decode(storedMask);
  } catch (e) {
    issues.add('unreadable', 'skipped', row.path, 'stored mask', `the stored mask is damaged (${(e as Error).message}); the image is left out`);
    return null;
  }
  if (map.width !== row.width || map.height !== row.height) {
    issues.add('size-mismatch', 'skipped', row.path, 'stored mask', `the mask is ${map.width}x${map.height} but the image is ${row.width}x${row.height}; the image is left out`);
    return null;
  }
  const stats = map.stats();
  const instances: ExportInstance[] = [];
  const drop: number[] = [];
  for (const [id, s] of stats) {
    const inst = map.getInstance(id);
    if (!inst) {
      issues.add('unknown-category', 'skipped', row.path, `instance ${id}`, `${s.area} pixels carry id ${id}, which has no row in the instance table (no class); left out`);
      drop.push(id);
      continue;
    }
    const cat = catOfClass.get(inst.classId);
    if (cat === undefined) {
      if (!projectClassIds.has(inst.classId)) {
        issues.add('unknown-category', 'skipped', row.path, `instance ${id}`, `class id ${inst.classId} does not exist in this project; left out`);
      }
      drop.push(id);
      continue;
    }
    instances.push({ id, categoryId: cat, area: s.area, bbox: s.bbox });
  }
  for (const inst of map.instances()) {
    if (!stats.has(inst.id)) issues.add('empty-mask', 'skipped', row.path, `instance ${inst.id}`, 'the instance has no pixels; left out');
  }
  let ids = map.ids;
  if (drop.length) {
    const d = new Set(drop);
    ids = ids.slice();
    for (let i = 0; i < ids.length; i++) if (ids[i] !== 0 && d.has(ids[i]!)) ids[i] = 0;
  }
  return { ...base, ids, instances };
}

/** The model versions of the exported proposals, with their names and image counts, by id. */
function exportedVersions(store: DatasetSource, preds: readonly { modelVersionId: number | null }[]): ExportedVersion[] {
  const counts = new Map<number | null, number>();
  for (const p of preds) counts.set(p.modelVersionId, (counts.get(p.modelVersionId) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))
    .map(([id, images]) => {
      let name: string | null = null;
      if (id !== null) {
        try {
          name = store.models.getVersion(id).name;
        } catch {
          name = null; // deleted meanwhile
        }
      }
      return { id, name, images };
    });
}

/** Copies, links or converts the image file into the export; false (with an issue) when it is missing or refused. */
async function placeImage(projectDir: string, row: ImageRow, sink: ExportSink, rel: string, mode: 'copy' | 'link', convert: boolean, issues: IssueList): Promise<boolean> {
  // containment (core/store/project-paths) and the content hash recorded at import: a row pointing
  // outside the project, or at another file, is left out instead of being copied into the dataset
  let src: string;
  try {
    src = resolveImageFile(projectDir, row);
    await fs.promises.access(src, fs.constants.R_OK);
  } catch (e) {
    const refused = e instanceof AppError && e.code === 'forbidden';
    issues.add('missing-image', 'skipped', row.path, null, refused ? `${e.message} The image and its annotations are left out.` : `the image file "${row.fileName}" is missing on disk (or unreadable); the image and its annotations are left out`);
    return false;
  }
  const dest = sink.abs(rel);
  await sink.ensureDir(path.dirname(rel));
  if (convert || mode === 'link') {
    if ((await sha256File(src)) !== row.hash) {
      issues.add('missing-image', 'skipped', row.path, null, `${contentMismatch(`The image file "${row.fileName}"`, src).message} The image and its annotations are left out.`);
      return false;
    }
  }
  if (convert) {
    try {
      const jpg = await renderThumbnail(src, { format: 'jpeg', sizePx: Math.max(row.width, row.height), quality: 95 });
      await sink.write(rel, jpg.data);
      return true;
    } catch (e) {
      issues.add('missing-image', 'skipped', row.path, null, `cannot convert the image to JPEG (${(e as Error).message}); the image is left out`);
      return false;
    }
  }
  if (mode === 'link') {
    try {
      await fs.promises.symlink(src, dest);
      sink.files++;
      return true;
    } catch (e) {
      issues.add('encoding', 'noted', row.path, null, `cannot create a link (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); copied instead`);
    }
  }
  // copy and hash in one pass; a file whose bytes differ from the recorded hash is taken out again
  const hash = await copyHashing(src, dest);
  if (hash !== row.hash) {
    await fs.promises.rm(dest, { force: true });
    issues.add('missing-image', 'skipped', row.path, null, `${contentMismatch(`The image file "${row.fileName}"`, src).message} The image and its annotations are left out.`);
    return false;
  }
  sink.files++;
  sink.bytes += (await fs.promises.stat(dest)).size;
  return true;
}

async function copyHashing(src: string, dest: string): Promise<string> {
  const h = createHash('sha256');
  const input = fs.createReadStream(src);
  input.on('data', (c) => h.update(c as Buffer));
  await pipeline(input, fs.createWriteStream(dest));
  return h.digest('hex');
}
