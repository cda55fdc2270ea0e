import { describe, expect, it } from 'vitest';
import { Editor } from '../../../core/editor/editor';
import { acceptProposal } from '../../../core/editor/proposal';
import { LabelMap } from '../../../core/mask/label-map';

/** 'rows' of digits: each digit an instance id (0 background) */
function mapOf(rows: string[], instances: Array<{ id: number; classId: number; score?: number; source?: 'human' | 'model' }>): LabelMap {
  const m = new LabelMap(rows[0]!.length, rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => (m.ids[y * m.width + x] = Number(c))));
  for (const i of instances) m.addInstance({ id: i.id, classId: i.classId, source: i.source ?? 'human', score: i.score ?? null });
  return m;
}
const rowsOf = (m: LabelMap) => Array.from({ length: m.height }, (_, y) => Array.from(m.ids.subarray(y * m.width, (y + 1) * m.width)).join(''));

describe('acceptProposal', () => {
  it('never overwrites the person’s pixels', () => {
    const human = mapOf(['1100', '1100', '0000'], [{ id: 1, classId: 1 }]);
    const proposal = mapOf(['0220', '0220', '0220'], [{ id: 2, classId: 1, score: 0.9, source: 'model' }]);
    const r = acceptProposal(human, proposal);
    expect(rowsOf(human)).toEqual(['1120', '1120', '0220']);
    expect(r.keptHumanPixels).toBe(2);
    expect(human.getInstance(2)).toMatchObject({ source: 'model', score: 0.9, classId: 1 });
  });

  it('accepts one instance, or only inside a brushed region, and respects the confidence threshold', () => {
    const proposal = mapOf(['1102', '1102'], [
      { id: 1, classId: 1, score: 0.9, source: 'model' },
      { id: 2, classId: 2, score: 0.4, source: 'model' },
    ]);
    const a = new LabelMap(4, 2);
    acceptProposal(a, proposal, { instances: [2] });
    expect(rowsOf(a)).toEqual(['0001', '0001']);
    const b = new LabelMap(4, 2);
    acceptProposal(b, proposal, { minScore: 0.5 });
    expect(rowsOf(b)).toEqual(['1100', '1100']);
    const c = new LabelMap(4, 2);
    acceptProposal(c, proposal, { region: Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 0]) });
    expect(rowsOf(c)).toEqual(['1002', '0000']);
  });

  it('inside an editor gesture, accepting is one undo step', () => {
    const map = new LabelMap(4, 2);
    const ed = new Editor(map, { classes: [{ id: 1, hidden: false, locked: false }] });
    const proposal = mapOf(['1100', '0000'], [{ id: 1, classId: 1, score: 0.8, source: 'model' }]);
    const rec = ed.beginGesture();
    acceptProposal(map, proposal, { beforeWrite: rec.beforeWrite });
    ed.commitGesture('Accept proposal');
    expect(ed.history.undoDepth).toBe(1);
    ed.undo();
    expect(map.ids.every((v) => v === 0)).toBe(true);
    expect(map.instanceCount).toBe(0);
  });
});
