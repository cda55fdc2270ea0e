/**
 * Brush and eraser: a stroke is the union of capsules (discs swept along each segment between
 * consecutive pointer samples), so fast pointer motion never leaves gaps. A pixel is painted when
 * its centre (x + 0.5, y + 0.5) lies within `radiusPx` of the swept segment (distance <= radius).
 *
 * Writes go straight into the id map (`LabelMap` or any IdMapLike); id 0 erases. Pixels whose
 * current id is locked are never changed; with `onlyBackground` only background pixels are painted.
 * Every call returns the tight rectangle of pixels it actually changed (null if none).
 */
import type { IdMapLike, Point, Rect } from './types';
import { unionRect } from './types';

export interface PaintOptions {
  /** instance id to write; 0 = eraser */
  id: number;
  radiusPx: number;
  /** true for ids whose pixels must not be overwritten (locked instances or classes); never asked for 0 */
  isLocked?: (id: number) => boolean;
  /** paint only where the map is background (ignored by the eraser) */
  onlyBackground?: boolean;
  /**
   * Called before any pixel inside `rect` is written (rect = the clipped bounds of the shape about
   * to be painted), so an undo recorder can copy the affected tiles first.
   */
  beforeWrite?: (rect: Rect) => void;
}

const EPS = 1e-9;

/** Clipped pixel bounds of a capsule around segment a-b, or null when it misses the image. */
export function capsuleBounds(a: Point, b: Point, radiusPx: number, width: number, height: number): Rect | null {
  const x0 = Math.max(0, Math.ceil(Math.min(a.x, b.x) - radiusPx - 0.5 - EPS));
  const x1 = Math.min(width - 1, Math.floor(Math.max(a.x, b.x) + radiusPx - 0.5 + EPS));
  const y0 = Math.max(0, Math.ceil(Math.min(a.y, b.y) - radiusPx - 0.5 - EPS));
  const y1 = Math.min(height - 1, Math.floor(Math.max(a.y, b.y) + radiusPx - 0.5 + EPS));
  if (x1 < x0 || y1 < y0) return null;
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Builds the per-pixel write test for one paint call; memoises lock answers per id. */
function makeWriter(map: IdMapLike, opts: PaintOptions): (i: number) => boolean {
  const ids = map.ids;
  const id = opts.id;
  const only = opts.onlyBackground === true && id !== 0;
  const isLocked = opts.isLocked;
  if (!isLocked) {
    if (only) return (i) => ids[i] === 0;
    return (i) => ids[i] !== id;
  }
  const memo = new Map<number, boolean>();
  return (i) => {
    const cur = ids[i]!;
    if (cur === id) return false;
    if (cur === 0) return true;
    if (only) return false;
    let l = memo.get(cur);
    if (l === undefined) {
      l = isLocked(cur);
      memo.set(cur, l);
    }
    return !l;
  };
}

function checkOptions(opts: PaintOptions): void {
  if (!Number.isInteger(opts.id) || opts.id < 0 || opts.id > 0xffffffff) throw new RangeError(`brush id must be a uint32, got ${opts.id}`);
  if (!(opts.radiusPx >= 0) || !Number.isFinite(opts.radiusPx)) throw new RangeError(`brush radius must be >= 0, got ${opts.radiusPx}`);
}

/** Real-x interval [lo, hi] of the capsule on the horizontal line y = yc, or null. */
function capsuleRow(a: Point, b: Point, r: number, yc: number): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  const r2 = r * r;
  for (const p of [a, b]) {
    const dy = yc - p.y;
    const q = r2 - dy * dy;
    if (q >= -EPS) {
      const half = Math.sqrt(Math.max(0, q));
      lo = Math.min(lo, p.x - half);
      hi = Math.max(hi, p.x + half);
    }
  }
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy);
  if (len > 0) {
    // |cross(d, P - A)| <= r * len  and  0 <= dot(d, P - A) <= len^2, both linear in x.
    let l = -Infinity;
    let h = Infinity;
    const c0 = dx * (yc - a.y); // cross = c0 - dy * (x - a.x)
    if (dy === 0) {
      if (Math.abs(c0) > r * len + EPS) return lo <= hi ? [lo, hi] : null;
    } else {
      const e1 = a.x + (c0 - r * len) / dy;
      const e2 = a.x + (c0 + r * len) / dy;
      l = Math.max(l, Math.min(e1, e2));
      h = Math.min(h, Math.max(e1, e2));
    }
    const g0 = dy * (yc - a.y); // dot = dx * (x - a.x) + g0
    if (dx === 0) {
      if (g0 < -EPS || g0 > len * len + EPS) return lo <= hi ? [lo, hi] : null;
    } else {
      const f1 = a.x + (0 - g0) / dx;
      const f2 = a.x + (len * len - g0) / dx;
      l = Math.max(l, Math.min(f1, f2));
      h = Math.min(h, Math.max(f1, f2));
    }
    if (l <= h) {
      lo = Math.min(lo, l);
      hi = Math.max(hi, h);
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Paints the capsule around segment a-b (a disc when a = b). Returns the changed rect or null. */
export function paintSegment(map: IdMapLike, a: Point, b: Point, opts: PaintOptions): Rect | null {
  checkOptions(opts);
  const { width, height, ids } = map;
  const bounds = capsuleBounds(a, b, opts.radiusPx, width, height);
  if (!bounds) return null;
  opts.beforeWrite?.(bounds);
  const canWrite = makeWriter(map, opts);
  const id = opts.id;
  let minX = width;
  let maxX = -1;
  let minY = height;
  let maxY = -1;
  for (let y = bounds.y; y < bounds.y + bounds.height; y++) {
    const iv = capsuleRow(a, b, opts.radiusPx, y + 0.5);
    if (!iv) continue;
    const xa = Math.max(bounds.x, Math.ceil(iv[0] - 0.5 - EPS));
    const xb = Math.min(bounds.x + bounds.width - 1, Math.floor(iv[1] - 0.5 + EPS));
    let changed = false;
    const row = y * width;
    for (let x = xa; x <= xb; x++) {
      const i = row + x;
      if (canWrite(i)) {
        ids[i] = id;
        changed = true;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
      }
    }
    if (changed) {
      if (y < minY) minY = y;
      maxY = y;
    }
  }
  if (maxY < 0) return null;
  return { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/** Paints a whole stroke (one disc for a single sample). Returns the changed rect or null. */
export function paintStroke(map: IdMapLike, points: readonly Point[], opts: PaintOptions): Rect | null {
  if (points.length === 0) return null;
  if (points.length === 1) return paintSegment(map, points[0]!, points[0]!, opts);
  let dirty: Rect | null = null;
  for (let k = 1; k < points.length; k++) dirty = unionRect(dirty, paintSegment(map, points[k - 1]!, points[k]!, opts));
  return dirty;
}

/**
 * Incremental stroke for pointer events: `begin` paints the first disc, each `moveTo` paints the
 * capsule from the previous sample, `dirty` accumulates the changed rect of the whole gesture.
 */
export class BrushStroke {
  #last: Point | null = null;
  #dirty: Rect | null = null;
  readonly map: IdMapLike;
  readonly options: PaintOptions;

  constructor(map: IdMapLike, options: PaintOptions) {
    checkOptions(options);
    this.map = map;
    this.options = options;
  }

  /** Changed rect of the stroke so far. */
  get dirty(): Rect | null {
    return this.#dirty;
  }

  begin(p: Point): Rect | null {
    this.#last = { x: p.x, y: p.y };
    return this.#note(paintSegment(this.map, p, p, this.options));
  }

  moveTo(p: Point): Rect | null {
    if (!this.#last) return this.begin(p);
    const r = paintSegment(this.map, this.#last, p, this.options);
    this.#last = { x: p.x, y: p.y };
    return this.#note(r);
  }

  /** Ends the stroke and returns its total changed rect. */
  end(): Rect | null {
    this.#last = null;
    return this.#dirty;
  }

  #note(r: Rect | null): Rect | null {
    this.#dirty = unionRect(this.#dirty, r);
    return r;
  }
}

/**
 * Writes `opts.id` wherever `mask` (row-major, full image size) is nonzero, with the same lock
 * and background rules as the brush (radiusPx is ignored). `bounds` limits the scan when known.
 */
export function paintMask(map: IdMapLike, mask: Uint8Array, opts: Omit<PaintOptions, 'radiusPx'>, bounds?: Rect | null): Rect | null {
  const { width, height, ids } = map;
  if (mask.length !== width * height) throw new RangeError('mask size does not match the map');
  const full: PaintOptions = { ...opts, radiusPx: 0 };
  checkOptions(full);
  const r = bounds ?? { x: 0, y: 0, width, height };
  if (r.width <= 0 || r.height <= 0) return null;
  opts.beforeWrite?.(r);
  const canWrite = makeWriter(map, full);
  let minX = width;
  let maxX = -1;
  let minY = height;
  let maxY = -1;
  for (let y = r.y; y < r.y + r.height; y++) {
    const row = y * width;
    for (let x = r.x; x < r.x + r.width; x++) {
      const i = row + x;
      if (mask[i] !== 0 && canWrite(i)) {
        ids[i] = opts.id;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        maxY = y;
      }
    }
  }
  if (maxY < 0) return null;
  return { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}
