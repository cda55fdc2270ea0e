import { describe, expect, it } from 'vitest';
import {
  decodeRle,
  encodeMask,
  fillPolygon,
  fillPolygonsWithHoles,
  polygonWithHolesToRle,
  rleIou,
  ringArea,
  simplifyPolyline,
  simplifyRing,
  traceContours,
  type PolygonWithHoles,
} from '../../../core/mask/index';
import { blobMask, maskFromRows, mulberry32, noiseMask, randomInt, rowsFromMask, sameBytes } from './helpers';

function cocoBack(polys: PolygonWithHoles[], w: number, h: number): Uint8Array {
  return decodeRle(polygonWithHolesToRle(polys, w, h));
}

describe('traceContours', () => {
  it('traces a rectangle as four corners, clockwise on screen', () => {
    const { mask, width, height } = maskFromRows(['0000', '0110', '0110', '0000']);
    expect(traceContours(mask, width, height)).toEqual([{ outer: [3, 1, 3, 3, 1, 3, 1, 1], holes: [] }]);
  });

  it('traces an L shape with six corners', () => {
    const { mask, width, height } = maskFromRows(['100', '100', '111']);
    const [p] = traceContours(mask, width, height);
    expect(p!.outer.length / 2).toBe(6);
    expect(ringArea(p!.outer)).toBe(5);
  });

  it('returns a ring with a hole, oriented oppositely', () => {
    const { mask, width, height } = maskFromRows(['11111', '10001', '10101', '10001', '11111']);
    const polys = traceContours(mask, width, height);
    // ring with a hole, and the centre pixel as its own polygon
    expect(polys).toHaveLength(2);
    expect(ringArea(polys[0]!.outer)).toBe(25);
    expect(polys[0]!.holes).toHaveLength(1);
    expect(ringArea(polys[0]!.holes[0]!)).toBe(-9);
    expect(polys[1]).toEqual({ outer: [3, 2, 3, 3, 2, 3, 2, 2], holes: [] });
    expect(sameBytes(cocoBack(polys, width, height), mask)).toBe(true);
  });

  const diagonal = maskFromRows(['1100', '1100', '0011', '0011']);

  it('joins corner-touching pixels into one polygon with 8-connectivity', () => {
    const polys = traceContours(diagonal.mask, 4, 4, { connectivity: 8 });
    expect(polys).toHaveLength(1);
    expect(ringArea(polys[0]!.outer)).toBe(8);
    // the outline passes the shared corner (2, 2) twice
    const corners = polys[0]!.outer.reduce<number>((n, v, i, a) => (i % 2 === 0 && v === 2 && a[i + 1] === 2 ? n + 1 : n), 0);
    expect(corners).toBe(2);
  });

  it('keeps them apart with 4-connectivity', () => {
    const polys = traceContours(diagonal.mask, 4, 4, { connectivity: 4 });
    expect(polys).toHaveLength(2);
    expect(polys.map((p) => ringArea(p.outer))).toEqual([4, 4]);
  });

  it('treats a diagonal gap in a ring as closed (8) or open (4)', () => {
    // the background inside touches the outside only through a corner
    const { mask, width, height } = maskFromRows(['11100', '10010', '10010', '11110']);
    expect(traceContours(mask, width, height, { connectivity: 8 })[0]!.holes).toHaveLength(1);
    expect(traceContours(mask, width, height, { connectivity: 4 })[0]!.holes).toHaveLength(0);
    for (const connectivity of [4, 8] as const) {
      expect(sameBytes(cocoBack(traceContours(mask, width, height, { connectivity }), width, height), mask)).toBe(true);
    }
  });

  it('handles pixels on every border and an empty mask', () => {
    const full = new Uint8Array(12).fill(1);
    expect(traceContours(full, 4, 3)).toEqual([{ outer: [4, 0, 4, 3, 0, 3, 0, 0], holes: [] }]);
    expect(traceContours(new Uint8Array(12), 4, 3)).toEqual([]);
  });

  it('round-trips 400 seeded random masks exactly through COCO and scanline rasterisation', () => {
    // Exactness claim: unsimplified contours reproduce the mask bit for bit, for both
    // connectivities, with pycocotools' convention (even-odd over the rings) and with the editor's
    // pixel-centre fill (even-odd, non-zero, and outer-minus-holes).
    const rnd = mulberry32(2024);
    for (let t = 0; t < 400; t++) {
      const w = randomInt(rnd, 1, 24);
      const h = randomInt(rnd, 1, 24);
      const mask = t % 2 ? noiseMask(rnd, w, h, rnd()) : blobMask(rnd, w, h);
      for (const connectivity of [4, 8] as const) {
        const polys = traceContours(mask, w, h, { connectivity });
        const rings = polys.flatMap((p) => [p.outer, ...p.holes]);
        expect(sameBytes(cocoBack(polys, w, h), mask)).toBe(true);
        expect(sameBytes(fillPolygon(rings, w, h, 'evenodd'), mask)).toBe(true);
        expect(sameBytes(fillPolygon(rings, w, h, 'nonzero'), mask)).toBe(true);
        expect(sameBytes(fillPolygonsWithHoles(polys, w, h), mask)).toBe(true);
        for (const p of polys) {
          expect(ringArea(p.outer)).toBeGreaterThan(0);
          for (const hole of p.holes) expect(ringArea(hole)).toBeLessThan(0);
        }
      }
    }
  });
});

describe('Douglas-Peucker simplification', () => {
  it('keeps end points and drops points within tolerance', () => {
    expect(simplifyPolyline([0, 0, 1, 0.1, 2, -0.1, 3, 5, 4, 6], 0.5)).toEqual([0, 0, 2, -0.1, 3, 5, 4, 6]);
    expect(simplifyPolyline([0, 0, 1, 0.1, 2, 0], 0.5)).toEqual([0, 0, 2, 0]);
    expect(simplifyPolyline([0, 0, 1, 0.1, 2, 0], 0)).toEqual([0, 0, 1, 0.1, 2, 0]);
  });

  it('simplifies a closed staircase to a few vertices', () => {
    // a 40-step staircase triangle traced from a mask
    const n = 40;
    const m = new Uint8Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x <= y; x++) m[y * n + x] = 1;
    const [p] = traceContours(m, n, n);
    expect(p!.outer.length / 2).toBe(2 * n + 2);
    const s = simplifyRing(p!.outer, 1);
    expect(s.length / 2).toBeLessThanOrEqual(4);
    expect(s.length / 2).toBeGreaterThanOrEqual(3);
  });

  it('keeps a disc close to the mask with fewer vertices (measured exactness)', () => {
    // radius-20 disc: 92 corner vertices exact; 0.5 px -> 68 vertices, IoU 1.0;
    // 1 px -> 17 vertices, IoU 0.97 (COCO rasterisation of the simplified polygon vs the mask)
    const w = 64;
    const h = 64;
    const m = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x + 0.5 - 30) ** 2 + (y + 0.5 - 33) ** 2 <= 20 ** 2) m[y * w + x] = 1;
    const exact = traceContours(m, w, h);
    const ref = encodeMask(m, w, h);
    const vertices = (p: PolygonWithHoles[]): number => p[0]!.outer.length / 2;
    const half = traceContours(m, w, h, { simplifyTolerancePx: 0.5 });
    expect(vertices(half)).toBeLessThan(vertices(exact));
    expect(rleIou(polygonWithHolesToRle(half, w, h), ref)).toBeGreaterThanOrEqual(0.99);
    const one = traceContours(m, w, h, { simplifyTolerancePx: 1 });
    expect(vertices(one)).toBeLessThan(vertices(exact) / 4);
    expect(rleIou(polygonWithHolesToRle(one, w, h), ref)).toBeGreaterThanOrEqual(0.96);
  });

  it('drops holes that collapse below three vertices', () => {
    const { mask, width, height } = maskFromRows(['111', '101', '111']);
    const polys = traceContours(mask, width, height, { simplifyTolerancePx: 2 });
    expect(polys[0]!.holes.every((hole) => hole.length >= 6)).toBe(true);
    expect(rowsFromMask(mask, 3, 3)).toEqual(['111', '101', '111']);
  });
});
