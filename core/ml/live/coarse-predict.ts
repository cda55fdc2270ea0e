/**
 * A live proposal on a large image, fast: the forest predicts every `stride`-th pixel in each
 * direction (the centre pixel of each stride x stride cell), and the class probabilities are
 * interpolated bilinearly to full resolution before the argmax and the uncertainty, so edges stay
 * smooth rather than blocky. stride 2 predicts a quarter of the pixels (the forest's cost is per
 * predicted pixel). Saved versions and pre-labelling predict every pixel.
 */
import type { FeatureStack } from './feature-types';
import { finish, predictStack, type LiveModel, type LivePrediction } from './live-classifier';
import { ForestInputError, predictForest } from './random-forest';

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
  const x = new Float32Array(gw * gh * f);
  for (let gy = 0; gy < gh; gy++) {
    const sy = px(gy, h);
    for (let gx = 0; gx < gw; gx++) {
      const o = (sy * w + px(gx, w)) * f;
      x.set(stack.data.subarray(o, o + f), (gy * gw + gx) * f);
    }
  }
  const grid = predictForest(model.forest, x, gw * gh);
  // bilinear between the sample points (their image positions px(g)); outside them: the edge value
  const probs = new Float32Array(w * h * K);
  const pos = (i: number, size: number, gsize: number): [number, number, number] => {
    const t = (i - (stride >> 1)) / stride;
    const g0 = Math.max(0, Math.min(gsize - 1, Math.floor(t)));
    const g1 = Math.min(gsize - 1, g0 + 1);
    const p0 = px(g0, size);
    const p1 = px(g1, size);
    const a = p1 > p0 ? Math.max(0, Math.min(1, (i - p0) / (p1 - p0))) : 0;
    return [g0, g1, a];
  };
  const cols = Array.from({ length: w }, (_, xx) => pos(xx, w, gw));
  for (let y = 0; y < h; y++) {
    const [r0, r1, b] = pos(y, h, gh);
    for (let xx = 0; xx < w; xx++) {
      const [c0, c1, a] = cols[xx]!;
      const i00 = (r0 * gw + c0) * K;
      const i01 = (r0 * gw + c1) * K;
      const i10 = (r1 * gw + c0) * K;
      const i11 = (r1 * gw + c1) * K;
      const o = (y * w + xx) * K;
      for (let c = 0; c < K; c++) {
        const top = grid[i00 + c]! * (1 - a) + grid[i01 + c]! * a;
        const bot = grid[i10 + c]! * (1 - a) + grid[i11 + c]! * a;
        probs[o + c] = top * (1 - b) + bot * b;
      }
    }
  }
  const n = w * h;
  const labels = new Uint8Array(n);
  const uncertainty = new Float32Array(n);
  finish(probs, n, K, labels, uncertainty, 0);
  return { width: w, height: h, classes: K, probs, labels, uncertainty };
}
