import { describe, expect, it } from 'vitest';
import { Editor } from '../../../core/editor/editor';
import { cropOfInstance, placeObject } from '../../../core/editor/object-crop';
import { ProposalLayer } from '../../../core/editor/proposal-layer';
import type { RefineEvent, RefineTool } from '../../../core/editor/tools/refine-tool';
import { LabelMap } from '../../../core/mask/label-map';

/** 'rows' of digits: each digit an instance id (0 background) */
function mapOf(rows: string[], instances: Array<{ id: number; classId: number; score?: number; source?: 'human' | 'model' }>): LabelMap {
  const m = new LabelMap(rows[0]!.length, rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => (m.ids[y * m.width + x] = Number(c))));
  for (const i of instances) m.addInstance({ id: i.id, classId: i.classId, source: i.source ?? 'human', score: i.score ?? null });
  return m;
}
const rowsOf = (m: LabelMap) => Array.from({ length: m.height }, (_, y) => Array.from(m.ids.subarray(y * m.width, (y + 1) * m.width)).join(''));
const CLASSES = [
  { id: 1, hidden: false, locked: false },
  { id: 2, hidden: false, locked: false },
];
const ptr = (x: number, y: number, button = 0, alt = false) => ({ x: x + 0.5, y: y + 0.5, sx: 0, sy: 0, button, alt });
/** a press and release at one spot (the refine tool takes a click on release) */
const tap = (ed: Editor, e: ReturnType<typeof ptr>) => {
  ed.pointerDown(e);
  ed.pointerUp(e);
};

function twoNuclei(): LabelMap {
  return mapOf(['1100', '1100', '0022', '0022'], [
    { id: 1, classId: 1, score: 0.9, source: 'model' },
    { id: 2, classId: 1, score: 0.3, source: 'model' },
  ]);
}

describe('placeObject / cropOfInstance', () => {
  it('places a crop as a new instance on background only and cuts an instance back out', () => {
    const map = mapOf(['1000', '0000', '0000'], [{ id: 1, classId: 1 }]);
    const r = placeObject(map, { x: 0, y: 0, width: 2, height: 2, mask: Uint8Array.from([1, 1, 1, 0]) }, { classId: 2, score: 0.7 });
    expect(rowsOf(map)).toEqual(['1200', '2000', '0000']);
    expect(r).toMatchObject({ id: 2, placed: 2, keptHumanPixels: 1, rect: { x: 0, y: 0, width: 2, height: 2 } });
    expect(map.getInstance(2)).toMatchObject({ classId: 2, source: 'model', score: 0.7 });
    expect(cropOfInstance(map, 2)).toEqual({ x: 0, y: 0, width: 2, height: 2, mask: Uint8Array.from([0, 1, 1, 0]) });
    expect(cropOfInstance(map, 9)).toBeNull();
  });

  it('clips a crop that reaches past the image and adds nothing for an empty object', () => {
    const map = new LabelMap(3, 2);
    placeObject(map, { x: 2, y: 1, width: 2, height: 2, mask: Uint8Array.from([1, 1, 1, 1]) }, { classId: 1 });
    expect(rowsOf(map)).toEqual(['000', '001']);
    const r = placeObject(map, { x: 0, y: 0, width: 1, height: 1, mask: Uint8Array.from([0]) }, { classId: 1 });
    expect(r.id).toBeNull();
    expect(map.instanceCount).toBe(1);
  });
});

describe('ProposalLayer', () => {
  it('threshold hides low-score instances and low-confidence pixels; accept-all respects both', () => {
    const conf = Uint8Array.from([255, 255, 0, 0, 255, 40, 0, 0, 0, 0, 255, 255, 0, 0, 255, 255]);
    const layer = new ProposalLayer(twoNuclei(), conf);
    expect(layer.visibleInstances().map((i) => i.id)).toEqual([1, 2]);
    layer.setThreshold(0.5);
    expect(layer.visibleInstances().map((i) => i.id)).toEqual([1]);
    expect(layer.instanceAt(3, 3)).toBe(0);
    expect(layer.instanceAt(1, 1)).toBe(0); // confidence 40 < 128
    expect(layer.instanceAt(0, 0)).toBe(1);
    const map = new LabelMap(4, 4);
    const ed = new Editor(map, { classes: CLASSES });
    ed.proposal = layer;
    const r = layer.accept(ed);
    expect(r.accepted).toBe(1);
    expect(rowsOf(map)).toEqual(['1100', '1000', '0000', '0000']);
    expect(ed.history.undoDepth).toBe(1);
    expect(layer.consumed.has(1)).toBe(true);
    // instance 2 is hidden by the threshold: undecided, so not "accepted" (issue 15)
    expect(layer.remaining(map)).toEqual([]);
    expect(layer.hiddenRemaining(map)).toEqual([2]);
    expect(layer.stateAfterAccept(map)).toBe('partial');
    // shown again and accepted: now everything is decided
    layer.setThreshold(0);
    expect(layer.hiddenRemaining(map)).toEqual([]);
    layer.accept(ed);
    expect(layer.stateAfterAccept(map)).toBe('accepted');
  });

  it('never overwrites the person’s pixels; undo brings the consumed instances back', () => {
    const map = mapOf(['0000', '0000', '0000', '0001'], [{ id: 1, classId: 2 }]);
    const ed = new Editor(map, { classes: CLASSES });
    const layer = new ProposalLayer(twoNuclei());
    ed.proposal = layer;
    const changes: number[] = [];
    layer.onDidChange(() => changes.push(layer.consumed.size));
    const r = layer.accept(ed);
    expect(r.keptHumanPixels).toBe(1);
    expect(rowsOf(map)).toEqual(['2200', '2200', '0033', '0031']);
    expect(map.getInstance(1)).toMatchObject({ classId: 2, source: 'human' });
    expect(map.getInstance(2)).toMatchObject({ classId: 1, source: 'model', score: 0.9 });
    expect(layer.remaining(map)).toEqual([]);
    ed.undo();
    expect(layer.consumed.size).toBe(0);
    expect(layer.remaining(map)).toEqual([1, 2]);
    ed.redo();
    expect(layer.consumed.size).toBe(2);
    expect(changes).toEqual([2, 0, 2]);
    // the editor's next own instance does not collide with the accepted ones
    ed.setTool('brush');
    ed.pointerDown(ptr(3, 0));
    ed.pointerUp(ptr(3, 0));
    expect(new Set(map.instances().map((i) => i.id)).size).toBe(map.instanceCount);
  });

  it('the select tool accepts one instance with a click; the accept brush accepts a brushed part, and the rest joins the same instance', () => {
    const map = new LabelMap(4, 4);
    const ed = new Editor(map, { classes: CLASSES, brushRadiusPx: 0.5 });
    const layer = new ProposalLayer(twoNuclei());
    ed.proposal = layer;
    ed.setTool('select');
    ed.pointerDown(ptr(3, 3));
    expect(rowsOf(map)).toEqual(['0000', '0000', '0011', '0011']);
    expect(layer.stateAfterAccept(map)).toBe('partial');
    ed.setTool('accept');
    ed.pointerDown(ptr(0, 0));
    ed.pointerMove(ptr(1, 0));
    ed.pointerUp(ptr(1, 0));
    expect(rowsOf(map)).toEqual(['2200', '0000', '0011', '0011']);
    expect(layer.consumed.has(1)).toBe(false);
    layer.accept(ed, { instances: [1] });
    expect(rowsOf(map)).toEqual(['2200', '2200', '0011', '0011']);
    expect(ed.history.undoDepth).toBe(3);
    expect(layer.stateAfterAccept(map)).toBe('accepted');
  });

  it('reopening a partly accepted proposal: instances mostly labeled count as done', () => {
    const map = mapOf(['1100', '1000', '0000', '0000'], [{ id: 1, classId: 1 }]);
    const layer = new ProposalLayer(twoNuclei());
    layer.consumeCovered(map);
    expect([...layer.consumed]).toEqual([1]);
    expect(layer.cropOf(2)).toEqual({ x: 2, y: 2, width: 2, height: 2, mask: Uint8Array.from([1, 1, 1, 1]) });
  });
});

describe('RefineTool', () => {
  it('collects positive and negative clicks, ignores stale answers, Enter places the object once', () => {
    const map = mapOf(['0000', '0000', '0001'], [{ id: 1, classId: 1 }]);
    const ed = new Editor(map, { classes: CLASSES, activeClassId: 2 });
    ed.setTool('refine');
    const tool = ed.tools.refine as RefineTool;
    const events: RefineEvent[] = [];
    tool.onEvent((e) => events.push(e));
    tap(ed, ptr(1, 1));
    tap(ed, ptr(3, 0, 2));
    tap(ed, ptr(0, 0, 0, true));
    expect(ed.statePath).toBe('refine.clicking');
    expect(ed.busy).toBe(true);
    expect(tool.clicks).toEqual([
      { x: 1, y: 1, positive: true },
      { x: 3, y: 0, positive: false },
      { x: 0, y: 0, positive: false },
    ]);
    expect(events.map((e) => e.type)).toEqual(['click', 'click', 'click']);
    const seq = (events[2] as { seq: number }).seq;
    expect(tool.setObject(seq - 1, { x: 0, y: 0, width: 1, height: 1, mask: Uint8Array.from([1]), score: 0.5 })).toBe(false);
    expect(tool.setObject(seq, { x: 1, y: 1, width: 3, height: 2, mask: Uint8Array.from([1, 1, 0, 1, 1, 1]), score: 0.8 })).toBe(true);
    expect(tool.upToDate).toBe(true);
    expect(ed.keyDown({ key: 'Enter' })).toBe(true);
    expect(rowsOf(map)).toEqual(['0000', '0220', '0221']);
    expect(map.getInstance(2)).toMatchObject({ classId: 2, score: 0.8 });
    expect(ed.history.undoDepth).toBe(1);
    expect(ed.statePath).toBe('refine.idle');
    expect(events.at(-1)).toEqual({ type: 'accept', id: 2, base: null });
    ed.undo();
    expect(rowsOf(map)).toEqual(['0000', '0000', '0001']);
  });

  it('Backspace takes the last click back, Esc cancels, and Enter before an answer places nothing', () => {
    const ed = new Editor(new LabelMap(4, 4), { classes: CLASSES });
    ed.setTool('refine');
    const tool = ed.tools.refine as RefineTool;
    const msgs: string[] = [];
    ed.onMessage((m) => msgs.push(m));
    tap(ed, ptr(1, 1));
    tap(ed, ptr(2, 2));
    expect(ed.keyDown({ key: 'Backspace' })).toBe(true);
    expect(tool.clicks.length).toBe(1);
    expect(ed.keyDown({ key: 'Enter' })).toBe(true);
    expect(msgs.length).toBe(1);
    expect(ed.history.undoDepth).toBe(0);
    expect(ed.keyDown({ key: 'Escape' })).toBe(true);
    expect(tool.clicks.length).toBe(0);
    expect(ed.statePath).toBe('refine.idle');
    tap(ed, ptr(9, 9)); // outside the image
    expect(tool.clicks.length).toBe(0);
  });
});

describe('RefineTool boxes and locked classes', () => {
  const at = (x: number, y: number, sx: number, sy: number, button = 0) => ({ x, y, sx, sy, button });

  it('a drag draws a box (clipped to the image), a click beside it keeps the box; Backspace removes clicks, then the box', () => {
    const ed = new Editor(new LabelMap(8, 6), { classes: CLASSES });
    ed.setTool('refine');
    const tool = ed.tools.refine as RefineTool;
    const events: RefineEvent[] = [];
    tool.onEvent((e) => events.push(e));
    ed.pointerDown(at(1.2, 1.5, 10, 10));
    ed.pointerMove(at(1.6, 1.7, 12, 11)); // under BOX_DRAG_PX: still a click
    expect(tool.dragBox).toBeNull();
    ed.pointerMove(at(20, 4.2, 100, 40));
    expect(ed.statePath).toBe('refine.boxing');
    expect(tool.dragBox).toEqual({ x0: 1, y0: 1, x1: 7, y1: 4 });
    expect(events).toEqual([]);
    ed.pointerUp(at(20, 4.2, 100, 40));
    expect(tool.box).toEqual({ x0: 1, y0: 1, x1: 7, y1: 4 });
    expect(tool.clicks).toEqual([]);
    expect(events).toEqual([{ type: 'click', seq: expect.any(Number), clicks: [], box: { x0: 1, y0: 1, x1: 7, y1: 4 } }]);
    expect(ed.statePath).toBe('refine.clicking');
    // a box alone can be answered and accepted
    const seq = tool.seq;
    expect(tool.setObject(seq, { x: 2, y: 2, width: 2, height: 1, mask: Uint8Array.from([1, 1]), score: 0.6 })).toBe(true);
    expect(tool.upToDate).toBe(true);
    // a right click adds a negative click and keeps the box
    tap(ed, ptr(6, 4, 2));
    expect(events.at(-1)).toMatchObject({ type: 'click', clicks: [{ x: 6, y: 4, positive: false }], box: { x0: 1, y0: 1, x1: 7, y1: 4 } });
    expect(ed.keyDown({ key: 'Backspace' })).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'click', clicks: [], box: { x0: 1, y0: 1, x1: 7, y1: 4 } });
    expect(ed.keyDown({ key: 'Backspace' })).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'cancel' });
    expect(tool.box).toBeNull();
    expect(ed.statePath).toBe('refine.idle');
    // a drag entirely outside the image draws nothing and adds no click
    ed.pointerDown(at(-5, -5, 0, 0));
    ed.pointerMove(at(-2, -1, 30, 30));
    ed.pointerUp(at(-2, -1, 30, 30));
    expect(tool.box).toBeNull();
    expect(tool.clicks).toEqual([]);
  });

  it('a positive click on a locked class is refused with a message; accepting an object over it leaves its pixels alone', () => {
    const map = mapOf(['0110', '0110', '0000'], [{ id: 1, classId: 1 }]);
    const ed = new Editor(map, { classes: [{ id: 1, hidden: false, locked: true }, { id: 2, hidden: false, locked: false }], activeClassId: 2 });
    ed.setTool('refine');
    const tool = ed.tools.refine as RefineTool;
    const msgs: string[] = [];
    ed.onMessage((m) => msgs.push(m));
    const events: RefineEvent[] = [];
    tool.onEvent((e) => events.push(e));
    tap(ed, ptr(1, 1));
    expect(tool.clicks).toEqual([]);
    expect(events).toEqual([]);
    expect(msgs.at(-1)).toMatch(/locked/);
    // a negative click there is fine (it only says what is not the object)
    tap(ed, ptr(0, 2));
    tap(ed, ptr(2, 0, 2));
    expect(tool.clicks).toEqual([
      { x: 0, y: 2, positive: true },
      { x: 2, y: 0, positive: false },
    ]);
    // an object that covers the locked instance: only background pixels change, and the person is told
    tool.setObject(tool.seq, { x: 0, y: 0, width: 4, height: 3, mask: new Uint8Array(12).fill(1), score: 0.7 });
    expect(ed.keyDown({ key: 'Enter' })).toBe(true);
    expect(rowsOf(map)).toEqual(['2112', '2112', '2222']);
    expect(msgs.at(-1)).toMatch(/4 pixels of a locked class were left as they were/);
  });
});

describe('RefineTool in semantic mode', () => {
  it('an accepted object joins the class\'s one instance (one undo step)', () => {
    const map = mapOf(['1000', '0000', '0000'], [{ id: 1, classId: 2 }]);
    const ed = new Editor(map, { classes: CLASSES, activeClassId: 2, mode: 'semantic' });
    ed.setTool('refine');
    const tool = ed.tools.refine as RefineTool;
    tap(ed, ptr(2, 1));
    tool.setObject(tool.seq, { x: 1, y: 1, width: 2, height: 2, mask: Uint8Array.from([1, 1, 1, 1]), score: 0.8 });
    expect(ed.keyDown({ key: 'Enter' })).toBe(true);
    expect(rowsOf(map)).toEqual(['1000', '0110', '0110']);
    expect(map.instanceCount).toBe(1);
    ed.undo();
    expect(rowsOf(map)).toEqual(['1000', '0000', '0000']);
  });
});

describe('refining a proposal instance', () => {
  it('the refined object replaces the proposal instance it started from; undo brings it back', () => {
    const map = new LabelMap(4, 4);
    const ed = new Editor(map, { classes: CLASSES });
    const layer = new ProposalLayer(twoNuclei());
    ed.proposal = layer;
    ed.setTool('refine');
    const tool = ed.tools.refine as RefineTool;
    let seq = 0;
    tool.onEvent((e) => {
      if (e.type === 'click') seq = e.seq;
    });
    tap(ed, ptr(0, 0));
    tool.base = layer.instanceAt(0, 0);
    expect(tool.base).toBe(1);
    tool.setObject(seq, { x: 0, y: 0, width: 3, height: 2, mask: Uint8Array.from([1, 1, 1, 1, 1, 1]), score: 0.9 });
    ed.keyDown({ key: 'Enter' });
    expect(rowsOf(map)).toEqual(['1110', '1110', '0000', '0000']);
    expect(layer.consumed.has(1)).toBe(true);
    expect(layer.remaining(map)).toEqual([2]);
    ed.undo();
    expect(layer.consumed.has(1)).toBe(false);
  });
});
