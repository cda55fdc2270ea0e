/** Plain data shapes that cross the process boundary (JSON-serialisable). */

export const IMAGE_STATUSES = ['unlabeled', 'in_progress', 'done', 'reviewed'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export type StorageMode = 'reference' | 'copy';

export interface LabelClass {
  id: number;
  name: string;
  /** #rrggbb */
  color: string;
  /** value written in semantic masks; 0 is background and never a class */
  index: number;
  hidden: boolean;
  locked: boolean;
}

export interface ProjectInfo {
  id: string;
  name: string;
  dir: string;
  createdAt: string;
  imageCount: number;
  statusCounts: Record<ImageStatus, number>;
  classes: LabelClass[];
}

export interface RecentProject {
  id: string;
  name: string;
  dir: string;
  lastOpenedAt: string;
  /** false when the folder or its database has gone missing since */
  exists: boolean;
}

export interface ImageRow {
  id: number;
  fileName: string;
  /** absolute path of the pixels on disk (inside the project when copied) */
  path: string;
  storage: StorageMode;
  hash: string;
  sizeBytes: number;
  format: string;
  width: number;
  height: number;
  bitDepth: number;
  channels: number;
  status: ImageStatus;
  addedAt: string;
  /** images.list only: the person's mask version (null: no mask yet) */
  maskVersion?: number | null;
  /** images.list only: the latest model proposal and its state ('proposed' = pending review) */
  proposal?: { modelVersionId: number | null; state: 'proposed' | 'accepted' | 'rejected' | 'partial' } | null;
}

/** pre-label: proposed objects smaller than this many pixels are dropped as speckles (adjustable per run) */
export const DEFAULT_MIN_OBJECT_PX = 24;

/** a small RGBA overlay of an image's mask (class tint and outlines) for the grid */
export interface MaskPreview {
  imageId: number;
  maskVersion: number;
  /** data:image/png;base64,… the image's aspect ratio, longest side <= the size asked for; null: empty mask */
  dataUrl: string | null;
}

export interface ImageListQuery {
  status?: ImageStatus | null;
  /** case-insensitive substring of the file name */
  search?: string;
  offset?: number;
  limit?: number;
  sort?: 'added' | 'name';
}

export interface ImageListPage {
  total: number;
  offset: number;
  items: ImageRow[];
}

export const SKIP_REASONS = [
  'duplicate',
  'unsupported',
  'corrupt',
  'truncated',
  'empty',
  'too-large',
  'unreadable',
  'not-found',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface ImportSkip {
  path: string;
  reason: SkipReason;
  message: string;
}

export interface ImportOptions {
  /** files and/or folders */
  paths: string[];
  recursive?: boolean;
  mode?: StorageMode;
  /** images with more pixels than this are skipped (default 400 megapixels) */
  maxPixels?: number;
}

export interface ImportReport {
  jobId: string;
  projectId: string;
  imported: number;
  /** files seen, including skipped ones */
  scanned: number;
  skipped: ImportSkip[];
  cancelled: boolean;
  durationMs: number;
}

export interface ImportProgress {
  jobId: string;
  projectId: string;
  done: number;
  total: number;
  imported: number;
  skipped: number;
  currentPath: string | null;
}

export interface AppInfo {
  version: string;
  mode: 'electron' | 'browser' | 'cli';
  platform: string;
  dataDir: string;
  /** whether app.pickDirectory can open a native folder dialog */
  canPickDirectory: boolean;
  /** browser mode: app.listDirectory serves the in-page folder/file browser (Electron: native dialogs) */
  canBrowseFiles?: boolean;
}

/** app.listDirectory: one folder as the in-page file browser shows it */
export interface DirectoryListing {
  /** the folder listed (absolute, symlinks resolved) */
  path: string;
  /** its parent when that is still inside a place the browser may show; null at a place's top */
  parent: string | null;
  /** folders first, then files (when asked for), in natural order */
  entries: DirectoryEntry[];
  /** entries left out because they are hidden (dot files) and showHidden was off */
  hiddenCount: number;
  /** more entries than a listing carries (MAX_LISTING) */
  truncated: boolean;
  /** Home, recent project folders and the other places the browser may show */
  places: { label: string; path: string; kind: 'home' | 'recent' | 'place' }[];
}

export interface DirectoryEntry {
  name: string;
  path: string;
  kind: 'dir' | 'file';
  /** bytes (files) */
  size?: number;
  /** false for a folder this process may not read (shown, not openable) */
  readable: boolean;
  /** a folder holding a Maskwright project (project.db) */
  project?: boolean;
}

export interface MaskState {
  /** core/mask label-map blob, or null when the image has no mask yet */
  labelMap: Uint8Array | null;
  /** 0 when there is no mask yet; pass it back as expectedVersion */
  version: number;
  timeSpentMs: number;
  editCount: number;
  /** persisted undo history (core/editor history entries), oldest first */
  history: { undo: Uint8Array[]; redo: Uint8Array[] };
}

/** Which compute backend the model runs on, and why better ones are not used. */
export interface ComputeInfo {
  /** 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu' */
  name: string;
  kind: 'gpu-cuda' | 'native-cpu' | 'wasm-cpu' | 'js-cpu';
  /** one line for the status bar */
  summary: string;
  tried: { name: string; ok: boolean; reason: string }[];
  threads?: number;
  notes: string[];
}

// ---- datasets (core/formats) ----

export const EXPORT_FORMAT_NAMES = ['coco', 'voc', 'yolo-seg', 'labelme', 'index-masks'] as const;
export type DatasetExportFormat = (typeof EXPORT_FORMAT_NAMES)[number];
export const IMPORT_FORMAT_NAMES = ['coco', 'voc', 'yolo-seg', 'labelme', 'mask-folder'] as const;
export type DatasetImportFormat = (typeof IMPORT_FORMAT_NAMES)[number];

export interface DatasetIssue {
  code: string;
  action: 'skipped' | 'repaired' | 'noted' | 'fatal';
  file: string;
  entry: string | null;
  message: string;
}

export interface DatasetExportOptions {
  format: DatasetExportFormat;
  outDir: string;
  overwrite?: boolean;
  split?: { train: number; val: number; test?: number; seed: number };
  statuses?: ImageStatus[];
  classIds?: number[];
  classRemap?: Record<string, string>;
  includeUnannotated?: boolean;
  images?: 'copy' | 'link' | 'none';
  coco?: { encoding?: 'auto' | 'polygon' | 'rle' };
  /** VOC: 'flat' (default) or 'vocdevkit' (VOCdevkit/VOC2012/..., the root torchvision's VOCSegmentation expects) */
  voc?: { layout?: 'flat' | 'vocdevkit' };
  indexBitDepth?: 8 | 16;
  /** refuse (write nothing) as soon as an image or instance would be left out */
  strict?: boolean;
  /** 'masks' (default) or 'predictions': each image's latest model proposal instead of its mask */
  source?: 'masks' | 'predictions';
}

/** the metadata file an `export --source predictions` writes at its root (model versions, per-image proposals) */
export const EXPORT_META_FILE = 'maskwright-export.json';

export interface DatasetExportReport {
  format: DatasetExportFormat;
  outDir: string;
  images: number;
  instances: number;
  splits: Record<string, { images: number; instances: number }>;
  categories: { id: number; name: string; classIds: number[]; instances: number }[];
  coco?: { polygon: number; rle: number };
  skippedImages: number;
  files: number;
  bytesWritten: number;
  durationMs: number;
  issues: DatasetIssue[];
  source?: 'masks' | 'predictions';
  /** predictions exports: the model versions that made the exported proposals (id null: deleted since) */
  modelVersions?: { id: number | null; name: string | null; images: number }[];
}

export interface DatasetProgress {
  jobId: string;
  projectId: string;
  done: number;
  total: number;
  current: string | null;
}

export interface DatasetImportRequest {
  format: DatasetImportFormat;
  path: string;
  instancePath?: string;
  colorMap?: Record<string, string>;
  classMapping?: Record<string, string | number | null>;
  existingMasks?: 'replace' | 'merge';
  /** mask-folder: mask value -> class name (several values may share a class; 0 may be a class) */
  valueMap?: Record<number, string>;
  /** mask-folder: a mask value left unlabelled (VOC's 255 border, CamVid's 11) */
  ignoreValue?: number;
}

/** the dry run: what an annotation import would write (nothing is written yet) */
export interface DatasetImportPlan {
  planId: string;
  ok: boolean;
  format: DatasetImportFormat;
  path: string;
  existingMasks: 'replace' | 'merge';
  classes: { sourceName: string; targetName: string | null; projectClassId: number | null; instances: number }[];
  images: { imageId: number; fileName: string; instances: number; hasExistingMask: boolean }[];
  unmatched: { name: string; file: string; reason: string }[];
  issues: DatasetIssue[];
  /** replace mode: masks the import would empty, shrink or replace by a partial one; humanMasks: ones drawn by people (need replaceHumanMasks) */
  maskChanges: { emptied: number; shrunk: number; partial: number; humanMasks: number };
  /** with a value map or ignore value: each mask value, where it went, and its pixels */
  values?: { value: number; className: string | null; role: 'class' | 'background' | 'ignored' | 'unmapped'; pixels: number }[];
  totals: { datasetImages: number; matchedImages: number; unmatchedImages: number; instances: number; existingMasks: number; newClasses: number };
}

export interface DatasetImportResult {
  images: number;
  instances: number;
  classesCreated: string[];
  replacedMasks: number;
  mergedMasks: number;
  durationMs: number;
}

// ---- models, training, predictions (core/ml) ----

/** 'segmentation' pre-labels (one version is active); 'clicks' refines one object from clicks; 'live' is the live pixel classifier (a random forest on filter-bank features; pre-labels too) */
export type ModelKind = 'segmentation' | 'clicks' | 'live';
export const MODEL_KINDS: readonly ModelKind[] = ['segmentation', 'clicks', 'live'];

export interface ModelVersionInfo {
  id: number;
  name: string;
  arch: string;
  isActive: boolean;
  createdAt: string;
  backend: string | null;
  parentId: number | null;
  /** validation metrics as trained (e.g. { valIou, perClassIou, ... }) */
  metrics: Record<string, unknown>;
  weightsBytes: number;
  kind: ModelKind;
  /** images the run that produced it trained / validated on (null for imported versions) */
  images: { train: number; val: number } | null;
  /** wall-clock duration of the run that produced it, ms (null for imported versions) */
  durationMs: number | null;
}

export interface TrainingMetricPoint {
  step: number;
  loss: number | null;
  lr: number | null;
  /** validation metrics at this step ({ iou, perClassIou, ... }) when validated */
  val: Record<string, unknown> | null;
}

export interface TrainingStatus {
  jobId: string;
  interactive: boolean;
  /** started by the automatic mode (after every N images marked done) */
  auto: boolean;
  startedAt: string;
  /** every progress event so far, so a panel opened mid-run draws the whole curve */
  progress: TrainingProgressEvent[];
}

export interface AutoTrainSettings {
  enabled: boolean;
  /** train after every N images marked done */
  everyN: number;
  /** images marked done since the last run started */
  doneSinceLastRun: number;
}

/** What the model saves the person: its proposal next to the final mask, per image and per version. */
export interface SavingsImage {
  imageId: number;
  fileName: string;
  modelVersionId: number | null;
  /** IoU of proposal and final mask over labeled pixels (class-aware) */
  iou: number;
  /** fraction of the image's pixels whose class the person changed */
  changedFraction: number;
  editMs: number;
  edits: number;
  scoredAt: string;
}

export interface SavingsVersion {
  modelVersionId: number | null;
  name: string;
  images: number;
  meanIou: number;
  meanChangedFraction: number;
  meanEditMs: number;
  meanEdits: number;
}

export interface SavingsReport {
  versions: SavingsVersion[];
  images: SavingsImage[];
  /** images finished without a proposal, for comparison */
  unassisted: { images: number; meanEditMs: number; meanEdits: number };
}

export interface RefineClick {
  x: number;
  y: number;
  positive: boolean;
}

/** A binary object mask cropped to its box (row-major 0/1, width*height bytes). */
export interface ObjectCrop {
  x: number;
  y: number;
  width: number;
  height: number;
  mask: Uint8Array;
}

export interface RefineResultInfo extends ObjectCrop {
  /** mean probability over the object's pixels */
  score: number;
  ms: number;
  /** the click model used, or null for zero-training click-to-object (issue 12) */
  modelVersionId: number | null;
  /** what produced the mask: 'zero-shot' (the graph cut on the image, always), plus 'click-model' and/or 'prelabel' when their probabilities were a term of the cut */
  sources?: string[];
}

export interface TrainingRunInfo {
  id: number;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  backend: string | null;
  baseVersionId: number | null;
  resultVersionId: number | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  images: { train: number; val: number };
}

/** the training time budget of "Train now" in the Model panel and of `maskwright train`, seconds */
export const DEFAULT_TRAIN_BUDGET_S = 120;

export interface TrainingOptions {
  /** wall-clock budget for the training steps, seconds */
  budgetS?: number;
  maxSteps?: number;
  /** fine-tune the active version (default) or start fresh */
  base?: 'active' | 'fresh';
  interactive?: boolean;
  name?: string;
}

export interface TrainingProgressEvent {
  jobId: string;
  projectId: string;
  step: number;
  maxSteps: number;
  loss: number;
  lr: number;
  elapsedMs: number;
  timeBudgetMs?: number;
  val?: Record<string, unknown>;
}

export interface TrainingStartEvent {
  jobId: string;
  projectId: string;
  interactive: boolean;
  auto: boolean;
  startedAt: string;
}

export interface TrainingFinishEvent {
  jobId: string;
  projectId: string;
  /** a click-refinement model (never activated: refine uses the newest one) */
  interactive?: boolean;
  ok: boolean;
  cancelled: boolean;
  runId?: number;
  versionId?: number;
  activated?: boolean;
  activation?: string;
  error?: string;
}

export interface PrelabelProgressEvent {
  jobId: string;
  projectId: string;
  done: number;
  total: number;
  imageId: number | null;
  failed: number;
}

export interface PrelabelFinishEvent {
  jobId: string;
  projectId: string;
  done: number;
  failed: number;
  cancelled: boolean;
  error?: string;
  errors: { imageId: number; message: string }[];
}

// ---- background jobs (core/services/job-registry) ----

export type JobKind = 'import' | 'export' | 'prelabel' | 'training';

/** a job running on the host: a window that reloads adopts it (its events keep coming) */
export interface RunningJobInfo {
  jobId: string;
  kind: JobKind;
  projectId: string;
  startedAt: string;
}

export interface PredictionInfo {
  id: number;
  modelVersionId: number | null;
  labelMap: Uint8Array;
  /** per-pixel confidence 0..255 (row-major, image size), or null */
  confidence: Uint8Array | null;
  uncertainty: number | null;
  state: 'proposed' | 'accepted' | 'rejected' | 'partial';
  createdAt: string;
}

// ---- the live pixel classifier (core/ml/live) ----

/** Live on one image: its features are computed (once) in the live worker. */
export interface LiveImageInfo {
  imageId: number;
  featureMs: number;
  featureBytes: number;
  /** finished masks of other images that train the forest as well */
  otherImages: number;
}

/** Live for one project (live.status / live.setEnabled). */
export interface LiveStatusInfo {
  projectId: string;
  enabled: boolean;
  /** finished masks of other images loaded as training data so far, of how many */
  otherImages: number;
  otherImagesTotal: number;
  /** validation images (the training split's, as the U-Net's) kept out of training to score a saved version */
  valImages: number;
  /** a forest has been trained (there is something to save) */
  trained: boolean;
  /** images where Live is off because their features cannot be computed */
  disabledImages: { imageId: number; message: string }[];
  /** the version saved when Live was turned off (setEnabled with enabled false) */
  savedVersionId?: number | null;
}

/** A retrain after a stroke finished (or failed): pushed as live.onDidUpdate. */
export interface LiveUpdateEvent {
  projectId: string;
  imageId: number;
  seq: number;
  ok: boolean;
  /** the new proposal (predictions.latest of the image) */
  predictionId?: number;
  /** training pixels (painted here + finished masks of other images) and images */
  samples?: number;
  images?: number;
  trainMs?: number;
  predictMs?: number;
  /** stroke end (request) to the stored proposal, ms */
  totalMs?: number;
  /** the forest predicted every stride-th pixel (probabilities interpolated); 1 = every pixel */
  stride?: number;
  /** a newer stroke replaced this one before it ran */
  superseded?: boolean;
  error?: string;
  /** Live is now off for this image (its features cannot be computed) */
  disabled?: boolean;
}
