import { describe, expect, it } from 'vitest';
import { computeFeatureStack } from '../../../../core/ml/live/compute-feature-stack';
import { buildTrainingSet, predictImage, predictStack, trainLiveModel } from '../../../../core/ml/live/live-classifier';
import { ForestInputError, forestFromJson, forestToJson, predictForest, trainForest } from '../../../../core/ml/live/random-forest';
import { createRng } from '../../../../core/ml/train/rng';

describe('random forest', () => {
  it('learns XOR of two features (no single axis split separates it)', () => {
    const rng = createRng(3);
    const n = 2000;
    const x = new Float32Array(n * 3);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const a = rng.next();
      const b = rng.next();
      x.set([a, b, rng.next()], i * 3);
      y[i] = (a > 0.5) !== (b > 0.5) ? 1 : 0;
    }
    const forest = trainForest(x, y, null, 3, 2, { trees: 10, seed: 1 });
    const test = new Float32Array([0.2, 0.2, 0.5, 0.8, 0.2, 0.5, 0.2, 0.8, 0.5, 0.8, 0.8, 0.5]);
    const p = predictForest(forest, test, 4);
    expect([p[1]! > 0.5, p[3]! > 0.5, p[5]! > 0.5, p[7]! > 0.5]).toEqual([false, true, true, false]);
    for (let i = 0; i < 4; i++) expect(p[2 * i]! + p[2 * i + 1]!).toBeCloseTo(1, 5);
    const back = forestFromJson(JSON.parse(JSON.stringify(forestToJson(forest))));
    expect(Array.from(predictForest(back, test, 4))).toEqual(Array.from(p));
  });

  it('sample weights shift the decision on overlapping classes (class balance)', () => {
    // class 1 is rare (5 %) and both classes overlap at x in [0.4, 0.6]
    const rng = createRng(5);
    const n = 4000;
    const x = new Float32Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 20 === 0 ? 1 : 0;
      x[i] = y[i] ? 0.4 + 0.6 * rng.next() : 0.6 * rng.next();
    }
    const plain = trainForest(x, y, null, 1, 2, { trees: 8, seed: 2, minLeaf: 20 });
    const w = Float32Array.from(y, (c) => (c ? 10 : 0.526));
    const balanced = trainForest(x, y, w, 1, 2, { trees: 8, seed: 2, minLeaf: 20 });
    const at = new Float32Array([0.5]);
    expect(predictForest(plain, at, 1)[1]).toBeLessThan(0.5);
    expect(predictForest(balanced, at, 1)[1]).toBeGreaterThan(0.5);
  });

  it('rejects bad input with typed errors', () => {
    expect(() => trainForest(new Float32Array(0), new Uint8Array(0), null, 1, 2)).toThrow(ForestInputError);
    expect(() => trainForest(new Float32Array(3), new Uint8Array(2), null, 1, 2)).toThrow(/need/);
    expect(() => trainForest(new Float32Array(2), new Uint8Array([0, 3]), null, 1, 2)).toThrow(/out of range/);
    expect(() => forestFromJson({ nope: 1 })).toThrow(ForestInputError);
  });
});

/** dark noisy background with bright discs; returns image and truth (0/1) */
function discs(w: number, h: number, seed: number) {
  const rng = createRng(seed);
  const data = new Uint8Array(w * h);
  const truth = new Uint8Array(w * h);
  const centres = Array.from({ length: 8 }, () => [8 + rng.next() * (w - 16), 8 + rng.next() * (h - 16), 4 + rng.next() * 5] as const);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = centres.some(([cx, cy, r]) => (x - cx) ** 2 + (y - cy) ** 2 < r * r);
      truth[y * w + x] = inside ? 1 : 0;
      data[y * w + x] = Math.max(0, Math.min(255, (inside ? 150 : 60) + rng.normal() * 25));
    }
  }
  return { image: { data, width: w, height: h, channels: 1 }, truth, centres };
}

describe('live classifier', () => {
  it('only painted pixels are training data; classes are balanced by weight', () => {
    const stack = { width: 4, height: 1, channels: 1, data: new Float32Array([0, 1, 2, 3]), names: ['v'] };
    const set = buildTrainingSet([{ stack, labels: new Uint8Array([1, 0, 2, 2]) }]);
    expect(Array.from(set.y)).toEqual([0, 1, 1]);
    expect(Array.from(set.x)).toEqual([0, 2, 3]);
    expect(set.perClass).toEqual([1, 2]);
    expect(set.w[0]! * 1).toBeCloseTo(set.w[1]! * 2, 6);
    expect(() => buildTrainingSet([{ stack, labels: new Uint8Array([0, 0, 0, 0]) }])).toThrow(/nothing is painted/);
    expect(() => buildTrainingSet([{ stack, labels: new Uint8Array([2, 2, 0, 0]) }])).toThrow(/both an object and the background/);
  });

  it('a few strokes on one image segment another image of the same kind (IoU > 0.7)', () => {
    const a = discs(96, 96, 11);
    const labels = new Uint8Array(96 * 96);
    // strokes: a horizontal line through each disc's centre, and background rows far from discs
    for (const [cx, cy, r] of a.centres) for (let x = Math.ceil(cx - r + 2); x < cx + r - 2; x++) labels[Math.round(cy) * 96 + x] = 2;
    for (let y = 0; y < 96; y += 12) for (let x = 0; x < 96; x++) if (a.truth.slice(Math.max(0, y - 4) * 96, Math.min(96, y + 5) * 96).every((v, i) => v === 0 || Math.abs((i % 96) - x) > 4)) labels[y * 96 + x] = 1;
    for (let i = 0; i < labels.length; i++) if (labels[i] === 2 && a.truth[i] === 0) labels[i] = 0;
    const opts = { scales: [0.7, 1.6, 3.5], tileRows: 32 };
    const model = trainLiveModel([{ stack: computeFeatureStack(a.image, opts), labels }], opts, { forest: { trees: 16 } });
    const b = discs(96, 96, 12);
    const pred = predictImage(model, b.image);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < b.truth.length; i++) {
      inter += pred.labels[i]! & b.truth[i]!;
      union += pred.labels[i]! | b.truth[i]!;
    }
    expect(inter / union).toBeGreaterThan(0.7);
    expect(pred.uncertainty.every((u) => u >= 0 && u <= 1)).toBe(true);
    // banded prediction == whole-stack prediction
    const whole = predictStack(model, computeFeatureStack(b.image, { ...opts, tileRows: 10_000 }));
    expect(Array.from(whole.labels)).toEqual(Array.from(pred.labels));
  });
});

describe('live model file', () => {
  it('round-trips (same predictions) and rejects corrupt bytes with a typed error', async () => {
    const { encodeLiveModel, decodeLiveModel } = await import('../../../../core/ml/live/live-model-file');
    const a = discs(48, 48, 21);
    const labels = Uint8Array.from(a.truth, (t, i) => (i % 3 === 0 ? t + 1 : 0));
    const opts = { scales: [0.7, 1.6] };
    const stack = computeFeatureStack(a.image, opts);
    const model = trainLiveModel([{ stack, labels }], opts, { forest: { trees: 4 } });
    const bytes = encodeLiveModel(model);
    const back = decodeLiveModel(bytes);
    expect(back.featureNames).toEqual(model.featureNames);
    expect(Array.from(predictStack(back, stack).probs)).toEqual(Array.from(predictStack(model, stack).probs));
    expect(() => decodeLiveModel(bytes.subarray(0, bytes.length - 8))).toThrow(ForestInputError);
    expect(() => decodeLiveModel(new Uint8Array(20))).toThrow(/magic/);
  });
});
