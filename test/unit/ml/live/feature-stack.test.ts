import { describe, expect, it } from 'vitest';
import { computeFeatureStack, FeatureInputError, featureNames } from '../../../../core/ml/live/compute-feature-stack';
import { FeatureCache } from '../../../../core/ml/live/feature-cache';
import { gaussianKernels } from '../../../../core/ml/live/filter-bank';

const W = 96;
const H = 96;

function plane(fn: (x: number, y: number) => number): Float32Array {
  const d = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d[y * W + x] = fn(x, y);
  return d;
}

/** feature value at the centre pixel */
function at(stack: ReturnType<typeof computeFeatureStack>, name: string, x = W / 2, y = H / 2): number {
  const f = stack.names.indexOf(name);
  expect(f).toBeGreaterThanOrEqual(0);
  return stack.data[(y * stack.width + x) * stack.channels + f]!;
}

describe('gaussianKernels', () => {
  it('sums to 1, derivative moments are 1 (hand-checked for sigma 1)', () => {
    const k = gaussianKernels(1);
    expect(k.radius).toBe(3);
    const sum = k.g.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 6);
    // hand value: exp(0) / sum_{i=-3..3} exp(-i^2/2) = 1 / 2.50623 = 0.39901
    expect(k.g[3]).toBeCloseTo(0.39901, 4);
    let m1 = 0;
    let m2 = 0;
    let s2 = 0;
    for (let i = -3; i <= 3; i++) {
      m1 += k.d1[i + 3]! * i;
      m2 += (k.d2[i + 3]! * i * i) / 2;
      s2 += k.d2[i + 3]!;
    }
    expect(m1).toBeCloseTo(1, 6);
    expect(m2).toBeCloseTo(1, 6);
    expect(s2).toBeCloseTo(0, 6);
  });
});

describe('computeFeatureStack: closed forms', () => {
  const scales = [0.7, 1.6, 3.5, 10];

  it('constant image: Gaussian = value, every derivative feature = 0', () => {
    const s = computeFeatureStack({ data: plane(() => 0.4), width: W, height: H, channels: 1 }, { scales });
    for (const sc of scales) {
      expect(at(s, `lum:gaussian@${sc}`)).toBeCloseTo(0.4, 5);
      for (const f of ['gradient', 'log', 'dog', 'hessian1', 'hessian2', 'structure1', 'structure2']) expect(Math.abs(at(s, `lum:${f}@${sc}`))).toBeLessThan(1e-5);
    }
  });

  it('linear ramp I = 0.03x + 0.04y: gradient 0.05, structure tensor eigenvalues (0.0025, 0), LoG/DoG/Hessian 0', () => {
    const s = computeFeatureStack({ data: plane((x, y) => 0.03 * x + 0.04 * y), width: W, height: H, channels: 1 }, { scales });
    for (const sc of scales) {
      expect(at(s, `lum:gaussian@${sc}`)).toBeCloseTo(0.03 * 48 + 0.04 * 48, 3);
      expect(at(s, `lum:gradient@${sc}`)).toBeCloseTo(0.05, 4);
      expect(at(s, `lum:structure1@${sc}`)).toBeCloseTo(0.0025, 5);
      expect(at(s, `lum:structure2@${sc}`)).toBeCloseTo(0, 5);
      expect(at(s, `lum:log@${sc}`)).toBeCloseTo(0, 4);
      expect(at(s, `lum:dog@${sc}`)).toBeCloseTo(0, 3);
      expect(at(s, `lum:hessian1@${sc}`)).toBeCloseTo(0, 4);
    }
  });

  it('quadratic I = a x^2 + b y^2 + c x y: Hessian eigenvalues of [[2a, c], [c, 2b]], LoG 2a + 2b', () => {
    const a = 0.002;
    const b = -0.001;
    const c = 0.0015;
    const cx = W / 2;
    const cy = H / 2;
    const s = computeFeatureStack({ data: plane((x, y) => a * (x - cx) ** 2 + b * (y - cy) ** 2 + c * (x - cx) * (y - cy)), width: W, height: H, channels: 1 }, { scales: [0.7, 1.6, 3.5] });
    // eigenvalues of [[0.004, 0.0015], [0.0015, -0.002]]: 0.001 +- sqrt(0.003^2 + 0.0015^2)
    const q = Math.sqrt(0.003 ** 2 + 0.0015 ** 2);
    for (const sc of [0.7, 1.6]) {
      expect(at(s, `lum:log@${sc}`)).toBeCloseTo(2 * a + 2 * b, 6);
      expect(at(s, `lum:hessian1@${sc}`)).toBeCloseTo(0.001 + q, 6);
      expect(at(s, `lum:hessian2@${sc}`)).toBeCloseTo(0.001 - q, 6);
    }
    // downsampled scale: the same values within a few percent
    expect(at(s, 'lum:hessian1@3.5')).toBeCloseTo(0.001 + q, 4);
    expect(at(s, 'lum:log@3.5')).toBeCloseTo(2 * a + 2 * b, 4);
  });

  it('a bright disc: LoG and DoG (wide minus narrow) negative at its centre', () => {
    const s = computeFeatureStack({ data: plane((x, y) => ((x - 48) ** 2 + (y - 48) ** 2 < 36 ? 1 : 0)), width: W, height: H, channels: 1 }, { scales: [1.6, 3.5] });
    expect(at(s, 'lum:log@3.5')).toBeLessThan(0);
    expect(at(s, 'lum:dog@3.5')).toBeLessThan(0);
    expect(at(s, 'lum:gradient@1.6', 48 + 6, 48)).toBeGreaterThan(at(s, 'lum:gradient@1.6', 48, 48) + 0.1);
  });

  it('colour: luminance is the channel mean; each channel has its Gaussians; 8-bit scaled by 1/255', () => {
    const d = new Uint8Array(W * H * 3);
    for (let i = 0; i < W * H; i++) d.set([255, 0, 51], i * 3);
    const s = computeFeatureStack({ data: d, width: W, height: H, channels: 3 }, { scales: [1] });
    expect(s.channels).toBe(8 + 3);
    expect(s.names).toEqual(featureNames(3, { scales: [1] }));
    expect(at(s, 'lum:gaussian@1')).toBeCloseTo((1 + 0 + 0.2) / 3, 5);
    expect(at(s, 'c0:gaussian@1')).toBeCloseTo(1, 5);
    expect(at(s, 'c2:gaussian@1')).toBeCloseTo(0.2, 5);
  });

  it('banded (tiled) computation equals the whole-image one', () => {
    const img = { data: plane((x, y) => Math.sin(x / 5) * Math.cos(y / 7) + ((x * 31 + y * 17) % 13) / 13), width: W, height: 300, channels: 1 };
    img.data = new Float32Array(W * 300).map((_, i) => Math.sin((i % W) / 5) * Math.cos(Math.floor(i / W) / 7) + ((i * 31) % 13) / 13);
    const whole = computeFeatureStack(img, { scales: [0.7, 3.5, 10], tileRows: 10_000 });
    const tiled = computeFeatureStack(img, { scales: [0.7, 3.5, 10], tileRows: 64 });
    let maxDiff = 0;
    for (let i = 0; i < whole.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(whole.data[i]! - tiled.data[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it("normalize 'robust' removes exposure (gain and offset); polarity 'dark-background' removes inversion", () => {
    const base = plane((x, y) => ((x - 40) ** 2 + (y - 50) ** 2 < 100 ? 0.8 : 0.1) + ((x * 7 + y * 13) % 5) / 100);
    const opts = { scales: [1.6, 5], normalize: 'robust' as const, polarity: 'dark-background' as const };
    const a = computeFeatureStack({ data: base, width: W, height: H, channels: 1 }, opts);
    const dim = computeFeatureStack({ data: base.map((v) => 0.3 * v + 0.2), width: W, height: H, channels: 1 }, opts);
    const inv = computeFeatureStack({ data: base.map((v) => 1 - v), width: W, height: H, channels: 1 }, opts);
    let dDim = 0;
    let dInv = 0;
    for (let i = 0; i < a.data.length; i++) {
      dDim = Math.max(dDim, Math.abs(a.data[i]! - dim.data[i]!));
      dInv = Math.max(dInv, Math.abs(a.data[i]! - inv.data[i]!));
    }
    expect(dDim).toBeLessThan(1e-4);
    expect(dInv).toBeLessThan(1e-4);
    // without normalisation the dim copy differs
    const raw = computeFeatureStack({ data: base, width: W, height: H, channels: 1 }, { scales: [1.6] });
    const rawDim = computeFeatureStack({ data: base.map((v) => 0.3 * v + 0.2), width: W, height: H, channels: 1 }, { scales: [1.6] });
    expect(Math.abs(raw.data[0]! - rawDim.data[0]!)).toBeGreaterThan(0.01);
  });

  it('bad input is a typed error', () => {
    expect(() => computeFeatureStack({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 })).toThrow(FeatureInputError);
    expect(() => computeFeatureStack({ data: new Uint8Array(16), width: 4, height: 4, channels: 1 }, { scales: [0] })).toThrow(FeatureInputError);
    expect(() => computeFeatureStack({ data: new Uint8Array(0), width: 0, height: 4, channels: 1 })).toThrow(/positive/);
  });

  it('tiny images (1 px, smaller than the kernels) work', () => {
    const s = computeFeatureStack({ data: new Float32Array([0.5]), width: 1, height: 1, channels: 1 }, { scales: [0.7, 10] });
    expect(s.data.every(Number.isFinite)).toBe(true);
    expect(at(s, 'lum:gaussian@10', 0, 0)).toBeCloseTo(0.5, 5);
  });
});

describe('FeatureCache', () => {
  const stack = (n: number) => ({ width: n, height: 1, channels: 1, data: new Float32Array(n), names: ['x'] });
  it('keeps within its byte budget, evicting the least recently used', () => {
    const c = new FeatureCache(100);
    let computed = 0;
    const make = (n: number) => () => (computed++, stack(n));
    c.get('a', make(10)); // 40 B
    c.get('b', make(10)); // 80 B
    c.get('a', make(10)); // hit: a is now newest
    expect(computed).toBe(2);
    c.get('c', make(10)); // 120 B > 100: evicts b
    expect(c.has('a') && c.has('c') && !c.has('b')).toBe(true);
    expect(c.bytes).toBe(80);
    const big = c.get('d', make(100)); // 400 B: returned, not kept
    expect(big.data.length).toBe(100);
    expect(c.has('d')).toBe(false);
    expect(c.bytes).toBeLessThanOrEqual(100);
  });
});
