/**
 * Outlines through pixel CENTRES, for tools that fill polygons including their boundary (PIL's
 * `ImageDraw.polygon`, LabelMe's `shape_to_mask`; OpenCV's `fillPoly`, Ultralytics'
 * `polygon2mask`). Such a filler, given a polygon through the centres of a region's boundary
 * pixels, gives back exactly the region: the boundary pixels are on the outline and filled, the
 * rest are inside.
 *
 * Per 8-connected component: the outer boundary is traced with Moore-neighbour tracing (every
 * step goes to one of the 8 neighbours, so 1-pixel-wide parts are walked there and back); each
 * hole (a 4-connected background region the component encloses) is traced the same way from the
 * pixel above its top-left pixel and joined to the ring built so far by a vertical bridge that runs
 * through the component's own pixels, there and back. The result is ONE ring per component, with
 * integer vertices (collinear steps merged); the caller checks it with the target rasteriser and
 * falls back (e.g. to rectangles) where that rasteriser does not give the pixels back.
 */
import { labelComponents } from './components';
import type { Rect } from './types';

// clockwise on screen (y down), starting east
const DX = [1, 1, 0, -1, -1, -1, 0, 1];
const DY = [0, 1, 1, 1, 0, -1, -1, -1];

function dirOf(dx: number, dy: number): number {
  for (let d = 0; d < 8; d++) if (DX[d] === dx && DY[d] === dy) return d;
  throw new Error(`not a neighbour step (${dx}, ${dy})`);
}

/** One component of an instance: its ring (image coordinates of pixel centres) and its pixels. */
export interface CentreComponent {
  /** flat [x0, y0, x1, y1, ...]; at least one point; consecutive points distinct */
  ring: number[];
  /** the component's pixels in a (bbox.width x bbox.height) crop at (bbox.x, bbox.y) */
  mask: Uint8Array;
  bbox: Rect;
  /** false when a hole could not be joined (then `ring` is only the outer boundary) */
  joined: boolean;
}

/**
 * Moore-neighbour trace of the foreground (`fg[i] !== 0`, padded: no foreground on the border)
 * from pixel `s` whose neighbour in direction `back` is background. Returns pixel indices.
 */
function trace(fg: Uint8Array, w: number, s: number, back: number): number[] {
  const out = [s];
  const sx = s % w;
  const sy = (s - sx) / w;
  let px = sx;
  let py = sy;
  let bx = sx + DX[back]!;
  let by = sy + DY[back]!;
  let firstMove = -1;
  for (let guard = 0; guard < 8 * fg.length + 8; guard++) {
    const bd = dirOf(bx - px, by - py);
    let found = -1;
    let prevX = bx;
    let prevY = by;
    for (let k = 1; k <= 8; k++) {
      const d = (bd + k) & 7;
      const nx = px + DX[d]!;
      const ny = py + DY[d]!;
      if (fg[ny * w + nx]) {
        found = d;
        break;
      }
      prevX = nx;
      prevY = ny;
    }
    if (found < 0) return out; // a single pixel
    if (px === sx && py === sy) {
      if (firstMove === -1) firstMove = found;
      else if (found === firstMove) {
        out.pop(); // the start pixel again
        return out;
      }
    }
    px += DX[found]!;
    py += DY[found]!;
    bx = prevX;
    by = prevY;
    out.push(py * w + px);
  }
  throw new Error('contour trace did not close');
}

/** Drops repeated points and merges collinear steps that keep their direction (cyclic). */
export function compressRing(pts: number[]): number[] {
  const n0 = pts.length >> 1;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < n0; k++) {
    const x = pts[2 * k]!;
    const y = pts[2 * k + 1]!;
    if (xs.length && xs[xs.length - 1] === x && ys[ys.length - 1] === y) continue;
    xs.push(x);
    ys.push(y);
  }
  while (xs.length > 1 && xs[0] === xs[xs.length - 1] && ys[0] === ys[ys.length - 1]) {
    xs.pop();
    ys.pop();
  }
  const sameDir = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): boolean => {
    const ux = bx - ax;
    const uy = by - ay;
    const vx = cx - bx;
    const vy = cy - by;
    return ux * vy - uy * vx === 0 && ux * vx + uy * vy > 0;
  };
  // one linear pass, then fix the seam at the start
  const ox: number[] = [];
  const oy: number[] = [];
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k]!;
    const y = ys[k]!;
    while (ox.length >= 2 && sameDir(ox[ox.length - 2]!, oy[oy.length - 2]!, ox[ox.length - 1]!, oy[oy.length - 1]!, x, y)) {
      ox.pop();
      oy.pop();
    }
    ox.push(x);
    oy.push(y);
  }
  let changed = true;
  while (changed && ox.length >= 3) {
    changed = false;
    const m = ox.length;
    if (sameDir(ox[m - 2]!, oy[m - 2]!, ox[m - 1]!, oy[m - 1]!, ox[0]!, oy[0]!)) {
      ox.pop();
      oy.pop();
      changed = true;
    } else if (sameDir(ox[m - 1]!, oy[m - 1]!, ox[0]!, oy[0]!, ox[1]!, oy[1]!)) {
      ox.shift();
      oy.shift();
      changed = true;
    }
  }
  const out: number[] = [];
  for (let k = 0; k < ox.length; k++) out.push(ox[k]!, oy[k]!);
  return out;
}

/**
 * The pixels equal to `id` inside `bbox` (row-major `ids`, image `width`), one entry per
 * 8-connected component, each with its centre ring in image coordinates.
 */
export function centreOutlines(ids: Uint32Array, width: number, id: number, bbox: Rect): CentreComponent[] {
  const { x: bx, y: by, width: bw, height: bh } = bbox;
  const w = bw + 2;
  const h = bh + 2;
  const crop = new Uint8Array(w * h);
  for (let r = 0; r < bh; r++) {
    const s = (by + r) * width + bx;
    for (let c = 0; c < bw; c++) if (ids[s + c] === id) crop[(r + 1) * w + c + 1] = 1;
  }
  const comps = labelComponents(crop, w, h, 8);
  const out: CentreComponent[] = [];
  const firstPixel = new Int32Array(comps.count + 1).fill(-1);
  for (let i = 0; i < crop.length; i++) {
    const l = comps.labels[i]!;
    if (l && firstPixel[l]! < 0) firstPixel[l] = i;
  }
  for (let c = 1; c <= comps.count; c++) {
    // the component alone, padded
    let x0 = w;
    let y0 = h;
    let x1 = -1;
    let y1 = -1;
    for (let i = 0; i < crop.length; i++) {
      if (comps.labels[i] !== c) continue;
      const x = i % w;
      const y = (i - x) / w;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    const cw = x1 - x0 + 3;
    const ch = y1 - y0 + 3;
    const fg = new Uint8Array(cw * ch);
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (comps.labels[y * w + x] === c) fg[(y - y0 + 1) * cw + (x - x0 + 1)] = 1;
    const s = fg.indexOf(1);
    let ring = trace(fg, cw, s, 4);
    // holes: 4-connected background regions not reaching the padding
    const bg = new Uint8Array(cw * ch);
    for (let i = 0; i < bg.length; i++) bg[i] = fg[i] ? 0 : 1;
    const holes = labelComponents(bg, cw, ch, 4);
    let joined = true;
    if (holes.count > 1) {
      const outside = holes.labels[0]!;
      const top = new Int32Array(holes.count + 1).fill(-1);
      for (let i = 0; i < bg.length; i++) {
        const l = holes.labels[i]!;
        if (l && l !== outside && top[l]! < 0) top[l] = i;
      }
      const order = [...top.keys()].filter((l) => top[l]! >= 0).sort((a, b) => top[a]! - top[b]!);
      for (const l of order) {
        const hp = top[l]!;
        const q = hp - cw; // the pixel above the hole's first pixel: in the component
        const hole = trace(fg, cw, q, 2);
        let p = q;
        while (fg[p - cw]) p -= cw;
        const at = ring.indexOf(p);
        if (at < 0 || !fg[q]) {
          joined = false;
          continue;
        }
        const bridge = p === q ? [] : [p];
        ring = ring.slice(0, at + 1).concat(hole, [q], bridge, ring.slice(at + 1));
      }
    }
    const flat: number[] = [];
    for (const i of ring) {
      const x = i % cw;
      const y = (i - x) / cw;
      flat.push(x - 1 + x0 - 1 + bx, y - 1 + y0 - 1 + by);
    }
    const cropW = cw - 2;
    const cropH = ch - 2;
    const mask = new Uint8Array(cropW * cropH);
    for (let y = 0; y < cropH; y++) for (let x = 0; x < cropW; x++) mask[y * cropW + x] = fg[(y + 1) * cw + x + 1]!;
    out.push({ ring: compressRing(flat), mask, bbox: { x: bx + x0 - 1, y: by + y0 - 1, width: cropW, height: cropH }, joined });
  }
  return out;
}

/** A component's pixels as rectangles [x0, y0, x1, y1] (inclusive, image coordinates): row runs merged downwards. */
export function maskRectangles(mask: Uint8Array, bbox: Rect): [number, number, number, number][] {
  const { width: w, height: h } = bbox;
  const open = new Map<string, [number, number, number, number]>();
  const out: [number, number, number, number][] = [];
  for (let y = 0; y < h; y++) {
    const seen = new Set<string>();
    for (let x = 0; x < w; ) {
      if (!mask[y * w + x]) {
        x++;
        continue;
      }
      let e = x;
      while (e + 1 < w && mask[y * w + e + 1]) e++;
      const key = `${x},${e}`;
      const r = open.get(key);
      if (r) r[3] = y + bbox.y;
      else {
        const nr: [number, number, number, number] = [x + bbox.x, y + bbox.y, e + bbox.x, y + bbox.y];
        open.set(key, nr);
        out.push(nr);
      }
      seen.add(key);
      x = e + 1;
    }
    for (const k of [...open.keys()]) if (!seen.has(k)) open.delete(k);
  }
  return out;
}
