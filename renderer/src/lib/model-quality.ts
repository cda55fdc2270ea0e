/**
 * How good a model version is, in one place, for every screen that makes or shows proposals:
 * its validation IoU with the figure's uncertainty (± standard error over the validation
 * images), the trivial baseline (every pixel called the class) and whether it is too weak to use.
 */
import type { ModelVersionInfo } from '../../../core/api/types';

export interface ModelQuality {
  iou: number | null;
  /** standard error over validation images; null when there was one image (unknown spread) */
  se: number | null;
  images: number | null;
  baseline: number | null;
  /** worse than (or within noise of) the baseline, or an IoU below WEAK_IOU */
  weak: boolean;
  /** e.g. "val IoU 0.62 ± 0.08 (3 images)" */
  text: string;
  /** in words, when weak: why its proposals need care */
  warning: string | null;
}

/** below this validation IoU a model's proposals are mostly noise */
export const WEAK_IOU = 0.2;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** quality of validation metrics ({ meanIou, iouSe, images, baselineIou } as training stores them) */
export function qualityOfVal(val: Record<string, unknown> | null | undefined): ModelQuality {
  const iou = num(val?.meanIou) ?? num(val?.iou);
  const se = num(val?.iouSe);
  const images = num(val?.images);
  const baseline = num(val?.baselineIou);
  if (iou === null) return { iou: null, se: null, images: null, baseline: null, weak: false, text: 'not validated (no validation images)', warning: null };
  const spread = se !== null ? ` ± ${se.toFixed(2)}` : images === 1 ? ' (± unknown: 1 validation image)' : '';
  const n = images !== null && images > 1 ? ` (${images} validation images)` : '';
  const text = `val IoU ${iou.toFixed(2)}${spread}${n}`;
  const belowBase = baseline !== null && iou <= baseline + (se ?? 0);
  const weak = iou < WEAK_IOU || belowBase;
  const warning = !weak
    ? null
    : belowBase
      ? `This model is no better than the trivial baseline (IoU ${baseline!.toFixed(2)} for calling every pixel the object): its proposals are mostly noise. Label a few more images and train again.`
      : `This model is too weak to use (validation IoU ${iou.toFixed(2)}): expect speckles and wrong regions. Label a few more images and train again.`;
  return { iou, se, images, baseline, weak, text, warning };
}

export function qualityOf(v: ModelVersionInfo | null | undefined): ModelQuality {
  const m = (v?.metrics ?? {}) as { val?: Record<string, unknown> | null; valIou?: unknown };
  if (!m.val && typeof m.valIou === 'number') return qualityOfVal({ meanIou: m.valIou });
  return qualityOfVal(m.val ?? null);
}

/**
 * A training run's result in words, for the run panel: while it runs ("so far"), and once it has
 * finished, whether the model is good enough to use or too weak (and why).
 */
export function runVerdict(val: Record<string, unknown> | null | undefined, finished: boolean): { tone: 'ok' | 'warn' | 'info'; text: string } {
  const q = qualityOfVal(val);
  if (q.iou === null) {
    return finished
      ? { tone: 'warn', text: 'Not validated: no images were held out to measure it. Mark more images done so some can be held out.' }
      : { tone: 'info', text: 'Not validated yet.' };
  }
  if (!finished) return { tone: q.weak ? 'warn' : 'info', text: `So far: ${q.text}${q.weak ? ' — too weak to use yet' : ''}.` };
  if (q.weak) return { tone: 'warn', text: `Result: ${q.text}. ${q.warning}` };
  return { tone: 'ok', text: `Result: ${q.text} — good enough to pre-label with; check its proposals as you review.` };
}
