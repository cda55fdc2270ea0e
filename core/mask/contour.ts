/**
 * Mask -> polygons with holes, by tracing the cracks between foreground and background pixels
 * (vertices on pixel corners, like marching squares on the corner lattice), plus Douglas-Peucker
 * simplification.
 *
 * Orientation: outer rings run clockwise on screen (y down), i.e. positive `ringArea`; holes run
 * counter-clockwise (negative area); the foreground is always on the right of the direction of
 * travel. Only corner vertices are emitted (no collinear points).
 *
 * Connectivity: with 8 (default), foreground pixels touching at a corner belong to one polygon and
 * its outline passes through the shared corner twice; with 4, they are separate polygons (and the
 * background between them is one region). One polygon per connected component, holes attached.
 *
 * Exactness: unsimplified contours rasterise back to exactly the input mask with
 * `polygonWithHolesToRle` (COCO convention, even-odd over the rings) and with `fillPolygon`
 * (pixel centres, either fill rule): every vertex is a pixel corner, every edge is axis-aligned.
 * Simplified contours are approximations: on a radius-20 disc (92 corner vertices), 0.5 px keeps
 * 68 vertices and still rasterises back exactly, 1 px keeps 17 vertices at IoU 0.97 (tested).
 */
import { labelComponents } from './components';
import { ringArea } from './polygon';
import type { Connectivity, FlatRing, PolygonWithHoles } from './types';
import { assertDims } from './types';

export interface TraceOptions {
  connectivity?: Connectivity;
  /** Douglas-Peucker tolerance in pixels; 0 or absent keeps the exact staircase outline */
  simplifyTolerancePx?: number;
}

const DX = [1, 0, -1, 0]; // R, D, L, U
const DY = [0, 1, 0, -1];

/** Traces all boundary rings of a row-major mask (nonzero = foreground), grouped per component. */
export function traceContours(mask: ArrayLike<number>, width: number, height: number, options: TraceOptions = {}): PolygonWithHoles[] {
  assertDims(width, height, mask.length, 'mask');
  const connectivity = options.connectivity ?? 8;
  const eight = connectivity === 8;
  const fg = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] !== 0;
  const n = width * height;
  const visitedTop = new Uint8Array(n); // top side of pixel i traversed (the rightward edges)
  const comps = labelComponents(mask, width, height, connectivity);
  const outers: (number[] | null)[] = new Array<number[] | null>(comps.count + 1).fill(null);
  const holes: number[][][] = Array.from({ length: comps.count + 1 }, () => []);
  const extraOuters: PolygonWithHoles[] = [];

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mask[i] === 0 || visitedTop[i] || (y > 0 && mask[i - width] !== 0)) continue;
      // Walk from vertex (x, y) heading right along the top side of pixel (x, y).
      const pts: number[] = [];
      let cx = x;
      let cy = y;
      let dir = 0;
      for (;;) {
        if (dir === 0) visitedTop[cy * width + cx] = 1;
        cx += DX[dir]!;
        cy += DY[dir]!;
        const nw = fg(cx - 1, cy - 1);
        const ne = fg(cx, cy - 1);
        const sw = fg(cx - 1, cy);
        const se = fg(cx, cy);
        let nd: number;
        if (nw && se && !ne && !sw) nd = eight ? (dir + 3) & 3 : (dir + 1) & 3;
        else if (ne && sw && !nw && !se) nd = eight ? (dir + 3) & 3 : (dir + 1) & 3;
        else if (se && !ne) nd = 0;
        else if (sw && !se) nd = 1;
        else if (nw && !sw) nd = 2;
        else nd = 3;
        if (nd !== dir) pts.push(cx, cy);
        dir = nd;
        if (cx === x && cy === y && dir === 0) break;
      }
      const label = comps.labels[i]!;
      if (ringArea(pts) > 0) {
        if (outers[label]) extraOuters.push({ outer: pts, holes: [] });
        else outers[label] = pts;
      } else {
        holes[label]!.push(pts);
      }
    }
  }
  const out: PolygonWithHoles[] = [];
  for (let l = 1; l <= comps.count; l++) {
    const outer = outers[l];
    if (outer) out.push({ outer, holes: holes[l]! });
  }
  out.push(...extraOuters);
  const tol = options.simplifyTolerancePx ?? 0;
  return tol > 0 ? simplifyPolygons(out, tol) : out;
}

/** Simplifies every ring; rings reduced below 3 vertices are dropped (a polygon with its outer). */
export function simplifyPolygons(polys: readonly PolygonWithHoles[], tolerancePx: number): PolygonWithHoles[] {
  const out: PolygonWithHoles[] = [];
  for (const p of polys) {
    const outer = simplifyRing(p.outer, tolerancePx);
    if (outer.length < 6) continue;
    out.push({ outer, holes: p.holes.map((h) => simplifyRing(h, tolerancePx)).filter((h) => h.length >= 6) });
  }
  return out;
}

function segDist2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const l2 = dx * dx + dy * dy;
  let t = l2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / l2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = ax + t * dx - px;
  const ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/** Douglas-Peucker on an open polyline (flat); keeps both end points. Iterative. */
export function simplifyPolyline(line: FlatRing, tolerancePx: number): number[] {
  const k = line.length >> 1;
  if (k <= 2 || !(tolerancePx > 0)) return line.slice(0, k * 2);
  const keep = new Uint8Array(k);
  keep[0] = keep[k - 1] = 1;
  const tol2 = tolerancePx * tolerancePx;
  const stack: number[] = [0, k - 1];
  while (stack.length) {
    const b = stack.pop()!;
    const a = stack.pop()!;
    let best = -1;
    let bestD = tol2;
    const ax = line[2 * a]!;
    const ay = line[2 * a + 1]!;
    const bx = line[2 * b]!;
    const by = line[2 * b + 1]!;
    for (let j = a + 1; j < b; j++) {
      const d = segDist2(line[2 * j]!, line[2 * j + 1]!, ax, ay, bx, by);
      if (d > bestD) {
        bestD = d;
        best = j;
      }
    }
    if (best >= 0) {
      keep[best] = 1;
      stack.push(a, best, best, b);
    }
  }
  const out: number[] = [];
  for (let j = 0; j < k; j++) if (keep[j]) out.push(line[2 * j]!, line[2 * j + 1]!);
  return out;
}

/**
 * Douglas-Peucker on a closed ring: split at vertex 0 and the vertex farthest from it, simplify
 * both halves. Every removed vertex lies within `tolerancePx` of the result. May return fewer than
 * 3 vertices for thin rings; may introduce self-intersections in narrow places.
 */
export function simplifyRing(ring: FlatRing, tolerancePx: number): number[] {
  const k = ring.length >> 1;
  if (k <= 3 || !(tolerancePx > 0)) return ring.slice(0, k * 2);
  const x0 = ring[0]!;
  const y0 = ring[1]!;
  let far = 1;
  let farD = -1;
  for (let j = 1; j < k; j++) {
    const dx = ring[2 * j]! - x0;
    const dy = ring[2 * j + 1]! - y0;
    const d = dx * dx + dy * dy;
    if (d > farD) {
      farD = d;
      far = j;
    }
  }
  const first = simplifyPolyline(ring.slice(0, 2 * far + 2), tolerancePx);
  const second = simplifyPolyline([...ring.slice(2 * far), x0, y0], tolerancePx);
  // first ends with the far vertex, second starts with it and ends with vertex 0
  return [...first, ...second.slice(2, second.length - 2)];
}
