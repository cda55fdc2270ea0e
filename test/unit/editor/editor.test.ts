import { describe, expect, it } from 'vitest';
import { Editor } from '../../../core/editor/editor';
import type { EditorPointerEvent } from '../../../core/editor/tools/tool';
import { History, decodeHistoryEntry, encodeHistoryEntry } from '../../../core/editor/history';
import { TILE_PX } from '../../../core/editor/tile-patch';
import { LabelMap } from '../../../core/mask/label-map';

const CLASSES = [
  { id: 1, hidden: false, locked: false },
  { id: 2, hidden: false, locked: false },
];

/** drives an editor like a person with a mouse */
function harness(width = 64, height = 48, opts: Partial<ConstructorParameters<typeof Editor>[1]> = {}) {
  const map = new LabelMap(width, height);
  const ed = new Editor(map, { classes: CLASSES, brushRadiusPx: 2, ...opts });
  const messages: string[] = [];
  ed.onMessage((m) => messages.push(m));
  const ev = (x: number, y: number, button = 0): EditorPointerEvent => ({ x, y, sx: x * 10, sy: y * 10, button });
  const paths: string[] = [];
  return {
    map,
    ed,
    messages,
    paths,
    drag(points: Array<[number, number]>, button = 0) {
      const [first, ...rest] = points;
      ed.pointerDown(ev(first![0], first![1], button));
      paths.push(ed.statePath);
      for (const [x, y] of rest) ed.pointerMove(ev(x, y, button));
      paths.push(ed.statePath);
      const last = points[points.length - 1]!;
      ed.pointerUp(ev(last[0], last[1], button));
      paths.push(ed.statePath);
    },
    click(x: number, y: number, button = 0) {
      ed.pointerDown(ev(x, y, button));
      ed.pointerUp(ev(x, y, button));
    },
    key(key: string, mods: { ctrl?: boolean; shift?: boolean } = {}) {
      return ed.keyDown({ key, ...mods });
    },
    rows(): string[] {
      const out: string[] = [];
      for (let y = 0; y < map.height; y++) {
        let r = '';
        for (let x = 0; x < map.width; x++) r += map.ids[y * map.width + x] ? '#' : '.';
        out.push(r);
      }
      return out;
    },
  };
}

describe('Editor: brush and eraser', () => {
  it('a stroke goes idle -> painting -> idle and is one undo step', () => {
    const h = harness();
    expect(h.ed.statePath).toBe('brush.idle');
    h.drag([[5, 5], [20, 5], [40, 30]]);
    expect(h.paths).toEqual(['brush.painting', 'brush.painting', 'brush.idle']);
    expect(h.ed.history.undoDepth).toBe(1);
    const painted = h.map.ids.filter((v) => v !== 0).length;
    expect(painted).toBeGreaterThan(50);
    h.key('z', { ctrl: true });
    expect(h.map.ids.every((v) => v === 0)).toBe(true);
    h.key('z', { ctrl: true, shift: true });
    expect(h.map.ids.filter((v) => v !== 0).length).toBe(painted);
  });

  it('a fast stroke leaves no gaps between samples', () => {
    const h = harness(200, 20, { brushRadiusPx: 1 });
    h.drag([[2, 10], [197, 10]]); // two samples 195 px apart
    for (let x = 2; x <= 197; x++) expect(h.map.ids[10 * 200 + x], `x=${x}`).not.toBe(0);
  });

  it('strokes across tile borders undo exactly, and untouched tiles are not recorded', () => {
    const W = TILE_PX * 3;
    const h = harness(W, W, { brushRadiusPx: 3 });
    h.drag([[TILE_PX - 2, TILE_PX - 2], [TILE_PX + 2, TILE_PX + 2]]);
    const e = h.ed.history.undoEntries[0]!;
    expect(e.patches.length).toBe(4); // the four tiles around the corner point
    h.drag([[5, W - 5], [W - 5, W - 5]]);
    const snapshot = h.map.ids.slice();
    h.ed.undo();
    h.ed.redo();
    expect(h.map.ids).toEqual(snapshot);
  });

  it('the eraser clears pixels and is its own undo step', () => {
    const h = harness();
    h.drag([[5, 10], [50, 10]]);
    h.key('e');
    expect(h.ed.tool).toBe('eraser');
    h.drag([[20, 10], [30, 10]]);
    expect(h.map.ids[10 * 64 + 25]).toBe(0);
    expect(h.map.ids[10 * 64 + 10]).not.toBe(0);
    h.ed.undo();
    expect(h.map.ids[10 * 64 + 25]).not.toBe(0);
  });

  it('1,000 strokes undone and redone restore the exact mask', () => {
    const h = harness(256, 256, { brushRadiusPx: 4 });
    let seed = 7;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 256;
    for (let i = 0; i < 1000; i++) {
      if (i % 3 === 0) h.key(i % 2 ? 'e' : 'b');
      if (i % 50 === 0) h.key(String(1 + (i % 2)));
      h.drag([[rnd(), rnd()], [rnd(), rnd()], [rnd(), rnd()]]);
    }
    const final = h.map.ids.slice();
    const finalTable = JSON.stringify(h.map.instances());
    const depth = h.ed.history.undoDepth;
    expect(depth).toBeGreaterThan(900);
    for (let i = 0; i < depth; i++) h.ed.undo();
    expect(h.map.ids.every((v) => v === 0)).toBe(true);
    expect(h.map.instances()).toEqual([]);
    for (let i = 0; i < depth; i++) h.ed.redo();
    expect(h.map.ids).toEqual(final);
    expect(JSON.stringify(h.map.instances())).toBe(finalTable);
  });
});

describe('Editor: instances, classes and modes', () => {
  it('instance mode: separate strokes make separate instances, a stroke starting on one extends it', () => {
    const h = harness();
    h.drag([[5, 5], [10, 5]]);
    h.drag([[40, 30], [50, 30]]);
    expect(h.map.instances().map((i) => i.classId)).toEqual([1, 1]);
    h.drag([[10, 5], [10, 20]]); // starts on instance 1
    expect(h.map.instanceCount).toBe(2);
    h.key('2'); // class 2 by hotkey
    expect(h.ed.activeClassId).toBe(2);
    h.drag([[45, 30], [45, 40]]); // starts on a class-1 instance: a new class-2 instance
    expect(h.map.instances().map((i) => i.classId)).toEqual([1, 1, 2]);
  });

  it('semantic mode: one instance per class', () => {
    const h = harness(64, 48, { mode: 'semantic' });
    h.drag([[5, 5], [10, 5]]);
    h.drag([[40, 30], [50, 30]]);
    expect(h.map.instanceCount).toBe(1);
  });

  it('locked and hidden classes are never painted over; a stroke that paints nothing adds nothing', () => {
    const h = harness(64, 48, { classes: [{ id: 1, hidden: false, locked: false }, { id: 2, hidden: false, locked: false }] });
    h.drag([[5, 10], [50, 10]]);
    h.ed.setClasses([{ id: 1, hidden: false, locked: true }, { id: 2, hidden: false, locked: false }]);
    h.key('2');
    h.drag([[20, 10], [20, 10]]);
    const inst = h.map.getInstance(h.map.ids[10 * 64 + 20]!);
    expect(inst?.classId).toBe(1);
    h.key('e');
    h.drag([[20, 10], [30, 10]]);
    expect(h.map.ids[10 * 64 + 25]).not.toBe(0);
    expect(h.map.instanceCount).toBe(1);
  });

  it('select, change class and delete an instance (each undoable)', () => {
    const h = harness();
    h.drag([[5, 5], [10, 5]]);
    h.key('v');
    h.click(7, 5);
    expect(h.ed.selected).toBe(1);
    h.ed.setInstanceClass(1, 2);
    expect(h.map.getInstance(1)?.classId).toBe(2);
    h.key('Delete');
    expect(h.map.ids.every((v) => v === 0)).toBe(true);
    h.ed.undo();
    expect(h.map.getInstance(1)?.classId).toBe(2);
    expect(h.map.ids[5 * 64 + 7]).toBe(1);
    h.ed.undo();
    expect(h.map.getInstance(1)?.classId).toBe(1);
  });
});

describe('Editor: polygon', () => {
  it('draws a polygon closed with Enter as one step', () => {
    const h = harness(20, 12);
    h.key('p');
    h.click(2, 2);
    h.click(12, 2);
    expect(h.ed.statePath).toBe('polygon.drawing');
    h.click(12, 8);
    h.click(2, 8);
    h.key('Enter');
    expect(h.ed.statePath).toBe('polygon.idle');
    expect(h.rows().slice(1, 9)).toEqual([
      '....................',
      '..##########........',
      '..##########........',
      '..##########........',
      '..##########........',
      '..##########........',
      '..##########........',
      '....................',
    ]);
    expect(h.ed.history.undoDepth).toBe(1);
  });

  it('closes when clicking the first vertex; Backspace removes a vertex; Esc cancels', () => {
    const h = harness(20, 12);
    h.key('p');
    h.click(2, 2);
    h.click(9, 2);
    h.click(30, 30);
    h.key('Backspace');
    h.click(9, 9);
    h.click(2.5, 2.5); // near the first vertex: closes
    expect(h.ed.statePath).toBe('polygon.idle');
    expect(h.map.ids.some((v) => v !== 0)).toBe(true);
    h.click(1, 1);
    h.click(5, 1);
    h.key('Escape');
    expect(h.ed.statePath).toBe('polygon.idle');
    expect(h.ed.history.undoDepth).toBe(1);
  });

  it('fewer than 3 points draws nothing and says why; a self-intersecting outline is filled even-odd with a warning', () => {
    const h = harness(20, 20);
    h.key('p');
    h.click(2, 2);
    h.click(10, 10);
    h.key('Enter');
    expect(h.messages.at(-1)).toMatch(/at least 3 points/);
    expect(h.map.ids.every((v) => v === 0)).toBe(true);
    // bow tie
    h.click(2, 2);
    h.click(18, 18);
    h.click(18, 2);
    h.click(2, 18);
    h.key('Enter');
    expect(h.messages.at(-1)).toMatch(/crosses itself/);
    expect(h.map.ids[10 * 20 + 3]).not.toBe(0); // left lobe
    expect(h.map.ids[3 * 20 + 10]).toBe(0); // top gap of the bow tie
  });
});

describe('Editor: fill', () => {
  it('fill stops at a 1-pixel diagonal gap with 4-connectivity but not with 8', () => {
    for (const [conn, expectLeak] of [
      [4, false],
      [8, true],
    ] as const) {
      const h = harness(10, 10);
      // a diagonal wall of instance pixels from (0,9) to (9,0)
      h.ed.setBrushRadius(0.5);
      for (let i = 0; i < 10; i++) h.drag([[i + 0.5, 9 - i + 0.5]]);
      h.ed.setConnectivity(conn);
      h.key('f');
      h.key('2');
      h.click(1, 1); // background above the wall
      const below = h.map.ids[9 * 10 + 9]!;
      expect(below !== 0, `connectivity ${conn}`).toBe(expectLeak);
    }
  });

  it('the magic wand fills similar image colour', () => {
    const w = 8;
    const data = new Uint8Array(w * w);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data[y * w + x] = x < 4 ? 200 : 20;
    const h = harness(w, w, { image: { data, width: w, height: w, channels: 1 } });
    h.key('w');
    h.click(1, 1);
    expect(h.rows()).toEqual(Array(8).fill('####....'));
  });

  it('fill on an unlabelled image stops at colour edges as well as labels; [ ] change the tolerance of fill and wand (issue 15)', () => {
    const w = 8;
    const data = new Uint8Array(w * w);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data[y * w + x] = x < 4 ? 200 : 150;
    const h = harness(w, w, { image: { data, width: w, height: w, channels: 1 } });
    h.key('f');
    expect(h.ed.fillTolerance).toBe(32);
    h.click(1, 1);
    expect(h.rows()).toEqual(Array(8).fill('####....')); // a 50-level edge bounds it
    h.key('z', { ctrl: true });
    // raise the tolerance past the edge: the whole unlabelled region
    for (let i = 0; i < 5; i++) h.key(']');
    expect(h.ed.fillTolerance).toBe(52);
    expect(h.ed.brushRadiusPx).toBe(2); // [ ] did not size the brush
    h.click(1, 1);
    expect(h.rows()).toEqual(Array(8).fill('########'));
    h.key('w');
    h.key('[');
    expect(h.ed.wandTolerance).toBe(20);
    h.key('b');
    h.key(']');
    expect(h.ed.brushRadiusPx).toBe(2.5);
  });
});

describe('Editor: pan and persistence', () => {
  it('space gives a temporary pan and returns to the tool', () => {
    const h = harness();
    const pans: number[][] = [];
    h.ed.onPan((dx, dy) => pans.push([dx, dy]));
    h.ed.spaceDown();
    expect(h.ed.tool).toBe('pan');
    h.drag([[0, 0], [3, 4]]);
    expect(h.paths).toContain('pan.panning');
    h.ed.spaceUp();
    expect(h.ed.statePath).toBe('brush.idle');
    expect(pans).toEqual([[30, 40], [0, 0]]);
    expect(h.map.ids.every((v) => v === 0)).toBe(true);
  });

  it('history entries survive encoding, so undo works after reopening', () => {
    const h = harness(100, 100, { brushRadiusPx: 5 });
    h.drag([[10, 10], [90, 90]]);
    h.key('2');
    h.drag([[10, 90], [90, 10]]);
    const bytes = h.ed.history.undoEntries.map(encodeHistoryEntry);
    // "reopen": a fresh map from the saved mask, history from the saved entries
    const reopened = LabelMap.decode(h.map.encode());
    const hist = new History();
    hist.load(bytes.map(decodeHistoryEntry), []);
    hist.undo(reopened);
    hist.undo(reopened);
    expect(reopened.ids.every((v) => v === 0)).toBe(true);
    expect(reopened.instanceCount).toBe(0);
    expect(() => decodeHistoryEntry(bytes[0]!.subarray(0, 40))).toThrow(/truncated|bad/);
  });
});
