/**
 * How far a model's proposal is from the person's final mask ("what the model saves you"):
 * class-aware IoU over labelled pixels, and the fraction of the image's pixels whose class the
 * person had to change. Instances do not matter here, only each pixel's class (0 = background).
 */
import type { LabelMap } from './label-map';

export interface MaskAgreement {
  /** |same class, both labelled| / |labelled in either|; 1 when both are empty */
  iou: number;
  /** pixels whose class differs, over all pixels */
  changedFraction: number;
  /** labelled pixels in the proposal / in the final mask */
  proposalPixels: number;
  finalPixels: number;
}

function classLookup(map: LabelMap): Map<number, number> {
  const m = new Map<number, number>();
  for (const inst of map.instances()) m.set(inst.id, inst.classId);
  return m;
}

export function maskAgreement(proposal: LabelMap, final: LabelMap): MaskAgreement {
  if (proposal.width !== final.width || proposal.height !== final.height) {
    throw new RangeError(`proposal is ${proposal.width}x${proposal.height}, the final mask ${final.width}x${final.height}`);
  }
  const pc = classLookup(proposal);
  const fc = classLookup(final);
  const a = proposal.ids;
  const b = final.ids;
  let inter = 0;
  let union = 0;
  let changed = 0;
  let pn = 0;
  let fn = 0;
  // runs of equal id pairs are common: cache the last lookup
  let lastA = -1;
  let lastB = -1;
  let ca = 0;
  let cb = 0;
  for (let i = 0; i < a.length; i++) {
    const ia = a[i]!;
    const ib = b[i]!;
    if (ia !== lastA) {
      lastA = ia;
      ca = ia === 0 ? 0 : (pc.get(ia) ?? 0);
    }
    if (ib !== lastB) {
      lastB = ib;
      cb = ib === 0 ? 0 : (fc.get(ib) ?? 0);
    }
    if (ca !== 0) pn++;
    if (cb !== 0) fn++;
    if (ca !== 0 || cb !== 0) {
      union++;
      if (ca === cb) inter++;
    }
    if (ca !== cb) changed++;
  }
  return { iou: union === 0 ? 1 : inter / union, changedFraction: a.length ? changed / a.length : 0, proposalPixels: pn, finalPixels: fn };
}
