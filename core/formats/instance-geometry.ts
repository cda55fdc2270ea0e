/**
 * Geometry shared by the format readers and writers (painting an RLE into an id map is
 * core/mask `paintRle`): tracing one instance into polygons (on its bounding box only), and joining polygons with holes
 * into one ring for formats that allow a single ring per object.
 *
 * Polygon convention here: pycocotools (`polygonToRle`), which COCO uses. Traced outlines have
 * their vertices on pixel corners, so they rasterise back to exactly the same pixels. (LabelMe and
 * YOLO-seg follow their own tools' fillers, PIL and cv2.fillPoly: see labelme.ts and yolo-seg.ts.)
 */
import { traceContours } from '../mask/contour';
import { dedupeRing, ringArea } from '../mask/polygon';
import type { Rle } from '../mask/rle';
import type { PolygonWithHoles, Rect } from '../mask/types';
import { describeValue } from './json-file';

/**
 * Outline of the pixels equal to `id` inside `bbox` (its bounding box), in image coordinates:
 * one polygon per 8-connected component, holes attached, vertices on pixel corners.
 */
export function instancePolygons(ids: Uint32Array, width: number, id: number, bbox: Rect): PolygonWithHoles[] {
  const { x: bx, y: by, width: bw, height: bh } = bbox;
  const crop = new Uint8Array(bw * bh);
  for (let r = 0; r < bh; r++) {
    const s = (by + r) * width + bx;
    const o = r * bw;
    for (let c = 0; c < bw; c++) if (ids[s + c] === id) crop[o + c] = 1;
  }
  const polys = traceContours(crop, bw, bh, { connectivity: 8 });
  const shift = (ring: number[]): number[] => {
    for (let k = 0; k < ring.length; k += 2) {
      ring[k] = ring[k]! + bx;
      ring[k + 1] = ring[k + 1]! + by;
    }
    return ring;
  };
  for (const p of polys) {
    shift(p.outer);
    for (const h of p.holes) shift(h);
  }
  return polys;
}

/**
 * Joins rings into ONE ring by zero-width bridges: each further ring is spliced in at its first
 * vertex, reached from the nearest vertex of the ring built so far, and the walk comes back the
 * same way. Under a parity fill (pycocotools' rasteriser) a bridge walked there and back adds
 * nothing, so the result fills exactly `outer XOR ring2 XOR ...`: holes stay holes and disjoint
 * components stay filled. Fillers that also draw the outline (cv2, PIL) add the bridge's pixels.
 */
export function bridgeRings(rings: readonly (readonly number[])[]): number[] {
  if (rings.length === 0) return [];
  let out = rings[0]!.slice();
  for (let r = 1; r < rings.length; r++) {
    const ring = rings[r]!;
    if (ring.length < 2) continue;
    const hx = ring[0]!;
    const hy = ring[1]!;
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < out.length; k += 2) {
      const dx = out[k]! - hx;
      const dy = out[k + 1]! - hy;
      const d = dx * dx + dy * dy;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    // ..., out[best], ring[0], ring[1], ..., ring[last], ring[0], out[best], out[best+1], ...
    out = out.slice(0, best + 2).concat(ring as number[], [hx, hy, out[best]!, out[best + 1]!], out.slice(best + 2));
  }
  return out;
}

/** All rings of polygons-with-holes as one ring (see bridgeRings). */
export function singleRing(polys: readonly PolygonWithHoles[]): number[] {
  const rings: number[][] = [];
  for (const p of polys) {
    rings.push(p.outer);
    rings.push(...p.holes);
  }
  return bridgeRings(rings);
}

/** Whether two RLEs hold identical counts (pycocotools counts are canonical, so equal masks match). */
export function sameRle(a: Rle, b: Rle): boolean {
  if (a.width !== b.width || a.height !== b.height || a.counts.length !== b.counts.length) return false;
  for (let i = 0; i < a.counts.length; i++) if (a.counts[i] !== b.counts[i]) return false;
  return true;
}

export type RingCheck =
  | { ok: true; ring: number[]; outside: number }
  | { ok: false; code: 'empty-polygon' | 'degenerate-polygon'; message: string };

/**
 * Checks an imported flat ring [x0, y0, x1, y1, ...]: numbers only, an even count, at least 3
 * distinct points, a non-zero area. `outside` counts vertices outside [0, width] x [0, height]
 * (the rasteriser clips them).
 */
export function checkRing(flat: readonly unknown[], width: number, height: number): RingCheck {
  if (flat.length === 0) return { ok: false, code: 'empty-polygon', message: 'the polygon has no coordinates' };
  for (let k = 0; k < flat.length; k++) {
    const v = flat[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return { ok: false, code: 'degenerate-polygon', message: `coordinate ${k} is ${describeValue(v)}, not a finite number` };
    }
  }
  const ring = flat as number[];
  if (ring.length % 2 !== 0) return { ok: false, code: 'degenerate-polygon', message: `the polygon has an odd number of coordinates (${ring.length})` };
  const distinct = dedupeRing(ring);
  const k = distinct.length >> 1;
  if (k < 3) {
    return { ok: false, code: 'degenerate-polygon', message: `the polygon has ${k} distinct point${k === 1 ? '' : 's'}; at least 3 are needed` };
  }
  if (Math.abs(ringArea(distinct)) < 1e-9) return { ok: false, code: 'degenerate-polygon', message: 'the polygon has zero area (all points on a line)' };
  let outside = 0;
  for (let j = 0; j < ring.length; j += 2) {
    const x = ring[j]!;
    const y = ring[j + 1]!;
    if (x < 0 || y < 0 || x > width || y > height) outside++;
  }
  return { ok: true, ring, outside };
}
