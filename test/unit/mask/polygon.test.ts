import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decodeRle,
  dedupeRing,
  fillPolygon,
  fillPolygonsWithHoles,
  findSelfIntersection,
  polygonSpans,
  polygonsToRle,
  polygonToRle,
  polygonWithHolesToRle,
  rasterizePolygonsCoco,
  rleArea,
  rleBbox,
  rleToString,
  ringArea,
  ringBounds,
  validatePolygon,
} from '../../../core/mask/index';
import { rowsFromMask } from './helpers';

const VECTORS_PATH = fileURLToPath(new URL('../../../../shared/peers/coco-rle-vectors.json', import.meta.url));

/**
 * Generated offline with pycocotools 2.0.11: `r = frPyObjects(polygons, h, w)`, merged when there
 * are several (as annToRLE does), `r['counts']` and `area(r)`.
 */
const PYCOCOTOOLS_POLYGONS = [
  { name: 'pentagon, fractional coordinates', h: 12, w: 14, polygons: [[7.5, 10.77, 9.31, 2.7, 3.6, 10.48, 0.06, 9.85, 9.56, 5.62]], compressed: 'e01;0O10O00;0E1GOo1', area: 10 },
  { name: 'vertices outside the image (clipped)', h: 10, w: 10, polygons: [[1.45, 1.01, 0.59, 4.01, 5.08, 5.96, 13.92, 10.27, 7.2, 13.8, -0.12, -1.12]], compressed: '<2:O0001N2OO001O00', area: 20 },
  { name: 'self-intersecting bow tie', h: 10, w: 12, polygons: [[1, 1, 10, 8, 10, 1, 1, 8]], compressed: ';74N2N2N;0E2N2N2b0', area: 32 },
  { name: 'half-pixel coordinates', h: 9, w: 9, polygons: [[0.5, 0.5, 7.5, 1.5, 4.5, 8.5]], compressed: ':182N2N2NN2Nc0', area: 24 },
  { name: 'thin sliver', h: 8, w: 20, polygons: [[0, 2, 19.7, 2.3, 0, 2.6]], compressed: '21700000000000000000^2', area: 10 },
  { name: 'repeated vertex', h: 10, w: 10, polygons: [[2, 2, 2, 2, 8, 3, 5, 9]], compressed: 'f0192N3NO0N2Nc0', area: 19 },
  { name: 'two polygons, unioned', h: 12, w: 12, polygons: [[1, 1, 6, 1, 6, 6, 1, 6], [4, 4, 10, 4.5, 7, 11]], compressed: '=57000000120M00N3Me0', area: 43 },
  { name: 'random 9-gon', h: 20, w: 16, polygons: [[11.03, 0.79, 0.64, 9.27, 8.39, 16.51, 11.33, 9.25, 8.94, 4.46, 0.21, 3.46, 12.46, 3.61, 6.65, 0.07, 14.94, 2.78]], compressed: 'g01419OG28NG48LG68JG892O1N1NFL67IK27MG0o2', area: 87 },
  { name: 'axis-aligned rectangle on pixel corners', h: 6, w: 7, polygons: [[1, 2, 5, 2, 5, 5, 1, 5]], compressed: '83300000:', area: 12 },
  { name: 'whole image', h: 5, w: 4, polygons: [[0, 0, 4, 0, 4, 5, 0, 5]], compressed: '0d0', area: 20 },
];

describe('COCO polygon rasterisation (pycocotools frPoly)', () => {
  if (existsSync(VECTORS_PATH)) {
    it('reproduces the worked triangle of the reference vectors', () => {
      const pc = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')).polygon_convention;
      const rle = polygonToRle([1, 1, 8, 1, 1, 6], pc.w, pc.h);
      expect(rleToString(rle.counts)).toBe(pc.compressed);
      expect(rowsFromMask(decodeRle(rle), pc.w, pc.h)).toEqual(pc.rows);
      expect(rleArea(rle)).toBe(pc.area);
      expect(rleBbox(rle)).toEqual(pc.bbox);
    });
  } else {
    it.skip(`worked triangle skipped: ${VECTORS_PATH} not found`, () => {});
  }

  it('rasterises the worked triangle: left/top edges in, far vertices out', () => {
    const m = decodeRle(polygonToRle([1, 1, 8, 1, 1, 6], 10, 10));
    expect(rowsFromMask(m, 10, 10).slice(0, 7)).toEqual([
      '0000000000',
      '0111111000',
      '0111110000',
      '0111000000',
      '0110000000',
      '0100000000',
      '0000000000',
    ]);
  });

  for (const c of PYCOCOTOOLS_POLYGONS) {
    it(`matches pycocotools on "${c.name}"`, () => {
      const rle = c.polygons.length === 1 ? polygonToRle(c.polygons[0]!, c.w, c.h) : polygonsToRle(c.polygons, c.w, c.h);
      expect(rleToString(rle.counts)).toBe(c.compressed);
      expect(rleArea(rle)).toBe(c.area);
    });
  }

  it('covers exactly the pixels of a pixel-corner square', () => {
    expect(rowsFromMask(rasterizePolygonsCoco([[1, 1, 3, 1, 3, 3, 1, 3]], 5, 4), 5, 4)).toEqual([
      '00000',
      '01100',
      '01100',
      '00000',
    ]);
  });

  it('subtracts holes with polygonWithHolesToRle', () => {
    const poly = { outer: [0, 0, 5, 0, 5, 5, 0, 5], holes: [[1, 1, 1, 4, 4, 4, 4, 1]] };
    expect(rowsFromMask(decodeRle(polygonWithHolesToRle(poly, 5, 5)), 5, 5)).toEqual([
      '11111',
      '10001',
      '10001',
      '10001',
      '11111',
    ]);
  });

  it('returns an empty mask for no polygons and rejects odd coordinate lists', () => {
    expect(Array.from(polygonsToRle([], 3, 2).counts)).toEqual([6]);
    expect(() => polygonToRle([1, 2, 3], 4, 4)).toThrow(RangeError);
  });
});

describe('editor scanline fill (pixel centres)', () => {
  it('fills the pixels whose centres are inside', () => {
    // triangle (0,0) (6,0) (0,6): centre (x+.5, y+.5) inside when x + y + 1 < 6
    expect(rowsFromMask(fillPolygon([[0, 0, 6, 0, 0, 6]], 6, 6), 6, 6)).toEqual([
      '111110',
      '111100',
      '111000',
      '110000',
      '100000',
      '000000',
    ]);
  });

  it('uses half-open edges so adjacent polygons tile without overlap or gap', () => {
    const left = fillPolygon([[0, 0, 2.5, 0, 2.5, 3, 0, 3]], 5, 3);
    const right = fillPolygon([[2.5, 0, 5, 0, 5, 3, 2.5, 3]], 5, 3);
    // centre 2.5 lies on the shared edge: it goes to the polygon on its right
    expect(rowsFromMask(left, 5, 3)).toEqual(['11000', '11000', '11000']);
    expect(rowsFromMask(right, 5, 3)).toEqual(['00111', '00111', '00111']);
  });

  const outer = [0, 0, 7, 0, 7, 7, 0, 7];
  const innerSame = [2, 2, 5, 2, 5, 5, 2, 5]; // same orientation as outer
  const innerOpposite = [2, 2, 2, 5, 5, 5, 5, 2];

  it('even-odd makes any inner ring a hole', () => {
    const expected = ['1111111', '1111111', '1100011', '1100011', '1100011', '1111111', '1111111'];
    expect(rowsFromMask(fillPolygon([outer, innerSame], 7, 7, 'evenodd'), 7, 7)).toEqual(expected);
    expect(rowsFromMask(fillPolygon([outer, innerOpposite], 7, 7, 'evenodd'), 7, 7)).toEqual(expected);
  });

  it('non-zero keeps a same-direction inner ring filled and an opposite one as a hole', () => {
    expect(fillPolygon([outer, innerSame], 7, 7, 'nonzero').every((v) => v === 1)).toBe(true);
    expect(rowsFromMask(fillPolygon([outer, innerOpposite], 7, 7, 'nonzero'), 7, 7)[3]).toBe('1100011');
  });

  it('differs between rules on a self-overlapping pentagram', () => {
    const star: number[] = [];
    for (let k = 0; k < 5; k++) {
      const a = -Math.PI / 2 + (k * 4 * Math.PI) / 5;
      star.push(10 + 9 * Math.cos(a), 10 + 9 * Math.sin(a));
    }
    const eo = fillPolygon([star], 20, 20, 'evenodd');
    const nz = fillPolygon([star], 20, 20, 'nonzero');
    expect(eo[10 * 20 + 10]).toBe(0); // the centre pentagon is covered twice
    expect(nz[10 * 20 + 10]).toBe(1);
    expect(eo[3 * 20 + 10]).toBe(1); // a point of the star: both
    expect(nz[3 * 20 + 10]).toBe(1);
  });

  it('fillPolygonsWithHoles ignores ring orientation', () => {
    const a = fillPolygonsWithHoles([{ outer, holes: [innerSame] }], 7, 7);
    const b = fillPolygonsWithHoles([{ outer, holes: [innerOpposite] }], 7, 7);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.reduce((s, v) => s + v, 0)).toBe(49 - 9);
  });

  it('clips to the image and reports spans in order', () => {
    const spans: [number, number, number][] = [];
    polygonSpans([[-5, -5, 3.2, -5, 3.2, 2, -5, 2]], 6, 4, 'nonzero', (y, a, b) => spans.push([y, a, b]));
    expect(spans).toEqual([
      [0, 0, 3],
      [1, 0, 3],
    ]);
  });
});

describe('polygon validation', () => {
  it('accepts a simple polygon and reports its signed area', () => {
    const v = validatePolygon([0, 0, 4, 0, 4, 3, 0, 3]);
    expect(v.valid).toBe(true);
    expect(v.area).toBe(12); // clockwise on screen = positive
    expect(ringArea([0, 0, 0, 3, 4, 3, 4, 0])).toBe(-12);
  });

  it('reports too few points, counting repeated vertices once', () => {
    const v = validatePolygon([1, 1, 1, 1, 5, 5, 1, 1]);
    expect(v.valid).toBe(false);
    expect(v.issues.map((i) => i.kind)).toEqual(['too-few-points']);
    expect(v.issues[0]!.message).toMatch(/at least 3 distinct points, got 2/);
    expect(dedupeRing([1, 1, 1, 1, 5, 5, 1, 1])).toEqual([1, 1, 5, 5]);
  });

  it('reports zero area for collinear points', () => {
    const v = validatePolygon([0, 0, 2, 2, 4, 4]);
    expect(v.issues.map((i) => i.kind)).toContain('zero-area');
  });

  it('finds the crossing of a bow tie with its edges and point', () => {
    const v = validatePolygon([0, 0, 4, 4, 4, 0, 0, 4]);
    expect(v.valid).toBe(false);
    const issue = v.issues.find((i) => i.kind === 'self-intersection')!;
    expect(issue.edges).toEqual([0, 2]);
    expect(issue.point).toEqual({ x: 2, y: 2 });
    expect(issue.message).toBe('edges 0 and 2 intersect at (2, 2)');
  });

  it('detects a vertex touching another edge and a spike folding back', () => {
    // vertex 3 = (2, 0) lies on edge 0 from (0,0) to (4,0)
    expect(findSelfIntersection([0, 0, 4, 0, 4, 4, 2, 0, 0, 4])).not.toBeNull();
    // edge 1 goes right, edge 2 comes back over it
    expect(findSelfIntersection([0, 0, 4, 0, 6, 0, 5, 0, 5, 3])).not.toBeNull();
    expect(findSelfIntersection([0, 0, 4, 0, 4, 4, 2, 5, 0, 4])).toBeNull();
  });

  it('handles big simple rings quickly (sweep, not all pairs)', () => {
    const ring: number[] = [];
    const k = 5000;
    for (let j = 0; j < k; j++) {
      const a = (2 * Math.PI * j) / k;
      const r = 100 + 10 * Math.sin(7 * a);
      ring.push(200 + r * Math.cos(a), 200 + r * Math.sin(a));
    }
    const t0 = performance.now();
    expect(validatePolygon(ring).valid).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('reports non-finite and odd-length input', () => {
    expect(validatePolygon([0, 0, 1, NaN, 2, 2]).issues[0]!.kind).toBe('non-finite');
    expect(validatePolygon([0, 0, 1, 0, 1, 1, 0]).issues[0]!.kind).toBe('odd-length');
  });

  it('computes clipped pixel bounds', () => {
    expect(ringBounds([1.2, 1.5, 3.7, 1.5, 3.7, 4.1], 10, 10)).toEqual({ x: 1, y: 1, width: 3, height: 4 });
    expect(ringBounds([-5, -5, -1, -5, -1, -1], 10, 10)).toBeNull();
  });
});
