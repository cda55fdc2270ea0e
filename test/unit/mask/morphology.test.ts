import { describe, expect, it } from 'vitest';
import { dilate, erode } from '../../../core/mask/index';
import { maskFromRows, mulberry32, noiseMask, rowsFromMask } from './helpers';

describe('morphology', () => {
  const dot = maskFromRows(['00000', '00000', '00100', '00000', '00000']);

  it('dilates a dot into a cross (4) or a square (8)', () => {
    expect(rowsFromMask(dilate(dot.mask, 5, 5, 4), 5, 5)).toEqual(['00000', '00100', '01110', '00100', '00000']);
    expect(rowsFromMask(dilate(dot.mask, 5, 5, 8), 5, 5)).toEqual(['00000', '01110', '01110', '01110', '00000']);
    expect(rowsFromMask(dilate(dot.mask, 5, 5, 4, 2), 5, 5)).toEqual(['00100', '01110', '11111', '01110', '00100']);
  });

  it('erodes a square back to a dot (8) or to a plus-reduced shape (4)', () => {
    const sq = maskFromRows(['00000', '01110', '01110', '01110', '00000']);
    expect(rowsFromMask(erode(sq.mask, 5, 5, 8), 5, 5)).toEqual(['00000', '00000', '00100', '00000', '00000']);
    expect(rowsFromMask(erode(sq.mask, 5, 5, 4), 5, 5)).toEqual(['00000', '00000', '00100', '00000', '00000']);
    const plus = maskFromRows(['00100', '01110', '11111', '01110', '00100']);
    expect(rowsFromMask(erode(plus.mask, 5, 5, 4), 5, 5)).toEqual(['00000', '00100', '01110', '00100', '00000']);
    expect(rowsFromMask(erode(plus.mask, 5, 5, 8), 5, 5)).toEqual(['00000', '00000', '00100', '00000', '00000']);
  });

  it('ignores pixels outside the image (no erosion at the border)', () => {
    const full = new Uint8Array(6).fill(1);
    expect(Array.from(erode(full, 3, 2))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(dilate(new Uint8Array(6), 3, 2))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('erosion is dual to dilation, and erode(dilate(m)) contains m', () => {
    const rnd = mulberry32(4);
    for (let t = 0; t < 30; t++) {
      const w = 1 + Math.floor(rnd() * 20);
      const h = 1 + Math.floor(rnd() * 20);
      const m = noiseMask(rnd, w, h, rnd());
      for (const conn of [4, 8] as const) {
        const not = m.map((v) => 1 - v);
        expect(Array.from(erode(m, w, h, conn))).toEqual(Array.from(dilate(not, w, h, conn), (v) => 1 - v));
        const closed = erode(dilate(m, w, h, conn), w, h, conn);
        expect(m.every((v, i) => v <= closed[i]!)).toBe(true);
      }
    }
  });

  it('rejects bad arguments', () => {
    expect(() => dilate(new Uint8Array(4), 2, 2, 6 as 4)).toThrow(RangeError);
    expect(() => erode(new Uint8Array(4), 2, 2, 4, -1)).toThrow(RangeError);
    expect(() => erode(new Uint8Array(3), 2, 2)).toThrow(RangeError);
  });
});
