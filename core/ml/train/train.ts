/**
 * The training loop: Adam on cross-entropy + Dice (per-pixel weights), cosine learning rate with
 * warm-up, periodic validation (IoU per class) with early stopping and best-checkpoint restore,
 * a step and/or time budget, cancellation through an AbortSignal, and progress events. Every
 * step runs in one tf.tidy; the optimizer's slots are disposed at the end, so the only tensors
 * left are the returned model's weights.
 *
 * Runs on whatever tfjs backend is active (the worker selects it). Works for the segmentation
 * models and for the interactive (click) variant, whose batches are simulated interactions.
 */
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../api/errors';
import { IouAccumulator, meanFinite } from '../iou-metrics';
import type { ModelImage } from '../model-image';
import { buildModel } from '../models/build-model';
import { inputChannels, outputChannels, sizeMultiple, validateModelConfig, type SegModelConfig } from '../models/model-config';
import { cancelledError, predictImage } from '../infer/predict-image';
import { DEFAULT_AUGMENT, type AugmentOptions } from './augment';
import { cosineLr } from './cosine-lr';
import { EarlyStopping } from './early-stopping';
import type { GradientExchange } from './gradient-exchange';
import { indexObjects, makeInteractiveBatch, makeSegmentationBatch, typicalObjectSize, type Batch, type ObjectRef } from './make-batch';
import { createRng } from './rng';
import { segmentationLoss } from './segmentation-loss';
import { classPixelCounts, type TrainingSample } from './training-sample';

export interface TrainConfig {
  model: SegModelConfig;
  cropSize: number;
  batchSize: number;
  /** stop after this many steps */
  maxSteps: number;
  /** and/or after this much training time (step time only; validation excluded) */
  timeBudgetMs?: number;
  lr: number;
  minLr: number;
  /** warm-up as a fraction of the run */
  warmup: number;
  diceWeight: number;
  augment: AugmentOptions;
  /**
   * validate every this many steps (0: only at the end); when > 0 a run also validates at least at
   * each VAL_FRACTION of its length (time budget or steps, whichever ends it first)
   */
  valEvery: number;
  /** evaluations without improvement before stopping early */
  patience: number;
  /** window size for validation predictions */
  valTileSize: number;
  seed: number;
}

export function defaultTrainConfig(model: SegModelConfig, patch: Partial<Omit<TrainConfig, 'model'>> = {}): TrainConfig {
  return {
    model,
    cropSize: model.interactive ? 128 : 256,
    batchSize: 4,
    maxSteps: 2000,
    lr: 2e-3,
    minLr: 2e-5,
    warmup: 0.03,
    diceWeight: 1,
    augment: DEFAULT_AUGMENT,
    valEvery: 100,
    patience: 5,
    valTileSize: 512,
    seed: 0,
    ...patch,
  };
}

export interface TrainData {
  train: TrainingSample[];
  /** the fixed validation split (may be empty: no early stopping, the last weights are kept) */
  val: TrainingSample[];
}

export interface ValMetrics {
  /** IoU per foreground class (pooled over the validation images) */
  iou: number[];
  meanIou: number;
  /** validation images measured (segmentation models) */
  images?: number;
  /** the figure's uncertainty: standard error of the per-image mean IoU (null with one image) */
  iouSe?: number | null;
  /**
   * the trivial baseline: mean over classes of the IoU that calling every pixel that class would
   * score (a model at or below it has learnt nothing useful)
   */
  baselineIou?: number;
}

/** a run validates at least at every 20 % of its length, so even a short run charts 5 points */
export const VAL_FRACTION = 0.2;

/**
 * Which VAL_FRACTION mark of the run has been reached (0 before the first): the run's progress is
 * its step count against maxSteps or its training time against the time budget, whichever is
 * further along.
 */
export function valMark(step: number, trainMs: number, maxSteps: number, timeBudgetMs?: number): number {
  const f = Math.max(step / maxSteps, timeBudgetMs ? trainMs / timeBudgetMs : 0);
  // (a little slack so 5 x 0.2 reaches mark 5)
  return Math.floor(Math.min(1, f) / VAL_FRACTION + 1e-9);
}

export interface TrainProgress {
  step: number;
  /** passes over the training pixels so far (approximate) */
  epoch: number;
  loss: number;
  lr: number;
  elapsedMs: number;
  maxSteps: number;
  timeBudgetMs?: number;
  val?: ValMetrics;
}

export type StopReason = 'steps' | 'time' | 'early-stopping';

export interface TrainResult {
  model: tf.LayersModel;
  /** the model config as trained (interactive: with its zoom-in settings) */
  modelConfig: SegModelConfig;
  steps: number;
  epochs: number;
  trainMs: number;
  stoppedBy: StopReason;
  /** loss of the first step */
  lossFirst: number;
  /** mean loss of the last 10 steps */
  lossLast: number;
  /** validation of the returned weights (absent when there was no validation data) */
  val?: ValMetrics;
  bestStep: number;
  history: { step: number; loss: number; lr: number; val?: ValMetrics }[];
  warnings: string[];
  /** data-parallel runs: how many workers, and whether their weights were identical at the end */
  parallel?: { workers: number; inSync: boolean };
}

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  /** start from these weights (fine-tuning); its config must match config.model */
  initialModel?: tf.LayersModel;
  /** emit a progress event every this many steps (default 1) */
  progressEvery?: number;
  /**
   * Data-parallel training: this process is worker `exchange.rank` of `exchange.size`; gradients
   * are averaged every step and the leader (rank 0) decides when to stop, validates and reports.
   * Its length must be the number of trainable values + 2 (trainableValueCount + 2: the loss and
   * the leader's learning rate travel with the gradients).
   */
  exchange?: GradientExchange;
}

/** Number of trainable values of a model (the gradient exchange's vector length minus two). */
export function trainableValueCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
}

function checkInputs(config: TrainConfig, data: TrainData): string[] {
  validateModelConfig(config.model);
  const warnings: string[] = [];
  const m = config.model;
  if (!data.train.length) throw new AppError('invalid-argument', 'There are no labelled images to train on. Label at least one image first.');
  for (const s of [...data.train, ...data.val]) {
    if (s.channels !== m.imageChannels) throw new AppError('invalid-argument', `Image ${s.id} has ${s.channels} channel(s); the model reads ${m.imageChannels}.`);
    if (s.labels.length !== s.width * s.height) throw new AppError('invalid-argument', `The mask of image ${s.id} does not match its size.`);
  }
  if (!Number.isInteger(config.cropSize) || config.cropSize < 16 || config.cropSize % sizeMultiple(m) !== 0) {
    throw new AppError('invalid-argument', `The crop size must be a multiple of ${sizeMultiple(m)} (got ${config.cropSize}).`);
  }
  if (!(config.batchSize >= 1) || !(config.maxSteps >= 1) || !(config.lr > 0)) throw new AppError('invalid-argument', 'batchSize, maxSteps and lr must be positive.');
  const k = m.classes;
  const counts = classPixelCounts(data.train, k);
  if (counts.slice(1).every((c) => c === 0)) {
    throw new AppError('invalid-argument', 'None of the training images has any labelled object pixels; there is nothing to learn.');
  }
  counts.slice(1).forEach((c, i) => {
    if (c === 0) warnings.push(`class ${m.classIds[i]} has no labelled pixels in the training images; the model will not learn to find it`);
  });
  if (!data.val.length) warnings.push('no validation images: early stopping is off and the last weights are kept');
  if (data.train.some((s) => s.width < config.cropSize || s.height < config.cropSize)) {
    warnings.push(`some images are smaller than the ${config.cropSize}px crop; they are reflect-padded`);
  }
  return warnings;
}

/** Validation IoU of a segmentation model on whole images. */
export async function evaluateSegmentation(model: tf.LayersModel, cfg: SegModelConfig, samples: readonly TrainingSample[], tileSize: number, signal?: AbortSignal): Promise<ValMetrics> {
  const acc = new IouAccumulator(Math.max(2, outputChannels(cfg)));
  for (const s of samples) {
    if (signal?.aborted) throw cancelledError('Training');
    const image: ModelImage = { width: s.width, height: s.height, channels: s.channels, data: s.image };
    const pred = await predictImage(model, cfg, image, { tileSize, overlap: 32, signal });
    acc.add(pred.classMap, s.labels);
  }
  const iou = acc.pooled();
  return { iou, meanIou: meanFinite(iou), ...valUncertainty(acc) };
}

/** images, standard error of the per-image IoU and the trivial baseline of an accumulator */
export function valUncertainty(acc: IouAccumulator): Required<Pick<ValMetrics, 'images' | 'iouSe' | 'baselineIou'>> {
  const perImage = acc.perImage.map((r) => meanFinite(r)).filter(Number.isFinite);
  const n = perImage.length;
  const mean = n ? perImage.reduce((a, b) => a + b, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(perImage.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  let total = 0;
  for (let c = 0; c < acc.k; c++) total += acc.tp[c]! + acc.fn[c]!;
  const base: number[] = [];
  for (let c = 1; c < acc.k; c++) {
    const present = acc.tp[c]! + acc.fn[c]!;
    if (present > 0 && total > 0) base.push(present / total);
  }
  return { images: acc.perImage.length, iouSe: n > 1 ? sd / Math.sqrt(n) : null, baselineIou: base.length ? meanFinite(base) : 0 };
}

/** Validation IoU of a click model on a fixed set of simulated interactions. */
function evaluateInteractive(model: tf.LayersModel, batches: readonly Batch[]): ValMetrics {
  let inter = 0;
  let uni = 0;
  for (const b of batches) {
    const p = tf.tidy(() => tf.greater(model.predict(tf.tensor4d(b.x, [b.n, b.size, b.size, b.channels])) as tf.Tensor, 0).dataSync());
    for (let i = 0; i < p.length; i++) {
      const a = p[i] !== 0;
      const t = b.target[i] !== 0;
      if (a && t) inter++;
      if (a || t) uni++;
    }
  }
  const iou = uni ? inter / uni : 1;
  return { iou: [iou], meanIou: iou };
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The values of several tensors, concatenated. */
function flatten(ts: readonly tf.Tensor[]): Float32Array {
  const n = ts.reduce((a, t) => a + t.size, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const t of ts) {
    out.set(t.dataSync() as Float32Array, o);
    o += t.size;
  }
  return out;
}

/** A 24-bit FNV-1a hash of the variables' bytes (exact in float32). */
function weightsHash(vars: readonly tf.Variable[]): number {
  let h = 0x811c9dc5;
  for (const v of vars) {
    const b = new Uint8Array((v.dataSync() as Float32Array).buffer.slice(0));
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 16777619) >>> 0;
  }
  return h & 0xffffff;
}

function assignFlat(vars: readonly tf.Variable[], flat: Float32Array): void {
  let o = 0;
  for (const v of vars) {
    tf.tidy(() => v.assign(tf.tensor(flat.subarray(o, o + v.size), v.shape)));
    o += v.size;
  }
}

function snapshot(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => w.read().dataSync().slice() as Float32Array);
}

function restore(model: tf.LayersModel, values: Float32Array[]): void {
  const tensors = model.weights.map((w, i) => tf.tensor(values[i]!, w.shape as number[]));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** Trains a model (see the module comment). */
export async function train(config: TrainConfig, data: TrainData, hooks: TrainHooks = {}): Promise<TrainResult> {
  const warnings = checkInputs(config, data);
  const { signal } = hooks;
  if (signal?.aborted) throw cancelledError('Training');
  const ex = hooks.exchange;
  const leader = !ex || ex.isLeader;
  const rng = createRng(config.seed * 7919 + 17 + (ex ? ex.rank * 1000003 : 0));
  let modelConfig: SegModelConfig = { ...config.model };
  let objects: ObjectRef[] = [];
  let valBatches: Batch[] = [];
  const batchOpts = { batchSize: config.batchSize, cropSize: config.cropSize, augment: config.augment };
  if (modelConfig.interactive) {
    objects = indexObjects(data.train);
    if (!objects.length) throw new AppError('invalid-argument', 'Click refinement learns from labelled objects, and the training images have none.');
    const typical = modelConfig.refine?.typicalObjectPx ?? typicalObjectSize(objects);
    modelConfig = { ...modelConfig, refine: { typicalObjectPx: typical, cropSize: config.cropSize } };
    const valSrc = data.val.length ? data.val : [];
    const valObjects = indexObjects(valSrc);
    if (valObjects.length) {
      const vr = createRng(config.seed + 99991);
      valBatches = Array.from({ length: 4 }, () => makeInteractiveBatch(valSrc, valObjects, { ...batchOpts, augment: { ...config.augment, brightness: 0, contrast: 0, channelGain: 0, noise: 0 } }, typical, vr));
    }
  }
  const k = outputChannels(modelConfig);
  const ownModel = !hooks.initialModel;
  const model = hooks.initialModel ?? (await buildModel(modelConfig));
  const nIn = model.inputs[0]!.shape[3];
  if (nIn !== inputChannels(modelConfig)) throw new AppError('invalid-argument', `The model reads ${nIn} input channels; the config says ${inputChannels(modelConfig)}.`);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (!vars.length) throw new AppError('invalid-argument', 'The model has no trainable weights.');
  if (ex) {
    const n = trainableValueCount(model);
    if (ex.length !== n + 2) throw new AppError('internal', `the gradient exchange carries ${ex.length} values; this model needs ${n + 2}`);
    // start from the leader's weights
    const mine = leader ? flatten(vars) : null;
    const theirs = ex.broadcast(mine);
    if (!leader) assignFlat(vars, theirs);
  }
  const optimizer = tf.train.adam(config.lr);
  const setLr = (lr: number) => {
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
  };
  const trainPixels = data.train.reduce((a, s) => a + s.width * s.height, 0);
  const stopper = new EarlyStopping({ patience: Math.max(1, config.patience) });
  const history: TrainResult['history'] = [];
  let best: Float32Array[] | null = null;
  let bestVal: ValMetrics | undefined;
  let bestStep = 0;
  let trainMs = 0;
  let step = 0;
  let stoppedBy: StopReason = 'steps';
  let lossFirst = NaN;
  let lossLast = NaN;
  const losses: number[] = [];
  const every = Math.max(1, hooks.progressEvery ?? 1);
  const budget = config.timeBudgetMs;
  const progressOf = () => Math.max(step / config.maxSteps, budget ? trainMs / budget : 0);
  /** the last VAL_FRACTION mark validated at */
  let valMarkDone = 0;

  const validate = async (): Promise<ValMetrics | undefined> => {
    if (modelConfig.interactive) return valBatches.length ? evaluateInteractive(model, valBatches) : undefined;
    if (!data.val.length) return undefined;
    return evaluateSegmentation(model, modelConfig, data.val, config.valTileSize, signal);
  };

  try {
    for (;;) {
      // let queued messages (a cancel request) run: wasm's data() resolves without yielding
      await yieldToEventLoop();
      if (signal?.aborted) {
        ex?.abort(2);
        throw cancelledError('Training');
      }
      const more = step < config.maxSteps && !(budget != null && trainMs >= budget) && stoppedBy !== 'early-stopping';
      if (!(ex ? ex.decide(more) : more)) break;
      const t0 = performance.now();
      const lr = cosineLr(progressOf(), { lr: config.lr, minLr: config.minLr, warmup: config.warmup });
      setLr(lr);
      const b = modelConfig.interactive ? makeInteractiveBatch(data.train, objects, batchOpts, modelConfig.refine!.typicalObjectPx, rng) : makeSegmentationBatch(data.train, batchOpts, k, rng);
      const lossT = tf.tidy(() => {
        const x = tf.tensor4d(b.x, [b.n, b.size, b.size, b.channels]);
        const t = tf.tensor4d(b.target, [b.n, b.size, b.size, b.k]);
        const w = tf.tensor4d(b.weights, [b.n, b.size, b.size, 1]);
        // inference mode: our layers behave the same either way; a pretrained encoder's
        // BatchNorm keeps its moving statistics (frozen-BN fine-tuning)
        const lossFn = () => segmentationLoss(model.apply(x, { training: false }) as tf.Tensor4D, t, w, { diceWeight: config.diceWeight });
        if (!ex) return optimizer.minimize(lossFn, true, vars) as tf.Scalar;
        const { value, grads } = optimizer.computeGradients(lossFn, vars);
        // [gradients..., loss, the leader's learning rate (others: 0)]
        const flat = new Float32Array(ex.length);
        flat.set(flatten(vars.map((v) => grads[v.name]!)));
        flat[ex.length - 2] = value.dataSync()[0]!;
        flat[ex.length - 1] = leader ? lr : 0;
        const mean = ex.allReduceMean(flat);
        // every worker applies the leader's rate (their own clocks differ)
        setLr(mean[ex.length - 1]! * ex.size);
        const named: { name: string; tensor: tf.Tensor }[] = [];
        let o = 0;
        for (const v of vars) {
          named.push({ name: v.name, tensor: tf.tensor(mean.subarray(o, o + v.size), v.shape) });
          o += v.size;
        }
        optimizer.applyGradients(named);
        return tf.scalar(mean[ex.length - 2]!);
      });
      const loss = (await lossT.data())[0]!;
      lossT.dispose();
      step++;
      trainMs += performance.now() - t0;
      if (!Number.isFinite(loss)) throw new AppError('internal', `Training diverged at step ${step} (the loss is ${loss}); try a lower learning rate.`);
      losses.push(loss);
      if (step === 1) lossFirst = loss;
      lossLast = loss;
      const epoch = (step * b.n * b.size * b.size) / Math.max(trainPixels, 1);
      const entry: TrainResult['history'][number] = { step, loss, lr };
      const timeUp = budget != null && trainMs >= budget;
      const last = step >= config.maxSteps || timeUp;
      let val: ValMetrics | undefined;
      const mark = valMark(step, trainMs, config.maxSteps, budget);
      if (leader && ((config.valEvery > 0 && (step % config.valEvery === 0 || mark > valMarkDone)) || last)) {
        valMarkDone = mark;
        val = await validate();
        if (val) {
          entry.val = val;
          const { improved, stop } = stopper.update(val.meanIou, step);
          if (improved) {
            best = snapshot(model);
            bestVal = val;
            bestStep = step;
          }
          if (stop && !last) stoppedBy = 'early-stopping';
        }
      }
      history.push(entry);
      if (leader && (step % every === 0 || val || last || stoppedBy === 'early-stopping')) {
        hooks.onProgress?.({ step, epoch, loss, lr, elapsedMs: trainMs, maxSteps: config.maxSteps, ...(budget != null ? { timeBudgetMs: budget } : {}), ...(val ? { val } : {}) });
      }
      if (timeUp && stoppedBy !== 'early-stopping') stoppedBy = 'time';
    }
    let parallel: TrainResult['parallel'];
    if (ex) {
      // the copies must still be identical: compare a hash of every worker's weights
      const probe = new Float32Array(ex.length);
      probe[0] = weightsHash(vars);
      parallel = { workers: ex.size, inSync: ex.allReduceMean(probe)[0] === probe[0] };
    }
    if (best && bestStep !== step) restore(model, best);
    const tail = losses.slice(-10);
    return {
      model,
      modelConfig,
      steps: step,
      epochs: (step * config.batchSize * config.cropSize * config.cropSize) / Math.max(trainPixels, 1),
      trainMs,
      stoppedBy,
      lossFirst,
      lossLast: tail.length ? tail.reduce((a, c) => a + c, 0) / tail.length : lossLast,
      ...(bestVal ? { val: bestVal } : {}),
      bestStep: best ? bestStep : step,
      history,
      warnings,
      ...(parallel ? { parallel } : {}),
    };
  } catch (e) {
    if (ex && (e as { code?: string }).code !== 'cancelled') ex.abort(1);
    if (ownModel) model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
}
