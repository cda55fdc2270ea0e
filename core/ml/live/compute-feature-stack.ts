/**
 * The per-image feature stack of the live pixel classifier: the filter bank (filter-bank.ts) on
 * the luminance plane at every scale, plus Gaussians of each colour channel, HWC Float32.
 *
 * Large images are computed in horizontal bands (`tileRows` rows each) with a halo of
 * 3 * max scale + 2 * pyramid factor rows, band starts aligned to the pyramid factor: the result
 * is the same as computing the image at once, while the temporaries stay band-sized.
 * `forEachFeatureBand` streams the bands (predicting a 4096^2 image never holds its whole stack).
 * The filtering runs on SIMD wasm kernels (filter-bank-wasm.ts) where the engine has them, else
 * in the pure-TS filter-bank.ts; both give the same stack to float32 rounding.
 */
import type { FeatureImage, FeatureStack, FeatureStackOptions, FilterName } from './feature-types';
import { ALL_FILTERS, filterPlaneInto, filterWidth, pyramidFactor } from './filter-bank';
import { filterPlaneWasm, filterReach, interleaveInto, type LevelOut } from './filter-bank-wasm';
import { withLiveKernels, type LiveKernels } from '../wasm-kernels/live-kernels';

export const DEFAULT_SCALES: readonly number[] = [0.7, 1.6, 3.5, 5, 10];
export const DEFAULT_TILE_ROWS = 512;

export class FeatureInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureInputError';
  }
}

interface Resolved {
  normalize: 'none' | 'robust';
  polarity: 'as-is' | 'dark-background';
  scales: number[];
  filters: FilterName[];
  colorFilters: FilterName[];
  valueScale: number;
  tileRows: number;
}

function resolve(image: FeatureImage, opts: FeatureStackOptions): Resolved {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new FeatureInputError(`image size must be positive integers (got ${width} x ${height})`);
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) throw new FeatureInputError(`image must have 1-4 channels (got ${channels})`);
  if (!data || data.length !== width * height * channels) throw new FeatureInputError(`image data has ${data?.length ?? 0} values; ${width} x ${height} x ${channels} needs ${width * height * channels}`);
  const scales = [...(opts.scales ?? DEFAULT_SCALES)];
  if (!scales.length || scales.some((s) => !(s > 0 && s <= 64))) throw new FeatureInputError(`scales must be in (0, 64] px (got ${scales.join(', ')})`);
  const filters = ALL_FILTERS.filter((f) => (opts.filters ?? ALL_FILTERS).includes(f));
  const colorFilters = ALL_FILTERS.filter((f) => (opts.colorFilters ?? ['gaussian']).includes(f));
  const valueScale = opts.valueScale ?? (data instanceof Uint8Array || data instanceof Uint8ClampedArray ? 1 / 255 : data instanceof Uint16Array ? 1 / 65535 : 1);
  const tileRows = Math.max(16, Math.floor(opts.tileRows ?? DEFAULT_TILE_ROWS));
  const normalize = opts.normalize ?? 'none';
  const polarity = opts.polarity ?? 'as-is';
  if (normalize !== 'none' && normalize !== 'robust') throw new FeatureInputError(`unknown normalize '${String(normalize)}'`);
  if (polarity !== 'as-is' && polarity !== 'dark-background') throw new FeatureInputError(`unknown polarity '${String(polarity)}'`);
  return { scales, filters, colorFilters, valueScale, tileRows, normalize, polarity };
}

/** Feature names in stack order (e.g. `lum:gaussian@1.6`, `c0:gaussian@0.7`, `lum:hessian1@5`). */
export function featureNames(channels: number, opts: FeatureStackOptions = {}): string[] {
  const r = resolve({ data: new Float32Array(channels), width: 1, height: 1, channels }, opts);
  const names: string[] = [];
  const planes = channels > 1 ? ['lum', ...Array.from({ length: Math.min(channels, 3) }, (_, c) => `c${c}`)] : ['lum'];
  for (const p of planes) {
    const fs = p === 'lum' ? r.filters : r.colorFilters;
    for (const s of r.scales) {
      for (const f of fs) {
        if (filterWidth(f) === 1) names.push(`${p}:${f}@${s}`);
        else names.push(`${p}:${f}1@${s}`, `${p}:${f}2@${s}`);
      }
    }
  }
  return names;
}

/** v -> v * mul + add, applied to every plane (valueScale, normalisation and polarity folded in). */
interface IntensityMap {
  mul: number;
  add: number;
}

function lumAt(image: FeatureImage, i: number): number {
  const c = image.channels;
  const colors = c > 1 ? Math.min(c, 3) : 1;
  let s = 0;
  for (let k = 0; k < colors; k++) s += image.data[i * c + k]!;
  return s / colors;
}

/** The whole image's intensity map (statistics from up to ~65k sampled pixels). */
export function intensityMap(image: FeatureImage, r: Pick<Resolved, 'valueScale' | 'normalize' | 'polarity'>): IntensityMap {
  let mul = r.valueScale;
  let add = 0;
  if (r.normalize === 'none' && r.polarity === 'as-is') return { mul, add };
  const n = image.width * image.height;
  const step = Math.max(1, Math.floor(n / 65536));
  const xs: number[] = [];
  for (let i = 0; i < n; i += step) xs.push(lumAt(image, i) * r.valueScale);
  const v = Float32Array.from(xs).sort();
  const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))]!;
  let lo = 0;
  let hi = 1;
  if (r.normalize === 'robust') {
    lo = q(0.005);
    hi = q(0.995);
    if (!(hi > lo)) hi = lo + 1;
    mul = r.valueScale / (hi - lo);
    add = -lo / (hi - lo);
  }
  if (r.polarity === 'dark-background') {
    const med = q(0.5) * (mul / r.valueScale) + add;
    const mid = r.normalize === 'robust' ? 0.5 : (q(0.005) + q(0.995)) / 2;
    if (med > mid) {
      mul = -mul;
      add = 1 - add;
    }
  }
  return { mul, add };
}

/** Rows [y0, y1) of the image as float planes: luminance first, then colour channels (max 3). */
function planesOf(image: FeatureImage, y0: number, y1: number, map: IntensityMap): Float32Array[] {
  const { width: w, channels: c, data } = image;
  const n = w * (y1 - y0);
  const colors = c > 1 ? Math.min(c, 3) : 0;
  const lum = new Float32Array(n);
  const cols = Array.from({ length: colors }, () => new Float32Array(n));
  const base = y0 * w * c;
  for (let i = 0; i < n; i++) {
    const o = base + i * c;
    if (colors === 0) lum[i] = data[o]! * map.mul + map.add;
    else {
      let s = 0;
      for (let k = 0; k < colors; k++) {
        const v = data[o + k]! * map.mul + map.add;
        cols[k]![i] = v;
        s += v;
      }
      lum[i] = s / colors;
    }
  }
  return [lum, ...cols];
}

/** planesOf of columns [x0, x1) into wasm memory (8-bit and float32 images converted there); returns the planes' offsets */
function planesIn(K: LiveKernels, image: FeatureImage, y0: number, y1: number, x0: number, x1: number, map: IntensityMap): number[] {
  const { width: w, channels: c } = image;
  const data = image.data as Uint8Array | Uint8ClampedArray | Float32Array;
  const sw = x1 - x0;
  const n = sw * (y1 - y0);
  const u8 = data instanceof Uint8Array || data instanceof Uint8ClampedArray;
  if (!u8 && !(data instanceof Float32Array)) {
    const full = planesOf(image, y0, y1, map);
    if (sw === w) return full.map((p) => K.put(p));
    return full.map((p) => {
      const q = K.alloc(n);
      const v = K.f32(q, n);
      for (let y = 0; y < y1 - y0; y++) v.set(p.subarray(y * w + x0, y * w + x1), y * sw);
      return q;
    });
  }
  const colors = c > 1 ? Math.min(c, 3) : 0;
  // the pixels of the strip, as they are (bytes or floats), converted to planes in wasm
  const src = K.alloc(u8 ? Math.ceil((n * c) / 4) : n * c);
  const v = u8 ? K.u8(src, n * c) : K.f32(src, n * c);
  if (sw === w) v.set(data.subarray(y0 * w * c, y1 * w * c));
  else for (let y = y0; y < y1; y++) v.set(data.subarray((y * w + x0) * c, (y * w + x1) * c), (y - y0) * sw * c);
  const planes = Array.from({ length: colors + 1 }, () => K.alloc(n));
  (u8 ? K.k.fb_planes_u8 : K.k.fb_planes_f32)(src, n, c, colors, map.mul, map.add, K.put(Int32Array.from(planes)));
  return planes;
}

/** wasm path: images wider than this are computed in vertical strips of this many columns (plus halo), to bound the planes' memory */
let stripWidth = 1024;

/** Sets the wasm path's strip width (tests); returns the previous one. */
export function setFeatureStripWidth(px: number): number {
  const was = stripWidth;
  stripWidth = Math.max(8, Math.floor(px));
  return was;
}

/**
 * Rows [y0, y1) of the stack into `dst` (exactly those rows), computed from image rows
 * [ys, ye) (the band and its halo): on the SIMD wasm kernels where they run, else in TS. On
 * wasm, images wider than 1.5 strips go in vertical strips with a halo of filterReach columns
 * (aligned to the pyramid), which gives the same values as the whole width.
 */
function computeBand(image: FeatureImage, r: Resolved, map: IntensityMap, ys: number, ye: number, y0: number, y1: number, dst: Float32Array, nf: number): void {
  const W = image.width;
  const h = ye - ys;
  const fmax = Math.max(...r.scales.map(pyramidFactor));
  const step = W <= stripWidth * 1.5 ? W : Math.max(fmax, Math.floor(stripWidth / fmax) * fmax);
  const reach = Math.max(...r.scales.map(filterReach));
  const strips: [number, number, number, number][] = [];
  for (let x0 = 0; x0 < W; x0 += step) {
    const x1 = Math.min(W, x0 + step);
    if (x0 === 0 && x1 === W) strips.push([0, W, 0, W]);
    else strips.push([x0, x1, Math.max(0, Math.floor((x0 - reach) / fmax) * fmax), Math.min(W, Math.ceil((x1 + reach) / fmax) * fmax)]);
  }
  const widest = Math.max(...strips.map(([, , xs, xe]) => xe - xs));
  // the strip's input planes and every feature plane (the coarse ones smaller), plus temporaries
  const bytes = 4 * widest * h * (Math.min(image.channels, 3) + 1 + nf / 2 + 12) + 2 ** 20;
  let first = true;
  for (const [x0, x1, xs, xe] of strips) {
    const sw = xe - xs;
    const done = withLiveKernels(
      bytes,
      (K) => {
        const levels: LevelOut[] = [];
        let off = 0;
        planesIn(K, image, ys, ye, xs, xe, map).forEach((src, p) => {
          const fs = p === 0 ? r.filters : r.colorFilters;
          if (!fs.length) return;
          for (const s of r.scales) {
            const L = filterPlaneWasm(K, src, sw, h, s, fs, off);
            off += L.planes.length;
            levels.push(L);
          }
        });
        interleaveInto(K, levels, sw, h, y0 - ys, y1 - ys, x0 - xs, x1 - xs, dst, nf, x0 * nf, W * nf);
        return true;
      },
      () => false,
    );
    if (done) {
      first = false;
      continue;
    }
    if (!first) throw new Error('the wasm kernels went away between strips');
    if (ys === y0 && ye === y1) return computeRowsTs(image, r, map, ys, ye, dst, nf);
    const tmp = new Float32Array(W * h * nf);
    computeRowsTs(image, r, map, ys, ye, tmp, nf);
    dst.set(tmp.subarray((y0 - ys) * W * nf, (y1 - ys) * W * nf));
    return;
  }
}

function computeRowsTs(image: FeatureImage, r: Resolved, map: IntensityMap, y0: number, y1: number, out: Float32Array, nf: number): void {
  const w = image.width;
  const h = y1 - y0;
  const planes = planesOf(image, y0, y1, map);
  let off = 0;
  planes.forEach((plane, p) => {
    const fs = p === 0 ? r.filters : r.colorFilters;
    if (!fs.length) return;
    for (const s of r.scales) off += filterPlaneInto(plane, w, h, s, fs, out, nf, off);
  });
}

export interface FeatureBand {
  /** first image row of this band */
  y0: number;
  /** rows in this band */
  rows: number;
  /** HWC features of rows y0 .. y0 + rows (width x rows x channels) */
  data: Float32Array;
}

/**
 * The bands of the stack: each band's rows are computed into `target(y0, rows)` (a buffer of
 * width x rows x channels) and handed to `fn`.
 */
function computeBands(image: FeatureImage, opts: FeatureStackOptions, target: (y0: number, rows: number, channels: number) => Float32Array, fn: (band: FeatureBand, channels: number) => void): string[] {
  const r = resolve(image, opts);
  const names = featureNames(image.channels, opts);
  const nf = names.length;
  const H = image.height;
  const map = intensityMap(image, r);
  const fmax = Math.max(...r.scales.map(pyramidFactor));
  const halo = Math.ceil(3 * Math.max(...r.scales)) + 2 * fmax + 2;
  const step = H <= r.tileRows * 1.5 ? H : Math.max(fmax, Math.floor(r.tileRows / fmax) * fmax);
  for (let y0 = 0; y0 < H; y0 += step) {
    const y1 = Math.min(H, y0 + step);
    const whole = y0 === 0 && y1 === H;
    const ys = whole ? 0 : Math.max(0, Math.floor((y0 - halo) / fmax) * fmax);
    const ye = whole ? H : Math.min(H, y1 + halo);
    const data = target(y0, y1 - y0, nf);
    computeBand(image, r, map, ys, ye, y0, y1, data, nf);
    fn({ y0, rows: y1 - y0, data }, nf);
  }
  return names;
}

/** Computes the stack band by band (at most `tileRows` rows each) and hands each band to `fn`. */
export function forEachFeatureBand(image: FeatureImage, opts: FeatureStackOptions, fn: (band: FeatureBand, channels: number) => void): string[] {
  return computeBands(image, opts, (_y0, rows, nf) => new Float32Array(image.width * rows * nf), fn);
}

/** The whole stack of one image (HWC Float32; see feature-types.ts). */
export function computeFeatureStack(image: FeatureImage, opts: FeatureStackOptions = {}): FeatureStack {
  const names = featureNames(image.channels, opts);
  const nf = names.length;
  const bytes = image.width * image.height * nf * 4;
  if (bytes > 2 ** 31) throw new FeatureInputError(`the feature stack of a ${image.width} x ${image.height} image needs ${(bytes / 2 ** 30).toFixed(1)} GiB; predict it band by band (forEachFeatureBand) instead`);
  const data = new Float32Array(image.width * image.height * nf);
  const w = image.width;
  computeBands(image, opts, (y0, rows) => data.subarray(y0 * w * nf, (y0 + rows) * w * nf), () => {});
  return { width: image.width, height: image.height, channels: nf, data, names };
}
