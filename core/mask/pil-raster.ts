/**
 * PIL's rasterisers, ported from Pillow's `libImaging/Draw.c` so that masks read from and written
 * for tools built on `PIL.ImageDraw` (LabelMe's `shape_to_mask`, labelme2coco,
 * labelme_json_to_dataset) match them pixel for pixel.
 *
 * Coordinates: PIL puts pixel (x, y)'s CENTRE at the integer point (x, y). The Python layer
 * truncates every coordinate towards zero (`(int)xy[i]`) before drawing, so a polygon vertex at
 * (3.9, 2.2) is drawn at (3, 2).
 *
 * - `pilPolygon`: `ImageDraw.polygon(xy, fill=1, outline=1)`. With outline == fill Pillow draws the
 *   fill only (ImageDraw skips the outline pass when `ink == fill`); its scanline filler covers the
 *   boundary itself, both sides, so a polygon through pixel centres includes the pixels it passes
 *   through. Pillow changed the filler's corner handling twice: `'9.4'` is Pillow 9.4 to 11.0 (9.4
 *   also swaps reversed spans, 10.0 to 11.0 do not), `'11.3'` is Pillow 11.3 and later
 *   (11.1 and 11.2 are in between and not modelled). Tests compare `'9.4'` with the real Pillow.
 * - `pilRectangle`: `ImageDraw.rectangle(xy, fill=1, outline=1)`, all pixels x0..x1, y0..y1.
 * - `pilEllipse`: `ImageDraw.ellipse(xy, fill=1, outline=1)` (Pillow >= 8's `ellipseNew`,
 *   unchanged since), which LabelMe uses for circles.
 *
 * Every function paints `value` into a row-major `out` (width * height), clipping to the image.
 */

export type PilVersion = '9.4' | '11.3';

const f32 = Math.fround;

/** C's `(int)` of a double: truncation towards zero (clamped to the int range). */
export function pilInt(v: number): number {
  if (!(v > -2147483648)) return -2147483648;
  if (!(v < 2147483647)) return 2147483647;
  return Math.trunc(v);
}

/** Draw.c ROUND_UP on a float: half away from zero. */
function roundUp(f: number): number {
  return f >= 0 ? Math.floor(f32(f + 0.5)) : -Math.floor(f32(Math.abs(f) + 0.5));
}

/** Draw.c ROUND_DOWN on a float: half towards zero. */
function roundDown(f: number): number {
  return f >= 0 ? Math.ceil(f32(f - 0.5)) : -Math.ceil(f32(Math.abs(f) - 0.5));
}

/** C roundf: half away from zero. */
function roundf(f: number): number {
  return f >= 0 ? Math.floor(f + 0.5) : -Math.floor(-f + 0.5);
}

interface Edge {
  x0: number;
  y0: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  /** float32 */
  dx: number;
}

function addEdge(x0: number, y0: number, x1: number, y1: number): Edge {
  return {
    x0,
    y0,
    xmin: Math.min(x0, x1),
    xmax: Math.max(x0, x1),
    ymin: Math.min(y0, y1),
    ymax: Math.max(y0, y1),
    dx: y0 === y1 ? 0 : f32(f32(x1 - x0) / (y1 - y0)),
  };
}

/** hline8: Pillow 9.4 swaps reversed ends, later versions draw nothing for them. */
function hline(out: Uint8Array | Uint32Array, width: number, height: number, x0: number, y: number, x1: number, value: number, swap: boolean): void {
  if (y < 0 || y >= height) return;
  if (x0 > x1) {
    if (!swap) return;
    const t = x0;
    x0 = x1;
    x1 = t;
  }
  if (x0 < 0) x0 = 0;
  else if (x0 >= width) return;
  if (x1 < 0) return;
  else if (x1 >= width) x1 = width - 1;
  if (x0 <= x1) out.fill(value, y * width + x0, y * width + x1 + 1);
}

/** float32 x of an edge on row y: `(y - y0) * dx + x0` in C float arithmetic. */
function edgeX(e: Edge, y: number): number {
  return f32(f32((y - e.y0) * e.dx) + e.x0);
}

/**
 * `ImageDraw.polygon(xy, fill=value, outline=value)` on a single-band image. `xy` is a flat list
 * [x0, y0, x1, y1, ...] in PIL coordinates; each is truncated to an integer first, as Pillow does.
 */
export function pilPolygon(out: Uint8Array | Uint32Array, width: number, height: number, xy: ArrayLike<number>, value: number, version: PilVersion = '9.4'): void {
  const count = xy.length >> 1;
  if (count <= 0) return;
  const p = new Int32Array(2 * count);
  for (let i = 0; i < 2 * count; i++) p[i] = pilInt(xy[i]!);
  // ImagingDrawPolygon: the edge list (a horizontal edge continuing another one extends it)
  const e: Edge[] = [];
  let i = 0;
  for (; i < count - 1; i++) {
    const x0 = p[i * 2]!;
    const y0 = p[i * 2 + 1]!;
    const x1 = p[i * 2 + 2]!;
    const y1 = p[i * 2 + 3]!;
    if (y0 === y1 && i !== 0 && y0 === p[i * 2 - 1]) {
      const last = e[e.length - 1]!;
      if (x1 > x0 && x0 > p[i * 2 - 2]!) {
        last.xmax = x1;
        continue;
      } else if (x1 < x0 && x0 < p[i * 2 - 2]!) {
        last.xmin = x1;
        continue;
      }
    }
    e.push(addEdge(x0, y0, x1, y1));
  }
  if (p[i * 2] !== p[0] || p[i * 2 + 1] !== p[1]) e.push(addEdge(p[i * 2]!, p[i * 2 + 1]!, p[0]!, p[1]!));
  polygonGeneric(out, width, height, e, value, version);
}

function polygonGeneric(out: Uint8Array | Uint32Array, width: number, height: number, e: Edge[], value: number, version: PilVersion): void {
  const n = e.length;
  if (n <= 0) return;
  const swap = version === '9.4';
  let ymin = height - 1;
  let ymax = 0;
  const table: Edge[] = [];
  for (const ed of e) {
    if (ymin > ed.ymin) ymin = ed.ymin;
    if (ymax < ed.ymax) ymax = ed.ymax;
    if (ed.ymin === ed.ymax) {
      hline(out, width, height, ed.xmin, ed.ymin, ed.xmax, value, swap);
      continue;
    }
    table.push(ed);
  }
  if (ymin < 0) ymin = 0;
  if (ymax > height) ymax = height;
  const edgeCount = table.length;
  const xx = new Float32Array(edgeCount * 2);
  for (; ymin <= ymax; ymin++) {
    let j = 0;
    for (let ii = 0; ii < edgeCount; ii++) {
      const cur = table[ii]!;
      if (!(ymin >= cur.ymin && ymin <= cur.ymax)) continue;
      xx[j++] = edgeX(cur, ymin);
      if (ymin === cur.ymax && ymin < ymax) {
        xx[j] = xx[j - 1]!;
        j++;
      } else if (version === '9.4') {
        const xc = xx[j - 1]!;
        if (cur.dx !== 0 && roundf(xc) === xc) {
          for (let k = 0; k < ii; k++) {
            const other = table[k]!;
            if ((cur.dx > 0 && other.dx <= 0) || (cur.dx < 0 && other.dx >= 0)) continue;
            if (((ymin === cur.ymin && ymin === other.ymin) || (ymin === cur.ymax && ymin === other.ymax)) && xc === edgeX(other, ymin)) {
              const offset = ymin === ymax ? -1 : 1;
              const adj = edgeX(cur, ymin + offset);
              const adjO = edgeX(other, ymin + offset);
              // (Pillow writes xx[k], an edge index used as an intersection index; kept as is)
              if (ymin === cur.ymax) xx[k] = cur.dx > 0 ? Math.max(adj, adjO) + 1 : Math.min(adj, adjO) - 1;
              else xx[k] = cur.dx > 0 ? Math.min(adj, adjO) : Math.max(adj, adjO) + 1;
              break;
            }
          }
        }
      } else if ((ymin === cur.ymin || ymin === cur.ymax) && cur.dx !== 0) {
        for (let k = 0; k < ii; k++) {
          const other = table[k]!;
          if ((ymin !== other.ymin && ymin !== other.ymax) || other.dx === 0) continue;
          if (roundf(xx[j - 1]!) === roundf(edgeX(other, ymin))) {
            const offset = ymin === cur.ymax ? -1 : 1;
            const adj = edgeX(cur, ymin + offset);
            if (ymin + offset >= other.ymin && ymin + offset <= other.ymax) {
              const adjO = edgeX(other, ymin + offset);
              const xc = xx[j - 1]!;
              if (xc > f32(adj + 1) && xc > f32(adjO + 1)) xx[j - 1] = roundf(f32(Math.max(adj, adjO))) + 1;
              else if (xc < f32(adj - 1) && xc < f32(adjO - 1)) xx[j - 1] = roundf(f32(Math.min(adj, adjO))) - 1;
              break;
            }
          }
        }
      }
    }
    const row = Array.from(xx.subarray(0, j)).sort((a, b) => a - b);
    for (let k = 1; k < j; k += 2) hline(out, width, height, roundUp(row[k - 1]!), ymin, roundDown(row[k]!), value, swap);
  }
}

/** `ImageDraw.rectangle([(x0, y0), (x1, y1)], fill=value, outline=value)`, corners in either order. */
export function pilRectangle(out: Uint8Array | Uint32Array, width: number, height: number, x0f: number, y0f: number, x1f: number, y1f: number, value: number): void {
  let x0 = pilInt(x0f);
  let y0 = pilInt(y0f);
  let x1 = pilInt(x1f);
  let y1 = pilInt(y1f);
  if (x0 > x1) [x0, x1] = [x1, x0];
  if (y0 > y1) [y0, y1] = [y1, y0];
  if (y0 < 0) y0 = 0;
  else if (y0 >= height) return;
  if (y1 < 0) return;
  else if (y1 > height) y1 = height;
  for (let y = y0; y <= y1; y++) hline(out, width, height, x0, y, x1, value, true);
}

// Pillow's ellipse (Draw.c quarter_* / ellipse_* / ellipseNew), filled.

interface Quarter {
  a: number;
  b: number;
  cx: number;
  cy: number;
  ex: number;
  ey: number;
  finished: boolean;
  delta: (x: number, y: number) => number;
}

function quarterInit(a: number, b: number): Quarter {
  if (a < 0 || b < 0) return { a, b, cx: 0, cy: 0, ex: 0, ey: 0, finished: true, delta: () => 0 };
  // |a2 y^2 + b2 x^2 - a2 b2|; exact in doubles while the terms stay below 2^53, else BigInt
  const big = Math.max(a, b) > 8000;
  const a2 = a * a;
  const b2 = b * b;
  const delta = big
    ? (x: number, y: number): number => {
        const v = BigInt(a2) * BigInt(y) * BigInt(y) + BigInt(b2) * BigInt(x) * BigInt(x) - BigInt(a2) * BigInt(b2);
        return Number(v < 0n ? -v : v);
      }
    : (x: number, y: number): number => Math.abs(a2 * y * y + b2 * x * x - a2 * b2);
  return { a, b, cx: a, cy: b % 2, ex: a % 2, ey: b, finished: false, delta };
}

function quarterNext(s: Quarter): [number, number] | null {
  if (s.finished) return null;
  const ret: [number, number] = [s.cx, s.cy];
  if (s.cx === s.ex && s.cy === s.ey) {
    s.finished = true;
  } else {
    let nx = s.cx;
    let ny = s.cy + 2;
    let nd = s.delta(nx, ny);
    if (nx > 1) {
      let d = s.delta(s.cx - 2, s.cy + 2);
      if (nd > d) {
        nx = s.cx - 2;
        ny = s.cy + 2;
        nd = d;
      }
      d = s.delta(s.cx - 2, s.cy);
      if (nd > d) {
        nx = s.cx - 2;
        ny = s.cy;
      }
    }
    s.cx = nx;
    s.cy = ny;
  }
  return ret;
}

/** `ImageDraw.ellipse([x0, y0, x1, y1], fill=value, outline=value)`: the ellipse in that box. */
export function pilEllipse(out: Uint8Array | Uint32Array, width: number, height: number, x0f: number, y0f: number, x1f: number, y1f: number, value: number): void {
  const x0 = pilInt(x0f);
  const y0 = pilInt(y0f);
  const a = pilInt(x1f) - x0;
  const b = pilInt(y1f) - y0;
  if (a < 0 || b < 0) return;
  const w = a + b; // filled: width = a + b
  const leftmost = a % 2;
  const so = quarterInit(a, b);
  const first = w < 1 ? null : quarterNext(so);
  if (!first) return;
  let pr = first[0];
  let py = first[1];
  const si = quarterInit(a - 2 * (w - 1), b - 2 * (w - 1));
  let pl = leftmost;
  let finished = false;
  const span = (X0: number, Y: number, X1: number) =>
    hline(out, width, height, x0 + Math.trunc((X0 + a) / 2), y0 + Math.trunc((Y + b) / 2), x0 + Math.trunc((X1 + a) / 2), value, true);
  while (!finished) {
    const y = py;
    let l = pl;
    const r = pr;
    let nxt: [number, number] | null;
    while ((nxt = quarterNext(so)) !== null && nxt[1] <= y) {
      /* skip */
    }
    if (nxt === null) finished = true;
    else {
      pr = nxt[0];
      py = nxt[1];
    }
    while ((nxt = quarterNext(si)) !== null && nxt[1] <= y) l = nxt[0];
    pl = nxt === null ? leftmost : nxt[0];
    // ellipse_next emits up to 4 segments per step, last pushed first
    const segs: [number, number, number][] = [];
    if ((l > 0 || l < r) && y > 0) segs.push([l === 0 ? 2 : l, y, r]);
    if (y > 0) segs.push([-r, y, -l]);
    if (l > 0 || l < r) segs.push([l === 0 ? 2 : l, -y, r]);
    segs.push([-r, -y, -l]);
    for (let k = segs.length - 1; k >= 0; k--) span(segs[k]![0], segs[k]![1], segs[k]![2]);
  }
}
