/**
 * A live proposal on a large image, fast: the forest predicts every `stride`-th pixel in each
 * direction (the centre pixel of each stride x stride cell), and the class probabilities are
 * interpolated bilinearly to full resolution before the argmax and the uncertainty, so edges stay
 * smooth rather than blocky. stride 2 predicts a quarter of the pixels (the forest's cost is per
 * predicted pixel). Saved versions and pre-labelling predict every pixel.
 */
import type { FeatureStack } from './feature-types';
import { finish, predictStack, type LiveModel, type LivePrediction } from './live-classifier';
import { ForestInputError, predictForestRows } from './random-forest';

/** images up to this many pixels are predicted at every pixel while Live is on */
export const LIVE_FULL_RES_PX = 640 * 640;

/** the stride the live proposal of a width x height image is predicted at */
export function liveStride(width: number, height: number): number {
  return width * height > LIVE_FULL_RES_PX ? 2 : 1;
}

export function predictStackCoarse(model: LiveModel, stack: FeatureStack, stride: number): LivePrediction {
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`stride must be a positive integer (got ${stride})`);
  if (stride === 1) return predictStack(model, stack);
  const f = stack.channels;
  if (f !== model.forest.features) throw new ForestInputError(`the image has ${f} features; the model was trained on ${model.forest.features}`);
  const { width: w, height: h } = stack;
  const K = model.classes;
  const gw = Math.ceil(w / stride);
  const gh = Math.ceil(h / stride);
  // the centre pixel of each cell (clamped into the image)
  const px = (g: number, size: number) => Math.min(size - 1, g * stride + (stride >> 1));
  const rows = new Int32Array(gw * gh);
  for (let gy = 0, r = 0; gy < gh; gy++) {
    const sy = px(gy, h);
    for (let gx = 0; gx < gw; gx++) rows[r++] = (sy * w + px(gx, w)) * f;
  }
  const grid = predictForestRows(model.forest, stack.data, rows);
  // bilinear between the sample points (their image positions px(g)); outside them: the edge value
  const probs = new Float32Array(w * h * K);
  const taps = (size: number, gsize: number) => {
    const g0 = new Int32Array(size);
    const g1 = new Int32Array(size);
    const a = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const t = (i - (stride >> 1)) / stride;
      g0[i] = Math.max(0, Math.min(gsize - 1, Math.floor(t)));
      g1[i] = Math.min(gsize - 1, g0[i]! + 1);
      const p0 = px(g0[i]!, size);
      const p1 = px(g1[i]!, size);
      a[i] = p1 > p0 ? Math.max(0, Math.min(1, (i - p0) / (p1 - p0))) : 0;
    }
    return { g0, g1, a };
  };
  const tc = taps(w, gw);
  const tr = taps(h, gh);
  for (let y = 0; y < h; y++) {
    const r0 = tr.g0[y]! * gw;
    const r1 = tr.g1[y]! * gw;
    const b = tr.a[y]!;
    for (let xx = 0, o = y * w * K; xx < w; xx++) {
      const a = tc.a[xx]!;
      const i00 = (r0 + tc.g0[xx]!) * K;
      const i01 = (r0 + tc.g1[xx]!) * K;
      const i10 = (r1 + tc.g0[xx]!) * K;
      const i11 = (r1 + tc.g1[xx]!) * K;
      for (let c = 0; c < K; c++, o++) {
        const top = grid[i00 + c]! * (1 - a) + grid[i01 + c]! * a;
        const bot = grid[i10 + c]! * (1 - a) + grid[i11 + c]! * a;
        probs[o] = top * (1 - b) + bot * b;
      }
    }
  }
  const n = w * h;
  const labels = new Uint8Array(n);
  const uncertainty = new Float32Array(n);
  finish(probs, n, K, labels, uncertainty, 0);
  return { width: w, height: h, classes: K, probs, labels, uncertainty };
}
