import { describe, expect, it } from 'vitest';
import { fillRegion, LabelMap, magicWand, regionAt, scanlineFill, type ImageBuffer } from '../../../core/mask/index';
import { maskFromRows, mulberry32, noiseMask, rowsFromMask } from './helpers';

function grayImage(rows: string[]): ImageBuffer {
  // '.' = 200 (light), '#' = 20 (dark), digits = 100 + 10 * d
  const width = rows[0]!.length;
  const data = new Uint8Array(width * rows.length);
  rows.forEach((r, y) => {
    for (let x = 0; x < width; x++) {
      const c = r[x]!;
      data[y * width + x] = c === '.' ? 200 : c === '#' ? 20 : 100 + 10 * Number(c);
    }
  });
  return { data, width, height: rows.length, channels: 1 };
}

/** Brute-force BFS reference. */
function bfs(inside: Uint8Array, w: number, h: number, sx: number, sy: number, conn: 4 | 8): Uint8Array {
  const out = new Uint8Array(w * h);
  if (!inside[sy * w + sx]) return out;
  const q = [sy * w + sx];
  out[q[0]!] = 1;
  while (q.length) {
    const i = q.shift()!;
    const x = i % w;
    const y = (i - x) / w;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        if ((dx === 0 && dy === 0) || (conn === 4 && dx !== 0 && dy !== 0)) continue;
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const j = ny * w + nx;
        if (inside[j] && !out[j]) {
          out[j] = 1;
          q.push(j);
        }
      }
    }
  }
  return out;
}

describe('magic wand', () => {
  // a diagonal one-pixel dark wall splits the light area only for 4-connectivity
  const img = grayImage(['...#..', '..#...', '.#....', '#.....']);

  it('a diagonal one-pixel wall stops a 4-connected fill', () => {
    const r = magicWand(img, 0, 0, { tolerance: 10, connectivity: 4 });
    expect(rowsFromMask(r.mask, 6, 4)).toEqual(['111000', '110000', '100000', '000000']);
    expect(r.area).toBe(6);
    expect(r.bbox).toEqual({ x: 0, y: 0, width: 3, height: 3 });
  });

  it('but not an 8-connected one', () => {
    const r = magicWand(img, 0, 0, { tolerance: 10, connectivity: 8 });
    expect(r.area).toBe(24 - 4);
    expect(rowsFromMask(r.mask, 6, 4)).toEqual(['111011', '110111', '101111', '011111']);
  });

  it('stops at colour differences above the tolerance and includes those within', () => {
    const ramp = grayImage(['012345', '012345']); // 100, 110, ..., 150
    expect(magicWand(ramp, 0, 0, { tolerance: 25 }).area).toBe(6); // 100..120
    expect(magicWand(ramp, 0, 0, { tolerance: 30 }).area).toBe(8); // 100..130 inclusive
    expect(magicWand(ramp, 5, 1, { tolerance: 0 }).area).toBe(2);
  });

  it('compares RGB per channel and ignores alpha unless asked', () => {
    // 3x1 RGBA: red, red with another alpha, a slightly different red
    const data = Uint8Array.of(200, 10, 10, 255, 200, 10, 10, 0, 200, 30, 10, 255);
    const image: ImageBuffer = { data, width: 3, height: 1, channels: 4 };
    expect(magicWand(image, 0, 0, { tolerance: 5 }).area).toBe(2);
    expect(magicWand(image, 0, 0, { tolerance: 5, compareAlpha: true }).area).toBe(1);
    expect(magicWand(image, 0, 0, { tolerance: 20 }).area).toBe(3);
    const rgb: ImageBuffer = { data: Uint8Array.of(0, 0, 0, 0, 9, 0, 0, 0, 0), width: 3, height: 1, channels: 3 };
    expect(magicWand(rgb, 0, 0, { tolerance: 8 }).area).toBe(1);
  });

  it('works on 16-bit data and returns nothing for a seed outside the image', () => {
    const image: ImageBuffer = { data: Uint16Array.of(1000, 1100, 4000), width: 3, height: 1, channels: 1 };
    expect(magicWand(image, 0, 0, { tolerance: 100 }).area).toBe(2);
    expect(magicWand(image, -1, 0, { tolerance: 100 })).toMatchObject({ area: 0, bbox: null });
    expect(() => magicWand({ ...image, channels: 3 }, 0, 0, { tolerance: 1 })).toThrow(RangeError);
  });
});

describe('scanline fill', () => {
  it('agrees with a brute-force BFS on random masks (4 and 8)', () => {
    const rnd = mulberry32(31);
    for (let t = 0; t < 60; t++) {
      const w = 1 + Math.floor(rnd() * 25);
      const h = 1 + Math.floor(rnd() * 25);
      const inside = noiseMask(rnd, w, h, 0.3 + rnd() * 0.5);
      const sx = Math.floor(rnd() * w);
      const sy = Math.floor(rnd() * h);
      for (const conn of [4, 8] as const) {
        const r = scanlineFill(w, h, sx, sy, (i) => inside[i] === 1, conn);
        const ref = bfs(inside, w, h, sx, sy, conn);
        expect(Array.from(r.mask)).toEqual(Array.from(ref));
        expect(r.area).toBe(ref.reduce((s, v) => s + v, 0));
      }
    }
  });

  it('fills a large open area without recursion limits', () => {
    const w = 1500;
    const h = 1500;
    const r = scanlineFill(w, h, 700, 700, () => true, 4);
    expect(r.area).toBe(w * h);
    // a spiral-like serpentine corridor forces many spans
    const { mask } = maskFromRows(Array.from({ length: 301 }, (_, y) => (y % 2 === 0 ? '1'.repeat(301) : y % 4 === 1 ? '0'.repeat(300) + '1' : '1' + '0'.repeat(300))));
    const s = scanlineFill(301, 301, 0, 0, (i) => mask[i] === 1, 4);
    expect(s.area).toBe(mask.reduce((a, v) => a + v, 0));
  });
});

describe('region fill on the label map', () => {
  const base = ['1100', '1022', '0002'];
  function make(): LabelMap {
    const ids = new Uint32Array(12);
    base.forEach((r, y) => {
      for (let x = 0; x < 4; x++) ids[y * 4 + x] = Number(r[x]);
    });
    return new LabelMap(4, 3, ids);
  }

  it('selects the same-id region', () => {
    const m = make();
    expect(rowsFromMask(regionAt(m, 1, 1).mask, 4, 3)).toEqual(['0000', '0100', '1110']);
    // 8-connected background reaches (2,0)-(3,0) through the corner at (1,1)/(2,0)
    expect(regionAt(m, 1, 1, 8).area).toBe(6);
  });

  it('bucket-fills a region with a new id, honouring locks', () => {
    const m = make();
    expect(fillRegion(m, 0, 2, { id: 5 })).toEqual({ x: 0, y: 1, width: 3, height: 2 });
    expect(rowsFromMask(m.ids, 4, 3)).toEqual(['1100', '1522', '5552']);
    const locked = make();
    expect(fillRegion(locked, 3, 2, { id: 5, isLocked: (id) => id === 2 })).toBeNull();
    expect(rowsFromMask(locked.ids, 4, 3)).toEqual(base);
  });
});
