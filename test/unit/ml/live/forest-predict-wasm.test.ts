/**
 * Forest predict on the SIMD wasm kernel (rf_predict) against the TS loop: the same trees give
 * the same probabilities bit for bit, over chunk boundaries, odd row counts, 2-5 classes, NaN
 * features, a hand-built tree whose children are not adjacent, and an `out` buffer that is
 * larger than needed.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ForestInputError, forestFromJson, predictForest, predictForestRows, trainForest, type RandomForest } from '../../../../core/ml/live/random-forest';
import { liveKernelsUnavailable, setLiveKernelsEnabled } from '../../../../core/ml/wasm-kernels/live-kernels';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

function both(forest: RandomForest, x: Float32Array, n: number): { ts: Float32Array; wasm: Float32Array } {
  setLiveKernelsEnabled(false);
  const ts = predictForest(forest, x, n);
  setLiveKernelsEnabled(true);
  const wasm = predictForest(forest, x, n);
  return { ts, wasm };
}

// both paths are compared even where MASKWRIGHT_LIVE_WASM=0 turns the wasm one off by default
beforeAll(() => {
  setLiveKernelsEnabled(true);
});
afterEach(() => {
  setLiveKernelsEnabled(true);
});

describe('predictForest: SIMD wasm == TS', () => {
  it('the wasm kernels run here', () => {
    expect(liveKernelsUnavailable()).toBeNull();
  });

  for (const [classes, f, n] of [
    [2, 7, 1],
    [2, 11, 4099 * 2 + 3],
    [3, 5, 37],
    [5, 13, 1001],
  ] as const) {
    it(`${classes} classes, ${f} features, ${n} rows: identical`, () => {
      const r = rng(classes * 100 + f);
      const m = 600;
      const xt = Float32Array.from({ length: m * f }, r);
      const yt = Uint8Array.from({ length: m }, (_, i) => Math.min(classes - 1, Math.floor((xt[i * f]! + xt[i * f + 1]! * 0.5 + r() * 0.3) * classes * 0.7)));
      const forest = trainForest(xt, yt, null, f, classes, { trees: 9, seed: 3 });
      const x = Float32Array.from({ length: n * f }, () => r() * 1.2 - 0.1);
      if (n > 10) x[5 * f + 1] = NaN;
      const { ts, wasm } = both(forest, x, n);
      expect(wasm.length).toBe(n * classes);
      expect(Array.from(wasm)).toEqual(Array.from(ts));
    });
  }

  it('a hand-built tree (right child before left) and a larger out buffer', () => {
    // node 0: x0 < 0.5 ? node 2 : node 1; node 2: x1 < 0.25 ? node 3 : node 4
    const forest = forestFromJson({
      classes: 2,
      features: 2,
      trees: [
        { feature: [0, -1, 1, -1, -1], threshold: [0.5, 0, 0.25, 0, 0], left: [2, -1, 3, -1, -1], right: [1, -1, 4, -1, -1], value: [0.5, 0.5, 0.9, 0.1, 0.5, 0.5, 0.2, 0.8, 0.6, 0.4] },
        { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0.25, 0.75] },
      ],
    });
    const x = Float32Array.from([0.9, 0, 0.1, 0.1, 0.1, 0.9, 0.5, 0.25, 0.1, 0.2]);
    const out = new Float32Array(12).fill(7);
    predictForest(forest, x, 5, out);
    const expectTree = [
      [0.9, 0.1],
      [0.2, 0.8],
      [0.6, 0.4],
      [0.9, 0.1],
      [0.2, 0.8],
    ];
    expectTree.forEach(([a, b], i) => {
      expect(out[2 * i]).toBeCloseTo((a! + 0.25) / 2, 6);
      expect(out[2 * i + 1]).toBeCloseTo((b! + 0.75) / 2, 6);
    });
    expect(out[10]).toBe(7);
    const { ts, wasm } = both(forest, x, 5);
    expect(Array.from(wasm)).toEqual(Array.from(ts));
  });

  it('predictForestRows (rows picked by offset) == predictForest of the gathered table, on both paths', () => {
    const r = rng(77);
    const f = 6;
    const xt = Float32Array.from({ length: 400 * f }, r);
    const yt = Uint8Array.from({ length: 400 }, (_, i) => (xt[i * f]! > 0.5 ? 1 : 0));
    const forest = trainForest(xt, yt, null, f, 2, { trees: 5 });
    const data = Float32Array.from({ length: 9000 * f }, r);
    const rows = Int32Array.from({ length: 4100 }, (_, i) => ((i * 7919) % 9000) * f);
    const table = new Float32Array(rows.length * f);
    rows.forEach((o, i) => table.set(data.subarray(o, o + f), i * f));
    const want = Array.from(predictForest(forest, table, rows.length));
    expect(Array.from(predictForestRows(forest, data, rows))).toEqual(want);
    setLiveKernelsEnabled(false);
    expect(Array.from(predictForestRows(forest, data, rows))).toEqual(want);
    expect(() => predictForestRows(forest, data, Int32Array.from([data.length - 2]))).toThrow(ForestInputError);
  });
});
