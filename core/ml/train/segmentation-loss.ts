/**
 * Cross-entropy + soft Dice with per-pixel weights.
 *
 * Binary head (one logit z per pixel, target t in {0,1}, weight w; w = 0 ignores a pixel):
 *   CE   = sum w * (max(z,0) - z t + log(1 + exp(-|z|))) / sum w
 *   Dice = 1 - (2 sum w p t + eps) / (sum w p + sum w t + eps),  p = sigmoid(z)
 * Multi-class head (K logits, one-hot target T):
 *   CE   = sum_px w * (-sum_k T_k log softmax(z)_k) / sum w
 *   Dice = mean over the foreground classes k = 1..K-1 of the binary Dice of (p_k, T_k)
 * Loss = CE + diceWeight * Dice. eps = 1 (smooths classes absent from the batch: their Dice
 * only pushes predicted probability down).
 */
import * as tf from '@tensorflow/tfjs';
import { IGNORE_LABEL } from './augment';

export interface LossOptions {
  diceWeight: number;
  eps?: number;
}

export interface LossTerms {
  ce: tf.Scalar;
  dice: tf.Scalar;
  total: tf.Scalar;
}

function softDice(p: tf.Tensor, t: tf.Tensor, w: tf.Tensor, eps: number): tf.Scalar {
  const inter = tf.sum(tf.mul(tf.mul(p, t), w));
  const denom = tf.add(tf.sum(tf.mul(p, w)), tf.sum(tf.mul(t, w)));
  return tf.sub(1, tf.div(tf.add(tf.mul(inter, 2), eps), tf.add(denom, eps))) as tf.Scalar;
}

/**
 * logits [B,H,W,K] (K = 1 binary, else classes incl. background); target [B,H,W,K] (0/1 for
 * K = 1, one-hot otherwise); weights [B,H,W,1].
 */
export function segmentationLossTerms(logits: tf.Tensor4D, target: tf.Tensor4D, weights: tf.Tensor4D, opts: LossOptions): LossTerms {
  const eps = opts.eps ?? 1;
  const k = logits.shape[3];
  const wsum = tf.maximum(tf.sum(weights), 1e-6);
  let ce: tf.Scalar;
  let dice: tf.Scalar;
  if (k === 1) {
    const z = logits;
    const perPx = tf.add(tf.sub(tf.relu(z), tf.mul(z, target)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    ce = tf.div(tf.sum(tf.mul(perPx, weights)), wsum) as tf.Scalar;
    dice = softDice(tf.sigmoid(z), target, weights, eps);
  } else {
    const logp = tf.logSoftmax(logits);
    ce = tf.div(tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(logp, target), -1, true)), weights)), wsum) as tf.Scalar;
    const p = tf.exp(logp);
    const ps = tf.split(p, k, 3);
    const ts = tf.split(target, k, 3);
    let acc: tf.Tensor = tf.scalar(0);
    for (let c = 1; c < k; c++) acc = tf.add(acc, softDice(ps[c]!, ts[c]!, weights, eps));
    dice = tf.div(acc, k - 1) as tf.Scalar;
  }
  return { ce, dice, total: tf.add(ce, tf.mul(dice, opts.diceWeight)) as tf.Scalar };
}

export function segmentationLoss(logits: tf.Tensor4D, target: tf.Tensor4D, weights: tf.Tensor4D, opts: LossOptions): tf.Scalar {
  return segmentationLossTerms(logits, target, weights, opts).total;
}

/**
 * Builds target and weight arrays from labels (class index per pixel, IGNORE_LABEL = ignore)
 * and optional per-pixel weights. k = 1: target is the foreground indicator.
 */
export function encodeTargets(labels: Uint8Array, pixelWeights: Float32Array | null, k: number): { target: Float32Array; weights: Float32Array } {
  const n = labels.length;
  const target = new Float32Array(n * k);
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l === IGNORE_LABEL) continue;
    weights[i] = pixelWeights ? pixelWeights[i]! : 1;
    if (k === 1) target[i] = l > 0 ? 1 : 0;
    else if (l < k) target[i * k + l] = 1;
  }
  return { target, weights };
}
