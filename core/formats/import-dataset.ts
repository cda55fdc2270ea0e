/**
 * Importing annotations into a project, in two steps:
 *
 * 1. `planImport` reads the dataset and works out everything without writing anything (a dry
 *    run): which project images the dataset's images match (by file name), how many instances per
 *    class, which classes will be created, every problem found (with file, entry, and whether it
 *    was skipped or repaired), and the masks themselves.
 * 2. `applyImport` writes a plan in ONE database transaction: the classes to create, and every
 *    matched image's mask (with an 'import' revision). Any failure rolls everything back.
 *
 * Existing masks of matched images are replaced (default) or merged: with 'merge' the imported
 * instances are added on top of the current mask under new ids (imported pixels win where they
 * overlap; existing instances left without pixels are dropped).
 */
import { AppError } from '../api/errors';
import type { DatasetImportResult } from '../api/types';
import { LabelMap } from '../mask/label-map';
import { readCoco } from './coco';
import { ImportContext, type ClassMapping, type PlannedClass, type PlannedImage, type UnmatchedImage } from './import-context';
import { readLabelme } from './labelme';
import { readMaskFolder, type MaskValueReport } from './mask-folder';
import { formatIssue, type IssueCounts, type ValidationIssue } from './validation-report';
import { readVoc } from './voc';
import { readYoloSeg } from './yolo-seg';
import type { DatasetSource, DatasetSink } from './project-access';

export type ImportFormat = 'coco' | 'voc' | 'yolo-seg' | 'labelme' | 'mask-folder';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['coco', 'voc', 'yolo-seg', 'labelme', 'mask-folder'];

export interface ImportRequest {
  format: ImportFormat;
  /**
   * coco: the JSON file; voc: the VOC root (with SegmentationClass/); yolo-seg: the root with
   * data.yaml and labels/; labelme: a folder of JSON files or one file; mask-folder: the root with
   * semantic_masks/ (or a folder of class-map PNGs)
   */
  path: string;
  /** mask-folder: folder of instance-id PNGs (default: <path>/instance_labels when present) */
  instancePath?: string;
  /** mask-folder: colour PNGs, '#rrggbb' -> class name */
  colorMap?: Record<string, string>;
  /** mask-folder: class value -> name (default: classes.txt, else "class <value>") */
  classNames?: Record<number, string>;
  /** mask-folder: class-map value -> class name (see MaskFolderSource.valueMap) */
  valueMap?: Record<number, string>;
  /** mask-folder: a value left unlabelled (neither background nor a class) */
  ignoreValue?: number;
  /** dataset class name -> project class name / project class id / null (leave out). Default: same name (created if missing). */
  classMapping?: ClassMapping;
  /** what happens to masks that matched images already have (default 'replace') */
  existingMasks?: 'replace' | 'merge';
}

export interface ImportPlan {
  projectId: string;
  format: ImportFormat;
  path: string;
  existingMasks: 'replace' | 'merge';
  /** false when a fatal problem means nothing can be imported (see issues) */
  ok: boolean;
  classes: PlannedClass[];
  images: PlannedImage[];
  unmatched: UnmatchedImage[];
  issues: ValidationIssue[];
  issueCounts: IssueCounts;
  /**
   * What the import does to masks images already have (replace mode; each also an issue with code
   * 'mask-loss'): emptied, shrunk (fewer instances or pixels), replaced by a partial mask (entries
   * for the image were skipped), and how many of these have instances drawn by people (applying
   * then needs `replaceHumanMasks`).
   */
  maskChanges: { emptied: number; shrunk: number; partial: number; humanMasks: number };
  /** mask-folder with a value map or ignore value: each mask value, where it went, its pixels */
  values?: MaskValueReport[];
  totals: {
    /** images the dataset describes */
    datasetImages: number;
    matchedImages: number;
    unmatchedImages: number;
    instances: number;
    /** matched images that already have a mask */
    existingMasks: number;
    /** classes that will be created */
    newClasses: number;
  };
}

/** what an applied import did (the API's DatasetImportResult) */
export type ImportResult = DatasetImportResult;

export interface ApplyImportOptions {
  /** refuse (and write nothing) when the plan skipped anything (any issue with action 'skipped') */
  strict?: boolean;
  /** in replace mode, allow replacing masks that hold instances drawn by people (refused otherwise) */
  replaceHumanMasks?: boolean;
}

/** Reads the dataset and plans the import without writing anything. Throws only for invalid arguments. */
export async function planImport(store: DatasetSource, req: ImportRequest): Promise<ImportPlan> {
  if (!IMPORT_FORMATS.includes(req.format)) {
    throw new AppError('invalid-argument', `Unknown import format "${String(req.format)}"; use one of ${IMPORT_FORMATS.join(', ')}.`);
  }
  if (typeof req.path !== 'string' || req.path.trim() === '') throw new AppError('invalid-argument', 'Choose the dataset file or folder to import.');
  const existingMasks = req.existingMasks ?? 'replace';
  if (existingMasks !== 'replace' && existingMasks !== 'merge') {
    throw new AppError('invalid-argument', `existingMasks must be 'replace' or 'merge', got ${String(existingMasks)}.`);
  }
  const ctx = new ImportContext(store, req.classMapping ?? {});
  let values: MaskValueReport[] | null = null;
  switch (req.format) {
    case 'coco':
      await readCoco(ctx, req.path);
      break;
    case 'voc':
      await readVoc(ctx, req.path);
      break;
    case 'yolo-seg':
      await readYoloSeg(ctx, req.path);
      break;
    case 'labelme':
      await readLabelme(ctx, req.path);
      break;
    case 'mask-folder':
      values = await readMaskFolder(ctx, {
        path: req.path,
        instancePath: req.instancePath,
        colorMap: req.colorMap,
        classNames: req.classNames,
        ...(req.valueMap ? { valueMap: req.valueMap } : {}),
        ...(req.ignoreValue !== undefined ? { ignoreValue: req.ignoreValue } : {}),
      });
      break;
  }
  const ok = !ctx.issues.hasFatal;
  const images = ok ? ctx.items : [];
  const maskChanges = { emptied: 0, shrunk: 0, partial: 0, humanMasks: 0 };
  if (existingMasks === 'replace') {
    for (const img of images) {
      const ex = img.existing;
      if (!ex || ex.instances === 0) continue;
      const was = `${ex.instances} instance${ex.instances === 1 ? '' : 's'}, ${ex.pixels} px${ex.humanInstances ? `, ${ex.humanInstances} drawn by people` : ''}`;
      let what: string | null = null;
      if (img.instances === 0) {
        maskChanges.emptied++;
        what = `its mask (${was}) would be EMPTIED: the dataset has no annotation for it`;
      } else if (img.skippedEntries > 0) {
        maskChanges.partial++;
        what = `its mask (${was}) would be replaced by a PARTIAL one: ${img.skippedEntries} of its entries ${img.skippedEntries === 1 ? 'was' : 'were'} skipped, ${img.instances} instance${img.instances === 1 ? '' : 's'} (${img.pixels} px) remain`;
      } else if (img.instances < ex.instances || img.pixels < ex.pixels) {
        maskChanges.shrunk++;
        what = `its mask would SHRINK from ${was} to ${img.instances} instance${img.instances === 1 ? '' : 's'}, ${img.pixels} px`;
      }
      if (ex.humanInstances > 0) maskChanges.humanMasks++;
      if (what || ex.humanInstances > 0) {
        const consent = ex.humanInstances > 0 ? '; replacing a mask drawn by people needs replaceHumanMasks (CLI --replace-human), or merge instead' : '';
        ctx.issues.add('mask-loss', 'noted', img.source, img.fileName, `${what ?? `its mask (${was}) would be replaced`}${consent}`);
      }
    }
  }
  return {
    projectId: store.id,
    format: req.format,
    path: req.path,
    existingMasks,
    ok,
    classes: ctx.classes,
    images,
    unmatched: ctx.unmatched,
    issues: ctx.issues.items,
    issueCounts: ctx.issues.counts,
    maskChanges,
    ...(values ? { values } : {}),
    totals: {
      datasetImages: ctx.datasetImages,
      matchedImages: images.length,
      unmatchedImages: ctx.unmatched.length,
      instances: images.reduce((s, i) => s + i.instances, 0),
      existingMasks: images.filter((i) => i.hasExistingMask).length,
      newClasses: new Set(ctx.classes.filter((c) => c.targetName !== null && c.projectClassId === null && c.instances > 0).map((c) => c.targetName)).size,
    },
  };
}

/**
 * Writes a plan in one transaction (all of it, or nothing). Throws AppError: 'corrupt-data' for a
 * plan with fatal problems (or, with `strict`, any skipped entry), 'conflict' when the plan is for
 * another project or an image changed or vanished since planning.
 */
export function applyImport(store: DatasetSink, plan: ImportPlan, options: ApplyImportOptions = {}): ImportResult {
  const t0 = performance.now();
  if (plan.projectId !== store.id) throw new AppError('conflict', 'This import plan was made for another project.');
  if (!plan.ok) {
    const first = plan.issues.find((i) => i.action === 'fatal');
    throw new AppError('corrupt-data', `Nothing was imported: ${first ? formatIssue(first) : 'the dataset cannot be read'}`, { issues: plan.issues.slice(0, 20) });
  }
  if (options.strict && (plan.issueCounts.byAction.skipped ?? 0) > 0) {
    const first = plan.issues.find((i) => i.action === 'skipped');
    throw new AppError(
      'corrupt-data',
      `Nothing was imported: ${plan.issueCounts.byAction.skipped} entr${plan.issueCounts.byAction.skipped === 1 ? 'y was' : 'ies were'} skipped, e.g. ${first ? formatIssue(first) : ''}`,
      { issues: plan.issues.slice(0, 20) },
    );
  }
  if (plan.existingMasks === 'replace' && plan.maskChanges.humanMasks > 0 && !options.replaceHumanMasks) {
    const first = plan.images.find((i) => i.existing && i.existing.humanInstances > 0 && i.existing.instances > 0);
    throw new AppError(
      'conflict',
      `Nothing was imported: ${plan.maskChanges.humanMasks} image${plan.maskChanges.humanMasks === 1 ? ' has a mask' : 's have masks'} drawn by people${first ? ` (e.g. "${first.fileName}")` : ''} that the import would replace. Confirm replacing them (CLI --replace-human), or merge instead.`,
      { issues: plan.issues.filter((i) => i.code === 'mask-loss').slice(0, 20) },
    );
  }
  const result: ImportResult = { images: 0, instances: 0, classesCreated: [], replacedMasks: 0, mergedMasks: 0, durationMs: 0 };
  const reason = `import:${plan.format}`;
  store.transaction(() => {
    // Resolve every planned class to a project class id (creating missing ones, once per name).
    const existing = store.classes.list();
    const classIdOfSlot = new Map<number, number>();
    plan.classes.forEach((c, k) => {
      const slot = k + 1;
      if (c.targetName === null || c.instances === 0) return;
      let id = c.projectClassId;
      if (id !== null && !existing.some((e) => e.id === id)) {
        throw new AppError('conflict', `Class "${c.targetName}" was removed from the project after the import was planned; plan it again.`);
      }
      if (id === null) {
        const found = existing.find((e) => e.name === c.targetName) ?? existing.find((e) => e.name.toLowerCase() === c.targetName!.toLowerCase());
        if (found) id = found.id;
        else {
          const created = store.classes.create(c.targetName, c.color ?? undefined);
          existing.push(created);
          result.classesCreated.push(created.name);
          id = created.id;
        }
      }
      classIdOfSlot.set(slot, id);
    });
    for (const img of plan.images) {
      const row = store.images.get(img.imageId);
      if (!row || row.width !== img.width || row.height !== img.height) {
        throw new AppError('conflict', `Image "${img.fileName}" was removed or changed after the import was planned; plan it again.`);
      }
      const planned = LabelMap.decode(img.labelMap);
      for (const inst of planned.instances()) planned.updateInstance(inst.id, { classId: classIdOfSlot.get(inst.classId)! });
      let out = planned;
      const current = store.annotations.get(img.imageId);
      if (current && plan.existingMasks === 'merge') {
        out = mergeOnTop(LabelMap.decode(current.labelMap), planned);
        result.mergedMasks++;
      } else if (current) {
        result.replacedMasks++;
      }
      store.annotations.save(img.imageId, out.encode(), { revision: { source: 'import', reason } });
      result.images++;
      result.instances += planned.instanceCount;
    }
  });
  result.durationMs = performance.now() - t0;
  return result;
}

/** `top`'s instances added to `base` under fresh ids, drawn over it; base instances left without pixels are dropped. */
function mergeOnTop(base: LabelMap, top: LabelMap): LabelMap {
  const out = base.clone();
  let next = out.nextFreeId();
  const idOf = new Map<number, number>();
  for (const inst of top.instances()) {
    idOf.set(inst.id, next);
    out.setInstance({ ...inst, id: next });
    next++;
  }
  const ids = out.ids;
  const t = top.ids;
  for (let i = 0; i < ids.length; i++) if (t[i] !== 0) ids[i] = idOf.get(t[i]!)!;
  const present = new Set(out.pixelIds());
  for (const inst of base.instances()) if (!present.has(inst.id)) out.removeInstance(inst.id, false);
  return out;
}
