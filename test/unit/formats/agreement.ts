/** Agreement of masks rebuilt by another tool (as crops, one per polygon or shape) with the stored masks. */
import type { LabelMap } from '../../../core/mask/label-map';
import { paintCrop, type OracleCrop } from './ultralytics-oracle';

/** Agreement of a label folder, rebuilt line by line, with the stored masks: per instance IoU (its lines' union). */
export interface Agreement {
  instances: number;
  exact: number;
  meanIou: number;
  minIou: number;
  extra: number;
  missing: number;
  foreground: number;
}

export function agreement(masks: Map<string, LabelMap>, labels: Map<string, (OracleCrop | null)[]>): Agreement {
  const a: Agreement = { instances: 0, exact: 0, meanIou: 0, minIou: 1, extra: 0, missing: 0, foreground: 0 };
  let sum = 0;
  for (const [name, map] of masks) {
    const lines = labels.get(name.replace(/\.[^.]+$/, '')) ?? [];
    const { width, ids } = map;
    // each line goes to the stored instance it overlaps most; the instance's lines are OR-ed
    const got = new Map<number, Uint8Array>();
    for (const c of lines) {
      if (!c) continue;
      const votes = new Map<number, number>();
      for (let y = 0; y < c.h; y++) for (let x = 0; x < c.w; x++) if (c.data[y * c.w + x]) {
        const v = ids[(c.y + y) * width + c.x + x]!;
        votes.set(v, (votes.get(v) ?? 0) + 1);
      }
      let best = 0;
      let bestN = -1;
      for (const [v, n] of votes) if (v !== 0 && n > bestN) [best, bestN] = [v, n];
      let m = got.get(best);
      if (!m) got.set(best, (m = new Uint8Array(ids.length)));
      paintCrop(m, width, c);
    }
    for (const inst of map.instances()) {
      const m = got.get(inst.id) ?? new Uint8Array(ids.length);
      let inter = 0;
      let uni = 0;
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i] === inst.id;
        const g = m[i] === 1;
        if (s) a.foreground++;
        if (s && g) inter++;
        if (s || g) uni++;
        if (g && !s) a.extra++;
        if (s && !g) a.missing++;
      }
      if (uni === 0) continue;
      const iou = inter / uni;
      a.instances++;
      if (iou === 1) a.exact++;
      sum += iou;
      a.minIou = Math.min(a.minIou, iou);
    }
    const stray = got.get(0);
    if (stray) for (const v of stray) a.extra += v;
  }
  a.meanIou = a.instances ? sum / a.instances : 1;
  return a;
}

export function describeAgreement(a: Agreement): string {
  return `${a.instances} instances, ${a.exact} exact, mean IoU ${a.meanIou.toFixed(6)}, min ${a.minIou.toFixed(4)}, ${a.extra} extra / ${a.missing} missing of ${a.foreground} px (pixel agreement ${(1 - (a.extra + a.missing) / Math.max(1, a.foreground)).toFixed(6)})`;
}

