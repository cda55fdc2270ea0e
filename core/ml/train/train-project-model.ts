/**
 * Trains a model on a project's labelled images and records the run:
 *   1. the labelled images (annotation rows with at least one labelled pixel, or marked
 *      done/reviewed) are split into train/val by a fixed hash of the image id, so an image
 *      stays on the same side across runs (one labelled image: no validation);
 *   2. a training_run row (status running) lists the images and their split;
 *   3. a worker trains (TrainingJob; tests may inject a runner); each progress event becomes a
 *      training_metric row and is relayed;
 *   4. success: the weights, config, metrics and backend become a model_version (parent: the
 *      base version), activated only if no segmentation model is active or its validation IoU
 *      is at least the active one's; failure or cancellation: the run is marked so, no version
 *      is written, the active model stays.
 * Pixels the person corrected in the latest accepted/partial model proposal weigh more.
 *
 * Click-refinement (interactive) models are stored as versions with arch '<arch>+clicks' and are
 * never activated: the schema has one active flag, which belongs to the pre-label model (see
 * latestClickModel).
 */
import os from 'node:os';
import { AppError } from '../../api/errors';
import type { ProjectStore } from '../../store/project-store';
import { LabelMap } from '../../mask/label-map';
import type { BackendName } from '../backend';
import { ModelRepo, type ModelVersionRecord } from '../model-repo';
import { defaultModelConfig, type AttentionUNetOptions, type SegModelConfig } from '../models/model-config';
import { projectModelDefaults } from '../models/project-defaults';
import { defaultTrainConfig, type TrainConfig, type TrainProgress } from './train';
import { TrainingJob } from './training-job';
import type { TrainingOutcome, TrainingRequest } from './training-protocol';
import type { SampleSpec } from './training-sample';

export type TrainingRunner = (request: TrainingRequest, events: { onProgress: (p: TrainProgress) => void; onBackend: (name: string) => void; signal?: AbortSignal }) => Promise<TrainingOutcome>;

export interface ProjectTrainingOptions {
  name?: string;
  /** train the click-refinement variant */
  interactive?: boolean;
  /** model settings for a fresh model */
  model?: Partial<Omit<SegModelConfig, 'unet'>> & { unet?: Partial<AttentionUNetOptions> };
  train?: Partial<Omit<TrainConfig, 'model'>>;
  /** fine-tune from this version ('active': the active one); default: a fresh model */
  baseVersionId?: number | 'active' | null;
  /** share of labelled images held out for validation (default 0.2; at least one when >= 2 images) */
  valFraction?: number;
  correctedWeight?: number;
  backend?: BackendName;
  /** data-parallel worker threads (default: resources/models/defaults.json; at most the number of cores) */
  workers?: number;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  runner?: TrainingRunner;
}

export interface ProjectTrainingResult {
  runId: number;
  versionId: number;
  activated: boolean;
  /** why it was (not) activated */
  activation: string;
  outcome: TrainingOutcome;
}

/** Stable pseudo-random position in [0,1) of an image id (the fixed split). */
export function splitHash(imageId: number): number {
  let h = Math.imul(imageId ^ 0x5bd1e995, 2654435761) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 2246822519) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** The fixed validation split (see the module comment). */
export function fixedSplit(imageIds: readonly number[], valFraction = 0.2): { train: number[]; val: number[] } {
  const ids = [...imageIds].sort((a, b) => a - b);
  if (ids.length < 2) return { train: ids, val: [] };
  let val = ids.filter((id) => splitHash(id) < valFraction);
  // each image is in validation with p = valFraction (stable as images are added); when that
  // leaves fewer than half the expected count (1 of 20 happens), the lowest-hash others join, so
  // that a new version is not judged on one image. Those extras can change as images are added;
  // the active model may then have trained on one, which errs toward keeping it.
  const want = Math.max(1, Math.floor((ids.length * valFraction) / 2));
  if (val.length < want) {
    const inVal = new Set(val);
    const rest = ids.filter((id) => !inVal.has(id)).sort((a, b) => splitHash(a) - splitHash(b));
    val = [...val, ...rest.slice(0, want - val.length)].sort((a, b) => a - b);
  }
  if (val.length === ids.length) val = val.slice(0, -1);
  const v = new Set(val);
  return { train: ids.filter((id) => !v.has(id)), val };
}

interface LabelledImage {
  imageId: number;
  path: string;
  labelMap: Uint8Array;
  proposal: Uint8Array | null;
}

function labelledImages(store: ProjectStore): LabelledImage[] {
  const rows = store.db
    .prepare(
      `SELECT a.image_id AS imageId, a.label_map AS labelMap, i.status AS status,
              (SELECT p.label_map FROM prediction p WHERE p.image_id = a.image_id AND p.state IN ('accepted', 'partial') ORDER BY p.id DESC LIMIT 1) AS proposal
         FROM annotation a JOIN image i ON i.id = a.image_id ORDER BY a.image_id`,
    )
    .all() as { imageId: number; labelMap: Buffer; status: string; proposal: Buffer | null }[];
  const out: LabelledImage[] = [];
  for (const r of rows) {
    const blob = new Uint8Array(r.labelMap.buffer, r.labelMap.byteOffset, r.labelMap.byteLength);
    let labelled = r.status === 'done' || r.status === 'reviewed';
    if (!labelled) {
      try {
        labelled = LabelMap.decode(blob).ids.some((v) => v !== 0);
      } catch {
        labelled = false;
      }
    }
    if (!labelled) continue;
    const row = store.images.get(r.imageId);
    if (!row) continue;
    out.push({ imageId: r.imageId, path: row.path, labelMap: blob, proposal: r.proposal ? new Uint8Array(r.proposal.buffer, r.proposal.byteOffset, r.proposal.byteLength) : null });
  }
  return out;
}

function defaultRunner(): TrainingRunner {
  return (request, events) => {
    const job = TrainingJob.start(request, { onProgress: events.onProgress, onBackend: events.onBackend });
    if (events.signal) {
      if (events.signal.aborted) job.cancel();
      else events.signal.addEventListener('abort', () => job.cancel(), { once: true });
    }
    return job.done;
  };
}

const valIou = (v: ModelVersionRecord | null): number | null => {
  const m = (v?.metrics as { val?: { meanIou?: unknown } } | undefined)?.val?.meanIou;
  return typeof m === 'number' && Number.isFinite(m) ? m : null;
};

/** The newest click-refinement version, if any. */
export function latestClickModel(repo: ModelRepo): ModelVersionRecord | null {
  const v = repo.listVersions().filter((x) => x.arch.endsWith('+clicks'));
  return v.length ? v[v.length - 1]! : null;
}

export async function trainProjectModel(store: ProjectStore, opts: ProjectTrainingOptions = {}): Promise<ProjectTrainingResult> {
  const repo = new ModelRepo(store.db);
  const images = labelledImages(store);
  if (!images.length) throw new AppError('invalid-argument', 'No image has a labelled mask yet. Label at least one image before training.');
  const classes = store.classes.list().sort((a, b) => a.index - b.index);
  if (!classes.length) throw new AppError('invalid-argument', 'The project has no classes. Add a class before training.');
  const classIds = classes.map((c) => c.id);

  let base: ModelVersionRecord | null = null;
  if (opts.baseVersionId === 'active') base = repo.active();
  else if (typeof opts.baseVersionId === 'number') base = repo.getVersion(opts.baseVersionId);
  let modelConfig: SegModelConfig | undefined;
  if (base) {
    modelConfig = base.config as unknown as SegModelConfig;
    // a click model is class-agnostic (one object at a time); a segmentation model predicts these classes
    if (!opts.interactive && JSON.stringify(modelConfig.classIds) !== JSON.stringify(classIds)) {
      throw new AppError('invalid-argument', `Model version ${base.id} was trained for other classes; train a fresh model instead.`);
    }
    if (Boolean(modelConfig.interactive) !== Boolean(opts.interactive)) throw new AppError('invalid-argument', `Model version ${base.id} is ${modelConfig.interactive ? '' : 'not '}a click-refinement model.`);
  }
  const defaults = projectModelDefaults(opts.interactive ? 'clicks' : 'segmentation');
  const { workers: defaultWorkers, ...defaultRecipe } = defaults.train;
  if (!base) {
    const patch = { ...defaults.model, ...opts.model, unet: { ...defaults.model.unet, ...opts.model?.unet } };
    modelConfig = defaultModelConfig({ ...patch, classes: opts.interactive ? 1 : classIds.length, classIds: opts.interactive ? [classIds[0]!] : classIds, interactive: opts.interactive ?? false });
  }
  const trainConfig = defaultTrainConfig(modelConfig!, { ...defaultRecipe, ...opts.train });
  const workers = Math.max(1, Math.min(opts.workers ?? defaultWorkers ?? 1, os.availableParallelism()));
  const split = fixedSplit(
    images.map((i) => i.imageId),
    opts.valFraction ?? 0.2,
  );
  const valSet = new Set(split.val);
  const specs: SampleSpec[] = images.map((i) => ({ imageId: i.imageId, path: i.path, labelMap: i.labelMap, proposal: i.proposal, split: valSet.has(i.imageId) ? 'val' : 'train' }));
  const runId = repo.createRun({
    config: { train: { ...trainConfig, model: undefined, workers }, model: modelConfig },
    baseVersionId: base?.id ?? null,
    images: specs.map((s) => ({ imageId: s.imageId, split: s.split })),
  });
  // the active model is scored on this run's validation images too: both on the same images
  const activeAtStart = opts.interactive ? null : repo.active();
  const activeCfg = activeAtStart?.config as unknown as SegModelConfig | undefined;
  const comparable =
    activeCfg != null &&
    split.val.length > 0 &&
    JSON.stringify(activeCfg.classIds) === JSON.stringify(modelConfig!.classIds) &&
    activeCfg.inputNorm === modelConfig!.inputNorm &&
    activeCfg.imageChannels === modelConfig!.imageChannels;
  const request: TrainingRequest = {
    config: trainConfig,
    specs,
    ...(comparable ? { compareWith: { weights: repo.getWeights(activeAtStart!.id), config: activeCfg } } : {}),
    ...(opts.correctedWeight != null ? { correctedWeight: opts.correctedWeight } : {}),
    ...(base ? { baseWeights: repo.getWeights(base.id) } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
    workers,
  };
  const runner = opts.runner ?? defaultRunner();
  let outcome: TrainingOutcome;
  try {
    outcome = await runner(request, {
      onBackend: (name) => repo.setRunBackend(runId, name),
      onProgress: (p) => {
        repo.addMetric(runId, { step: p.step, epoch: p.epoch, loss: p.loss, lr: p.lr, val: p.val ?? null });
        opts.onProgress?.(p);
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    const err = AppError.from(e);
    repo.finishRun(runId, { status: err.code === 'cancelled' ? 'cancelled' : 'failed', error: err.message });
    throw err;
  }

  const interactive = Boolean(outcome.modelConfig.interactive);
  const active = repo.active();
  const newIou = outcome.val?.meanIou ?? null;
  // the same validation images for both when the active model could be scored in the run
  const sameImages = comparable && outcome.compareVal != null && active?.id === activeAtStart?.id;
  const oldIou = sameImages ? outcome.compareVal!.meanIou : valIou(active);
  const on = sameImages ? ` on this run's ${outcome.valImages.length} validation image${outcome.valImages.length === 1 ? '' : 's'}` : ' (its own validation images)';
  let activate = false;
  let activation: string;
  if (interactive) activation = 'click-refinement models are not activated (the active flag belongs to the pre-label model)';
  else if (!active) {
    activate = true;
    activation = 'no model was active';
  } else if (newIou == null) activation = 'kept the active model: this run has no validation score to compare';
  else if (oldIou == null || newIou >= oldIou) {
    activate = true;
    activation = oldIou == null ? 'the active model has no validation score' : `validation IoU ${newIou.toFixed(4)} >= active ${oldIou.toFixed(4)}${on}`;
  } else activation = `kept the active model: validation IoU ${newIou.toFixed(4)} < active ${oldIou.toFixed(4)}${on}`;

  const versionId = store.transaction(() => {
    const id = repo.createVersion(
      {
        name: opts.name ?? `${interactive ? 'Click model' : 'Model'} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
        arch: interactive ? `${outcome.modelConfig.arch}+clicks` : outcome.modelConfig.arch,
        config: outcome.modelConfig,
        weights: outcome.weights,
        metrics: {
          val: outcome.val ?? null,
          ...(sameImages ? { comparedWith: { versionId: active!.id, val: outcome.compareVal } } : {}),
          steps: outcome.steps,
          epochs: outcome.epochs,
          trainMs: outcome.trainMs,
          stoppedBy: outcome.stoppedBy,
          lossFirst: outcome.lossFirst,
          lossLast: outcome.lossLast,
          bestStep: outcome.bestStep,
          trainImages: outcome.trainImages.length,
          valImages: outcome.valImages.length,
          warnings: outcome.warnings,
          runId,
        },
        backend: outcome.backend,
        parentId: base?.id ?? null,
      },
      { activate },
    );
    repo.finishRun(runId, { status: 'succeeded', resultVersionId: id });
    return id;
  });
  return { runId, versionId, activated: activate, activation, outcome };
}
