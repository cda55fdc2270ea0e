/**
 * The classic ilastik-style filter bank on one float plane, separable and pure TS (runs in a
 * worker or in the renderer; no tfjs, no node:*).
 *
 * Per scale s (pixels), from Gaussian-derivative kernels g, g', g'' sampled at +-3s and
 * normalised so that they are exact on constant / linear / quadratic images:
 *   gaussian   G_s * I
 *   gradient   |grad(G_s * I)|
 *   log        Ixx + Iyy (Laplacian of Gaussian)
 *   dog        G_s * I - G_{0.66 s} * I
 *   hessian    eigenvalues of [[Ixx, Ixy], [Ixy, Iyy]] (2 features, larger first)
 *   structure  eigenvalues of G_{s/2} * [[Ix^2, IxIy], [IxIy, Iy^2]], Ix, Iy at scale s (2 features)
 * Scales >= 2 px are computed on a box-downsampled copy (factor f = 2, 4 or 8 such that
 * s/f >= 1 px, the box's own variance (f^2-1)/12 subtracted) and bilinearly upsampled;
 * derivatives are rescaled by 1/f per order, so values stay in full-resolution units.
 * Borders are mirrored (x = -1 reads x = 1).
 * This is the reference and the fallback: compute-feature-stack.ts runs the same bank on SIMD wasm
 * kernels (filter-bank-wasm.ts) where they are available.
 */
import type { FilterName } from './feature-types';

export const ALL_FILTERS: readonly FilterName[] = ['gaussian', 'gradient', 'log', 'dog', 'hessian', 'structure'];

/** Feature planes a filter contributes. */
export function filterWidth(f: FilterName): number {
  return f === 'hessian' || f === 'structure' ? 2 : 1;
}

export interface Kernels {
  radius: number;
  g: Float32Array;
  d1: Float32Array;
  d2: Float32Array;
}

/** Sampled Gaussian and derivative kernels (correlation taps i = -r..r at index i + r). */
export function gaussianKernels(sigma: number): Kernels {
  if (!(sigma > 0)) throw new RangeError(`scale must be > 0 (got ${sigma})`);
  const r = Math.max(1, Math.ceil(3 * sigma));
  const n = 2 * r + 1;
  const g = new Float32Array(n);
  const d1 = new Float32Array(n);
  const d2 = new Float32Array(n);
  let sg = 0;
  for (let i = -r; i <= r; i++) sg += (g[i + r] = Math.exp((-i * i) / (2 * sigma * sigma)));
  for (let i = 0; i < n; i++) g[i]! /= sg;
  // d1: sum k(i) = 0 (odd), sum k(i) * i = 1 -> exact derivative of linear images
  let m1 = 0;
  for (let i = -r; i <= r; i++) {
    d1[i + r] = i * g[i + r]!;
    m1 += i * d1[i + r]!;
  }
  for (let i = 0; i < n; i++) d1[i]! /= m1;
  // d2: sum k(i) = 0, sum k(i) * i^2 / 2 = 1 -> exact second derivative of quadratics
  let mean = 0;
  for (let i = -r; i <= r; i++) mean += (d2[i + r] = (i * i - sigma * sigma) * g[i + r]!);
  mean /= n;
  let m2 = 0;
  for (let i = -r; i <= r; i++) {
    d2[i + r]! -= mean;
    m2 += (d2[i + r]! * i * i) / 2;
  }
  for (let i = 0; i < n; i++) d2[i]! /= m2;
  return { radius: r, g, d1, d2 };
}

function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * (n - 1);
  i = ((i % p) + p) % p;
  return i < n ? i : p - i;
}

/** Horizontal correlation of a w x h plane with kernel k (radius r). */
export function convRows(src: Float32Array, w: number, h: number, k: Float32Array, dst: Float32Array = new Float32Array(w * h)): Float32Array {
  const r = (k.length - 1) >> 1;
  const idx = new Int32Array(w + 2 * r);
  for (let x = -r; x < w + r; x++) idx[x + r] = mirror(x, w);
  const lo = Math.min(r, w);
  const hi = Math.max(lo, w - r);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < lo; x++) {
      let s = 0;
      for (let t = 0; t < k.length; t++) s += k[t]! * src[o + idx[x + t]!]!;
      dst[o + x] = s;
    }
    for (let x = lo; x < hi; x++) {
      let s = 0;
      const b = o + x - r;
      for (let t = 0; t < k.length; t++) s += k[t]! * src[b + t]!;
      dst[o + x] = s;
    }
    for (let x = hi; x < w; x++) {
      let s = 0;
      for (let t = 0; t < k.length; t++) s += k[t]! * src[o + idx[x + t]!]!;
      dst[o + x] = s;
    }
  }
  return dst;
}

/** Vertical correlation (row vectors accumulated, cache-friendly). */
export function convCols(src: Float32Array, w: number, h: number, k: Float32Array, dst: Float32Array = new Float32Array(w * h)): Float32Array {
  const r = (k.length - 1) >> 1;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    dst.fill(0, o, o + w);
    for (let t = 0; t < k.length; t++) {
      const kt = k[t]!;
      if (kt === 0) continue;
      const so = mirror(y + t - r, h) * w;
      for (let x = 0; x < w; x++) dst[o + x]! += kt * src[so + x]!;
    }
  }
  return dst;
}

export function gaussianSmooth(src: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const k = gaussianKernels(sigma);
  return convCols(convRows(src, w, h, k.g), w, h, k.g);
}

/** Box average over f x f blocks (partial blocks at the far edges average what they have). */
export function downsampleBox(src: Float32Array, w: number, h: number, f: number): { data: Float32Array; width: number; height: number } {
  const dw = Math.ceil(w / f);
  const dh = Math.ceil(h / f);
  const out = new Float32Array(dw * dh);
  const cnt = new Float32Array(dw * dh);
  for (let y = 0; y < h; y++) {
    const ro = ((y / f) | 0) * dw;
    for (let x = 0; x < w; x++) {
      const j = ro + ((x / f) | 0);
      out[j]! += src[y * w + x]!;
      cnt[j]!++;
    }
  }
  for (let i = 0; i < out.length; i++) out[i]! /= cnt[i]!;
  return { data: out, width: dw, height: dh };
}

/** Precomputed bilinear taps from a level of factor f back to n full-resolution positions. */
export function upTaps(n: number, dn: number, f: number): { i0: Int32Array; i1: Int32Array; t: Float32Array } {
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const t = new Float32Array(n);
  for (let x = 0; x < n; x++) {
    // a coarse pixel j covers x in [f j, f j + f): its centre is f j + (f - 1) / 2
    let u = (x - (f - 1) / 2) / f;
    u = Math.min(Math.max(u, 0), dn - 1);
    const a = Math.min(Math.floor(u), dn - 1);
    i0[x] = a;
    i1[x] = Math.min(a + 1, dn - 1);
    t[x] = u - a;
  }
  return { i0, i1, t };
}

/**
 * Bilinear upsampling of coarse planes into feature slots of a full-resolution HWC stack.
 * planes[p] goes to channel offset + p, multiplied by mul[p].
 */
function upsampleInto(planes: Float32Array[], dw: number, dh: number, f: number, w: number, h: number, out: Float32Array, stride: number, offset: number, mul: number[]): void {
  if (f === 1) {
    for (let p = 0; p < planes.length; p++) {
      const src = planes[p]!;
      const m = mul[p]!;
      for (let i = 0, o = offset + p; i < w * h; i++, o += stride) out[o] = src[i]! * m;
    }
    return;
  }
  const tx = upTaps(w, dw, f);
  const ty = upTaps(h, dh, f);
  for (let p = 0; p < planes.length; p++) {
    const src = planes[p]!;
    const m = mul[p]!;
    for (let y = 0; y < h; y++) {
      const r0 = ty.i0[y]! * dw;
      const r1 = ty.i1[y]! * dw;
      const v = ty.t[y]!;
      let o = (y * w) * stride + offset + p;
      for (let x = 0; x < w; x++, o += stride) {
        const a = tx.i0[x]!;
        const b = tx.i1[x]!;
        const u = tx.t[x]!;
        const top = src[r0 + a]! + (src[r0 + b]! - src[r0 + a]!) * u;
        const bot = src[r1 + a]! + (src[r1 + b]! - src[r1 + a]!) * u;
        out[o] = (top + (bot - top) * v) * m;
      }
    }
  }
}

/** Pyramid factor for a scale: the largest f in {1, 2, 4, 8} with s / f >= 1 (and f = 1 below 2 px). */
export function pyramidFactor(sigma: number): number {
  let f = 1;
  while (f < 8 && sigma / (2 * f) >= 1) f *= 2;
  return f;
}

/** Symmetric 2x2 eigenvalues, larger first, written into e1 / e2. */
function eig2(a: Float32Array, b: Float32Array, c: Float32Array, e1: Float32Array, e2: Float32Array): void {
  for (let i = 0; i < a.length; i++) {
    const m = (a[i]! + c[i]!) / 2;
    const d = (a[i]! - c[i]!) / 2;
    const q = Math.sqrt(d * d + b[i]! * b[i]!);
    e1[i] = m + q;
    e2[i] = m - q;
  }
}

/**
 * Applies `filters` at `sigma` to one full-resolution plane and writes the features into the HWC
 * stack `out` (stride = its channel count) from channel `offset` on, in ALL_FILTERS order.
 * Returns the number of channels written.
 */
export function filterPlaneInto(plane: Float32Array, w: number, h: number, sigma: number, filters: readonly FilterName[], out: Float32Array, stride: number, offset: number): number {
  const want = new Set(filters);
  const f = pyramidFactor(sigma);
  let src = plane;
  let dw = w;
  let dh = h;
  let s = sigma;
  if (f > 1) {
    const d = downsampleBox(plane, w, h, f);
    src = d.data;
    dw = d.width;
    dh = d.height;
    s = Math.sqrt(Math.max(sigma * sigma - (f * f - 1) / 12, 0.25)) / f;
  }
  const k = gaussianKernels(s);
  const n = dw * dh;
  const needDeriv = want.has('gradient') || want.has('structure');
  const need2 = want.has('log') || want.has('hessian');
  const h0 = convRows(src, dw, dh, k.g);
  const planes: Float32Array[] = [];
  const mul: number[] = [];
  const G = convCols(h0, dw, dh, k.g);
  let Gx: Float32Array | null = null;
  let Gy: Float32Array | null = null;
  const h1 = needDeriv || want.has('hessian') ? convRows(src, dw, dh, k.d1) : null;
  if (needDeriv && h1) {
    Gx = convCols(h1, dw, dh, k.g);
    Gy = convCols(h0, dw, dh, k.d1);
  }
  let Gxx: Float32Array | null = null;
  let Gyy: Float32Array | null = null;
  let Gxy: Float32Array | null = null;
  if (need2) {
    const h2 = convRows(src, dw, dh, k.d2);
    Gxx = convCols(h2, dw, dh, k.g);
    Gyy = convCols(h0, dw, dh, k.d2);
    if (want.has('hessian')) Gxy = convCols(h1!, dw, dh, k.d1);
  }
  for (const name of ALL_FILTERS) {
    if (!want.has(name)) continue;
    if (name === 'gaussian') {
      planes.push(G);
      mul.push(1);
    } else if (name === 'gradient') {
      const gm = new Float32Array(n);
      for (let i = 0; i < n; i++) gm[i] = Math.sqrt(Gx![i]! * Gx![i]! + Gy![i]! * Gy![i]!);
      planes.push(gm);
      mul.push(1 / f);
    } else if (name === 'log') {
      const l = new Float32Array(n);
      for (let i = 0; i < n; i++) l[i] = Gxx![i]! + Gyy![i]!;
      planes.push(l);
      mul.push(1 / (f * f));
    } else if (name === 'dog') {
      const g2 = gaussianSmooth(src, dw, dh, 0.66 * s);
      for (let i = 0; i < n; i++) g2[i] = G[i]! - g2[i]!;
      planes.push(g2);
      mul.push(1);
    } else if (name === 'hessian') {
      const e1 = new Float32Array(n);
      const e2 = new Float32Array(n);
      eig2(Gxx!, Gxy!, Gyy!, e1, e2);
      planes.push(e1, e2);
      mul.push(1 / (f * f), 1 / (f * f));
    } else {
      const jxx = new Float32Array(n);
      const jxy = new Float32Array(n);
      const jyy = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        jxx[i] = Gx![i]! * Gx![i]!;
        jxy[i] = Gx![i]! * Gy![i]!;
        jyy[i] = Gy![i]! * Gy![i]!;
      }
      const so = Math.max(s / 2, 0.3);
      const a = gaussianSmooth(jxx, dw, dh, so);
      const b = gaussianSmooth(jxy, dw, dh, so);
      const c = gaussianSmooth(jyy, dw, dh, so);
      const e1 = new Float32Array(n);
      const e2 = new Float32Array(n);
      eig2(a, b, c, e1, e2);
      planes.push(e1, e2);
      mul.push(1 / (f * f), 1 / (f * f));
    }
  }
  upsampleInto(planes, dw, dh, f, w, h, out, stride, offset, mul);
  return planes.length;
}
