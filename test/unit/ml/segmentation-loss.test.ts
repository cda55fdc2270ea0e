/** Losses against hand-computed values; schedule and early stopping. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosineLr } from '../../../core/ml/train/cosine-lr';
import { EarlyStopping } from '../../../core/ml/train/early-stopping';
import { encodeTargets, segmentationLossTerms } from '../../../core/ml/train/segmentation-loss';
import { IGNORE_LABEL } from '../../../core/ml/train/augment';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (t: tf.Tensor) => t.dataSync()[0]!;

describe('segmentation loss', () => {
  it('binary: weighted BCE + soft Dice (hand-computed)', () => {
    // logits 0, 2, -1, 3; targets 1, 0, 0, 1; weights 1, 2, 1, 0 (the last pixel is ignored)
    tf.tidy(() => {
      const z = tf.tensor4d([0, 2, -1, 3], [1, 2, 2, 1]);
      const t = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]);
      const w = tf.tensor4d([1, 2, 1, 0], [1, 2, 2, 1]);
      const r = segmentationLossTerms(z, t, w, { diceWeight: 0.5 });
      // CE = (ln 2 + 2 (2 + ln(1+e^-2)) + ln(1+e^-1)) / 4
      expect(value(r.ce)).toBeCloseTo(1.3150662, 5);
      // Dice = 1 - (2*0.5 + 1) / (sum w p + sum w t + 1)
      expect(value(r.dice)).toBeCloseTo(0.5585511, 5);
      expect(value(r.total)).toBeCloseTo(1.5943418, 5);
    });
  });

  it('multi-class: weighted softmax CE + mean foreground Dice (hand-computed)', () => {
    tf.tidy(() => {
      const z = tf.tensor4d([1, 0, 0, 0, 2, 1], [1, 1, 2, 3]);
      const { target, weights } = encodeTargets(Uint8Array.from([0, 2]), null, 3);
      const r = segmentationLossTerms(z, tf.tensor4d(target, [1, 1, 2, 3]), tf.tensor4d(weights, [1, 1, 2, 1]), { diceWeight: 1 });
      expect(value(r.ce)).toBeCloseTo(0.9795253, 5);
      expect(value(r.dice)).toBeCloseTo(0.4304979, 5);
      expect(value(r.total)).toBeCloseTo(1.4100232, 5);
    });
  });

  it('encodeTargets: one-hot or indicator, ignore gets weight 0, pixel weights pass through', () => {
    const labels = Uint8Array.from([0, 1, 2, IGNORE_LABEL]);
    const bin = encodeTargets(labels, Float32Array.from([1, 3, 1, 5]), 1);
    expect([...bin.target]).toEqual([0, 1, 1, 0]);
    expect([...bin.weights]).toEqual([1, 3, 1, 0]);
    const multi = encodeTargets(labels, null, 3);
    expect([...multi.target]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    expect([...multi.weights]).toEqual([1, 1, 1, 0]);
  });

  it('weighting a pixel up moves the loss toward its error', () => {
    const run = (w: number[]) =>
      tf.tidy(() => value(segmentationLossTerms(tf.tensor4d([3, -3], [1, 1, 2, 1]), tf.tensor4d([0, 0], [1, 1, 2, 1]), tf.tensor4d(w, [1, 1, 2, 1]), { diceWeight: 0 }).ce));
    expect(run([3, 1])).toBeGreaterThan(run([1, 1]));
  });
});

describe('cosine learning rate', () => {
  it('warms up linearly, then decays from lr to minLr along a half cosine', () => {
    const o = { lr: 1e-3, minLr: 1e-5, warmup: 0.1 };
    expect(cosineLr(0.05, o)).toBeCloseTo(5e-4, 10);
    expect(cosineLr(0.1, o)).toBeCloseTo(1e-3, 10);
    expect(cosineLr(0.55, o)).toBeCloseTo(1e-5 + 0.5 * (1e-3 - 1e-5), 10);
    expect(cosineLr(1, o)).toBeCloseTo(1e-5, 12);
    expect(cosineLr(2, o)).toBeCloseTo(1e-5, 12);
    expect(cosineLr(0.5, { lr: 1 })).toBeCloseTo(0.5, 10);
  });
});

describe('early stopping', () => {
  it('stops after `patience` evaluations without improvement and remembers the best', () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0.01 });
    expect(es.update(0.5, 10)).toEqual({ improved: true, stop: false });
    expect(es.update(0.505, 20)).toEqual({ improved: false, stop: false });
    expect(es.update(0.6, 30)).toEqual({ improved: true, stop: false });
    expect(es.update(0.59, 40).stop).toBe(false);
    expect(es.update(NaN, 50)).toEqual({ improved: false, stop: true });
    expect([es.best, es.bestAt, es.evaluations]).toEqual([0.6, 30, 5]);
  });
});
