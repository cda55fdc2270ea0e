import { describe, expect, it } from 'vitest';
import { LabelMap } from '../../../core/mask/label-map';
import { maskAgreement } from '../../../core/mask/agreement';

function map(w: number, h: number, rows: string, classes: Record<string, number>): LabelMap {
  const m = new LabelMap(w, h);
  const ids = new Map<string, number>();
  const chars = rows.replace(/\s+/g, '');
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '.') continue;
    if (!ids.has(c)) ids.set(c, m.addInstance({ classId: classes[c]! }).id);
    m.ids[i] = ids.get(c)!;
  }
  return m;
}

describe('maskAgreement (proposal vs final mask)', () => {
  it('counts class-aware IoU over labelled pixels and the changed fraction over all pixels', () => {
    // a/b are class 1 instances (instances do not matter), c is class 2
    const proposal = map(4, 2, 'aa.. bbcc', { a: 1, b: 1, c: 2 });
    const final = map(4, 2, 'aaa. ccc.', { a: 1, c: 1 });
    // labelled in either: 0,1,2,4,5,6,7 = 7; same class & labelled: 0,1,4,5 = 4
    // changed: 2 (0->1), 6 (2->1), 7 (2->0) = 3 of 8
    expect(maskAgreement(proposal, final)).toEqual({ iou: 4 / 7, changedFraction: 3 / 8, proposalPixels: 6, finalPixels: 6 });
  });

  it('is 1 for identical or both-empty masks, 0 when disjoint, and refuses a size mismatch', () => {
    const a = map(3, 1, 'aa.', { a: 1 });
    expect(maskAgreement(a, a.clone()).iou).toBe(1);
    expect(maskAgreement(new LabelMap(3, 1), new LabelMap(3, 1))).toMatchObject({ iou: 1, changedFraction: 0 });
    expect(maskAgreement(a, map(3, 1, '..b', { b: 1 }))).toMatchObject({ iou: 0, changedFraction: 1 });
    expect(() => maskAgreement(a, new LabelMap(2, 2))).toThrow(/3x1/);
  });
});
