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
    const { width, height, ids } = map;
    // the box of each stored instance [x0, y0, x1, y1], grown by the crops given to it
    const box = new Map<number, [number, number, number, number]>();
    const grow = (id: number, x0: number, y0: number, x1: number, y1: number) => {
      const b = box.get(id);
      if (!b) box.set(id, [x0, y0, x1, y1]);
      else box.set(id, [Math.min(b[0], x0), Math.min(b[1], y0), Math.max(b[2], x1), Math.max(b[3], y1)]);
    };
    for (let i = 0; i < ids.length; i++) if (ids[i]) grow(ids[i]!, i % width, Math.floor(i / width), i % width, Math.floor(i / width));
    // each crop goes to the stored instance it overlaps most; the instance's crops are OR-ed
    const got = new Map<number, OracleCrop[]>();
    for (const c of lines) {
      if (!c) continue;
      const votes = new Map<number, number>();
      for (let y = 0; y < c.h; y++) {
        for (let x = 0; x < c.w; x++) {
          if (!c.data[y * c.w + x]) continue;
          const v = ids[(c.y + y) * width + c.x + x]!;
          votes.set(v, (votes.get(v) ?? 0) + 1);
        }
      }
      let best = 0;
      let bestN = -1;
      for (const [v, n] of votes) if (v !== 0 && n > bestN) [best, bestN] = [v, n];
      if (best === 0) {
        for (const v of c.data) a.extra += v;
        continue;
      }
      const l = got.get(best) ?? [];
      l.push(c);
      got.set(best, l);
      grow(best, c.x, c.y, c.x + c.w - 1, c.y + c.h - 1);
    }
    for (const inst of map.instances()) {
      const b = box.get(inst.id);
      if (!b) continue;
      const [x0, y0, x1, y1] = b;
      const bw = x1 - x0 + 1;
      const m = new Uint8Array(bw * (y1 - y0 + 1));
      for (const c of got.get(inst.id) ?? []) paintCrop(m, bw, { ...c, x: c.x - x0, y: c.y - y0 });
      let inter = 0;
      let uni = 0;
      for (let y = y0; y <= Math.min(y1, height - 1); y++) {
        for (let x = x0; x <= x1; x++) {
          const s = ids[y * width + x] === inst.id;
          const g = m[(y - y0) * bw + x - x0] === 1;
          if (s) a.foreground++;
          if (s && g) inter++;
          if (s || g) uni++;
          if (g && !s) a.extra++;
          if (s && !g) a.missing++;
        }
      }
      if (uni === 0) continue;
      const iou = inter / uni;
      a.instances++;
      if (iou === 1) a.exact++;
      sum += iou;
      a.minIou = Math.min(a.minIou, iou);
    }
  }
  a.meanIou = a.instances ? sum / a.instances : 1;
  return a;
}

export function describeAgreement(a: Agreement): string {
  return `${a.instances} instances, ${a.exact} exact, mean IoU ${a.meanIou.toFixed(6)}, min ${a.minIou.toFixed(4)}, ${a.extra} extra / ${a.missing} missing of ${a.foreground} px (pixel agreement ${(1 - (a.extra + a.missing) / Math.max(1, a.foreground)).toFixed(6)})`;
}

