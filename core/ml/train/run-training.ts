/**
 * One training request from start to serialized weights: select the backend, load/decode the
 * samples, train, serialize, dispose. The worker runs this; tests can call it in-process.
 */
import { AppError } from '../../api/errors';
import { selectBackend } from '../backend';
import { deserializeModel, serializeModel } from '../models/serialize-model';
import { buildModel } from '../models/build-model';
import { createExchangeBuffer, GradientExchange } from './gradient-exchange';
import { evaluateSegmentation, train, trainableValueCount, type TrainProgress, type TrainResult, type ValMetrics } from './train';
import type { TrainingOutcome, TrainingRequest } from '../worker/training-protocol';
import { loadSample, type TrainingSample } from './training-sample';

export interface RunTrainingHooks {
  signal?: AbortSignal;
  onBackend?: (name: string, summary: string) => void;
  onLoaded?: (train: number, val: number) => void;
  onProgress?: (p: TrainProgress) => void;
  /** data-parallel leader: the shared buffer the other workers must join */
  onExchange?: (buffer: SharedArrayBuffer) => void;
}

export async function runTraining(request: TrainingRequest, hooks: RunTrainingHooks = {}): Promise<TrainingOutcome> {
  const report = await selectBackend(request.backend ? { force: request.backend } : {});
  hooks.onBackend?.(report.name, report.summary);
  let cfg = request.config;
  if (cfg.model.arch === 'mobilenet-unet' && cfg.model.encoder && report.kind !== 'gpu-cuda' && cfg.model.encoder.trainableBlocks > 0) {
    // the pretrained encoder trains only on a GPU; on CPU backends it stays frozen
    cfg = { ...cfg, model: { ...cfg.model, encoder: { ...cfg.model.encoder, trainableBlocks: 0 } } };
  }
  let data: { train: TrainingSample[]; val: TrainingSample[] };
  if (request.samples) data = request.samples;
  else if (request.specs) {
    data = { train: [], val: [] };
    for (const spec of request.specs) {
      if (hooks.signal?.aborted) throw new AppError('cancelled', 'Training was cancelled.');
      const s = await loadSample(spec, {
        classIds: cfg.model.classIds,
        imageChannels: cfg.model.imageChannels,
        inputNorm: cfg.model.inputNorm,
        ...(request.correctedWeight != null ? { correctedWeight: request.correctedWeight } : {}),
      });
      data[spec.split].push(s);
    }
  } else throw new AppError('invalid-argument', 'A training request needs samples or sample specs.');
  hooks.onLoaded?.(data.train.length, data.val.length);
  let initialModel = request.baseWeights ? await deserializeModel(request.baseWeights) : undefined;
  let exchange: GradientExchange | undefined;
  if (request.parallel) {
    // the exchange's size depends on the model: build it here (or use the base model)
    initialModel ??= await buildModel(cfg.model);
    const { rank, size } = request.parallel;
    const length = trainableValueCount(initialModel) + 2;
    let buffer = request.parallel.buffer;
    if (!buffer) {
      if (rank !== 0) throw new AppError('internal', 'a data-parallel follower needs the shared buffer');
      buffer = createExchangeBuffer(size, length);
      hooks.onExchange?.(buffer);
    }
    exchange = new GradientExchange(buffer, rank, size, length);
  }
  const result = await train(cfg, data, {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(initialModel ? { initialModel } : {}),
    ...(exchange ? { exchange } : {}),
    progressEvery: request.progressEvery ?? 1,
  }).catch((e) => {
    if (exchange && (e as { code?: string }).code !== 'cancelled') exchange.abort(1);
    initialModel?.dispose();
    throw e;
  });
  if (exchange && !exchange.isLeader) {
    // followers hand back nothing: the leader's copy is the result
    result.model.dispose();
    return { ...emptyOutcome(result), backend: report.name, backendSummary: report.summary, trainImages: [], valImages: [] };
  }
  try {
    const weights = await serializeModel(result.model);
    let compareVal: ValMetrics | undefined;
    if (request.compareWith && data.val.length && !result.modelConfig.interactive) {
      const other = await deserializeModel(request.compareWith.weights);
      try {
        compareVal = await evaluateSegmentation(other, request.compareWith.config, data.val, cfg.valTileSize, hooks.signal);
      } finally {
        other.dispose();
      }
    }
    return {
      ...(compareVal ? { compareVal } : {}),
      weights,
      modelConfig: result.modelConfig,
      steps: result.steps,
      epochs: result.epochs,
      trainMs: result.trainMs,
      stoppedBy: result.stoppedBy,
      lossFirst: result.lossFirst,
      lossLast: result.lossLast,
      ...(result.val ? { val: result.val } : {}),
      bestStep: result.bestStep,
      warnings: result.warnings,
      backend: report.name,
      backendSummary: report.summary,
      history: result.history,
      ...(result.parallel ? { parallel: result.parallel } : {}),
      trainImages: data.train.map((s) => s.id),
      valImages: data.val.map((s) => s.id),
    };
  } finally {
    result.model.dispose();
  }
}

function emptyOutcome(r: TrainResult): Omit<TrainingOutcome, 'backend' | 'backendSummary' | 'trainImages' | 'valImages'> {
  return {
    weights: new Uint8Array(0),
    modelConfig: r.modelConfig,
    steps: r.steps,
    epochs: r.epochs,
    trainMs: r.trainMs,
    stoppedBy: r.stoppedBy,
    lossFirst: r.lossFirst,
    lossLast: r.lossLast,
    bestStep: r.bestStep,
    warnings: r.warnings,
    history: [],
  };
}
