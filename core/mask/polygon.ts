/**
 * Polygon -> mask rasterisation, two conventions:
 *
 * 1. COCO (`polygonToRle`, `polygonsToRle`, `rasterizePolygonsCoco`): a port of pycocotools
 *    `rleFrPoly`, bit for bit. Vertices are scaled by 5 and rounded, edges are walked into dense
 *    integer points, and every crossing of a column centre (x + 0.5) becomes a boundary at
 *    y = ceil(crossing) of that column; runs alternate between boundaries. Pixel-corner polygons are
 *    thus exact (the square (1,1)-(3,3) covers pixels x, y in {1, 2}); slanted edges are quantised
 *    to 1/5 pixel. Several polygons of one annotation are unioned (pycocotools `merge`), as COCO
 *    does. `polygonWithHolesToRle` is our extension: it collects the boundaries of the outer ring
 *    and its holes together, i.e. even-odd over all rings, which subtracts holes exactly.
 *
 * 2. Editor scanline fill (`fillPolygon`, `polygonSpans`): pixel (x, y) is inside when its centre
 *    (x + 0.5, y + 0.5) is inside the path, by the even-odd or non-zero winding rule over all rings.
 *    Edges are half-open: a centre exactly on a left or top edge is inside, on a right or bottom edge
 *    outside, so polygons sharing an edge neither overlap nor leave a gap.
 *
 * Coordinates are flat rings [x0, y0, x1, y1, ...] in pixel units, x right, y down; (0, 0) is the
 * top-left corner of the top-left pixel.
 */
import type { FlatRing, PolygonWithHoles, Rect } from './types';
import { assertDims } from './types';
import { decodeRle, rleMerge, type Rle } from './rle';

export type FillRule = 'evenodd' | 'nonzero';

const SCALE = 5;

/** Growable list of boundary positions (column-major index x * h + y), reused between calls. */
class PosList {
  buf = new Float64Array(1024);
  len = 0;
  push(v: number): void {
    if (this.len === this.buf.length) {
      const next = new Float64Array(this.len * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = v;
  }
}
const sharedPos = new PosList();

/**
 * Appends pycocotools' boundary positions (x * h + y) of one ring to `acc`.
 *
 * rleFrPoly walks every edge of the 5x upsampled polygon point by point and keeps the steps where
 * the upsampled x changes onto a column centre ((x + 0.5) / 5 - 0.5 integral, i.e. x = 5k + 2).
 * This port computes the same points with the same double arithmetic (`| 0` is C's (int) cast into
 * an int), but on shallow edges it visits only every fifth step, the only ones that can qualify.
 */
function cocoBoundaries(xy: FlatRing, width: number, height: number, acc: PosList): void {
  const k = xy.length >> 1;
  if (k === 0) return;
  const maxCol = SCALE * (width - 1) + 2; // largest upsampled x on a column centre inside the image
  const emit = (xdi: number, vj: number, vp: number): void => {
    // xdi: the upsampled x of the step; qualifies when (xdi + 0.5) / 5 - 0.5 is an integer in [0, w-1]
    if (xdi < 2 || xdi > maxCol || (xdi - 2) % SCALE !== 0) return;
    let yd = ((vj < vp ? vj : vp) + 0.5) / SCALE - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > height) yd = height;
    acc.push(((xdi - 2) / SCALE) * height + Math.ceil(yd));
  };
  let pu = 0;
  let pv = 0;
  let x0 = (SCALE * xy[0]! + 0.5) | 0;
  let y0 = (SCALE * xy[1]! + 0.5) | 0;
  const xFirst = x0;
  const yFirst = y0;
  for (let j = 0; j < k; j++) {
    const x1 = j + 1 < k ? (SCALE * xy[2 * j + 2]! + 0.5) | 0 : xFirst;
    const y1 = j + 1 < k ? (SCALE * xy[2 * j + 3]! + 0.5) | 0 : yFirst;
    let xs = x0;
    let xe = x1;
    let ys = y0;
    let ye = y1;
    x0 = x1;
    y0 = y1;
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      let t = xs;
      xs = xe;
      xe = t;
      t = ys;
      ys = ye;
      ye = t;
    }
    if (dx >= dy) {
      const s = (ye - ys) / dx; // NaN for a zero-length edge, as in C; (NaN | 0) = 0 and is never used
      // first point of the edge against the last point of the previous one
      const t0 = flip ? dx : 0;
      const u0 = t0 + xs;
      const v0 = (ys + s * t0 + 0.5) | 0;
      if (j > 0 && u0 !== pu) emit(u0 < pu ? u0 : u0 - 1, v0, pv);
      if (!flip) {
        // u(d) = xs + d rises; the step d qualifies through u(d) - 1 = xs + d - 1
        let d = Math.max(1, 2 - xs + 1);
        d += (((2 - (xs + d - 1)) % SCALE) + SCALE) % SCALE;
        const dEnd = Math.min(dx, maxCol - xs + 1);
        for (; d <= dEnd; d += SCALE) emit(xs + d - 1, (ys + s * d + 0.5) | 0, (ys + s * (d - 1) + 0.5) | 0);
        pu = xs + dx;
        pv = (ys + s * dx + 0.5) | 0;
      } else {
        // u(d) = xs + t with t = dx - d falling; the step qualifies through u(d) itself, t in [0, dx-1]
        let t = Math.max(0, 2 - xs);
        t += (((2 - (xs + t)) % SCALE) + SCALE) % SCALE;
        const tEnd = Math.min(dx - 1, maxCol - xs);
        for (; t <= tEnd; t += SCALE) emit(xs + t, (ys + s * t + 0.5) | 0, (ys + s * (t + 1) + 0.5) | 0);
        pu = xs;
        pv = (ys + s * 0 + 0.5) | 0;
      }
    } else {
      // Steep edge: points (u, v) = (f(t), ys + t), t = 0..dy, f monotonic with steps of 0 or 1.
      // Each pair (t, t+1) where f changes qualifies through min(f(t), f(t+1)) = L and gives the
      // boundary v = ys + t; so find, for each column-centre L in range, the t where f crosses it.
      const s = (xe - xs) / dy;
      const t0 = flip ? dy : 0;
      const u0 = (xs + s * t0 + 0.5) | 0;
      if (j > 0 && u0 !== pu) emit(u0 < pu ? u0 : u0 - 1, t0 + ys, pv);
      const fa = (xs + 0.5) | 0; // f(0); s * 0 = 0 since s is finite here
      const fb = (xs + s * dy + 0.5) | 0;
      if (fa !== fb) {
        const rising = fb > fa;
        let L = Math.max(rising ? fa : fb, 2);
        L += (((2 - L) % SCALE) + SCALE) % SCALE;
        const lEnd = Math.min((rising ? fb : fa) - 1, maxCol);
        for (; L <= lEnd; L += SCALE) {
          let t = Math.floor((L + 0.5 - xs) / s) - (rising ? 1 : 0);
          if (t < 0) t = 0;
          else if (t > dy - 1) t = dy - 1;
          if (rising) {
            // want f(t) <= L < f(t + 1)
            while (t > 0 && ((xs + s * t + 0.5) | 0) > L) t--;
            while (t < dy - 1 && ((xs + s * (t + 1) + 0.5) | 0) <= L) t++;
          } else {
            // want f(t) > L >= f(t + 1)
            while (t > 0 && ((xs + s * t + 0.5) | 0) <= L) t--;
            while (t < dy - 1 && ((xs + s * (t + 1) + 0.5) | 0) > L) t++;
          }
          emit(L, ys + t, ys + t + 1);
        }
      }
      const tl = flip ? 0 : dy;
      pu = (xs + s * tl + 0.5) | 0;
      pv = tl + ys;
    }
  }
}

let sortTmp = new Float64Array(1024);
let colCount = new Int32Array(1024);

/**
 * Sorts positions x * height + y ascending: counting sort by column, then insertion sort inside
 * each column (a polygon crosses a column only a few times). Typed-array sort is ~10x slower here.
 */
function sortPositions(a: Float64Array, n: number, height: number): void {
  if (n < 24 || height === 0) {
    insertionSort(a, 0, n);
    return;
  }
  let xmin = Infinity;
  let xmax = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = Math.floor(a[i]! / height);
    if (x < xmin) xmin = x;
    if (x > xmax) xmax = x;
  }
  const range = xmax - xmin + 1;
  if (range > 8 * n + 1024) {
    a.subarray(0, n).sort();
    return;
  }
  if (colCount.length < range + 1) colCount = new Int32Array(2 * range + 2);
  if (sortTmp.length < n) sortTmp = new Float64Array(2 * n);
  const cnt = colCount;
  const tmp = sortTmp;
  cnt.fill(0, 0, range + 1);
  for (let i = 0; i < n; i++) cnt[Math.floor(a[i]! / height) - xmin + 1]!++;
  for (let c = 0; c < range; c++) cnt[c + 1] = cnt[c + 1]! + cnt[c]!;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    tmp[cnt[Math.floor(v / height) - xmin]!++] = v;
  }
  a.set(tmp.subarray(0, n));
  // columns are now contiguous and in order; finish each with insertion sort
  let start = 0;
  for (let c = 0; c < range && start < n; c++) {
    const end = cnt[c]!;
    if (end - start > 1) insertionSort(a, start, end);
    start = end;
  }
}

function insertionSort(a: Float64Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= from && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Sorted boundary positions -> counts, merging coincident boundaries exactly like rleFrPoly. */
function countsFromBoundaries(acc: PosList, width: number, height: number): Uint32Array {
  // every position is <= width * height, so sorting first and appending the end keeps the order
  sortPositions(acc.buf, acc.len, height);
  acc.push(width * height);
  const all = acc.buf;
  const k = acc.len;
  let p = 0;
  for (let j = 0; j < k; j++) {
    const t = all[j]!;
    all[j] = t - p;
    p = t;
  }
  const b = new Uint32Array(k);
  let m = 0;
  let j = 0;
  b[m++] = all[j++]!;
  while (j < k) {
    if (all[j]! > 0) b[m++] = all[j++]!;
    else {
      j++;
      if (j < k) b[m - 1] = b[m - 1]! + all[j++]!;
    }
  }
  acc.len = 0;
  return b.slice(0, m);
}

/** pycocotools `frPyObjects([ring], h, w)[0]`: COCO rasterisation of one polygon. */
export function polygonToRle(ring: FlatRing, width: number, height: number): Rle {
  assertDims(width, height);
  checkFlat(ring);
  const acc = sharedPos;
  acc.len = 0;
  cocoBoundaries(ring, width, height, acc);
  return { width, height, counts: countsFromBoundaries(acc, width, height) };
}

/** COCO segmentation given as a list of polygons: each rasterised, then unioned (pycocotools `annToRLE`). */
export function polygonsToRle(rings: readonly FlatRing[], width: number, height: number): Rle {
  if (rings.length === 0) return { width, height, counts: Uint32Array.of(width * height) };
  return rleMerge(
    rings.map((r) => polygonToRle(r, width, height)),
    false,
  );
}

/**
 * COCO-convention rasterisation of polygons with holes: all rings of each polygon are
 * combined even-odd (outer minus holes), then the polygons are unioned. Exact for pixel-corner
 * polygons such as the ones `traceContours` returns.
 */
export function polygonWithHolesToRle(polys: PolygonWithHoles | readonly PolygonWithHoles[], width: number, height: number): Rle {
  assertDims(width, height);
  const list = Array.isArray(polys) ? (polys as readonly PolygonWithHoles[]) : [polys as PolygonWithHoles];
  const rles = list.map((p) => ringsToRleEvenOdd([p.outer, ...p.holes], width, height));
  if (rles.length === 0) return { width, height, counts: Uint32Array.of(width * height) };
  return rleMerge(rles, false);
}

/** COCO convention, all rings combined by even-odd parity (one ring: identical to `polygonToRle`). */
export function ringsToRleEvenOdd(rings: readonly FlatRing[], width: number, height: number): Rle {
  assertDims(width, height);
  for (const r of rings) checkFlat(r);
  const acc = sharedPos;
  acc.len = 0;
  for (const r of rings) cocoBoundaries(r, width, height, acc);
  return { width, height, counts: countsFromBoundaries(acc, width, height) };
}

/** COCO-convention rasterisation of a polygon list (union) into a row-major 0/1 mask. */
export function rasterizePolygonsCoco(rings: readonly FlatRing[], width: number, height: number): Uint8Array {
  return decodeRle(polygonsToRle(rings, width, height));
}

function checkFlat(ring: FlatRing): void {
  if (ring.length % 2 !== 0) throw new RangeError(`a flat ring needs an even number of coordinates, got ${ring.length}`);
}

// ---------------------------------------------------------------------------------------------
// Editor scanline fill (pixel centres)

/**
 * Calls `span(y, x0, x1)` for every run of pixels [x0, x1) in row y whose centres are inside the
 * path formed by all `rings` under `fillRule`. Rows come in increasing y, spans in increasing x.
 */
export function polygonSpans(
  rings: readonly FlatRing[],
  width: number,
  height: number,
  fillRule: FillRule,
  span: (y: number, x0: number, x1: number) => void,
): void {
  assertDims(width, height);
  if (width === 0 || height === 0) return;
  // Edge table: per edge, the rows whose centre lies in [yTop, yBottom).
  const ex0: number[] = [];
  const ey0: number[] = [];
  const slope: number[] = [];
  const dir: number[] = [];
  const rowFrom: number[] = [];
  const rowTo: number[] = [];
  let minRow = height;
  let maxRow = -1;
  for (const ring of rings) {
    checkFlat(ring);
    const k = ring.length >> 1;
    for (let j = 0; j < k; j++) {
      const xa = ring[2 * j]!;
      const ya = ring[2 * j + 1]!;
      const jn = j + 1 === k ? 0 : j + 1;
      const xb = ring[2 * jn]!;
      const yb = ring[2 * jn + 1]!;
      if (ya === yb || !Number.isFinite(ya) || !Number.isFinite(yb) || !Number.isFinite(xa) || !Number.isFinite(xb)) continue;
      const top = Math.min(ya, yb);
      const bot = Math.max(ya, yb);
      const r0 = Math.max(0, Math.ceil(top - 0.5));
      const r1 = Math.min(height - 1, Math.ceil(bot - 0.5) - 1);
      if (r1 < r0) continue;
      ex0.push(xa);
      ey0.push(ya);
      slope.push((xb - xa) / (yb - ya));
      dir.push(yb > ya ? 1 : -1);
      rowFrom.push(r0);
      rowTo.push(r1);
      if (r0 < minRow) minRow = r0;
      if (r1 > maxRow) maxRow = r1;
    }
  }
  const ne = ex0.length;
  if (ne === 0) return;
  // Bucket edges by their first row; keep an active list while sweeping down.
  const order = Array.from({ length: ne }, (_, i) => i).sort((a, b) => rowFrom[a]! - rowFrom[b]!);
  let next = 0;
  let active: number[] = [];
  const xs: number[] = [];
  const ds: number[] = [];
  for (let y = minRow; y <= maxRow; y++) {
    while (next < ne && rowFrom[order[next]!]! <= y) active.push(order[next++]!);
    active = active.filter((e) => rowTo[e]! >= y);
    if (active.length === 0) continue;
    const yc = y + 0.5;
    xs.length = 0;
    ds.length = 0;
    for (const e of active) {
      const xi = ex0[e]! + (yc - ey0[e]!) * slope[e]!;
      // insertion sort by x (active lists are short)
      let i = xs.length;
      xs.push(xi);
      ds.push(dir[e]!);
      while (i > 0 && xs[i - 1]! > xi) {
        xs[i] = xs[i - 1]!;
        ds[i] = ds[i - 1]!;
        i--;
      }
      xs[i] = xi;
      ds[i] = dir[e]!;
    }
    let wind = 0;
    let start = 0;
    for (let i = 0; i < xs.length; i++) {
      const before = wind;
      wind = fillRule === 'evenodd' ? wind ^ 1 : wind + ds[i]!;
      if (before === 0 && wind !== 0) start = xs[i]!;
      else if (before !== 0 && wind === 0) {
        const a = Math.max(0, Math.ceil(start - 0.5));
        const b = Math.min(width, Math.ceil(xs[i]! - 0.5));
        if (b > a) span(y, a, b);
      }
    }
  }
}

/** Editor fill of a path (all rings together) into a new row-major 0/1 mask. */
export function fillPolygon(rings: readonly FlatRing[], width: number, height: number, fillRule: FillRule = 'evenodd'): Uint8Array {
  const m = new Uint8Array(width * height);
  polygonSpans(rings, width, height, fillRule, (y, a, b) => m.fill(1, y * width + a, y * width + b));
  return m;
}

/**
 * Editor fill of polygons with holes: each polygon is its outer ring minus the union of its holes,
 * whatever the rings' orientation; polygons are unioned. Pixel-centre convention.
 */
export function fillPolygonsWithHoles(polys: readonly PolygonWithHoles[], width: number, height: number): Uint8Array {
  const m = new Uint8Array(width * height);
  const tmp = new Uint8Array(width * height);
  for (const p of polys) {
    let y0 = height;
    let y1 = -1;
    let x0 = width;
    let x1 = -1;
    polygonSpans([p.outer], width, height, 'nonzero', (y, a, b) => {
      tmp.fill(1, y * width + a, y * width + b);
      if (y < y0) y0 = y;
      y1 = y;
      if (a < x0) x0 = a;
      if (b > x1) x1 = b;
    });
    if (y1 < 0) continue;
    if (p.holes.length) polygonSpans(p.holes, width, height, 'nonzero', (y, a, b) => tmp.fill(0, y * width + a, y * width + b));
    for (let y = y0; y <= y1; y++) {
      const row = y * width;
      for (let i = row + x0; i < row + x1; i++) {
        if (tmp[i]) {
          m[i] = 1;
          tmp[i] = 0;
        }
      }
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Geometry helpers and validation

/** Signed shoelace area; positive for rings that run clockwise on screen (y down). */
export function ringArea(ring: FlatRing): number {
  const k = ring.length >> 1;
  let s = 0;
  for (let j = 0; j < k; j++) {
    const jn = j + 1 === k ? 0 : j + 1;
    s += ring[2 * j]! * ring[2 * jn + 1]! - ring[2 * jn]! * ring[2 * j + 1]!;
  }
  return s / 2;
}

/** Smallest pixel rect containing the ring's pixel-centre fill (clipped to the image), or null. */
export function ringBounds(ring: FlatRing, width: number, height: number): Rect | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let j = 0; j + 1 < ring.length; j += 2) {
    minX = Math.min(minX, ring[j]!);
    maxX = Math.max(maxX, ring[j]!);
    minY = Math.min(minY, ring[j + 1]!);
    maxY = Math.max(maxY, ring[j + 1]!);
  }
  const x0 = Math.max(0, Math.floor(minX));
  const y0 = Math.max(0, Math.floor(minY));
  const x1 = Math.min(width, Math.ceil(maxX));
  const y1 = Math.min(height, Math.ceil(maxY));
  if (!(x1 > x0 && y1 > y0)) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

export type PolygonIssueKind = 'odd-length' | 'non-finite' | 'too-few-points' | 'zero-area' | 'self-intersection';

export interface PolygonIssue {
  kind: PolygonIssueKind;
  message: string;
  /** for self-intersection: indices of the two edges (edge i runs from vertex i to vertex i+1) */
  edges?: [number, number];
  /** for self-intersection: a point where they meet */
  point?: { x: number; y: number };
}

export interface PolygonValidation {
  valid: boolean;
  issues: PolygonIssue[];
  /** signed area after dropping repeated consecutive vertices */
  area: number;
  /** distinct vertex count after dropping repeated consecutive vertices (and a closing repeat) */
  vertexCount: number;
}

/** Drops consecutive duplicate vertices and a last vertex equal to the first. */
export function dedupeRing(ring: FlatRing): number[] {
  const out: number[] = [];
  for (let j = 0; j + 1 < ring.length; j += 2) {
    const x = ring[j]!;
    const y = ring[j + 1]!;
    const n = out.length;
    if (n >= 2 && out[n - 2] === x && out[n - 1] === y) continue;
    out.push(x, y);
  }
  while (out.length >= 4 && out[0] === out[out.length - 2] && out[1] === out[out.length - 1]) out.length -= 2;
  return out;
}

function orient(ax: number, ay: number, bx_: number, by_: number, cx: number, cy: number): number {
  const v = (bx_ - ax) * (cy - ay) - (by_ - ay) * (cx - ax);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(ax: number, ay: number, bx_: number, by_: number, px: number, py: number): boolean {
  return Math.min(ax, bx_) <= px && px <= Math.max(ax, bx_) && Math.min(ay, by_) <= py && py <= Math.max(ay, by_);
}

/** Whether closed segments AB and CD share a point; returns one such point or null. */
function segmentsMeet(
  ax: number, ay: number, bx_: number, by_: number,
  cx: number, cy: number, dx: number, dy: number,
): { x: number; y: number } | null {
  const o1 = orient(ax, ay, bx_, by_, cx, cy);
  const o2 = orient(ax, ay, bx_, by_, dx, dy);
  const o3 = orient(cx, cy, dx, dy, ax, ay);
  const o4 = orient(cx, cy, dx, dy, bx_, by_);
  if (o1 !== o2 && o3 !== o4 && o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0) {
    const den = (bx_ - ax) * (dy - cy) - (by_ - ay) * (dx - cx);
    const t = ((cx - ax) * (dy - cy) - (cy - ay) * (dx - cx)) / den;
    return { x: ax + t * (bx_ - ax), y: ay + t * (by_ - ay) };
  }
  if (o1 === 0 && onSegment(ax, ay, bx_, by_, cx, cy)) return { x: cx, y: cy };
  if (o2 === 0 && onSegment(ax, ay, bx_, by_, dx, dy)) return { x: dx, y: dy };
  if (o3 === 0 && onSegment(cx, cy, dx, dy, ax, ay)) return { x: ax, y: ay };
  if (o4 === 0 && onSegment(cx, cy, dx, dy, bx_, by_)) return { x: bx_, y: by_ };
  return null;
}

/**
 * First self-intersection of a closed ring (edges crossing, touching, or overlapping; adjacent
 * edges only count when they fold back over each other), or null. Sweep over x, so typical rings
 * of thousands of vertices are cheap.
 */
export function findSelfIntersection(ring: FlatRing): { edges: [number, number]; point: { x: number; y: number } } | null {
  const k = ring.length >> 1;
  if (k < 3) return null;
  const px = (i: number): number => ring[2 * (i % k)]!;
  const py = (i: number): number => ring[2 * (i % k) + 1]!;
  const idx = Array.from({ length: k }, (_, i) => i);
  const minX = idx.map((i) => Math.min(px(i), px(i + 1)));
  idx.sort((a, b) => minX[a]! - minX[b]!);
  const active: number[] = [];
  for (const i of idx) {
    const ax = px(i);
    const ay = py(i);
    const bx_ = px(i + 1);
    const by_ = py(i + 1);
    const lo = minX[i]!;
    for (let q = active.length - 1; q >= 0; q--) {
      if (Math.max(px(active[q]!), px(active[q]! + 1)) < lo) active.splice(q, 1);
    }
    for (const j of active) {
      const cx = px(j);
      const cy = py(j);
      const dx = px(j + 1);
      const dy = py(j + 1);
      if (Math.max(ay, by_) < Math.min(cy, dy) || Math.max(cy, dy) < Math.min(ay, by_)) continue;
      const adjacentNext = (i + 1) % k === j; // i ends where j starts
      const adjacentPrev = (j + 1) % k === i; // j ends where i starts
      if (adjacentNext || adjacentPrev) {
        // Adjacent edges share one vertex; they are only a problem when collinear and folding back.
        const [sx, sy, ox, oy, tx, ty] = adjacentNext ? [bx_, by_, ax, ay, dx, dy] : [ax, ay, bx_, by_, cx, cy];
        if (orient(ox, oy, sx, sy, tx, ty) === 0 && (ox - sx) * (tx - sx) + (oy - sy) * (ty - sy) > 0) {
          return { edges: [Math.min(i, j), Math.max(i, j)], point: { x: sx, y: sy } };
        }
        continue;
      }
      const p = segmentsMeet(ax, ay, bx_, by_, cx, cy, dx, dy);
      if (p) return { edges: [Math.min(i, j), Math.max(i, j)], point: p };
    }
    active.push(i);
  }
  return null;
}

/** Checks a flat ring: even length, finite numbers, >= 3 distinct vertices, non-zero area, simple. */
export function validatePolygon(ring: FlatRing): PolygonValidation {
  const issues: PolygonIssue[] = [];
  if (ring.length % 2 !== 0) {
    issues.push({ kind: 'odd-length', message: `a polygon needs x, y pairs; got ${ring.length} numbers` });
  }
  if (!ring.every((v) => Number.isFinite(v))) {
    issues.push({ kind: 'non-finite', message: 'a polygon coordinate is not a finite number' });
    return { valid: false, issues, area: 0, vertexCount: ring.length >> 1 };
  }
  const r = dedupeRing(ring);
  const k = r.length >> 1;
  const area = ringArea(r);
  if (k < 3) {
    issues.push({ kind: 'too-few-points', message: `a polygon needs at least 3 distinct points, got ${k}` });
    return { valid: false, issues, area, vertexCount: k };
  }
  if (Math.abs(area) < 1e-12) issues.push({ kind: 'zero-area', message: 'the polygon has zero area (all points on a line)' });
  const hit = findSelfIntersection(r);
  if (hit) {
    issues.push({
      kind: 'self-intersection',
      message: `edges ${hit.edges[0]} and ${hit.edges[1]} intersect at (${round3(hit.point.x)}, ${round3(hit.point.y)})`,
      edges: hit.edges,
      point: hit.point,
    });
  }
  return { valid: issues.length === 0, issues, area, vertexCount: k };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
