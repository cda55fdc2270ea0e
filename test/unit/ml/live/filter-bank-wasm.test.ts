/**
 * The feature stack on the SIMD wasm kernels (filter-bank-wasm.ts) against the pure-TS filter
 * bank (filter-bank.ts) on random images: every feature channel within 1e-4 of that channel's
 * range, on tiny sizes (1 x N, N x 1, smaller than a kernel's radius), odd sizes, 1-4 channels,
 * all filters and the default scales (pyramid levels 1, 2, 4, 8), and banded images (tileRows).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { computeFeatureStack, forEachFeatureBand, setFeatureStripWidth } from '../../../../core/ml/live/compute-feature-stack';
import type { FeatureImage, FeatureStackOptions } from '../../../../core/ml/live/feature-types';
import { liveKernelsUnavailable, setLiveKernelsEnabled } from '../../../../core/ml/wasm-kernels/live-kernels';

function randomImage(width: number, height: number, channels: number, seed: number): FeatureImage {
  let s = seed >>> 0 || 1;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const x = (i / channels) % width;
    // smooth structure plus noise, so that the derivative features are not all noise
    data[i] = Math.max(0, Math.min(255, Math.round(128 + 90 * Math.sin(x / 5 + seed) + ((s >>> 24) - 128) / 3)));
  }
  return { data, width, height, channels };
}

function stackBoth(image: FeatureImage, opts: FeatureStackOptions) {
  setLiveKernelsEnabled(false);
  const ts = computeFeatureStack(image, opts);
  setLiveKernelsEnabled(true);
  const wasm = computeFeatureStack(image, opts);
  return { ts, wasm };
}

/**
 * worst |wasm - ts| over each channel's max |ts|, floored at 0.01 (intensities here are 0..1, so a
 * derivative channel that is ~0 everywhere is held to 1e-6 absolute: float32 rounding of ~1)
 */
function worstRelative(a: Float32Array, b: Float32Array, channels: number): number {
  const range = new Float64Array(channels);
  for (let i = 0; i < b.length; i++) range[i % channels] = Math.max(range[i % channels]!, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= Infinity)) return Infinity; // NaN
    worst = Math.max(worst, d / Math.max(range[i % channels]!, 1e-2));
  }
  return worst;
}

// both paths are compared even where MASKWRIGHT_LIVE_WASM=0 turns the wasm one off by default
beforeAll(() => {
  setLiveKernelsEnabled(true);
});
afterEach(() => {
  setLiveKernelsEnabled(true);
});

describe('filter bank: SIMD wasm == TS', () => {
  it('the wasm kernels run here (Node 20 has SIMD)', () => {
    expect(liveKernelsUnavailable()).toBeNull();
  });

  const all: FeatureStackOptions = { filters: ['gaussian', 'gradient', 'log', 'dog', 'hessian', 'structure'], colorFilters: ['gaussian', 'gradient', 'structure'] };
  const cases: [number, number, number][] = [
    [1, 1, 1],
    [1, 23, 1],
    [23, 1, 3],
    [2, 3, 1],
    [5, 4, 3],
    [7, 41, 4],
    [37, 29, 3],
    [64, 17, 1],
    [81, 66, 2],
  ];
  for (const [w, h, c] of cases) {
    it(`${w} x ${h} x ${c}: default filters and all filters`, () => {
      for (const opts of [{}, all]) {
        const { ts, wasm } = stackBoth(randomImage(w, h, c, w * 31 + h), opts);
        expect(wasm.names).toEqual(ts.names);
        expect(wasm.data.length).toBe(ts.data.length);
        expect(worstRelative(wasm.data, ts.data, ts.channels)).toBeLessThan(1e-4);
      }
    });
  }

  it('banded (tileRows 16, halo and pyramid alignment) equals TS and equals unbanded', () => {
    const image = randomImage(53, 131, 3, 5);
    const { ts, wasm } = stackBoth(image, { tileRows: 16, scales: [0.7, 2.5, 6] });
    expect(worstRelative(wasm.data, ts.data, ts.channels)).toBeLessThan(1e-4);
    const whole = computeFeatureStack(image, { scales: [0.7, 2.5, 6] });
    expect(worstRelative(wasm.data, whole.data, whole.channels)).toBeLessThan(1e-5);
  });

  it('forEachFeatureBand hands the same bands on both paths', () => {
    const image = randomImage(40, 100, 1, 9);
    const collect = () => {
      const bands: { y0: number; rows: number; data: Float32Array }[] = [];
      forEachFeatureBand(image, { tileRows: 24 }, (b) => bands.push({ ...b, data: b.data.slice() }));
      return bands;
    };
    setLiveKernelsEnabled(false);
    const ts = collect();
    setLiveKernelsEnabled(true);
    const wasm = collect();
    expect(wasm.map((b) => [b.y0, b.rows])).toEqual(ts.map((b) => [b.y0, b.rows]));
    expect(ts.length).toBeGreaterThan(1);
    const nf = ts[0]!.data.length / (40 * ts[0]!.rows);
    ts.forEach((b, i) => expect(worstRelative(wasm[i]!.data, b.data, nf)).toBeLessThan(1e-4));
  });

  it('a float image with large values and negative values', () => {
    const n = 33 * 27;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = 1000 * Math.sin(i * 0.37) - 200;
    const { ts, wasm } = stackBoth({ data, width: 33, height: 27, channels: 1 }, all);
    expect(worstRelative(wasm.data, ts.data, ts.channels)).toBeLessThan(1e-4);
  });

  it('vertical strips (wide images) give exactly the whole-width values', () => {
    for (const [w, h, c, float] of [
      [301, 40, 3, false],
      [203, 27, 4, false],
      [150, 21, 1, true],
    ] as const) {
      const u8 = randomImage(w, h, c, w + h);
      const image = float ? { ...u8, data: Float32Array.from(u8.data, (v) => v / 255) } : u8;
      for (const opts of [{}, all]) {
        const whole = computeFeatureStack(image, opts);
        const was = setFeatureStripWidth(48);
        try {
          const strips = computeFeatureStack(image, opts);
          let differ = 0;
          for (let i = 0; i < whole.data.length; i++) if (!Object.is(strips.data[i], whole.data[i])) differ++;
          expect(strips.data.length).toBe(whole.data.length);
          expect(differ).toBe(0);
          setLiveKernelsEnabled(false);
          const ts = computeFeatureStack(image, opts);
          expect(worstRelative(strips.data, ts.data, ts.channels)).toBeLessThan(1e-4);
        } finally {
          setFeatureStripWidth(was);
          setLiveKernelsEnabled(true);
        }
      }
    }
  });

  it('float32 RGB and RGBA images, robust normalisation and dark-background polarity (the live service passes unit floats)', () => {
    for (const c of [3, 4]) {
      const u8 = randomImage(67, 45, c, 3 + c);
      const image = { ...u8, data: Float32Array.from(u8.data, (v) => v / 255) };
      for (const opts of [{ normalize: 'robust' as const }, { normalize: 'robust' as const, polarity: 'dark-background' as const, colorFilters: ['gaussian', 'gradient'] as ('gaussian' | 'gradient')[] }]) {
        const { ts, wasm } = stackBoth(image, opts);
        expect(worstRelative(wasm.data, ts.data, ts.channels)).toBeLessThan(1e-4);
      }
    }
  });

  it('bands and strips together (a large image streamed band by band) equal the TS stack', () => {
    const image = randomImage(170, 120, 3, 21);
    setLiveKernelsEnabled(false);
    const ts = computeFeatureStack(image, { tileRows: 32 });
    setLiveKernelsEnabled(true);
    const was = setFeatureStripWidth(56);
    try {
      const got = new Float32Array(ts.data.length);
      forEachFeatureBand(image, { tileRows: 32 }, (b, nf) => got.set(b.data, b.y0 * 170 * nf));
      expect(worstRelative(got, ts.data, ts.channels)).toBeLessThan(1e-4);
    } finally {
      setFeatureStripWidth(was);
    }
  });
});
