/**
 * The training service: trains a model on a project's labelled images and records the run.
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
 * Click-refinement (interactive) models are stored as versions of kind 'clicks' (their arch keeps
 * the '+clicks' suffix it always had) and are never activated: the one active flag belongs to the
 * pre-label model; the newest click model refines (ModelRepo.latest('clicks')).
 *
 * core/ml computes (TrainingJob, configs); the store keeps the rows; the rule that decides which
 * version pre-labels lives here (decideActivation).
 */
import os from 'node:os';
import { AppError } from '../api/errors';
import type { ModelKind } from '../api/types';
import type { BackendName } from '../ml/backend';
import { defaultModelConfig, modelConfigOf, modelKindOf, type AttentionUNetOptions, type SegModelConfig } from '../ml/models/model-config';
import { projectModelDefaults } from '../ml/models/project-defaults';
import { fixedSplit } from '../ml/train/fixed-split';
import { defaultTrainConfig, type TrainConfig, type TrainProgress } from '../ml/train/train';
import { TrainingJob } from '../ml/train/training-job';
import type { TrainingOutcome, TrainingRequest } from '../ml/worker/training-protocol';
import type { SampleSpec } from '../ml/train/training-sample';
import type { ModelVersionRecord } from '../store/model-repo';
import { resolveImageFile } from '../store/project-paths';
import { scoreVersionOnImages } from './live-service';
import type { ProjectStore } from '../store/project-store';

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

type LabelledImage = Omit<SampleSpec, 'split'>;

function labelledImages(store: ProjectStore): LabelledImage[] {
  const out: LabelledImage[] = [];
  for (const m of store.annotations.labelled()) {
    const row = store.images.get(m.imageId);
    if (!row) continue;
    // only files inside the project (or a referenced image's import folder): core/store/project-paths
    let file: string;
    try {
      file = resolveImageFile(store.dir, row);
    } catch {
      continue; // missing or refused: not trained on (maskwright check lists it)
    }
    out.push({ ...m, path: file });
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

function usableConfig(v: ModelVersionRecord): SegModelConfig | undefined {
  try {
    return modelConfigOf(v);
  } catch {
    return undefined;
  }
}

/** What decides whether a new version replaces the active one. */
export interface ActivationInput {
  kind: ModelKind;
  /** the active segmentation model when the run finished */
  active: ModelVersionRecord | null;
  /** the new version's validation IoU (null: no validation images) */
  newIou: number | null;
  /** the active model scored on this run's validation images (null: not comparable) */
  activeOnSameImages: number | null;
  valImages: number;
  /** standard error of the new IoU over the validation images (null/absent: unknown) */
  newSe?: number | null;
}

/**
 * The activation rule: a click model is never activated; a segmentation model is activated when
 * none is active, or when its validation IoU is at least the active one's, on this run's
 * validation images where the active model could be scored on them, else on its own.
 */
export function decideActivation(a: ActivationInput): { activate: boolean; activation: string } {
  if (a.kind !== 'segmentation') return { activate: false, activation: 'click-refinement models are not activated (the active flag belongs to the pre-label model)' };
  if (!a.active) return { activate: true, activation: 'no model was active' };
  if (a.newIou == null) return { activate: false, activation: 'kept the active model: this run has no validation score to compare' };
  const sameImages = a.activeOnSameImages != null;
  const oldIou = sameImages ? a.activeOnSameImages : valIou(a.active);
  const on = sameImages ? ` on this run's ${a.valImages} validation image${a.valImages === 1 ? '' : 's'}` : ' (its own validation images)';
  if (oldIou == null) return { activate: true, activation: 'the active model has no validation score' };
  // how much the comparison says: one image has no spread; a difference inside the standard error is noise
  const se = a.newSe ?? null;
  const note =
    sameImages && a.valImages === 1
      ? ' (one image: the comparison says little)'
      : se !== null && Number.isFinite(se) && Math.abs(a.newIou - oldIou) < se
        ? ` (within ± ${se.toFixed(4)}: no clear difference)`
        : '';
  if (a.newIou >= oldIou) return { activate: true, activation: `validation IoU ${a.newIou.toFixed(4)} >= active ${oldIou.toFixed(4)}${on}${note}` };
  return { activate: false, activation: `kept the active model: validation IoU ${a.newIou.toFixed(4)} < active ${oldIou.toFixed(4)}${on}${note}` };
}

export async function trainProjectModel(store: ProjectStore, opts: ProjectTrainingOptions = {}): Promise<ProjectTrainingResult> {
  const repo = store.models;
  const kind: ModelKind = opts.interactive ? 'clicks' : 'segmentation';
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
    modelConfig = modelConfigOf(base);
    // a click model is class-agnostic (one object at a time); a segmentation model predicts these classes
    if (!opts.interactive && JSON.stringify(modelConfig.classIds) !== JSON.stringify(classIds)) {
      throw new AppError('invalid-argument', `Model version ${base.id} was trained for other classes; train a fresh model instead.`);
    }
    if (base.kind !== kind) throw new AppError('invalid-argument', `Model version ${base.id} is ${base.kind === 'clicks' ? '' : 'not '}a click-refinement model.`);
  }
  const defaults = projectModelDefaults(kind);
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
    kind,
    config: { train: { ...trainConfig, model: undefined, workers }, model: modelConfig },
    baseVersionId: base?.id ?? null,
    images: specs.map((s) => ({ imageId: s.imageId, split: s.split })),
  });
  // the active model is scored on this run's validation images too: both on the same images
  const activeAtStart = opts.interactive ? null : repo.active();
  // an active model whose config cannot be read is not scored here (it is compared by its stored metrics)
  const activeCfg = activeAtStart ? usableConfig(activeAtStart) : undefined;
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

  const outKind = modelKindOf(outcome.modelConfig);
  const interactive = outKind === 'clicks';
  const active = repo.active();
  // the same validation images for both when the active model could be scored in the run
  const sameImages = comparable && outcome.compareVal != null && active?.id === activeAtStart?.id;
  // an active live forest is scored on this run's validation images too (in the ML worker)
  let liveVal: Record<string, unknown> | null = null;
  if (!sameImages && !interactive && active?.kind === 'live' && outcome.valImages.length) {
    liveVal = await scoreVersionOnImages(store, active, outcome.valImages.filter((x): x is number => typeof x === 'number')).catch(() => null);
  }
  const liveIou = typeof liveVal?.meanIou === 'number' && Number.isFinite(liveVal.meanIou) ? liveVal.meanIou : null;
  const { activate, activation } = decideActivation({
    kind: outKind,
    active,
    newIou: outcome.val?.meanIou ?? null,
    activeOnSameImages: sameImages ? outcome.compareVal!.meanIou : liveIou,
    valImages: outcome.valImages.length,
    newSe: outcome.val?.iouSe ?? null,
  });

  const versionId = store.transaction(() => {
    const id = repo.createVersion(
      {
        name: opts.name ?? `${interactive ? 'Click model' : 'Model'} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
        arch: interactive ? `${outcome.modelConfig.arch}+clicks` : outcome.modelConfig.arch,
        kind: outKind,
        config: outcome.modelConfig,
        weights: outcome.weights,
        metrics: {
          val: outcome.val ?? null,
          ...(sameImages ? { comparedWith: { versionId: active!.id, val: outcome.compareVal } } : {}),
          ...(liveVal && liveIou != null ? { comparedWith: { versionId: active!.id, kind: 'live', name: active!.name, val: liveVal } } : {}),
          activation,
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
