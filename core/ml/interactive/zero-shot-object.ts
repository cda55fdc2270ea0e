/**
 * Click-to-object without a trained model (issue 12): positive / negative clicks and an optional
 * box give one object's mask on any image.
 *
 * Method: a GrabCut-style graph cut on a region of interest (ROI) around the prompts.
 *   - ROI: the box (plus a margin), else the clicks and the previous mask plus a margin that
 *     starts at about 6 % of the image side; when the object reaches an ROI edge that lies inside
 *     the image, the margin doubles and the cut is redone (at most 3 times). ROIs larger than
 *     `maxPixels` are cut at a coarser working scale and the mask is upsampled.
 *   - Features per working pixel: the live classifier's filter bank (core/ml/live, Gaussian and
 *     gradient magnitude of luminance, Gaussian of each colour, scales 1 and 3 px), each
 *     standardised over the ROI.
 *   - Unary terms: -log likelihood under two diagonal Gaussian mixtures (5 components each),
 *     the object's fitted to disks around the positive clicks (each disk 0.8 x the radius at
 *     which a third of a circle around the click leaves the click's colour, at most 8 % of the
 *     ROI: a small object in clutter does not learn its neighbours' colours; fruits-nuts whole
 *     image NoC@85 5.47 -> 4.69 on a 36-object dev run) and the previous mask, the
 *     background's to the ROI border, the outside of the box and disks around negative clicks;
 *     refitted to the cut (GrabCut's iteration, 4 rounds, stopping early when a round moves
 *     <= 0.2 % of the pixels; the arcs are built once per cut; variance floor 0.3 standardised
 *     units, so that models from small seeds reach a shaded object's rim). A distance-to-click
 *     term, a soft term around negative clicks (where the previous mask also stops seeding the
 *     object model, so a leak is not learnt as object colour) and an
 *     optional model probability term (-w log p, `prior`) are added; with a prior the colour
 *     terms are capped at `priorColourCap` nats (not 30), so that the model decides where colour
 *     cannot (touching objects of one colour).
 *   - Pairwise: contrast-sensitive 8-connected Potts, gamma * exp(-beta |f_p - f_q|^2) / dist
 *     on the colour features (beta from the ROI's mean squared contrast).
 *   - Hard constraints: click disks, the ROI border (where it is inside the image) and the
 *     outside of the box belong to the background / object. The min cut is exact
 *     (Boykov-Kolmogorov, max-flow.ts); only components touching a positive click are kept.
 * Why a graph cut: it follows colour edges between touching objects and a negative click removes
 * a whole region in one step. A geodesic term (object cost x dPos / (dPos + dNeg), distances on
 * the feature contrast from the positive clicks and from the negative clicks + ROI border,
 * `geodesicWeight`) was measured on fruits-nuts and made it worse (NoC@85 4.69 -> 6.17 at weight
 * 3, 9.11 at 6: textured objects are geodesically far from their own click), so it is off. A
 * first-click ROI capped at 4x / 8x the click's colour extent (`roiRadiusFactor`) was worse too
 * (5.31 / 4.81): the background model needs to see the surroundings.
 * The defaults (4 rounds on the first click, 2 after; variance floor 0.3; seeds 8 %; distance
 * weight 3; the negative-click term) were chosen on fruits-nuts and synthetic photos (one click
 * IoU .545 -> .852); the NoC table in BENCHMARKS.md is for these defaults (fruits whole image
 * NoC@85 7.89 -> 6.11 against the earlier defaults).
 *
 * Pure TS (no tfjs, no node:*): runs in the ML worker, the host or the renderer.
 */
import { AppError } from '../../api/errors';
import type { Box } from '../clicks/zoom-window';
import type { Click } from '../clicks/click-maps';
import { computeFeatureStack } from '../live/compute-feature-stack';
import type { FeatureImage } from '../live/feature-types';
import { MaxFlowGraph } from './max-flow';

export type ObjectSource = 'zero-shot' | 'click-model' | 'prelabel';

export interface ObjectPrior {
  /** image-size probability of the object, 0..1 (Float32) or 0..255 (Uint8) */
  prob: Float32Array | Uint8Array;
  /** weight of -log p relative to the colour terms (default 1) */
  weight?: number;
  source: Exclude<ObjectSource, 'zero-shot'>;
}

export interface ZeroShotRequest {
  clicks: readonly Click[];
  /** the object lies inside this box (inclusive pixel coordinates) */
  box?: Box | null;
  /** image-size 0/1 mask of the object so far */
  prevMask?: Uint8Array | null;
  /** model probabilities to combine with (one more unary term) */
  priors?: readonly ObjectPrior[];
}

export interface ZeroShotResult {
  /** image-size 0/1 mask */
  mask: Uint8Array;
  /** mean object posterior over the mask (0..1) */
  score: number;
  /** the ROI the cut ran on (image pixels, inclusive) */
  roi: Box;
  /** working scale (ROI pixels per working pixel) */
  scale: number;
  sources: ObjectSource[];
  ms: number;
  /** of ms, the time spent computing the ROI's features (every cut of this call) */
  featureMs: number;
}

export interface ZeroShotOptions {
  /** working pixels of the ROI at most (default 256^2) */
  maxPixels?: number;
  /** pairwise weight (default 25) */
  gamma?: number;
  /** GrabCut iterations (default 4) */
  iterations?: number;
  /** GrabCut iterations when a previous mask is given (default 2, at most iterations) */
  laterIterations?: number;
  /** weight of the distance-to-positive-click term, nats at the ROI edge (default 3) */
  distanceWeight?: number;
  /** weight pulling towards the previous mask away from the newest click, nats (default 6) */
  prevWeight?: number;
  /** first margin around the clicks, as a fraction of the image's longer side (default 0.015) */
  marginFraction?: number;
  /** the largest first margin, as a fraction of the image's longer side (default 0.2) */
  maxMarginFraction?: number;
  /** how many times the ROI may double when the object reaches its edge (default 2) */
  maxGrow?: number;
  /** the cap on the colour terms (nats) when a model prior is given (default 4; 30 without one) */
  priorColourCap?: number;
  /** variance floor of the colour models, standardised units (default 0.3: broad models generalise from small seeds to shaded, textured objects) */
  varFloor?: number;
  /** radius of the seed disks around clicks, as a fraction of the ROI's shorter working side (default 0.08) */
  seedFraction?: number;
  /** extra object cost at a negative click, nats, falling off as a Gaussian of the newest click's radius (default 4) */
  negativeWeight?: number;
  /** size each click's seed disk by the extent of the click's colour around it (default true) */
  localSeeds?: boolean;
  /** seed radius as a fraction of that extent (default 0.8) */
  localSeedScale?: number;
  /** the extent ends at the first circle of which more than this fraction differs (default 0.33) */
  radiusDiffFraction?: number;
  /** first click: the ROI margin is at most this many times the click's colour extent (0: off) */
  roiRadiusFactor?: number;
  /** weight (nats) of the geodesic term: object cost x dPos / (dPos + dNeg) (default 0: off) */
  geodesicWeight?: number;
  /** GrabCut stops when a round changes at most this fraction of the ROI's pixels (default 0.002) */
  convergedFraction?: number;
  /** how much feature contrast lengthens a geodesic step (default 2) */
  geodesicContrast?: number;
  /** the share of the geodesic weight that also goes on background cost x dNeg / (dPos + dNeg) (default 0) */
  geodesicBgShare?: number;
}

const K_MIX = 5;
const HARD = 1e9;
const SCALE = 100; // capacities in 1/100 nats, rounded to integers (exact zero tests in max-flow)

interface Gmm {
  k: number;
  d: number;
  w: Float64Array;
  mean: Float64Array;
  ivar: Float64Array;
  logNorm: Float64Array;
}

/** Diagonal GMM fitted by a few k-means rounds then one variance pass (deterministic). */
function fitGmm(feat: Float32Array, d: number, idx: Int32Array, n: number, varFloor = 0.01): Gmm | null {
  if (n === 0) return null;
  const k = Math.min(K_MIX, n);
  const step = Math.max(1, Math.floor(n / 4000));
  const sample: number[] = [];
  for (let i = 0; i < n; i += step) sample.push(idx[i]!);
  const mean = new Float64Array(k * d);
  // init: spread picks (farthest-point from the first sample)
  const picks = [sample[0]!];
  const near = new Float64Array(sample.length).fill(Infinity);
  for (let c = 1; c < k; c++) {
    const last = picks[c - 1]!;
    let best = 0;
    let bestD = -1;
    for (let s = 0; s < sample.length; s++) {
      let dd = 0;
      const o = sample[s]! * d;
      for (let f = 0; f < d; f++) {
        const t = feat[o + f]! - feat[last * d + f]!;
        dd += t * t;
      }
      if (dd < near[s]!) near[s] = dd;
      if (near[s]! > bestD) {
        bestD = near[s]!;
        best = s;
      }
    }
    picks.push(sample[best]!);
  }
  for (let c = 0; c < k; c++) for (let f = 0; f < d; f++) mean[c * d + f] = feat[picks[c]! * d + f]!;
  const assign = new Int32Array(sample.length);
  for (let it = 0; it < 4; it++) {
    const sum = new Float64Array(k * d);
    const cnt = new Float64Array(k);
    for (let s = 0; s < sample.length; s++) {
      const o = sample[s]! * d;
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        let dd = 0;
        for (let f = 0; f < d; f++) {
          const t = feat[o + f]! - mean[c * d + f]!;
          dd += t * t;
        }
        if (dd < bestD) {
          bestD = dd;
          best = c;
        }
      }
      assign[s] = best;
      cnt[best]!++;
      for (let f = 0; f < d; f++) sum[best * d + f]! += feat[o + f]!;
    }
    for (let c = 0; c < k; c++) if (cnt[c]! > 0) for (let f = 0; f < d; f++) mean[c * d + f] = sum[c * d + f]! / cnt[c]!;
  }
  const vsum = new Float64Array(k * d);
  const cnt = new Float64Array(k);
  for (let s = 0; s < sample.length; s++) {
    const c = assign[s]!;
    const o = sample[s]! * d;
    cnt[c]!++;
    for (let f = 0; f < d; f++) {
      const t = feat[o + f]! - mean[c * d + f]!;
      vsum[c * d + f]! += t * t;
    }
  }
  const w = new Float64Array(k);
  const ivar = new Float64Array(k * d);
  const logNorm = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    w[c] = (cnt[c]! + 1e-3) / (sample.length + k * 1e-3);
    let ln = Math.log(w[c]!);
    for (let f = 0; f < d; f++) {
      const v = (vsum[c * d + f]! + 0.05 * 0.05) / (cnt[c]! + 1) + varFloor; // floor: standardised units
      ivar[c * d + f] = 1 / v;
      ln -= 0.5 * Math.log(2 * Math.PI * v);
    }
    logNorm[c] = ln;
  }
  return { k, d, w, mean, ivar, logNorm };
}

/** -log likelihood of pixel p (max component; the usual GrabCut hard assignment) */
function nll(g: Gmm, feat: Float32Array, p: number): number {
  const { k, d, mean, ivar, logNorm } = g;
  const o = p * d;
  let best = -Infinity;
  for (let c = 0; c < k; c++) {
    let q = 0;
    for (let f = 0; f < d; f++) {
      const t = feat[o + f]! - mean[c * d + f]!;
      q += t * t * ivar[c * d + f]!;
    }
    const l = logNorm[c]! - 0.5 * q;
    if (l > best) best = l;
  }
  return -best;
}

/** Samples the ROI (image px, inclusive) at working size ww x wh, bilinear, all channels. */
function sampleRoi(img: FeatureImage, roi: Box, ww: number, wh: number): Float32Array {
  const { width: W, height: H, channels: C, data } = img;
  const out = new Float32Array(ww * wh * C);
  const sx = (roi.x1 - roi.x0 + 1) / ww;
  const sy = (roi.y1 - roi.y0 + 1) / wh;
  for (let y = 0; y < wh; y++) {
    const fy = Math.min(H - 1, Math.max(0, roi.y0 + (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(H - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < ww; x++) {
      const fx = Math.min(W - 1, Math.max(0, roi.x0 + (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(W - 1, x0 + 1);
      const tx = fx - x0;
      const o = (y * ww + x) * C;
      for (let c = 0; c < C; c++) {
        const a = data[(y0 * W + x0) * C + c]! * (1 - tx) + data[(y0 * W + x1) * C + c]! * tx;
        const b = data[(y1 * W + x0) * C + c]! * (1 - tx) + data[(y1 * W + x1) * C + c]! * tx;
        out[o + c] = a * (1 - ty) + b * ty;
      }
    }
  }
  return out;
}

function clampBox(b: Box, W: number, H: number): Box {
  return { x0: Math.max(0, Math.floor(b.x0)), y0: Math.max(0, Math.floor(b.y0)), x1: Math.min(W - 1, Math.ceil(b.x1)), y1: Math.min(H - 1, Math.ceil(b.y1)) };
}

/**
 * The zero-training click-to-object segmenter of one image. setImage keeps the image; each
 * segment() call is one cut on an ROI (see the module comment).
 */
export class ZeroShotSegmenter {
  private image: FeatureImage | null = null;
  private valueScale = 1;
  private featureMs = 0;
  readonly options: Required<ZeroShotOptions>;

  constructor(opts: ZeroShotOptions = {}) {
    this.options = {
      maxPixels: opts.maxPixels ?? 256 * 256,
      gamma: opts.gamma ?? 25,
      iterations: opts.iterations ?? 4,
      laterIterations: opts.laterIterations ?? Math.min(2, opts.iterations ?? 4),
      distanceWeight: opts.distanceWeight ?? 3,
      prevWeight: opts.prevWeight ?? 6,
      marginFraction: opts.marginFraction ?? 0.015,
      maxMarginFraction: opts.maxMarginFraction ?? 0.2,
      maxGrow: opts.maxGrow ?? 2,
      priorColourCap: opts.priorColourCap ?? 4,
      varFloor: opts.varFloor ?? 0.3,
      seedFraction: opts.seedFraction ?? 0.08,
      negativeWeight: opts.negativeWeight ?? 4,
      localSeeds: opts.localSeeds ?? true,
      localSeedScale: opts.localSeedScale ?? 0.8,
      radiusDiffFraction: opts.radiusDiffFraction ?? 0.33,
      roiRadiusFactor: opts.roiRadiusFactor ?? 0,
      geodesicWeight: opts.geodesicWeight ?? 0,
      convergedFraction: opts.convergedFraction ?? 0.002,
      geodesicContrast: opts.geodesicContrast ?? 2,
      geodesicBgShare: opts.geodesicBgShare ?? 0,
    };
  }

  get currentImage(): FeatureImage | null {
    return this.image;
  }

  /** The image (HWC, 1-4 channels, 8-bit, 16-bit or float 0..1). */
  setImage(image: FeatureImage): void {
    const { width, height, channels, data } = image;
    if (!(width >= 1 && height >= 1 && channels >= 1 && channels <= 4) || data.length !== width * height * channels) {
      throw new AppError('invalid-argument', `Cannot segment a ${width}x${height}x${channels} image with ${data.length} values.`);
    }
    this.image = image;
    this.valueScale = data instanceof Uint8Array || data instanceof Uint8ClampedArray ? 1 / 255 : data instanceof Uint16Array ? 1 / 65535 : 1;
  }

  segment(req: ZeroShotRequest): ZeroShotResult {
    const t0 = performance.now();
    this.featureMs = 0;
    const img = this.image;
    if (!img) throw new AppError('invalid-argument', 'No image: call setImage first.');
    const { width: W, height: H } = img;
    const box = req.box ? clampBox(req.box, W, H) : null;
    if (req.box && (box!.x1 < box!.x0 || box!.y1 < box!.y0 || req.box.x0 > W - 1 || req.box.y0 > H - 1)) throw new AppError('invalid-argument', 'The box is outside the image.');
    if (!req.clicks.length && !box) throw new AppError('invalid-argument', 'Click-to-object needs at least one click or a box.');
    for (const c of req.clicks) {
      if (!(c.x >= 0 && c.y >= 0 && c.x < W && c.y < H)) throw new AppError('invalid-argument', `Click ${c.x},${c.y} is outside the ${W}x${H} image.`);
    }
    const prev = req.prevMask ?? null;
    if (prev && prev.length !== W * H) throw new AppError('invalid-argument', 'The previous mask does not match the image size.');
    for (const p of req.priors ?? []) if (p.prob.length !== W * H) throw new AppError('invalid-argument', `The ${p.source} probabilities do not match the image size.`);

    // the extent the ROI must hold
    let ex: Box;
    if (box) ex = box;
    else {
      const pos = req.clicks.filter((c) => c.positive);
      const pts = pos.length ? pos : req.clicks;
      ex = { x0: Math.min(...pts.map((c) => c.x)), y0: Math.min(...pts.map((c) => c.y)), x1: Math.max(...pts.map((c) => c.x)), y1: Math.max(...pts.map((c) => c.y)) };
      if (prev) {
        for (let y = 0; y < H; y++) {
          const row = y * W;
          for (let x = 0; x < W; x++) {
            if (!prev[row + x]) continue;
            if (x < ex.x0) ex.x0 = x;
            if (x > ex.x1) ex.x1 = x;
            if (y < ex.y0) ex.y0 = y;
            if (y > ex.y1) ex.y1 = y;
          }
        }
      }
    }
    const o = this.options;
    const side = Math.max(ex.x1 - ex.x0 + 1, ex.y1 - ex.y0 + 1);
    const radii = o.localSeeds ? req.clicks.map((c) => this.clickRadius(c)) : null;
    let margin = box ? Math.max(6, 0.08 * side) : Math.max(0.4 * side, this.ringMargin(req.clicks, ex));
    if (!box && !prev && radii && o.roiRadiusFactor > 0) {
      // the first click: the ROI holds a few times the click's colour extent (grown when the cut reaches it)
      const rMax = Math.max(...radii.filter((_, i) => req.clicks[i]!.positive), 0);
      if (rMax > 0) margin = Math.max(0.4 * side, Math.min(margin, o.roiRadiusFactor * rMax));
    }
    let out = this.cut(req, box, prev, radii, clampBox({ x0: ex.x0 - margin, y0: ex.y0 - margin, x1: ex.x1 + margin, y1: ex.y1 + margin }, W, H));
    for (let g = 0; g < this.options.maxGrow && out.touches && !box; g++) {
      margin *= 2;
      out = this.cut(req, box, prev, radii, clampBox({ x0: ex.x0 - margin, y0: ex.y0 - margin, x1: ex.x1 + margin, y1: ex.y1 + margin }, W, H));
    }
    const sources: ObjectSource[] = ['zero-shot', ...(req.priors ?? []).map((p) => p.source)];
    return { mask: out.mask, score: out.score, roi: out.roi, scale: out.scale, sources, ms: performance.now() - t0, featureMs: this.featureMs };
  }

  /** Colour of the 7x7 patches at the clicks: per channel mean and a tolerance of 2.5 sd + 0.06. */
  private patchColour(clicks: readonly Click[]): { mean: Float64Array; tol: Float64Array } {
    const { width: W, height: H, channels: C, data } = this.image!;
    const mean = new Float64Array(C);
    const sq = new Float64Array(C);
    let n = 0;
    for (const c of clicks) {
      const cx = Math.round(c.x);
      const cy = Math.round(c.y);
      for (let y = Math.max(0, cy - 3); y <= Math.min(H - 1, cy + 3); y++) {
        for (let x = Math.max(0, cx - 3); x <= Math.min(W - 1, cx + 3); x++) {
          for (let k = 0; k < C; k++) {
            const v = data[(y * W + x) * C + k]! * this.valueScale;
            mean[k]! += v;
            sq[k]! += v * v;
          }
          n++;
        }
      }
    }
    const tol = new Float64Array(C);
    for (let k = 0; k < C; k++) {
      mean[k]! /= n;
      tol[k] = 2.5 * Math.sqrt(Math.max(0, sq[k]! / n - mean[k]! ** 2)) + 0.06;
    }
    return { mean, tol };
  }

  /** true when pixel (x, y) lies within the patch colour's tolerance (normalised distance <= sqrt(C)) */
  private sameColour(model: { mean: Float64Array; tol: Float64Array }, x: number, y: number): boolean {
    const { width: W, channels: C, data } = this.image!;
    let d2 = 0;
    for (let k = 0; k < C; k++) d2 += ((data[(y * W + x) * C + k]! * this.valueScale - model.mean[k]!) / model.tol[k]!) ** 2;
    return d2 <= C;
  }

  /**
   * The first margin around the extent: the smallest (growing by 1.5x from ~1.5 % of the image
   * side) whose square ring around the extent mostly differs in colour from the pixels at the
   * positive clicks, times 1.5 — so the background model sees background, not the object.
   */
  private ringMargin(clicks: readonly Click[], ex: Box): number {
    const img = this.image!;
    const { width: W, height: H } = img;
    const pos = clicks.filter((c) => c.positive);
    const m0 = Math.max(6, this.options.marginFraction * Math.max(W, H));
    if (!pos.length) return m0 * 1.5;
    const model = this.patchColour(pos);
    const maxM = this.options.maxMarginFraction * Math.max(W, H);
    for (let m = m0; ; m *= 1.5) {
      const x0 = Math.round(ex.x0 - m);
      const y0 = Math.round(ex.y0 - m);
      const x1 = Math.round(ex.x1 + m);
      const y1 = Math.round(ex.y1 + m);
      let same = 0;
      let total = 0;
      const test = (x: number, y: number) => {
        if (x < 0 || y < 0 || x >= W || y >= H) return;
        total++;
        if (this.sameColour(model, x, y)) same++;
      };
      const step = Math.max(1, Math.floor((x1 - x0 + y1 - y0) / 200));
      for (let x = x0; x <= x1; x += step) {
        test(x, y0);
        test(x, y1);
      }
      for (let y = y0 + 1; y < y1; y += step) {
        test(x0, y);
        test(x1, y);
      }
      if (total === 0 || m >= maxM) return Math.min(m, maxM) * 1.5;
      if (same / total < 0.2) return m * 1.5;
    }
  }

  /**
   * The radius (image px) of the region of the click's colour around a click: the smallest
   * circle (growing by 1.25x from 2 px) of which more than a third differs in colour from the
   * 7x7 patch at the click. The simulator and people click near an object's middle, so this is
   * about the object's inscribed radius; it sizes the click's seed disk, so that the object
   * model of a small object in clutter does not learn its neighbours' colours.
   */
  private clickRadius(c: Click): number {
    const img = this.image!;
    const { width: W, height: H } = img;
    const cx = Math.round(c.x);
    const cy = Math.round(c.y);
    const model = this.patchColour([c]);
    const maxR = this.options.maxMarginFraction * Math.max(W, H);
    let r = 2;
    for (; r < maxR; r *= 1.25) {
      let diff = 0;
      let total = 0;
      for (let a = 0; a < 32; a++) {
        const x = Math.round(cx + r * Math.cos((a * Math.PI) / 16));
        const y = Math.round(cy + r * Math.sin((a * Math.PI) / 16));
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        total++;
        if (!this.sameColour(model, x, y)) diff++;
      }
      if (total === 0 || diff > this.options.radiusDiffFraction * total) break;
    }
    return r;
  }

  private cut(req: ZeroShotRequest, box: Box | null, prev: Uint8Array | null, radii: number[] | null, roi: Box): { mask: Uint8Array; score: number; touches: boolean; roi: Box; scale: number } {
    const img = this.image!;
    const { width: W, height: H, channels: C } = img;
    const o = this.options;
    const rw = roi.x1 - roi.x0 + 1;
    const rh = roi.y1 - roi.y0 + 1;
    const scale = Math.max(1, Math.sqrt((rw * rh) / o.maxPixels));
    const ww = Math.max(2, Math.round(rw / scale));
    const wh = Math.max(2, Math.round(rh / scale));
    const sx = rw / ww;
    const sy = rh / wh;
    const n = ww * wh;
    // working pixel <-> image
    const toWx = (x: number) => Math.min(ww - 1, Math.max(0, Math.floor((x - roi.x0 + 0.5) / sx)));
    const toWy = (y: number) => Math.min(wh - 1, Math.max(0, Math.floor((y - roi.y0 + 0.5) / sy)));
    const imgX = (x: number) => Math.min(W - 1, Math.floor(roi.x0 + (x + 0.5) * sx));
    const imgY = (y: number) => Math.min(H - 1, Math.floor(roi.y0 + (y + 0.5) * sy));

    const tf0 = performance.now();
    const crop = sampleRoi(img, roi, ww, wh);
    const stack = computeFeatureStack(
      { data: crop, width: ww, height: wh, channels: C },
      { scales: [1, 3], filters: ['gaussian', 'gradient'], colorFilters: ['gaussian'], valueScale: this.valueScale },
    );
    const d = stack.channels;
    const feat = stack.data;
    // standardise each feature over the ROI
    for (let f = 0; f < d; f++) {
      let s = 0;
      let s2 = 0;
      for (let p = 0; p < n; p++) {
        const v = feat[p * d + f]!;
        s += v;
        s2 += v * v;
      }
      const m = s / n;
      const sd = Math.sqrt(Math.max(1e-12, s2 / n - m * m));
      const inv = 1 / Math.max(sd, 0.02);
      for (let p = 0; p < n; p++) feat[p * d + f] = (feat[p * d + f]! - m) * inv;
    }
    this.featureMs += performance.now() - tf0;
    // colour planes for the pairwise term (scale-1 Gaussians of the colours, or luminance)
    const colIdx: number[] = [];
    stack.names.forEach((nm, i) => {
      if (C > 1 ? /^c\d:gaussian@1$/.test(nm) : nm === 'lum:gaussian@1') colIdx.push(i);
    });

    // hard labels: 1 object, 2 background
    const hard = new Uint8Array(n);
    const seedFg = new Uint8Array(n);
    const seedBg = new Uint8Array(n);
    const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < ww && y < wh;
    const disk = (cx: number, cy: number, r: number, fn: (p: number) => void) => {
      const ri = Math.ceil(r);
      for (let y = cy - ri; y <= cy + ri; y++) for (let x = cx - ri; x <= cx + ri; x++) if (inside(x, y) && (x - cx) ** 2 + (y - cy) ** 2 <= r * r) fn(y * ww + x);
    };
    // the ROI border inside the image is background (the object is grown if it gets there)
    const openL = roi.x0 > 0;
    const openR = roi.x1 < W - 1;
    const openT = roi.y0 > 0;
    const openB = roi.y1 < H - 1;
    for (let y = 0; y < wh; y++) {
      for (let x = 0; x < ww; x++) {
        const border = (x === 0 && openL) || (x === ww - 1 && openR) || (y === 0 && openT) || (y === wh - 1 && openB);
        const ring = x < 2 || y < 2 || x >= ww - 2 || y >= wh - 2;
        const p = y * ww + x;
        if (border) hard[p] = 2;
        if (ring) seedBg[p] = 1;
        if (box) {
          const ix = imgX(x);
          const iy = imgY(y);
          if (ix < box.x0 || ix > box.x1 || iy < box.y0 || iy > box.y1) {
            hard[p] = 2;
            seedBg[p] = 1;
          }
        }
      }
    }
    const minSide = Math.min(ww, wh);
    const seedR = Math.max(2, o.seedFraction * minSide);
    const pos: { x: number; y: number }[] = [];
    req.clicks.forEach((c, ci) => {
      const cx = toWx(c.x);
      const cy = toWy(c.y);
      if (c.positive) pos.push({ x: cx, y: cy });
      const r = radii ? Math.max(1.5, Math.min(seedR, (o.localSeedScale * radii[ci]!) / sx)) : seedR;
      disk(cx, cy, r, (p) => {
        if (c.positive) seedFg[p] = 1;
        else seedBg[p] = 1;
      });
      disk(cx, cy, 1.5, (p) => {
        hard[p] = c.positive ? 1 : 2;
      });
    });
    const prevW = new Uint8Array(n);
    if (prev) {
      for (let y = 0; y < wh; y++) for (let x = 0; x < ww; x++) prevW[y * ww + x] = prev[imgY(y) * W + imgX(x)]!;
    }
    if (!pos.length && box) {
      // a box alone: the object model starts from the box's inside (GrabCut)
      for (let p = 0; p < n; p++) if (!seedBg[p]) seedFg[p] = 1;
    }
    for (let p = 0; p < n; p++) if (prevW[p] && hard[p] !== 2) seedFg[p] = 1;

    // distance to the nearest positive click, in units of the ROI half-side
    const distT = new Float32Array(n);
    if (pos.length && o.distanceWeight > 0) {
      const half = Math.max(ww, wh) / 2;
      for (let y = 0; y < wh; y++) {
        for (let x = 0; x < ww; x++) {
          let best = Infinity;
          for (const c of pos) best = Math.min(best, (x - c.x) ** 2 + (y - c.y) ** 2);
          distT[y * ww + x] = Math.sqrt(best) / half;
        }
      }
    }
    // distance to the newest click (working px) and the radius it acts in: a third of the object's size
    const lastD = new Float32Array(n);
    let locR = 1;
    if (prev && req.clicks.length) {
      const c = req.clicks[req.clicks.length - 1]!;
      const lx = toWx(c.x);
      const ly = toWy(c.y);
      let area = 0;
      for (let p = 0; p < n; p++) area += prevW[p]!;
      locR = Math.max(4, 0.5 * Math.sqrt(area));
      for (let y = 0; y < wh; y++) for (let x = 0; x < ww; x++) lastD[y * ww + x] = Math.hypot(x - lx, y - ly);
    }
    // negative clicks act on their neighbourhood: the object costs more near them (a soft
    // Gaussian of radius locR, the newest click's radius), and the previous mask there no longer
    // seeds the object model (so a leak is not learnt as object colour)
    const negW = new Float32Array(n);
    if (o.negativeWeight > 0) {
      const rN = prev ? locR : Math.max(4, 0.1 * Math.max(ww, wh));
      for (const c of req.clicks) {
        if (c.positive) continue;
        const cx = toWx(c.x);
        const cy = toWy(c.y);
        const reach = Math.ceil(3 * rN);
        for (let y = Math.max(0, cy - reach); y <= Math.min(wh - 1, cy + reach); y++) {
          for (let x = Math.max(0, cx - reach); x <= Math.min(ww - 1, cx + reach); x++) {
            const g = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * rN * rN));
            const p = y * ww + x;
            if (g > negW[p]!) negW[p] = g;
          }
        }
      }
      for (let p = 0; p < n; p++) {
        if (negW[p]! > 0.5 && hard[p] !== 1) {
          seedFg[p] = 0;
          seedBg[p] = 1;
        }
        negW[p] = negW[p]! * o.negativeWeight;
      }
    }
    // model priors at working pixels
    const priorF = new Float32Array(n);
    const priorB = new Float32Array(n);
    for (const pr of req.priors ?? []) {
      const wgt = pr.weight ?? 1;
      const div = pr.prob instanceof Uint8Array ? 255 : 1;
      for (let y = 0; y < wh; y++) {
        for (let x = 0; x < ww; x++) {
          const v = Math.min(1 - 1e-3, Math.max(1e-3, pr.prob[imgY(y) * W + imgX(x)]! / div));
          priorF[y * ww + x]! += -wgt * Math.log(v);
          priorB[y * ww + x]! += -wgt * Math.log(1 - v);
        }
      }
    }

    // pairwise weights (8-connected), beta from the mean squared colour contrast
    const dx8 = [1, 0, 1, -1];
    const dy8 = [0, 1, 1, 1];
    const diff2 = (p: number, q: number) => {
      let s = 0;
      for (const f of colIdx) {
        const t = feat[p * d + f]! - feat[q * d + f]!;
        s += t * t;
      }
      return s;
    };
    // one pass for the squared feature distance of every neighbour pair (-1: neighbour outside),
    // then the weights from it once beta (from the mean distance) is known
    const pairW = new Float32Array(n * 4).fill(-1);
    let sumD = 0;
    let cntD = 0;
    for (let y = 0; y < wh; y++) {
      for (let x = 0; x < ww; x++) {
        for (let k = 0; k < 4; k++) {
          const X = x + dx8[k]!;
          const Y = y + dy8[k]!;
          if (!inside(X, Y)) continue;
          const p = y * ww + x;
          const d2 = diff2(p, Y * ww + X);
          pairW[p * 4 + k] = d2;
          sumD += d2;
          cntD++;
        }
      }
    }
    const meanD2 = sumD / Math.max(1, cntD);
    const beta = 1 / (2 * Math.max(1e-6, meanD2));
    // geodesic distances (feature-contrast weighted) to the positive clicks and to the negative
    // evidence (negative clicks and the open ROI border): where the negative evidence is
    // geodesically nearer, the object costs more, in proportion (RITM / geodesic-star style)
    const geoT = new Float32Array(n);
    if (o.geodesicWeight > 0 && pos.length) {
      const posSeeds = pos.map((c) => c.y * ww + c.x);
      const negSeeds: number[] = [];
      for (const c of req.clicks) if (!c.positive) negSeeds.push(toWy(c.y) * ww + toWx(c.x));
      for (let p = 0; p < n; p++) if (hard[p] === 2 && !box) negSeeds.push(p);
      const dPos = geodesicDistance(ww, wh, pairW, meanD2, o.geodesicContrast, posSeeds);
      const dNeg = geodesicDistance(ww, wh, pairW, meanD2, o.geodesicContrast, negSeeds);
      for (let p = 0; p < n; p++) {
        const dp = dPos[p]!;
        const dn = dNeg[p]!;
        // 0 where the positive clicks are much nearer, 1 where the negative evidence is
        geoT[p] = Number.isFinite(dp) ? (Number.isFinite(dn) ? dp / (dp + dn + 1e-6) : 0) : 1;
      }
    }
    for (let i = 0; i < pairW.length; i++) {
      const d2 = pairW[i]!;
      pairW[i] = d2 < 0 ? 0 : (o.gamma * Math.exp(-beta * d2)) / ((i & 3) >= 2 ? Math.SQRT2 : 1);
    }

    const idx = new Int32Array(n);
    const collect = (m: Uint8Array, want: number): number => {
      let c = 0;
      for (let p = 0; p < n; p++) if ((m[p] === 1) === (want === 1)) idx[c++] = p;
      return c;
    };
    let fgModel = fitGmm(feat, d, idx, collect(seedFg, 1), o.varFloor);
    let bgModel = fitGmm(feat, d, idx, collect(seedBg, 1), o.varFloor);
    let label: Uint8Array = new Uint8Array(n);
    const uf = new Float64Array(n);
    const ub = new Float64Array(n);
    // a box alone starts from a loose object model: GrabCut needs a few more rounds
    // later clicks start from the previous mask's colours: fewer rounds (latency)
    const base = prev ? o.laterIterations : o.iterations;
    const iterations = Math.max(1, pos.length ? base : base + 3);
    // with a model prior the colour evidence is capped lower, so the model can overrule it
    // where colour cannot tell two objects apart (touching objects of one colour)
    const colourCap = req.priors?.length ? o.priorColourCap : 30;
    // the pairwise arcs are the same in every round: built once, the terminals reset per round
    const g = new MaxFlowGraph(n, n * 4);
    for (let y = 0; y < wh; y++) {
      for (let x = 0; x < ww; x++) {
        const p = y * ww + x;
        for (let k = 0; k < 4; k++) {
          const X = x + dx8[k]!;
          const Y = y + dy8[k]!;
          if (!inside(X, Y)) continue;
          const c = Math.round(pairW[p * 4 + k]! * SCALE);
          if (c > 0) g.addEdge(p, Y * ww + X, c, c);
        }
      }
    }
    for (let it = 0; it < iterations; it++) {
      if (it > 0) g.reset();
      for (let p = 0; p < n; p++) {
        let a = fgModel ? nll(fgModel, feat, p) : 0;
        let b = bgModel ? nll(bgModel, feat, p) : 0;
        const m = Math.min(a, b);
        a = Math.min(a - m, colourCap);
        b = Math.min(b - m, colourCap);
        a += o.distanceWeight * distT[p]! + priorF[p]! + negW[p]! + o.geodesicWeight * geoT[p]!;
        b += o.geodesicWeight * (1 - geoT[p]!) * o.geodesicBgShare;
        b += priorB[p]!;
        if (prev) {
          // the previous mask holds away from the newest click (a click changes its neighbourhood)
          const wPrev = o.prevWeight * (1 - Math.exp(-(lastD[p]! * lastD[p]!) / (2 * locR * locR)));
          if (prevW[p]) b += wPrev;
          else a += wPrev;
        }
        uf[p] = a;
        ub[p] = b;
        // cost of "object" goes on the sink edge, of "background" on the source edge
        if (hard[p] === 1) g.addTerminal(p, HARD, 0);
        else if (hard[p] === 2) g.addTerminal(p, 0, HARD);
        else g.addTerminal(p, Math.round(b * SCALE), Math.round(a * SCALE));
      }
      g.maxflow();
      const before = label;
      label = new Uint8Array(n);
      let changed = 0;
      for (let p = 0; p < n; p++) {
        label[p] = g.isSource(p) ? 1 : 0;
        if (label[p] !== before[p]) changed++;
      }
      // GrabCut has converged when a round moves almost no pixel (latency: most later clicks)
      if (it > 0 && changed <= o.convergedFraction * n) break;
      if (it + 1 < iterations) {
        const nf = collect(label, 1);
        if (nf > 0) fgModel = fitGmm(feat, d, idx, nf, o.varFloor);
        const nb = collect(label, 0);
        if (nb > 0) bgModel = fitGmm(feat, d, idx, nb, o.varFloor);
      }
    }
    // keep the components that hold a positive click (a box alone: the largest)
    label = keepComponents(label, ww, wh, pos);

    // back to image pixels
    const mask = new Uint8Array(W * H);
    let touches = false;
    let sum = 0;
    let cnt = 0;
    for (let y = roi.y0; y <= roi.y1; y++) {
      const wy = toWy(y);
      for (let x = roi.x0; x <= roi.x1; x++) {
        const p = wy * ww + toWx(x);
        if (label[p]) mask[y * W + x] = 1;
      }
    }
    for (let p = 0; p < n; p++) {
      if (!label[p]) continue;
      sum += 1 / (1 + Math.exp(uf[p]! - ub[p]!));
      cnt++;
      const x = p % ww;
      const y = (p - x) / ww;
      if ((x <= 1 && openL) || (x >= ww - 2 && openR) || (y <= 1 && openT) || (y >= wh - 2 && openB)) touches = true;
    }
    return { mask, score: cnt ? sum / cnt : 0, touches, roi, scale };
  }
}

/**
 * Geodesic distance on the working grid from `seeds` (pixel indices): the cheapest 8-connected
 * path, each step costing its length times (1 + contrast x min(d2 / meanD2, 50)), where d2 is
 * the squared feature difference of the two pixels (`pairD2`, 4 per pixel: right, down,
 * down-right, down-left; negative where the neighbour is outside) and meanD2 its mean. Two
 * forward / backward raster sweeps (the usual chamfer approximation of Dijkstra; exact for
 * paths that turn at most a few times). Unreached pixels are Infinity.
 */
export function geodesicDistance(w: number, h: number, pairD2: Float32Array, meanD2: number, contrast: number, seeds: readonly number[], sweeps = 2): Float32Array {
  const n = w * h;
  const dist = new Float32Array(n).fill(Infinity);
  for (const s of seeds) if (s >= 0 && s < n) dist[s] = 0;
  if (!seeds.length) return dist;
  const inv = 1 / Math.max(1e-9, meanD2);
  const step = (i: number, len: number) => len * (1 + contrast * Math.min(pairD2[i]! * inv, 50));
  const S2 = Math.SQRT2;
  for (let it = 0; it < sweeps; it++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = y * w + x;
        let d = dist[p]!;
        if (x > 0) d = Math.min(d, dist[p - 1]! + step((p - 1) * 4, 1));
        if (y > 0) {
          d = Math.min(d, dist[p - w]! + step((p - w) * 4 + 1, 1));
          if (x > 0) d = Math.min(d, dist[p - w - 1]! + step((p - w - 1) * 4 + 2, S2));
          if (x < w - 1) d = Math.min(d, dist[p - w + 1]! + step((p - w + 1) * 4 + 3, S2));
        }
        dist[p] = d;
      }
    }
    for (let y = h - 1; y >= 0; y--) {
      for (let x = w - 1; x >= 0; x--) {
        const p = y * w + x;
        let d = dist[p]!;
        if (x < w - 1) d = Math.min(d, dist[p + 1]! + step(p * 4, 1));
        if (y < h - 1) {
          d = Math.min(d, dist[p + w]! + step(p * 4 + 1, 1));
          if (x < w - 1) d = Math.min(d, dist[p + w + 1]! + step(p * 4 + 2, S2));
          if (x > 0) d = Math.min(d, dist[p + w - 1]! + step(p * 4 + 3, S2));
        }
        dist[p] = d;
      }
    }
  }
  return dist;
}

/** 8-connected components of `label` that contain one of `seeds` (none given: the largest). */
function keepComponents(label: Uint8Array, w: number, h: number, seeds: readonly { x: number; y: number }[]): Uint8Array {
  const n = w * h;
  const comp = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const sizes: number[] = [];
  for (let s = 0; s < n; s++) {
    if (!label[s] || comp[s] !== -1) continue;
    const id = sizes.length;
    let top = 0;
    let size = 0;
    stack[top++] = s;
    comp[s] = id;
    while (top) {
      const p = stack[--top]!;
      size++;
      const x = p % w;
      const y = (p - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const X = x + dx;
          const Y = y + dy;
          if (X < 0 || Y < 0 || X >= w || Y >= h) continue;
          const q = Y * w + X;
          if (label[q] && comp[q] === -1) {
            comp[q] = id;
            stack[top++] = q;
          }
        }
      }
    }
    sizes.push(size);
  }
  const keep = new Set<number>();
  for (const c of seeds) {
    const id = comp[c.y * w + c.x]!;
    if (id >= 0) keep.add(id);
  }
  if (!seeds.length && sizes.length) keep.add(sizes.indexOf(Math.max(...sizes)));
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) if (comp[p]! >= 0 && keep.has(comp[p]!)) out[p] = 1;
  return out;
}
