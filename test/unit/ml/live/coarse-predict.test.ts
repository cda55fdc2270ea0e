/** The live proposal of a large image from every other pixel: probabilities interpolated bilinearly; stride 1 is the plain prediction. */
import { describe, expect, it } from 'vitest';
import { liveStride, predictStackCoarse, LIVE_FULL_RES_PX } from '../../../../core/ml/live/coarse-predict';
import type { FeatureStack } from '../../../../core/ml/live/feature-types';
import { predictStack, type LiveModel } from '../../../../core/ml/live/live-classifier';
import { trainForest } from '../../../../core/ml/live/random-forest';

/** one feature per pixel: a smooth ramp across x; the class is x > the middle */
function ramp(w: number, h: number): FeatureStack {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x / (w - 1);
  return { width: w, height: h, channels: 1, data, names: ['ramp'] };
}

function model(): LiveModel {
  const n = 400;
  const x = new Float32Array(n);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i / (n - 1);
    y[i] = x[i]! > 0.5 ? 1 : 0;
  }
  return { kind: 'live-forest', features: {}, featureNames: ['ramp'], classes: 2, forest: trainForest(x, y, null, 1, 2, { trees: 4, seed: 1 }), trainedOn: { images: 1, samples: n, perClass: [200, 200] } };
}

describe('coarse live prediction', () => {
  it('stride 1 is the plain prediction; stride 2 agrees with it except near the class boundary', () => {
    const m = model();
    const st = ramp(61, 9);
    const full = predictStack(m, st);
    expect(Array.from(predictStackCoarse(m, st, 1).labels)).toEqual(Array.from(full.labels));
    const c = predictStackCoarse(m, st, 2);
    expect(c.width).toBe(61);
    expect(c.probs.length).toBe(61 * 9 * 2);
    let differ = 0;
    for (let i = 0; i < c.labels.length; i++) {
      if (c.labels[i] !== full.labels[i]) {
        differ++;
        // only within a pixel or two of the boundary at x = 30
        expect(Math.abs((i % 61) - 30)).toBeLessThanOrEqual(2);
      }
      expect(c.probs[2 * i]! + c.probs[2 * i + 1]!).toBeCloseTo(1, 5);
      expect(c.uncertainty[i]).toBeGreaterThanOrEqual(0);
    }
    expect(differ).toBeLessThanOrEqual(2 * 9);
  });

  it('interpolates between sample points: a probability halfway between two samples is their mean', () => {
    const m = model();
    const st = ramp(8, 4);
    const c = predictStackCoarse(m, st, 2);
    // samples at x = 1, 3, 5, 7 (cell centres); x = 2 lies halfway between 1 and 3
    const g = predictStack(m, st);
    const at = (p: Float32Array, x: number) => p[x * 2 + 1]!;
    expect(at(c.probs, 2)).toBeCloseTo((at(g.probs, 1) + at(g.probs, 3)) / 2, 5);
    expect(at(c.probs, 0)).toBeCloseTo(at(g.probs, 1), 5); // left of the first sample: the edge value
    expect(() => predictStackCoarse(m, st, 0)).toThrow(RangeError);
  });

  it('Live predicts every pixel up to 640 x 640, every other pixel above', () => {
    expect(LIVE_FULL_RES_PX).toBe(640 * 640);
    expect(liveStride(640, 640)).toBe(1);
    expect(liveStride(1024, 1024)).toBe(2);
  });
});
