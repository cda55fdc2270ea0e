/**
 * The one model interface of core/ml. A `Segmenter` proposes a whole-image mask (class
 * probabilities and uncertainty per pixel); a `ClickSegmenter` segments one object from clicks.
 * Each model kind (core/api ModelKind) has one entry in SEGMENTER_KINDS (segmenter-kinds.ts)
 * that loads a stored version into one of these; callers (batch pre-labelling, click
 * refinement, benches) never see the network or its config.
 */
import type { ModelKind } from '../api/types';
import type { Click } from './clicks/click-maps';
import type { ModelImage, InputNorm } from './model-image';
import type { PredictOptions, SegPrediction } from './infer/predict-image';

export interface Segmenter {
  readonly kind: ModelKind;
  /** the project class ids it predicts, in output order */
  readonly classIds: readonly number[];
  /** how an image is prepared for it (prepareModelImage) */
  readonly input: { channels: number; norm: InputNorm };
  /** per-pixel class probabilities, the arg-max map and uncertainty for a whole image */
  predict(image: ModelImage, opts?: PredictOptions): Promise<SegPrediction>;
  /** frees its weights */
  dispose(): void;
}

export interface ClickSegmenter {
  readonly kind: ModelKind;
  readonly input: { channels: number; norm: InputNorm };
  /** prepares an image (once per image) */
  setImage(image: ModelImage): void;
  readonly currentImage: ModelImage | null;
  /** the object from these clicks (and the mask so far): an image-size 0/1 mask and its mean probability */
  refine(req: { clicks: readonly Click[]; prevMask?: Uint8Array | null }): Promise<{ mask: Uint8Array; score: number; ms: number; prob?: Float32Array }>;
  dispose(): void;
}
