/**
 * The filter bank of filter-bank.ts on the SIMD wasm kernels (core/ml/wasm-kernels/c/filter-bank.c):
 * the same kernels, pyramid, border handling and channel order, so the stack agrees with the TS
 * path to float32 rounding (test/unit/ml/live/filter-bank-wasm.test.ts).
 *
 * What differs is the order of work: every feature plane of a band is computed (at its pyramid
 * level) before any is written out, then the planes are upsampled into the HWC stack a few rows
 * at a time, all channels of a row together. Writing one channel at a time across the whole
 * stack (the TS path) touches every cache line of it once per channel, which cost more than all
 * the filtering.
 */
import type { FilterName } from './feature-types';
import { ALL_FILTERS, filterWidth, gaussianKernels, pyramidFactor, upTaps } from './filter-bank';
import type { LiveKernels } from '../wasm-kernels/live-kernels';

/** One feature plane in wasm memory: at its level's resolution, scaled by `mul` when written. */
interface PlaneOut {
  ptr: number;
  mul: number;
  channel: number;
}

/** Planes of one (input plane, scale): all at the pyramid level of factor f (dw x dh). */
export interface LevelOut {
  f: number;
  dw: number;
  dh: number;
  planes: PlaneOut[];
}

function kernel(K: LiveKernels, taps: Float32Array): [number, number] {
  return [K.put(taps), taps.length];
}

function smooth(K: LiveKernels, src: number, dst: number, w: number, h: number, sigma: number, tmp: number): void {
  const [g, n] = kernel(K, gaussianKernels(sigma).g);
  K.k.fb_conv_rows(src, tmp, w, h, g, n);
  K.k.fb_conv_cols(tmp, dst, w, h, g, n);
}

/**
 * filterPlaneInto of filter-bank.ts for the plane at `src` (w x h floats in wasm memory): the
 * result planes are allocated before any temporary and survive the call; channels from `channel`
 * on, in ALL_FILTERS order.
 */
export function filterPlaneWasm(K: LiveKernels, src: number, w: number, h: number, sigma: number, filters: readonly FilterName[], channel: number): LevelOut {
  const want = new Set(filters);
  const f = pyramidFactor(sigma);
  let dw = w;
  let dh = h;
  let s = sigma;
  if (f > 1) {
    dw = Math.ceil(w / f);
    dh = Math.ceil(h / f);
    s = Math.sqrt(Math.max(sigma * sigma - (f * f - 1) / 12, 0.25)) / f;
  }
  const n = dw * dh;
  const names = ALL_FILTERS.filter((x) => want.has(x));
  const planes: PlaneOut[] = [];
  const slot: Partial<Record<FilterName, number>> = {};
  let c = channel;
  for (const name of names) {
    slot[name] = K.alloc(n * filterWidth(name));
    const inv = name === 'gradient' ? 1 / f : name === 'gaussian' || name === 'dog' ? 1 : 1 / (f * f);
    for (let i = 0; i < filterWidth(name); i++) planes.push({ ptr: slot[name]! + i * n * 4, mul: inv, channel: c++ });
  }
  const mark = K.mark();
  let base = src;
  if (f > 1) {
    base = K.alloc(n);
    K.k.fb_downsample_box(src, base, w, h, f);
  }
  const k = gaussianKernels(s);
  const [g, ng] = kernel(K, k.g);
  const [d1, n1] = kernel(K, k.d1);
  const [d2, n2] = kernel(K, k.d2);
  const needDeriv = want.has('gradient') || want.has('structure');
  const need2 = want.has('log') || want.has('hessian');
  const h0 = K.alloc(n);
  K.k.fb_conv_rows(base, h0, dw, dh, g, ng);
  const G = slot.gaussian ?? K.alloc(n);
  K.k.fb_conv_cols(h0, G, dw, dh, g, ng);
  const h1 = needDeriv || want.has('hessian') ? K.alloc(n) : 0;
  if (h1) K.k.fb_conv_rows(base, h1, dw, dh, d1, n1);
  let Gx = 0;
  let Gy = 0;
  if (needDeriv) {
    Gx = K.alloc(n);
    Gy = K.alloc(n);
    K.k.fb_conv_cols(h1, Gx, dw, dh, g, ng);
    K.k.fb_conv_cols(h0, Gy, dw, dh, d1, n1);
  }
  let Gxx = 0;
  let Gyy = 0;
  let Gxy = 0;
  if (need2) {
    const h2 = K.alloc(n);
    K.k.fb_conv_rows(base, h2, dw, dh, d2, n2);
    Gxx = K.alloc(n);
    Gyy = K.alloc(n);
    K.k.fb_conv_cols(h2, Gxx, dw, dh, g, ng);
    K.k.fb_conv_cols(h0, Gyy, dw, dh, d2, n2);
    if (want.has('hessian')) {
      Gxy = K.alloc(n);
      K.k.fb_conv_cols(h1, Gxy, dw, dh, d1, n1);
    }
  }
  const tmp = K.alloc(n);
  for (const name of names) {
    const o = slot[name]!;
    if (name === 'gradient') K.k.fb_pixelwise(0, Gx, Gy, 0, o, 0, 0, n);
    else if (name === 'log') K.k.fb_pixelwise(1, Gxx, Gyy, 0, o, 0, 0, n);
    else if (name === 'dog') {
      smooth(K, base, o, dw, dh, 0.66 * s, tmp);
      K.k.fb_pixelwise(2, G, o, 0, o, 0, 0, n);
    } else if (name === 'hessian') K.k.fb_pixelwise(3, Gxx, Gxy, Gyy, o, o + n * 4, 0, n);
    else if (name === 'structure') {
      const jxx = K.alloc(n);
      const jxy = K.alloc(n);
      const jyy = K.alloc(n);
      K.k.fb_pixelwise(4, Gx, Gy, 0, jxx, jxy, jyy, n);
      const so = Math.max(s / 2, 0.3);
      const a = K.alloc(n);
      const b = K.alloc(n);
      const cc = K.alloc(n);
      smooth(K, jxx, a, dw, dh, so, tmp);
      smooth(K, jxy, b, dw, dh, so, tmp);
      smooth(K, jyy, cc, dw, dh, so, tmp);
      K.k.fb_pixelwise(3, a, b, cc, o, o + n * 4, 0, n);
    }
  }
  K.release(mark);
  return { f, dw, dh, planes };
}

/**
 * Writes rows [ra, rb), columns [ca, cb) of the planes of `levels` (w x h pixels at full
 * resolution) into the HWC buffer `out` (`stride` channels): pixel (ca, ra) goes to element
 * `outOffset`, rows `outRow` elements apart. A few rows at a time through a chunk buffer in wasm
 * memory, each level's channels side by side.
 */
export function interleaveInto(K: LiveKernels, levels: LevelOut[], w: number, h: number, ra: number, rb: number, ca: number, cb: number, out: Float32Array, stride: number, outOffset: number, outRow: number): void {
  const taps = new Map<number, { xi0: number; xi1: number; xt: number; yi0: number; yi1: number; yt: number }>();
  for (const L of levels) {
    if (L.f === 1 || taps.has(L.f)) continue;
    const tx = upTaps(w, L.dw, L.f);
    const ty = upTaps(h, L.dh, L.f);
    taps.set(L.f, { xi0: K.put(tx.i0), xi1: K.put(tx.i1), xt: K.put(tx.t), yi0: K.put(ty.i0), yi1: K.put(ty.i1), yt: K.put(ty.t) });
  }
  // a level's planes go to consecutive channels (filterPlaneWasm numbers them so)
  const tables = levels.map((L) => {
    L.planes.forEach((p, i) => {
      if (p.channel !== L.planes[0]!.channel + i) throw new Error("a level's channels must be consecutive");
    });
    return { srcs: K.put(Int32Array.from(L.planes, (p) => p.ptr)), muls: K.put(Float32Array.from(L.planes, (p) => p.mul)) };
  });
  const rowFloats = w * stride;
  const chunkRows = Math.max(1, Math.min(rb - ra, Math.floor(2 ** 17 / rowFloats)));
  const chunk = K.alloc(chunkRows * rowFloats);
  const whole = ca === 0 && cb === w && outRow === rowFloats;
  for (let y0 = ra; y0 < rb; y0 += chunkRows) {
    const y1 = Math.min(rb, y0 + chunkRows);
    for (let l = 0; l < levels.length; l++) {
      const L = levels[l]!;
      const t = taps.get(L.f);
      K.k.fb_upsample_level(tables[l]!.srcs, tables[l]!.muls, L.planes.length, L.dw, L.f, w, y0, y1, t?.xi0 ?? 0, t?.xi1 ?? 0, t?.xt ?? 0, t?.yi0 ?? 0, t?.yi1 ?? 0, t?.yt ?? 0, chunk + L.planes[0]!.channel * 4, stride);
    }
    if (whole) out.set(K.f32(chunk, (y1 - y0) * rowFloats), outOffset + (y0 - ra) * rowFloats);
    else for (let y = y0; y < y1; y++) out.set(K.f32(chunk + ((y - y0) * rowFloats + ca * stride) * 4, (cb - ca) * stride), outOffset + (y - ra) * outRow);
  }
}

/**
 * How far (full-resolution pixels) a feature at `sigma` reads its input, through the pyramid's
 * box and bilinear steps and the longest filter chain (structure: derivative then smoothing), with
 * margin: a strip computed with this much halo on each side equals the full-width result.
 */
export function filterReach(sigma: number): number {
  const f = pyramidFactor(sigma);
  const s = f > 1 ? Math.sqrt(Math.max(sigma * sigma - (f * f - 1) / 12, 0.25)) / f : sigma;
  const r = (t: number) => Math.max(1, Math.ceil(3 * t));
  const chain = Math.max(r(s), r(0.66 * s), r(s) + r(Math.max(s / 2, 0.3)));
  return f * (chain + 4);
}
