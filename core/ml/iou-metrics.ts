/**
 * Intersection-over-union bookkeeping: per-class confusion counts accumulated over images
 * (pooled IoU = sum TP / sum (TP + FP + FN)) and per-image IoU.
 */
import { IGNORE_LABEL } from './train/augment';

export class IouAccumulator {
  readonly tp: Float64Array;
  readonly fp: Float64Array;
  readonly fn: Float64Array;
  /** per-image IoU of each foreground class (NaN where the class is absent from both) */
  readonly perImage: number[][] = [];

  /** k: classes incl. background */
  constructor(readonly k: number) {
    this.tp = new Float64Array(k);
    this.fp = new Float64Array(k);
    this.fn = new Float64Array(k);
  }

  /** Adds one image: predicted and true class per pixel (IGNORE_LABEL in truth is skipped). */
  add(pred: ArrayLike<number>, truth: ArrayLike<number>): number[] {
    const k = this.k;
    const tp = new Float64Array(k);
    const fp = new Float64Array(k);
    const fn = new Float64Array(k);
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      if (t === IGNORE_LABEL) continue;
      const p = pred[i]!;
      if (p === t) tp[t]!++;
      else {
        if (p < k) fp[p]!++;
        if (t < k) fn[t]!++;
      }
    }
    const ious: number[] = [];
    for (let c = 0; c < k; c++) {
      this.tp[c]! += tp[c]!;
      this.fp[c]! += fp[c]!;
      this.fn[c]! += fn[c]!;
      if (c > 0) {
        const d = tp[c]! + fp[c]! + fn[c]!;
        ious.push(d > 0 ? tp[c]! / d : NaN);
      }
    }
    this.perImage.push(ious);
    return ious;
  }

  /** Pooled IoU of each foreground class 1..k-1 (NaN for a class never seen). */
  pooled(): number[] {
    const out: number[] = [];
    for (let c = 1; c < this.k; c++) {
      const d = this.tp[c]! + this.fp[c]! + this.fn[c]!;
      out.push(d > 0 ? this.tp[c]! / d : NaN);
    }
    return out;
  }

  /** Mean over images of each foreground class's IoU (images where it is absent count as 1, as in the reference). */
  meanPerImage(): number[] {
    const out: number[] = [];
    for (let c = 0; c < this.k - 1; c++) {
      const v = this.perImage.map((r) => (Number.isNaN(r[c]!) ? 1 : r[c]!));
      out.push(v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
    }
    return out;
  }
}

/** Mean of the finite values (NaN if none). */
export function meanFinite(xs: readonly number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

/** IoU of two binary masks (1 when both are empty). */
export function binaryIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let uni = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) uni++;
  }
  return uni ? inter / uni : 1;
}
