/** Background scribbles for Live: the eraser's footprint as bits (a capsule), and the editor's pointer feed that records it. */
import { describe, expect, it } from 'vitest';
import { Editor } from '../../../core/editor/editor';
import { paintScribbleSegment, scribbleBitAt, scribbleBytes } from '../../../core/editor/scribble-bits';
import { LabelMap } from '../../../core/mask/label-map';

describe('scribble bits', () => {
  it('marks the pixels whose centres are within the radius of the segment, LSB first', () => {
    const w = 10;
    const h = 5;
    const bits = scribbleBytes(w, h);
    expect(bits.length).toBe(7); // 50 pixels
    paintScribbleSegment(bits, w, h, { x: 2, y: 2.5 }, { x: 7, y: 2.5 }, 1);
    const rows: string[] = [];
    for (let y = 0; y < h; y++) {
      let r = '';
      for (let x = 0; x < w; x++) r += scribbleBitAt(bits, w, x, y) ? '#' : '.';
      rows.push(r);
    }
    // centres (x + 0.5, y + 0.5): row 2 from x = 1 (distance 0.5 from the cap at x = 2) to 7; rows 1 and 3 (distance 1) from 2 to 6
    expect(rows).toEqual(['..........', '..#####...', '.#######..', '..#####...', '..........']);
    // pixel 0 is bit 0 of byte 0
    const one = scribbleBytes(4, 4);
    paintScribbleSegment(one, 4, 4, { x: 0.5, y: 0.5 }, { x: 0.5, y: 0.5 }, 0.5);
    expect([...one]).toEqual([1, 0]);
  });

  it('clips to the image and a point stroke is a disc', () => {
    const bits = scribbleBytes(6, 6);
    paintScribbleSegment(bits, 6, 6, { x: -3, y: 3 }, { x: -3, y: 3 }, 4.2);
    let n = 0;
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) if (scribbleBitAt(bits, 6, x, y)) n++;
    expect(n).toBeGreaterThan(0);
    expect(scribbleBitAt(bits, 6, 0, 3)).toBe(true);
    expect(scribbleBitAt(bits, 6, 5, 3)).toBe(false);
  });

  it("the editor reports pointer input with the tool it went to (the eraser's strokes reach Live even over unlabelled pixels)", () => {
    const ed = new Editor(new LabelMap(20, 20), { classes: [{ id: 1, hidden: false, locked: false }], brushRadiusPx: 2 });
    const seen: string[] = [];
    const off = ed.onDidPointer((phase, e, tool) => seen.push(`${phase}:${tool}:${e.x},${e.y}`));
    ed.setTool('eraser');
    const ev = (x: number, y: number) => ({ x, y, sx: x, sy: y, button: 0 });
    ed.pointerDown(ev(3, 3));
    ed.pointerMove(ev(8, 3));
    ed.pointerUp(ev(8, 3));
    off();
    ed.pointerDown(ev(1, 1));
    expect(seen).toEqual(['down:eraser:3,3', 'move:eraser:8,3', 'up:eraser:8,3']);
  });
});
