/**
 * Whole-image prediction for any image size: sliding windows with overlap blending (images up
 * to `tileSize` run as one padded window), per-pixel class and confidence, and an uncertainty
 * map (normalised entropy or 1 - margin). Every tensor lives inside a tidy.
 */
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../api/errors';
import type { ModelImage } from '../model-image';
import { outputChannels, sizeMultiple, type SegModelConfig } from '../models/model-config';
import { extractTile, TileBlender, tileGrid, type Tile } from './sliding-window';

export type UncertaintyKind = 'entropy' | 'margin';

export interface PredictOptions {
  /** largest window side fed to the model (rounded up to the model's size multiple); default 512 */
  tileSize?: number;
  /** overlap of neighbouring windows in pixels; default 64 */
  overlap?: number;
  /** windows per forward pass; default 2 */
  batchSize?: number;
  uncertainty?: UncertaintyKind;
  /** also return the blended class probabilities (HWK) */
  keepProbabilities?: boolean;
  signal?: AbortSignal;
}

export interface SegPrediction {
  width: number;
  height: number;
  /** classes incl. background (2 for a binary model) */
  k: number;
  /** argmax class per pixel: 0 background, 1..k-1 foreground classes (model indices) */
  classMap: Uint8Array;
  /** probability of the chosen class */
  confidence: Float32Array;
  /** 0 (certain) .. 1 (uncertain) */
  uncertainty: Float32Array;
  meanUncertainty: number;
  probabilities?: Float32Array;
}

export function cancelledError(what: string): AppError {
  return new AppError('cancelled', `${what} was cancelled.`);
}

/** Probabilities [N,H,W,K'] (K' = 2 for a binary model: background, foreground) of a batch. */
export function probabilities(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const logits = model.predict(x) as tf.Tensor4D;
    if (logits.shape[3] === 1) {
      const p = tf.sigmoid(logits);
      return tf.concat([tf.sub(1, p), p], 3) as tf.Tensor4D;
    }
    return tf.softmax(logits) as tf.Tensor4D;
  });
}

/** Per-pixel argmax, confidence and uncertainty from probabilities (HWK). */
export function summarizeProbabilities(probs: Float32Array, width: number, height: number, k: number, kind: UncertaintyKind = 'entropy'): Omit<SegPrediction, 'probabilities'> {
  const n = width * height;
  const classMap = new Uint8Array(n);
  const confidence = new Float32Array(n);
  const uncertainty = new Float32Array(n);
  const logK = Math.log(k);
  let total = 0;
  for (let p = 0; p < n; p++) {
    let best = 0;
    let b1 = -1;
    let b2 = -1;
    let h = 0;
    for (let c = 0; c < k; c++) {
      const v = probs[p * k + c]!;
      if (v > b1) {
        b2 = b1;
        b1 = v;
        best = c;
      } else if (v > b2) b2 = v;
      if (v > 1e-12) h -= v * Math.log(v);
    }
    classMap[p] = best;
    confidence[p] = b1;
    const u = kind === 'entropy' ? h / logK : 1 - (b1 - Math.max(b2, 0));
    uncertainty[p] = u < 0 ? 0 : u > 1 ? 1 : u;
    total += uncertainty[p]!;
  }
  return { width, height, k, classMap, confidence, uncertainty, meanUncertainty: n ? total / n : 0 };
}

/** Blended class probabilities (HWK, K incl. background) of the whole image. */
export async function predictProbabilities(model: tf.LayersModel, cfg: SegModelConfig, image: ModelImage, opts: PredictOptions = {}): Promise<{ probs: Float32Array; k: number }> {
  const expected = cfg.imageChannels + (cfg.interactive ? 3 : 0);
  if (image.channels !== expected) throw new AppError('invalid-argument', `The model reads ${expected}-channel input; the image has ${image.channels} channel(s).`);
  if (!(image.width > 0 && image.height > 0)) throw new AppError('invalid-argument', 'The image has no pixels.');
  const mult = sizeMultiple(cfg);
  const tileSize = opts.tileSize ?? 512;
  const overlap = Math.min(opts.overlap ?? 64, Math.floor(tileSize / 2));
  const batch = Math.max(1, opts.batchSize ?? 2);
  const k = Math.max(2, outputChannels(cfg));
  const tiles = tileGrid(image.width, image.height, tileSize, overlap, mult);
  const blender = new TileBlender(image.width, image.height, k, overlap);
  for (let i = 0; i < tiles.length; i += batch) {
    if (opts.signal) await new Promise<void>((resolve) => setImmediate(resolve));
    if (opts.signal?.aborted) throw cancelledError('Prediction');
    const group: Tile[] = tiles.slice(i, i + batch);
    const { width: tw, height: th } = group[0]!;
    const c = image.channels;
    const buf = new Float32Array(group.length * tw * th * c);
    group.forEach((t, j) => extractTile(image, t, buf, j * tw * th * c));
    const out = tf.tidy(() => probabilities(model, tf.tensor4d(buf, [group.length, th, tw, c])));
    const values = await out.data();
    out.dispose();
    group.forEach((t, j) => blender.add(t, values, j * tw * th * k));
  }
  return { probs: blender.result(), k };
}

/** Predicts a whole image (see the module comment). */
export async function predictImage(model: tf.LayersModel, cfg: SegModelConfig, image: ModelImage, opts: PredictOptions = {}): Promise<SegPrediction> {
  const { probs, k } = await predictProbabilities(model, cfg, image, opts);
  const summary = summarizeProbabilities(probs, image.width, image.height, k, opts.uncertainty ?? 'entropy');
  return opts.keepProbabilities ? { ...summary, probabilities: probs } : summary;
}
