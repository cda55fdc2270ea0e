/**
 * Image resizes are separable linear maps: along each spatial axis every output position reads
 * one (nearest) or two (bilinear) input positions with fixed weights. Their gradient is the
 * transposed map, applied axis by axis as a scatter-add (ScatterNd accumulates duplicates).
 * The taps reproduce tfjs's forward formulas (the cpu and wasm forwards agree with them).
 */
import * as tf from '@tensorflow/tfjs';

/** One tap slot along an axis: for every output position, the input it reads and its weight. */
export interface TapSlot {
  inIndex: Int32Array;
  weight: Float32Array;
}

function ratio(inLen: number, outLen: number, alignCorners: boolean): number {
  const effIn = alignCorners && outLen > 1 ? inLen - 1 : inLen;
  const effOut = alignCorners && outLen > 1 ? outLen - 1 : outLen;
  return effIn / effOut;
}

export function bilinearTaps(inLen: number, outLen: number, alignCorners: boolean, halfPixelCenters: boolean): TapSlot[] {
  const r = ratio(inLen, outLen, alignCorners);
  const lo: TapSlot = { inIndex: new Int32Array(outLen), weight: new Float32Array(outLen) };
  const hi: TapSlot = { inIndex: new Int32Array(outLen), weight: new Float32Array(outLen) };
  for (let o = 0; o < outLen; o++) {
    const src = halfPixelCenters ? r * (o + 0.5) - 0.5 : r * o;
    const floor = Math.max(0, Math.floor(src));
    const frac = src - floor;
    lo.inIndex[o] = floor;
    lo.weight[o] = 1 - frac;
    hi.inIndex[o] = Math.min(inLen - 1, Math.ceil(src));
    hi.weight[o] = frac;
  }
  return [lo, hi];
}

export function nearestTaps(inLen: number, outLen: number, alignCorners: boolean, halfPixelCenters: boolean): TapSlot[] {
  const r = ratio(inLen, outLen, alignCorners);
  const slot: TapSlot = { inIndex: new Int32Array(outLen), weight: new Float32Array(outLen).fill(1) };
  for (let o = 0; o < outLen; o++) {
    const src = halfPixelCenters ? r * (o + 0.5) : r * o;
    let i = Math.min(inLen - 1, alignCorners ? Math.round(src) : Math.floor(src));
    if (halfPixelCenters) i = Math.max(0, i);
    slot.inIndex[o] = i;
  }
  return [slot];
}

/** The transpose of a resize along spatial axis 1 or 2 of an NHWC tensor. */
export function axisAdjoint(t: tf.Tensor4D, axis: 1 | 2, taps: readonly TapSlot[], inLen: number): tf.Tensor4D {
  const perm = axis === 1 ? [1, 0, 2, 3] : [2, 0, 1, 3];
  const back = axis === 1 ? [1, 0, 2, 3] : [1, 2, 0, 3];
  const moved = tf.transpose(t, perm);
  const [outLen, a, b, c] = moved.shape as [number, number, number, number];
  const rows = moved.reshape([outLen, a * b * c]);
  const updates = taps.map((s) => tf.mul(rows, tf.tensor2d(s.weight, [outLen, 1])));
  const indices = taps.map((s) => tf.tensor2d(s.inIndex, [outLen, 1], 'int32'));
  const summed = tf.scatterND(
    indices.length === 1 ? indices[0]! : tf.concat(indices),
    updates.length === 1 ? updates[0]! : tf.concat(updates),
    [inLen, a * b * c],
  );
  return tf.transpose(summed.reshape([inLen, a, b, c]), back) as tf.Tensor4D;
}
