/**
 * OpenCV's `cv2.fillPoly(img, [pts], color)` (lineType LINE_8, shift 0), ported from
 * `modules/imgproc/src/drawing.cpp` (CollectPolyEdges + FillEdgeCollection + the 8-connected
 * LineIterator), so that masks written for and read from Ultralytics (`polygon2mask`, which casts
 * the de-normalised polygon to int32 and calls fillPoly) match it pixel for pixel.
 *
 * Coordinates: integer points, pixel (x, y)'s CENTRE at (x, y). Every edge is drawn as an
 * 8-connected Bresenham line (left to right) and the scanline fill between edge pairs is added, so
 * the boundary itself is filled. Points outside the image are allowed (lines and spans are
 * clipped); callers that start from floats truncate them towards zero first, as numpy's int32
 * cast does (`cvInt`).
 */

const XY_SHIFT = 16;
const XY_ONE = 1 << XY_SHIFT;

/** numpy's float -> int32 cast: truncation towards zero. */
export function cvInt(v: number): number {
  return Math.trunc(v);
}

/** arithmetic right shift of a (possibly negative) integer held in a double */
function sar(v: number, n: number): number {
  return Math.floor(v / 2 ** n);
}

interface PolyEdge {
  y0: number;
  y1: number;
  x: number;
  dx: number;
  next: PolyEdge | null;
}

/** OpenCV clipLine (Cohen-Sutherland on the rectangle 0..w-1 x 0..h-1); null when the line misses it. */
function clipLine(w: number, h: number, ax: number, ay: number, bx: number, by: number): [number, number, number, number] | null {
  const right = w - 1;
  const bottom = h - 1;
  let x1 = ax;
  let y1 = ay;
  let x2 = bx;
  let y2 = by;
  const code = (x: number, y: number) => (x < 0 ? 1 : 0) + (x > right ? 2 : 0) + (y < 0 ? 4 : 0) + (y > bottom ? 8 : 0);
  let c1 = code(x1, y1);
  let c2 = code(x2, y2);
  if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
    let a: number;
    let b: number;
    if (c1 & 12) {
      a = c1 < 8 ? 0 : bottom;
      x1 += Math.trunc(((a - y1) * (x2 - x1)) / (y2 - y1));
      y1 = a;
      c1 = x1 < 0 ? 1 : x1 > right ? 2 : 0;
    }
    if (c2 & 12) {
      a = c2 < 8 ? 0 : bottom;
      x2 += Math.trunc(((a - y2) * (x2 - x1)) / (y2 - y1));
      y2 = a;
      c2 = x2 < 0 ? 1 : x2 > right ? 2 : 0;
    }
    if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
      if (c1) {
        a = c1 === 1 ? 0 : right;
        y1 += Math.trunc(((a - x1) * (y2 - y1)) / (x2 - x1));
        x1 = a;
        c1 = 0;
      }
      if (c2) {
        b = c2 === 1 ? 0 : right;
        y2 += Math.trunc(((b - x2) * (y2 - y1)) / (x2 - x1));
        x2 = b;
        c2 = 0;
      }
    }
  }
  if ((c1 | c2) !== 0) return null;
  return [x1, y1, x2, y2];
}

/** cv::Line with LINE_8 (LineIterator, left to right). */
function line(out: Uint8Array | Uint32Array, w: number, h: number, ax: number, ay: number, bx: number, by: number, value: number): void {
  let p1x = ax;
  let p1y = ay;
  let p2x = bx;
  let p2y = by;
  if (p1x < 0 || p1x >= w || p2x < 0 || p2x >= w || p1y < 0 || p1y >= h || p2y < 0 || p2y >= h) {
    const c = clipLine(w, h, p1x, p1y, p2x, p2y);
    if (!c) return;
    [p1x, p1y, p2x, p2y] = c;
  }
  let dx = p2x - p1x;
  let dy = p2y - p1y;
  const sx = 1;
  let sy = 1;
  if (dx < 0) {
    dx = -dx;
    dy = -dy;
    [p1x, p2x] = [p2x, p1x];
    [p1y, p2y] = [p2y, p1y];
  }
  if (dy < 0) {
    dy = -dy;
    sy = -1;
  }
  const vert = dy > dx;
  if (vert) [dx, dy] = [dy, dx];
  let err = dx - (dy + dy);
  const plusDelta = dx + dx;
  const minusDelta = -(dy + dy);
  // major step always, minor step when err < 0
  let x = p1x;
  let y = p1y;
  for (let i = 0; i <= dx; i++) {
    out[y * w + x] = value;
    const minor = err < 0;
    err += minusDelta + (minor ? plusDelta : 0);
    if (vert) {
      y += sy;
      if (minor) x += sx;
    } else {
      x += sx;
      if (minor) y += sy;
    }
  }
}

/**
 * Paints `cv2.fillPoly(img, [ring], value)` into row-major `out` (w x h). `ring`: flat
 * [x0, y0, x1, y1, ...] of integers (truncate floats with `cvInt` first). Several rings are one
 * call with several contours (even-odd between their edges, outlines all drawn).
 * Checked against OpenCV 4.6 (Debian 12) for polygons inside the image; lines that leave it are
 * clipped as OpenCV does, but that path is not yet pixel-exact (328/400 random cases agree); callers
 * clamp vertices into the image first.
 */
export function cvFillPoly(out: Uint8Array | Uint32Array, w: number, h: number, rings: readonly (readonly number[])[], value: number): void {
  const edges: PolyEdge[] = [];
  for (const ring of rings) {
    const n = ring.length >> 1;
    if (n === 0) continue;
    let p0x = ring[2 * (n - 1)]! * XY_ONE;
    let p0y = ring[2 * (n - 1) + 1]!;
    for (let i = 0; i < n; i++) {
      const p1x = ring[2 * i]! * XY_ONE;
      const p1y = ring[2 * i + 1]!;
      let c0x = p0x;
      let c0y = p0y;
      let c1x = p1x;
      let c1y = p1y;
      const t0x = sar(p0x + (XY_ONE >> 1), XY_SHIFT);
      const t1x = sar(p1x + (XY_ONE >> 1), XY_SHIFT);
      line(out, w, h, t0x, p0y, t1x, p1y, value);
      // fill edges run from vertex to vertex (those of a line that leaves the image from its clipped
      // ends); a span covers the pixels from ceil(left) to floor(right) (OpenCV 4.6)
      if (t0x < 0 || t0x >= w || t1x < 0 || t1x >= w || p0y < 0 || p0y >= h || p1y < 0 || p1y >= h) {
        const c = clipLine(w, h, t0x, p0y, t1x, p1y);
        if (c && c[1] !== c[3]) {
          c0y = c[1];
          c1y = c[3];
          c0x = c[0] * XY_ONE;
          c1x = c[2] * XY_ONE;
        }
      }
      if (p0y !== p1y) {
        const edx = Math.trunc((c1x - c0x) / (c1y - c0y));
        if (p0y < p1y) edges.push({ y0: p0y, y1: p1y, x: c0x, dx: edx, next: null });
        else edges.push({ y0: p1y, y1: p0y, x: c1x, dx: edx, next: null });
      }
      p0x = p1x;
      p0y = p1y;
    }
  }
  fillEdges(out, w, h, edges, value);
}

function fillEdges(out: Uint8Array | Uint32Array, w: number, h: number, edges: PolyEdge[], value: number): void {
  const total = edges.length;
  if (total < 2) return;
  let yMax = -Infinity;
  let yMin = Infinity;
  let xMax = -Infinity;
  let xMin = Infinity;
  for (const e of edges) {
    const x1 = e.x + (e.y1 - e.y0) * e.dx;
    yMin = Math.min(yMin, e.y0);
    yMax = Math.max(yMax, e.y1);
    xMin = Math.min(xMin, e.x, x1);
    xMax = Math.max(xMax, e.x, x1);
  }
  if (yMax < 0 || yMin >= h || xMax < 0 || xMin >= w * XY_ONE) return;
  edges.sort((a, b) => (a.y0 !== b.y0 ? a.y0 - b.y0 : a.x !== b.x ? a.x - b.x : a.dx - b.dx));
  const sentinel: PolyEdge = { y0: Number.MAX_SAFE_INTEGER, y1: 0, x: 0, dx: 0, next: null };
  edges.push(sentinel);
  const tmp: PolyEdge = { y0: 0, y1: 0, x: 0, dx: 0, next: null };
  let i = 0;
  let e = edges[0]!;
  yMax = Math.min(yMax, h);
  for (let y = e.y0; y < yMax; y++) {
    let draw = false;
    const clipline = y < 0;
    let prelast: PolyEdge = tmp;
    let last = tmp.next;
    while (last || e.y0 === y) {
      if (last && last.y1 === y) {
        prelast.next = last.next;
        last = last.next;
        continue;
      }
      const keep = prelast;
      if (last && (e.y0 > y || last.x < e.x)) {
        prelast = last;
        last = last.next;
      } else if (i < total) {
        prelast.next = e;
        e.next = last;
        prelast = e;
        e = edges[++i]!;
      } else break;
      if (draw) {
        if (!clipline) {
          let x1: number;
          let x2: number;
          if (keep.x > prelast.x) {
            x1 = sar(prelast.x + XY_ONE - 1, XY_SHIFT);
            x2 = sar(keep.x, XY_SHIFT);
          } else {
            x1 = sar(keep.x + XY_ONE - 1, XY_SHIFT);
            x2 = sar(prelast.x, XY_SHIFT);
          }
          if (x1 < w && x2 >= 0) {
            if (x1 < 0) x1 = 0;
            if (x2 >= w) x2 = w - 1;
            out.fill(value, y * w + x1, y * w + x2 + 1);
          }
        }
        keep.x += keep.dx;
        prelast.x += prelast.dx;
      }
      draw = !draw;
    }
    // bubble sort of the active list by x
    let keepPrelast: PolyEdge | null = null;
    do {
      prelast = tmp;
      last = tmp.next;
      let lastExchange: PolyEdge | null = null;
      while (last && last !== keepPrelast && last.next) {
        const te: PolyEdge = last.next;
        if (last.x > te.x) {
          prelast.next = te;
          last.next = te.next;
          te.next = last;
          prelast = te;
          lastExchange = prelast;
        } else {
          prelast = last;
          last = te;
        }
      }
      if (!lastExchange) break;
      keepPrelast = lastExchange;
    } while (keepPrelast !== tmp.next && keepPrelast !== tmp);
  }
}
