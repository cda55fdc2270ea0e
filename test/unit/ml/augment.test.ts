/** Augmentation functions on plain arrays: exact small cases and invariants. */
import { describe, expect, it } from 'vitest';
import {
  addNoise,
  colorJitter,
  DEFAULT_AUGMENT,
  flipPatch,
  invertContrast,
  NO_AUGMENT,
  permuteChannels,
  toGrey,
  randomPatch,
  rot90Patch,
} from '../../../core/ml/train/augment';
import { cropPatch, reflectIndex, resampleWindow, type Patch } from '../../../core/ml/patch';
import { createRng } from '../../../core/ml/train/rng';

/** w x h patch with image value = pixel index (1 channel) and label = index % 7. */
function ramp(w: number, h: number): Patch {
  const n = w * h;
  return {
    width: w,
    height: h,
    channels: 1,
    image: Float32Array.from({ length: n }, (_, i) => i),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 7),
    weights: Float32Array.from({ length: n }, (_, i) => i / 10),
    instances: Uint32Array.from({ length: n }, (_, i) => i + 1),
  };
}

describe('reflectIndex', () => {
  it('mirrors without repeating the edge (numpy "reflect")', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 4))).toEqual([3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect(reflectIndex(-5, 1)).toBe(0);
    expect(reflectIndex(9, 2)).toBe(1);
  });
});

describe('crop', () => {
  it('is an exact copy inside the image', () => {
    const p = cropPatch(ramp(5, 4), 1, 2, 3, 2);
    expect([...p.image]).toEqual([11, 12, 13, 16, 17, 18]);
    expect([...p.instances!]).toEqual([12, 13, 14, 17, 18, 19]);
    expect([...p.labels]).toEqual([11 % 7, 12 % 7, 13 % 7, 16 % 7, 17 % 7, 18 % 7]);
  });

  it('reflect-pads an image smaller than the crop', () => {
    const p = cropPatch(ramp(3, 2), -1, 0, 5, 2);
    // row 0 of [0 1 2] reflected: x=-1 -> 1, x=3 -> 1
    expect([...p.image.subarray(0, 5)]).toEqual([1, 0, 1, 2, 1]);
    expect(p.width).toBe(5);
  });

  it('resamples a window to another size (bilinear image, nearest labels)', () => {
    const src = ramp(4, 4);
    const up = resampleWindow(src, 0, 0, 2, 2, 4, 4);
    // half-pixel centres: output (1,1) samples source (0.25, 0.25) of [[0 1],[4 5]]
    expect(up.image[5]).toBeCloseTo(0.75 * (0.75 * 0 + 0.25 * 1) + 0.25 * (0.75 * 4 + 0.25 * 5), 5);
    expect(up.labels.length).toBe(16);
    const same = resampleWindow(src, 0, 0, 4, 4, 4, 4);
    expect([...same.image]).toEqual([...src.image]);
  });
});

describe('flips and rotations', () => {
  it('rot90 follows numpy (counter-clockwise) and four turns are the identity', () => {
    const p = ramp(3, 2); // [[0 1 2],[3 4 5]]
    const r = rot90Patch(p, 1); // numpy.rot90 -> [[2 5],[1 4],[0 3]]
    expect([r.width, r.height]).toEqual([2, 3]);
    expect([...r.image]).toEqual([2, 5, 1, 4, 0, 3]);
    expect([...rot90Patch(p, 2).image]).toEqual([5, 4, 3, 2, 1, 0]);
    let q = p;
    for (let i = 0; i < 4; i++) q = rot90Patch(q, 1);
    expect([...q.image]).toEqual([...p.image]);
    expect([...q.instances!]).toEqual([...p.instances!]);
  });

  it('flips mirror every array together and twice is the identity', () => {
    const p = ramp(3, 2);
    const fx = flipPatch(p, 'x');
    expect([...fx.image]).toEqual([2, 1, 0, 5, 4, 3]);
    expect([...fx.weights!]).toEqual([0.2, 0.1, 0, 0.5, 0.4, 0.3].map((v) => Math.fround(v)));
    expect([...flipPatch(p, 'y').labels]).toEqual([3, 4, 5, 0, 1, 2]);
    expect([...flipPatch(fx, 'x').image]).toEqual([...p.image]);
  });
});

describe('photometric', () => {
  it('colour jitter: brightness adds, contrast scales around the mean, gains multiply', () => {
    const p: Patch = { ...ramp(2, 1), image: Float32Array.from([1, 3]) };
    colorJitter(p, 0.5, 2, [1]);
    expect([...p.image]).toEqual([0.5, 4.5]); // mean 2: (1-2)*2+2 = 0, (3-2)*2+2 = 4, +0.5
    colorJitter(p, 0, 1, [2]);
    expect([...p.image]).toEqual([1, 9]);
  });

  it('contrast inversion mirrors about the channel mean; grey and channel permutation', () => {
    const p: Patch = { ...ramp(3, 1), channels: 2, image: Float32Array.from([1, 10, 2, 20, 6, 60]) };
    invertContrast(p);
    expect([...p.image]).toEqual([5, 50, 4, 40, 0, 0]);
    permuteChannels(p, [1, 0]);
    expect([...p.image]).toEqual([50, 5, 40, 4, 0, 0]);
    toGrey(p);
    expect([...p.image]).toEqual([27.5, 27.5, 22, 22, 0, 0]);
  });

  it('noise is seeded and has the requested spread', () => {
    const a = { ...ramp(64, 64), image: new Float32Array(4096) };
    const b = { ...ramp(64, 64), image: new Float32Array(4096) };
    addNoise(a, 0.1, createRng(3));
    addNoise(b, 0.1, createRng(3));
    expect([...a.image]).toEqual([...b.image]);
    const sd = Math.sqrt(a.image.reduce((s, v) => s + v * v, 0) / a.image.length);
    expect(sd).toBeGreaterThan(0.09);
    expect(sd).toBeLessThan(0.11);
  });
});

describe('randomPatch', () => {
  it('gives size x size patches whose labels keep the image/label pairing', () => {
    const src = ramp(40, 30);
    const rng = createRng(1);
    for (let t = 0; t < 20; t++) {
      const p = randomPatch(src, 16, rng, { ...NO_AUGMENT, flips: true, rot90: true, foregroundBias: 0.5 });
      expect([p.width, p.height, p.image.length]).toEqual([16, 16, 256]);
      // without photometric changes, each pixel's label is still (its source index) % 7
      for (let i = 0; i < 256; i++) expect(p.labels[i]).toBe(p.image[i]! % 7);
    }
  });

  it('pads a source smaller than the crop and biases crops to foreground', () => {
    const src = ramp(10, 6);
    const p = randomPatch(src, 32, createRng(2), DEFAULT_AUGMENT);
    expect(p.width).toBe(32);
    const big: Patch = { ...ramp(200, 200), labels: new Uint8Array(40000) };
    big.labels[150 * 200 + 170] = 1;
    let hits = 0;
    const rng = createRng(5);
    for (let t = 0; t < 30; t++) if (randomPatch(big, 32, rng, { ...DEFAULT_AUGMENT, foregroundBias: 1 }).labels.some((v) => v === 1)) hits++;
    expect(hits).toBeGreaterThan(25);
  });
});
