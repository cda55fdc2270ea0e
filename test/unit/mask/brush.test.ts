import { describe, expect, it } from 'vitest';
import { BrushStroke, capsuleBounds, LabelMap, labelComponents, paintMask, paintSegment, paintStroke, type Point, type Rect } from '../../../core/mask/index';
import { maskFromRows, mulberry32, rowsFromMask } from './helpers';

function rows(map: LabelMap): string[] {
  return rowsFromMask(map.ids, map.width, map.height);
}

/** Brute force: pixel centres within r of segment ab. */
function capsulePixels(w: number, h: number, a: Point, b: Point, r: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const l2 = dx * dx + dy * dy;
      const t = l2 ? Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / l2)) : 0;
      const ex = a.x + t * dx - px;
      const ey = a.y + t * dy - py;
      if (ex * ex + ey * ey <= r * r + 1e-9) m[y * w + x] = 1;
    }
  }
  return m;
}

describe('brush', () => {
  it('stamps a disc of pixel centres within the radius', () => {
    const map = new LabelMap(7, 7);
    const dirty = paintSegment(map, { x: 3.5, y: 3.5 }, { x: 3.5, y: 3.5 }, { id: 1, radiusPx: 2 });
    expect(rows(map)).toEqual(['0000000', '0001000', '0011100', '0111110', '0011100', '0001000', '0000000']);
    expect(dirty).toEqual({ x: 1, y: 1, width: 5, height: 5 });
  });

  it('fills the whole capsule between far-apart samples (no gaps at speed)', () => {
    const map = new LabelMap(40, 30);
    const a = { x: 2.3, y: 3.1 };
    const b = { x: 37.8, y: 26.4 };
    paintStroke(map, [a, b], { id: 4, radiusPx: 1.5 });
    const expected = capsulePixels(40, 30, a, b, 1.5);
    expect(Array.from(map.binaryMask(4))).toEqual(Array.from(expected));
    expect(labelComponents(map.binaryMask(4), 40, 30, 4).count).toBe(1);
  });

  it('matches brute force on random segments and radii', () => {
    const rnd = mulberry32(77);
    for (let t = 0; t < 60; t++) {
      const map = new LabelMap(24, 18);
      const a = { x: rnd() * 30 - 3, y: rnd() * 24 - 3 };
      const b = t % 5 === 0 ? a : { x: rnd() * 30 - 3, y: rnd() * 24 - 3 };
      const r = rnd() * 5;
      const dirty = paintSegment(map, a, b, { id: 1, radiusPx: r });
      const expected = capsulePixels(24, 18, a, b, r);
      expect(Array.from(map.ids)).toEqual(Array.from(expected));
      if (dirty) {
        const box = map.instanceStats(1).bbox;
        expect(dirty).toEqual(box);
      } else expect(expected.every((v) => v === 0)).toBe(true);
    }
  });

  it('leaves no gap along a fast zig-zag stroke of thin brush', () => {
    const map = new LabelMap(64, 64);
    const pts: Point[] = [];
    for (let k = 0; k <= 8; k++) pts.push({ x: 2 + k * 7.5, y: k % 2 ? 60 : 3 });
    paintStroke(map, pts, { id: 1, radiusPx: 0.6 });
    expect(labelComponents(map.binaryMask(1), 64, 64, 4).count).toBe(1);
  });

  it('erases with id 0 and returns the changed rect only', () => {
    const map = new LabelMap(6, 3, new Uint32Array(18).fill(2));
    const dirty = paintSegment(map, { x: 0, y: 1.5 }, { x: 2.5, y: 1.5 }, { id: 0, radiusPx: 0.5 });
    expect(rows(map)).toEqual(['222222', '000222', '222222']);
    expect(dirty).toEqual({ x: 0, y: 1, width: 3, height: 1 });
    expect(paintSegment(map, { x: 0, y: 1.5 }, { x: 2.5, y: 1.5 }, { id: 0, radiusPx: 0.5 })).toBeNull();
  });

  it('never overwrites locked instances (brush and eraser)', () => {
    const map = new LabelMap(5, 1, Uint32Array.of(0, 1, 2, 1, 0));
    const asked: number[] = [];
    const isLocked = (id: number): boolean => {
      asked.push(id);
      return id === 1;
    };
    paintSegment(map, { x: 0, y: 0.5 }, { x: 5, y: 0.5 }, { id: 3, radiusPx: 0.5, isLocked });
    expect(Array.from(map.ids)).toEqual([3, 1, 3, 1, 3]);
    expect(asked.sort()).toEqual([1, 2]); // memoised: one question per id
    paintSegment(map, { x: 0, y: 0.5 }, { x: 5, y: 0.5 }, { id: 0, radiusPx: 0.5, isLocked: (id) => id === 1 });
    expect(Array.from(map.ids)).toEqual([0, 1, 0, 1, 0]);
  });

  it('paints only over background when asked', () => {
    const map = new LabelMap(5, 1, Uint32Array.of(0, 1, 0, 2, 0));
    const dirty = paintSegment(map, { x: 0, y: 0.5 }, { x: 5, y: 0.5 }, { id: 7, radiusPx: 0.5, onlyBackground: true });
    expect(Array.from(map.ids)).toEqual([7, 1, 7, 2, 7]);
    expect(dirty).toEqual({ x: 0, y: 0, width: 5, height: 1 });
  });

  it('calls beforeWrite with the bounds before touching pixels', () => {
    const map = new LabelMap(10, 10);
    const seen: { rect: Rect; before: number }[] = [];
    paintSegment(map, { x: 5, y: 5 }, { x: 5, y: 5 }, {
      id: 1,
      radiusPx: 1,
      beforeWrite: (rect) => seen.push({ rect, before: map.ids.reduce((s, v) => s + v, 0) }),
    });
    expect(seen).toEqual([{ rect: { x: 4, y: 4, width: 2, height: 2 }, before: 0 }]);
    expect(capsuleBounds({ x: -9, y: -9 }, { x: -8, y: -8 }, 1, 10, 10)).toBeNull();
  });

  it('accumulates the dirty rect of an incremental stroke', () => {
    const map = new LabelMap(20, 20);
    const s = new BrushStroke(map, { id: 2, radiusPx: 1 });
    expect(s.begin({ x: 3, y: 3 })).toEqual({ x: 2, y: 2, width: 2, height: 2 });
    s.moveTo({ x: 10, y: 3 });
    s.moveTo({ x: 10, y: 12 });
    expect(s.end()).toEqual({ x: 2, y: 2, width: 9, height: 11 });
    expect(map.instanceStats(2).bbox).toEqual({ x: 2, y: 2, width: 9, height: 11 });
  });

  it('rejects bad options', () => {
    const map = new LabelMap(2, 2);
    expect(() => paintSegment(map, { x: 0, y: 0 }, { x: 1, y: 1 }, { id: -1, radiusPx: 1 })).toThrow(RangeError);
    expect(() => paintSegment(map, { x: 0, y: 0 }, { x: 1, y: 1 }, { id: 1, radiusPx: NaN })).toThrow(RangeError);
  });
});

describe('paintMask', () => {
  it('writes a mask with the lock rules', () => {
    const map = new LabelMap(4, 2, Uint32Array.of(0, 1, 2, 0, 0, 0, 0, 0));
    const { mask } = maskFromRows(['1111', '0110']);
    const dirty = paintMask(map, mask, { id: 5, isLocked: (id) => id === 2 });
    expect(rows(map)).toEqual(['5525', '0550']);
    expect(dirty).toEqual({ x: 0, y: 0, width: 4, height: 2 });
  });
});
