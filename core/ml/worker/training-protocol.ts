/** Messages between TrainingJob (main side) and training-worker.ts. Plain data only. */
import type { SerializedError } from '../../api/errors';
import type { BackendName } from '../backend';
import type { ModelKind } from '../../api/types';
import type { SegModelConfig, StoredModel } from '../models/model-config';
import type { StopReason, TrainConfig, TrainProgress, ValMetrics } from '../train/train';
import type { SampleSpec, TrainingSample } from '../train/training-sample';

export interface TrainingRequest {
  config: TrainConfig;
  /** images + masks for the worker to decode (project training) ... */
  specs?: SampleSpec[];
  /** ... or samples already in memory (tests, benchmarks) */
  samples?: { train: TrainingSample[]; val: TrainingSample[] };
  /** loss weight of pixels corrected in a model proposal (with specs) */
  correctedWeight?: number;
  /** fine-tune from these weights (serializeModel bytes of a model with the same config) */
  baseWeights?: Uint8Array;
  /**
   * the active model, to score on this run's validation images after training (the same images
   * for both: that is what decides whether the new version replaces it)
   */
  compareWith?: { weights: Uint8Array; config: SegModelConfig };
  /** force a backend (default: the best available, or MASKWRIGHT_BACKEND) */
  backend?: BackendName;
  /** progress events every this many steps (default 1) */
  progressEvery?: number;
  /**
   * Data-parallel worker threads (default 1). Each trains on its own crops; gradients are
   * averaged every step, so the effective batch is workers x batchSize.
   */
  workers?: number;
  /** set by TrainingJob for each worker of a data-parallel run (the leader creates the buffer) */
  parallel?: { rank: number; size: number; buffer: SharedArrayBuffer | null };
}

export interface TrainingOutcome {
  /** serializeModel bytes of the trained model */
  weights: Uint8Array;
  modelConfig: SegModelConfig;
  steps: number;
  epochs: number;
  trainMs: number;
  stoppedBy: StopReason;
  lossFirst: number;
  lossLast: number;
  val?: ValMetrics;
  /** the compareWith model's validation metrics on the same validation images */
  compareVal?: ValMetrics;
  bestStep: number;
  warnings: string[];
  /** the backend that trained it, e.g. 'wasm' */
  backend: string;
  backendSummary: string;
  history: { step: number; loss: number; lr: number; val?: ValMetrics }[];
  /** data-parallel runs: workers and whether their weights stayed identical */
  parallel?: { workers: number; inSync: boolean };
  trainImages: (number | string)[];
  valImages: (number | string)[];
}

/** Batch prediction in the worker (the main thread never runs the model either). */
export interface PredictionRequest {
  /** serializeModel bytes and the model's config */
  weights: Uint8Array;
  config: SegModelConfig;
  /** the model's kind (default: from the config) and version id (for messages) */
  kind?: ModelKind;
  versionId?: number;
  /** images to pre-label, decoded in the worker */
  items: { id: number; path: string }[];
  tileSize?: number;
  overlap?: number;
  uncertainty?: 'entropy' | 'margin';
  minAreaPx?: number;
  backend?: BackendName;
}

export interface PredictedImage {
  id: number;
  width: number;
  height: number;
  /** the proposal as a label-map blob (core/mask encode), instances with source 'model' and score */
  labelMap: Uint8Array;
  /** per-pixel confidence, 0..255 */
  confidence: Uint8Array;
  /** mean per-pixel uncertainty (0..1) */
  uncertainty: number;
  ms: number;
}

/**
 * Opens a click-refinement session in the worker: the click model stays loaded between clicks;
 * `{ kind: 'zero-shot' }` opens the zero-training graph cut instead (no model, no tfjs backend),
 * and `{ kind: 'zero-shot', clickModel }` the cut with the click model's probabilities as one
 * more term (combined mode, issue 12).
 */
export type RefineSessionRequest = ModelRefineRequest | { kind: 'zero-shot'; clickModel?: ModelRefineRequest };

export interface ModelRefineRequest {
  kind: ModelKind;
  /** the stored version (its id and config JSON; validated in the worker) */
  version: StoredModel;
  weights: Uint8Array;
  backend?: BackendName;
}

/** One refinement: the image (decoded in the worker, kept while the same id comes again), clicks and the previous mask. */
export interface RefineCall {
  callId: number;
  imageId: number;
  path: string;
  clicks: { x: number; y: number; positive: boolean }[];
  /** image-size 0/1 mask of the object so far, or null */
  prevMask: Uint8Array | null;
  /** the object lies inside this box (inclusive image pixels; zero-shot sessions only) */
  box?: { x0: number; y0: number; x1: number; y1: number } | null;
  /** image-size object probabilities 0..255 from the host (the pre-label proposal), zero-shot sessions only */
  priors?: { prob: Uint8Array; source: 'prelabel'; weight?: number }[];
}

export type ToWorker =
  | { type: 'start'; request: TrainingRequest }
  | { type: 'predict'; request: PredictionRequest }
  | { type: 'refine-open'; request: RefineSessionRequest }
  | ({ type: 'refine' } & RefineCall)
  | { type: 'cancel' };

export type FromWorker =
  | { type: 'backend'; name: string; summary: string }
  | { type: 'loaded'; train: number; val: number }
  | { type: 'exchange'; buffer: SharedArrayBuffer }
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; outcome: TrainingOutcome }
  | { type: 'predicted'; image: PredictedImage; done: number; total: number }
  | { type: 'predict-failed'; id: number; error: SerializedError; done: number; total: number }
  | { type: 'predict-done'; done: number; failed: number; ms: number }
  | { type: 'refine-ready' }
  | { type: 'refined'; callId: number; mask: Uint8Array; width: number; height: number; score: number; ms: number; sources?: string[] }
  | { type: 'refine-failed'; callId: number; error: SerializedError }
  | { type: 'error'; error: SerializedError; cancelled: boolean };
