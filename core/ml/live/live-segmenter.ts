/**
 * The live forest as a Segmenter (segmenter-kinds entry 'live'): a stored version of kind 'live'
 * (arch 'live-forest', weights: live-model-file bytes) pre-labels whole images like a U-Net does.
 * Its config (LiveModelConfig) names the project classes of the forest's classes 1.. and the
 * feature options; the image comes in as the product prepares it ('unit' 0..1 RGB).
 */
import type { ModelImage } from '../model-image';
import type { PredictOptions, SegPrediction } from '../infer/predict-image';
import type { Segmenter } from '../segmenter';
import type { FeatureStackOptions } from './feature-types';
import { predictImage, type LiveModel } from './live-classifier';
import { decodeLiveModel, LIVE_MODEL_ARCH } from './live-model-file';

/** What a live version stores as its config JSON. */
export interface LiveModelConfig {
  kind: 'live';
  arch: typeof LIVE_MODEL_ARCH;
  /** project class id of each foreground class index 1..classes-1 */
  classIds: number[];
  imageChannels: 3;
  inputNorm: 'unit';
  features: FeatureStackOptions;
}

/** The product's feature options: per-image contrast normalisation (README: the live pixel classifier). */
export const LIVE_FEATURES: FeatureStackOptions = { normalize: 'robust' };

export function liveModelConfig(classIds: number[], features: FeatureStackOptions = LIVE_FEATURES): LiveModelConfig {
  return { kind: 'live', arch: LIVE_MODEL_ARCH, classIds, imageChannels: 3, inputNorm: 'unit', features };
}

/** A stored config as a LiveModelConfig (RangeError when it is not one). */
export function parseLiveModelConfig(json: object): LiveModelConfig {
  const c = json as Partial<LiveModelConfig>;
  if (c.arch !== LIVE_MODEL_ARCH) throw new RangeError(`live model config: arch must be '${LIVE_MODEL_ARCH}', got '${String(c.arch)}'`);
  if (!Array.isArray(c.classIds) || !c.classIds.every((x) => Number.isInteger(x) && x > 0)) throw new RangeError('live model config: classIds must list project class ids');
  return { ...liveModelConfig(c.classIds, c.features ?? LIVE_FEATURES) };
}

export class LiveSegmenter implements Segmenter {
  readonly kind = 'live' as const;
  readonly classIds: readonly number[];
  readonly input = { channels: 3, norm: 'unit' } as const;

  constructor(
    readonly model: LiveModel,
    readonly config: LiveModelConfig,
  ) {
    if (model.classes - 1 > config.classIds.length) throw new RangeError(`the live forest predicts ${model.classes - 1} classes, the config names ${config.classIds.length}`);
    this.classIds = config.classIds;
  }

  static fromBytes(config: object, weights: Uint8Array): LiveSegmenter {
    return new LiveSegmenter(decodeLiveModel(weights), parseLiveModelConfig(config));
  }

  predict(image: ModelImage, opts: PredictOptions = {}): Promise<SegPrediction> {
    const p = predictImage(this.model, { data: image.data, width: image.width, height: image.height, channels: image.channels });
    const n = p.width * p.height;
    const K = p.classes;
    const confidence = new Float32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      confidence[i] = p.probs[i * K + p.labels[i]!]!;
      total += p.uncertainty[i]!;
    }
    return Promise.resolve({ width: p.width, height: p.height, k: K, classMap: p.labels, confidence, uncertainty: p.uncertainty, meanUncertainty: n ? total / n : 0, ...(opts.keepProbabilities ? { probabilities: p.probs } : {}) });
  }

  dispose(): void {}
}
