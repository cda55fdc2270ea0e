/** Accepting a proposal object around a stroke of the person's (same class, inside it) grows that stroke's instance instead of adding a second one. */
import { describe, expect, it } from 'vitest';
import { Editor } from '../../../core/editor/editor';
import { ProposalLayer } from '../../../core/editor/proposal-layer';
import { LabelMap } from '../../../core/mask/label-map';

function mapOf(rows: string[], instances: Array<{ id: number; classId: number; source?: 'human' | 'model' }>): LabelMap {
  const m = new LabelMap(rows[0]!.length, rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => (m.ids[y * m.width + x] = Number(c))));
  for (const i of instances) m.addInstance({ id: i.id, classId: i.classId, source: i.source ?? 'human', score: null });
  return m;
}
const rowsOf = (m: LabelMap) => Array.from({ length: m.height }, (_, y) => Array.from(m.ids.subarray(y * m.width, (y + 1) * m.width)).join(''));
const CLASSES = [
  { id: 1, hidden: false, locked: false },
  { id: 2, hidden: false, locked: false },
];

describe('accepting around the person’s strokes', () => {
  it('a same-class stroke inside an object becomes that object; a stroke of another class or reaching outside stays apart', () => {
    // proposal: object 1 (class 1) on the left, object 2 (class 1) on the right, object 3 (class 2) at the bottom
    const proposal = mapOf(['111022', '111022', '111022', '333333'], [
      { id: 1, classId: 1, source: 'model' },
      { id: 2, classId: 1, source: 'model' },
      { id: 3, classId: 2, source: 'model' },
    ]);
    // the person: stroke 5 (class 1) inside object 1; stroke 6 (class 1) with one of its 3 pixels outside object 2; stroke 7 (class 1) inside object 3 but another class
    const mask = mapOf(['000600', '050066', '000000', '007000'], [
      { id: 5, classId: 1 },
      { id: 6, classId: 1 },
      { id: 7, classId: 1 },
    ]);
    const ed = new Editor(mask, { classes: CLASSES, brushRadiusPx: 1 });
    const layer = new ProposalLayer(proposal, null);
    const r = layer.accept(ed, { label: 'Accept all proposals' });
    expect(r.entry).not.toBeNull();
    const ids = rowsOf(ed.map);
    expect(ids[0]!.slice(0, 3)).toBe('555'); // object 1 grew stroke 5
    expect(ids[1]!.slice(0, 3)).toBe('555');
    expect(ed.map.getInstance(5)).toMatchObject({ classId: 1, source: 'human' });
    // object 2 is a new instance beside stroke 6 (only 2 of its 3 pixels lie inside the object)
    const obj2 = ed.map.at(4, 0);
    expect(obj2).not.toBe(6);
    expect(ed.map.getInstance(obj2)).toMatchObject({ source: 'model', classId: 1 });
    expect(ed.map.at(3, 0)).toBe(6);
    expect(ed.map.at(5, 0)).toBe(obj2);
    // object 3 (class 2) is a new instance; stroke 7 keeps its pixel
    const obj3 = ed.map.at(0, 3);
    expect(ed.map.getInstance(obj3)).toMatchObject({ source: 'model', classId: 2 });
    expect(ed.map.at(2, 3)).toBe(7);
    // one undo step takes it all back, stroke 5 as it was
    ed.undo();
    expect(rowsOf(ed.map)).toEqual(['000600', '050066', '000000', '007000']);
  });
});
