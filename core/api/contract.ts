/**
 * The one contract between the UI and the app. Each service is declared once:
 * method name -> argument schema (a zod tuple, validated at every transport
 * boundary) and result type. Electron binds it to ipcMain.handle, browser mode
 * to HTTP; the renderer gets the same typed client either way.
 */
import { z } from 'zod';
import type {
  DirectoryListing,
  AppInfo,
  AutoTrainSettings,
  ComputeInfo,
  DatasetExportReport,
  DatasetImportPlan,
  DatasetImportResult,
  ImageListPage,
  ImageRow,
  MaskPreview,
  ImportReport,
  LabelClass,
  LiveStatusInfo,
  MaskState,
  ModelVersionInfo,
  PredictionInfo,
  RunningJobInfo,
  RefineResultInfo,
  SavingsReport,
  TrainingMetricPoint,
  TrainingStatus,
  TrainingRunInfo,
  ProjectInfo,
  RecentProject,
} from './types';
import { EXPORT_FORMAT_NAMES, IMAGE_STATUSES, IMPORT_FORMAT_NAMES } from './types';

interface MethodSpec<A extends z.ZodTuple, R> {
  readonly args: A;
  /** phantom: carries the result type only */
  readonly result?: R;
}
function method<R>() {
  return <A extends z.ZodTuple>(args: A): MethodSpec<A, R> => ({ args });
}

const MAX_PATH = 4096;
const absPath = z
  .string()
  .min(1, 'a path is required')
  .max(MAX_PATH)
  .refine((p) => !p.includes('\0'), 'path contains a NUL byte')
  .refine((p) => /^\//.test(p) || /^[A-Za-z]:[\\/]/.test(p) || /^\\\\[^\\]/.test(p), 'the path must be absolute (a relative path would depend on the working folder of the app)');
const projectId = z.string().regex(/^[0-9a-f-]{36}$/, 'not a project id');
const imageId = z.number().int().positive();
const status = z.enum(IMAGE_STATUSES);
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour must be #rrggbb');
const className = z.string().trim().min(1).max(100);
/** binary payloads (Electron clones Uint8Array; HTTP carries it as base64, core/api/wire.ts) */
const bytes = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected binary data (Uint8Array)')
  .refine((b) => b.byteLength <= 512 * 1024 * 1024, 'payload larger than 512 MiB');

export const contract = {
  app: {
    info: method<AppInfo>()(z.tuple([])),
    /** native folder picker (Electron only; browser mode answers not-available) */
    /** the model's compute backend (selected once, lazily: loading TensorFlow.js takes a moment) */
    compute: method<ComputeInfo>()(z.tuple([])),
    pickDirectory: method<string | null>()(z.tuple([z.object({ title: z.string().max(200).optional() }).strict()])),
    /** browser mode's folder/file browser: one folder (home when no path), only under the places it may show */
    listDirectory: method<DirectoryListing>()(
      z.tuple([
        z
          .object({
            path: absPath.optional(),
            showHidden: z.boolean().optional(),
            files: z.boolean().optional(),
            extensions: z.array(z.string().regex(/^[a-z0-9]{1,10}$/)).max(32).optional(),
          })
          .strict(),
      ]),
    ),
  },
  projects: {
    listRecent: method<RecentProject[]>()(z.tuple([])),
    create: method<ProjectInfo>()(
      z.tuple([
        z
          .object({
            dir: absPath,
            name: z.string().trim().min(1).max(200),
            classes: z.array(z.object({ name: className, color: color.optional() }).strict()).max(255).optional(),
          })
          .strict(),
      ]),
    ),
    open: method<ProjectInfo>()(z.tuple([z.object({ dir: absPath }).strict()])),
    get: method<ProjectInfo>()(z.tuple([projectId])),
    close: method<void>()(z.tuple([projectId])),
    forgetRecent: method<void>()(z.tuple([absPath])),
  },
  classes: {
    list: method<LabelClass[]>()(z.tuple([projectId])),
    create: method<LabelClass>()(z.tuple([projectId, z.object({ name: className, color: color.optional() }).strict()])),
    update: method<LabelClass>()(
      z.tuple([
        projectId,
        z.number().int().positive(),
        z.object({ name: className.optional(), color: color.optional(), hidden: z.boolean().optional(), locked: z.boolean().optional() }).strict(),
      ]),
    ),
    /** new display order (hotkeys 1-9 follow it); must list every class id once */
    reorder: method<LabelClass[]>()(z.tuple([projectId, z.array(z.number().int().positive()).max(65535)])),
  },
  images: {
    list: method<ImageListPage>()(
      z.tuple([
        projectId,
        z
          .object({
            status: status.nullable().optional(),
            search: z.string().max(500).optional(),
            offset: z.number().int().min(0).optional(),
            limit: z.number().int().min(1).max(5000).optional(),
            sort: z.enum(['added', 'name']).optional(),
          })
          .strict(),
      ]),
    ),
    get: method<ImageRow>()(z.tuple([projectId, imageId])),
    /** the grid's mask overlays (class tint + outline) of these images, longest side <= size px */
    maskPreviews: method<MaskPreview[]>()(z.tuple([projectId, z.array(imageId).max(400), z.number().int().min(16).max(512)])),
    setStatus: method<number>()(z.tuple([projectId, z.array(imageId).min(1).max(100_000), status])),
    /** the next unlabeled images to work on: least certain for the active model first, or sequential/random */
    queue: method<ImageRow[]>()(
      z.tuple([
        projectId,
        z
          .object({
            order: z.enum(['uncertainty', 'sequential', 'random']),
            limit: z.number().int().min(1).max(1000).optional(),
            excludeIds: z.array(imageId).max(10_000).optional(),
          })
          .strict(),
      ]),
    ),
  },
  masks: {
    /** the person's current mask of an image (null when none yet) and its persisted undo history */
    load: method<MaskState>()(z.tuple([projectId, imageId])),
    /**
     * autosave after a gesture: the whole label map (core/mask blob, validated against the image
     * size), plus the history step that produced it. `expectedVersion` guards against a second
     * window having saved meanwhile.
     */
    save: method<{ version: number }>()(
      z.tuple([
        projectId,
        imageId,
        z
          .object({
            labelMap: bytes,
            expectedVersion: z.number().int().min(0),
            addTimeMs: z.number().min(0).max(86_400_000).optional(),
            addEdits: z.number().int().min(0).max(1_000_000).optional(),
            history: z
              .discriminatedUnion('op', [
                z.object({ op: z.literal('push'), entry: bytes }).strict(),
                z.object({ op: z.literal('undo') }).strict(),
                z.object({ op: z.literal('redo') }).strict(),
              ])
              .nullable()
              .optional(),
          })
          .strict(),
      ]),
    ),
  },
  datasets: {
    /**
     * exports the project's masks as a dataset (written to a temp folder, renamed on success);
     * progress arrives as datasets.onDidProgress with the caller's jobId (for cancel)
     */
    export: method<DatasetExportReport>()(
      z.tuple([
        projectId,
        z.string().uuid(),
        z
          .object({
            format: z.enum(EXPORT_FORMAT_NAMES),
            outDir: absPath,
            overwrite: z.boolean().optional(),
            split: z.object({ train: z.number().min(0), val: z.number().min(0), test: z.number().min(0).optional(), seed: z.number().int() }).strict().optional(),
            statuses: z.array(status).max(4).optional(),
            classIds: z.array(z.number().int().positive()).max(65535).optional(),
            classRemap: z.record(z.string().regex(/^\d+$/), className).optional(),
            includeUnannotated: z.boolean().optional(),
            images: z.enum(['copy', 'link', 'none']).optional(),
            coco: z.object({ encoding: z.enum(['auto', 'polygon', 'rle']).optional() }).strict().optional(),
            voc: z.object({ layout: z.enum(['flat', 'vocdevkit']).optional() }).strict().optional(),
            indexBitDepth: z.union([z.literal(8), z.literal(16)]).optional(),
            strict: z.boolean().optional(),
            source: z.enum(['masks', 'predictions']).optional(),
          })
          .strict(),
      ]),
    ),
    cancel: method<boolean>()(z.tuple([z.string().uuid()])),
    /** dry run of an annotation import: a report of what would be written; nothing is written */
    planImport: method<DatasetImportPlan>()(
      z.tuple([
        projectId,
        z
          .object({
            format: z.enum(IMPORT_FORMAT_NAMES),
            path: absPath,
            instancePath: absPath.optional(),
            colorMap: z.record(color, className).optional(),
            classMapping: z.record(z.string().max(200), z.union([className, z.number().int().positive(), z.null()])).optional(),
            existingMasks: z.enum(['replace', 'merge']).optional(),
            valueMap: z.record(z.string().regex(/^\d{1,5}$/), className).optional(),
            ignoreValue: z.number().int().min(0).max(65535).optional(),
          })
          .strict(),
      ]),
    ),
    /** writes a planned import in one transaction (all or nothing) */
    applyImport: method<DatasetImportResult>()(z.tuple([projectId, z.string().uuid(), z.object({ strict: z.boolean().optional(), replaceHumanMasks: z.boolean().optional() }).strict()])),
  },
  models: {
    list: method<ModelVersionInfo[]>()(z.tuple([projectId])),
    /** makes a version the one that pre-labels (also how to roll back) */
    activate: method<ModelVersionInfo>()(z.tuple([projectId, z.number().int().positive()])),
    runs: method<TrainingRunInfo[]>()(z.tuple([projectId])),
    /** deletes a version (not the active one); its predictions stay, unlinked */
    remove: method<boolean>()(z.tuple([projectId, z.number().int().positive()])),
    /** writes a version to a single .mwmodel file (config, metrics, weights) to use on another machine */
    exportFile: method<{ path: string; bytes: number }>()(z.tuple([projectId, z.number().int().positive(), absPath])),
    /** adds a version from a .mwmodel file (not activated; its classes must match the project's) */
    importFile: method<ModelVersionInfo>()(z.tuple([projectId, absPath])),
    /** proposal vs final mask per image and per model version ("what the model saves you") */
    savings: method<SavingsReport>()(z.tuple([projectId])),
  },
  training: {
    /** trains in a worker on the labeled images; progress/finish arrive as training.* events */
    start: method<{ jobId: string }>()(
      z.tuple([
        projectId,
        z
          .object({
            budgetS: z.number().min(1).max(7 * 86_400).optional(),
            maxSteps: z.number().int().min(1).max(10_000_000).optional(),
            base: z.enum(['active', 'fresh']).optional(),
            interactive: z.boolean().optional(),
            name: z.string().trim().min(1).max(200).optional(),
          })
          .strict(),
      ]),
    ),
    cancel: method<boolean>()(z.tuple([z.string().uuid()])),
    /** the run in progress for a project (with its progress so far), or null */
    status: method<TrainingStatus | null>()(z.tuple([projectId])),
    /** the loss / validation curve of a stored run */
    metrics: method<TrainingMetricPoint[]>()(z.tuple([projectId, z.number().int().positive()])),
    getAuto: method<AutoTrainSettings>()(z.tuple([projectId])),
    /** automatic mode: fine-tune after every N images marked done (in the worker, while labeling goes on) */
    setAuto: method<AutoTrainSettings>()(z.tuple([projectId, z.object({ enabled: z.boolean(), everyN: z.number().int().min(1).max(10_000) }).strict()])),
  },
  predictions: {
    /** pre-labels images with the active model (a worker-free batch on the host; cancellable) */
    prelabel: method<{ jobId: string }>()(
      z.tuple([projectId, z.object({ imageIds: z.array(imageId).min(1).max(100_000).optional(), unlabeled: z.boolean().optional(), minObjectPx: z.number().int().min(0).max(1_000_000).optional() }).strict()]),
    ),
    cancel: method<boolean>()(z.tuple([z.string().uuid()])),
    /** the latest proposal for an image (kept apart from the person's mask), or null */
    latest: method<PredictionInfo | null>()(z.tuple([projectId, imageId])),
    /** records what the person did with a proposal */
    setState: method<boolean>()(z.tuple([projectId, z.number().int().positive(), z.enum(['proposed', 'accepted', 'rejected', 'partial'])])),
    /** the click-refinement model that refine() uses (the newest one), or null when none is trained yet */
    clickModel: method<ModelVersionInfo | null>()(z.tuple([projectId])),
    /**
     * refines one object from positive/negative clicks (image pixel coordinates) and its previous
     * mask; returns the object's mask cropped to its box
     */
    refine: method<RefineResultInfo>()(
      z.tuple([
        projectId,
        imageId,
        z
          .object({
            clicks: z.array(z.object({ x: z.number().finite().min(0), y: z.number().finite().min(0), positive: z.boolean() }).strict()).min(1).max(100),
            prev: z
              .object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(1), height: z.number().int().min(1), mask: bytes })
              .strict()
              .nullable()
              .optional(),
          })
          .strict(),
      ]),
    ),
  },
  live: {
    /** the live pixel classifier of a project: on/off, what it trains on */
    status: method<LiveStatusInfo>()(z.tuple([projectId])),
    /** turns Live on (loads finished masks of other images as training data) or off (saving the forest as a version unless save is false) */
    setEnabled: method<LiveStatusInfo>()(z.tuple([projectId, z.object({ enabled: z.boolean(), save: z.boolean().optional() }).strict()])),
    /**
     * a stroke ended: the image's current mask (label-map blob; its pixels are the painted
     * foreground) and, optionally, the pixels painted as background (eraser strokes while Live
     * is on; one bit per pixel, row-major, LSB first). Retrains in the live worker; the new
     * proposal arrives as live.onDidUpdate. Strokes coalesce: the latest wins.
     */
    strokeEnded: method<{ seq: number }>()(z.tuple([projectId, imageId, z.object({ labelMap: bytes, background: bytes.optional() }).strict()])),
    /** stores the current forest as a model version of kind 'live', scored on the validation images */
    save: method<ModelVersionInfo>()(z.tuple([projectId, z.object({ name: z.string().trim().min(1).max(200).optional() }).strict()])),
  },
  imports: {
    /** starts an import job; progress and the final report arrive as events */
    start: method<{ jobId: string }>()(
      z.tuple([
        projectId,
        z
          .object({
            paths: z.array(absPath).min(1).max(100_000),
            recursive: z.boolean().optional(),
            mode: z.enum(['reference', 'copy']).optional(),
            maxPixels: z.number().int().positive().optional(),
          })
          .strict(),
      ]),
    ),
    /**
     * browser mode's drag and drop: image files sent by the page are staged in the project
     * (.uploads/<uploadId>/, relative names kept); imports.start with that folder copies them
     * into images/ with the usual report, and the staging folder is removed when the job ends
     */
    upload: method<{ uploadId: string; dir: string; files: number }>()(
      z.tuple([
        projectId,
        z
          .object({
            uploadId: z.string().uuid().optional(),
            files: z
              .array(
                z
                  .object({
                    name: z
                      .string()
                      .min(1)
                      .max(1024)
                      .refine((n) => !n.includes('\0') && !n.includes('\\') && !n.includes(':') && n.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..' && seg.length <= 255), 'a relative file name (no .., no empty segments)'),
                    bytes,
                  })
                  .strict(),
              )
              .min(1)
              .max(10_000),
          })
          .strict(),
      ]),
    ),
    cancel: method<boolean>()(z.tuple([z.string().uuid()])),
    /** the report of a finished job, or null while it runs */
    report: method<ImportReport | null>()(z.tuple([z.string().uuid()])),
  },
  jobs: {
    /** the import, export, pre-label and training jobs of a project running now (adopt after a reload) */
    list: method<RunningJobInfo[]>()(z.tuple([projectId])),
  },
} as const;

export type Contract = typeof contract;
export type ServiceName = keyof Contract;
export type MethodName<S extends ServiceName> = keyof Contract[S] & string;

type ArgsOf<M> = M extends MethodSpec<infer A, unknown> ? z.input<A> : never;
type ResultOf<M> = M extends MethodSpec<z.ZodTuple, infer R> ? R : never;

/** What a service implementation provides (arguments already validated). */
export type ServiceImpl = {
  [S in ServiceName]: {
    [M in keyof Contract[S]]: (...args: ArgsOf<Contract[S][M]>) => Promise<ResultOf<Contract[S][M]>> | ResultOf<Contract[S][M]>;
  };
};

/** What the renderer calls: every method is async, whatever the transport. */
export type ServiceClient = {
  [S in ServiceName]: {
    [M in keyof Contract[S]]: (...args: ArgsOf<Contract[S][M]>) => Promise<ResultOf<Contract[S][M]>>;
  };
};

/** `service.method`, the channel name used on every transport. */
export function channelOf(service: string, method: string): string {
  return `${service}.${method}`;
}

export function allChannels(): string[] {
  const out: string[] = [];
  for (const [s, methods] of Object.entries(contract)) for (const m of Object.keys(methods)) out.push(channelOf(s, m));
  return out;
}
