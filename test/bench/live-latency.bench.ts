/**
 * Latency of the live classifier's two heavy steps on a 1024 x 1024 RGB image, on the SIMD wasm
 * kernels (the product's path) and on the pure-TS fallback, in the same process: the feature
 * stack (computeFeatureStack, default scales and filters) and the forest's predict from the
 * cached stack (32 trees, every pixel; and every other pixel as Live does above 640²). The image
 * is synthetic (textured blobs on a noisy background); the forest is trained on 8000 pixels of
 * its truth. `npm run bench -- live-latency`; BENCH_QUICK=1 runs fewer repeats.
 * The same "features of a 1024x1024 RGB image" row is also in the live suite (live.bench.ts).
 */
import os from 'node:os';
import { computeFeatureStack } from '../../core/ml/live/compute-feature-stack';
import { predictStackCoarse } from '../../core/ml/live/coarse-predict';
import { trainLiveModel } from '../../core/ml/live/live-classifier';
import { predictForest } from '../../core/ml/live/random-forest';
import { liveKernelsUnavailable, setLiveKernelsEnabled } from '../../core/ml/wasm-kernels/live-kernels';
import type { BenchContext, BenchResult, BenchSuite } from './bench-types';
import { median, percentile } from './bench-types';

function image(size: number): { data: Uint8Array; truth: Uint8Array } {
  let seed = 5;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const blobs = Array.from({ length: 60 }, () => ({ cx: rnd() * size, cy: rnd() * size, r: 10 + rnd() * 30, tint: rnd() }));
  const data = new Uint8Array(size * size * 3);
  const truth = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      let v = [30, 40, 35];
      for (const b of blobs)
        if (Math.hypot(x - b.cx, y - b.cy) < b.r) {
          v = [150 + 80 * b.tint, 120, 200 - 80 * b.tint];
          truth[i] = 1;
          break;
        }
      for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.max(0, Math.min(255, v[c]! + (rnd() - 0.5) * 40));
    }
  return { data, truth };
}

const suite: BenchSuite = {
  name: 'live-latency',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const size = 1024;
    const reps = ctx.quick ? 3 : 7;
    const loadAtStart = os.loadavg()[0]!;
    const { data, truth } = image(size);
    const img = { data, width: size, height: size, channels: 3 };
    const wasmWhy = liveKernelsUnavailable();
    const time = (fn: () => void, n: number): number[] =>
      Array.from({ length: n }, () => {
        const t0 = performance.now();
        fn();
        return performance.now() - t0;
      });
    const paths: { name: string; wasm: boolean }[] = [
      { name: 'SIMD wasm', wasm: true },
      { name: 'TS fallback', wasm: false },
    ];
    const feat: Record<string, number[]> = {};
    const pred: Record<string, number[]> = {};
    const coarse: Record<string, number[]> = {};
    let stack = computeFeatureStack(img);
    // the forest: 8000 random pixels of the truth as labels (1 background, 2 object)
    const labels = new Uint8Array(size * size);
    for (let k = 0; k < 8000; k++) {
      const i = Math.floor(((k * 2654435761) >>> 0) % (size * size));
      labels[i] = truth[i]! + 1;
    }
    const model = trainLiveModel([{ stack, labels }], {});
    for (const p of paths) {
      setLiveKernelsEnabled(p.wasm);
      const n = p.wasm ? reps : Math.max(2, Math.ceil(reps / 2));
      ctx.log(`${p.name}: features x${n}`);
      feat[p.name] = time(() => (stack = computeFeatureStack(img)), n);
      ctx.log(`${p.name}: predict x${n}`);
      pred[p.name] = time(() => predictForest(model.forest, stack.data, size * size), n);
      coarse[p.name] = time(() => predictStackCoarse(model, stack, 2), n);
    }
    setLiveKernelsEnabled(true);
    const loadAtEnd = os.loadavg()[0]!;
    const w = 'SIMD wasm';
    const t = 'TS fallback';
    const row = (xs: number[]) => `median ${median(xs).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms over ${xs.length}`;
    return {
      title: 'Live classifier latency (features and predict, 1024² RGB)',
      rows: [
        { metric: 'features of a 1024x1024 RGB image (55 features), SIMD wasm', value: median(feat[w]!) / 1000, unit: 's (median)', target: '<= 1 s', met: median(feat[w]!) <= 1000, note: `${row(feat[w]!)}${wasmWhy ? `; wasm unavailable: ${wasmWhy}` : ''}` },
        { metric: 'features of a 1024x1024 RGB image, TS fallback', value: median(feat[t]!) / 1000, unit: 's (median)', note: row(feat[t]!) },
        { metric: `predict 1024² from cached features (${model.forest.trees.length} trees, every pixel), SIMD wasm`, value: median(pred[w]!) / 1000, unit: 's (median)', note: row(pred[w]!) },
        { metric: 'predict 1024² from cached features, TS fallback', value: median(pred[t]!) / 1000, unit: 's (median)', note: row(pred[t]!) },
        { metric: 'live predict 1024² (every other pixel, interpolated), SIMD wasm', value: median(coarse[w]!), unit: 'ms (median)', note: row(coarse[w]!) },
        { metric: 'live predict 1024² (every other pixel), TS fallback', value: median(coarse[t]!), unit: 'ms (median)', note: row(coarse[t]!) },
      ],
      summary: `Same process, same image, the wasm path first. Load average ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at the end (${os.cpus().length} cores shared with other jobs): idle figures are lower.`,
      details: { features: feat, predict: pred, coarse, loadAtStart, loadAtEnd, wasmUnavailable: wasmWhy },
    };
  },
};

export default suite;
