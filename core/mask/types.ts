/** Shared value types of the mask layer. Coordinates are image pixels, x right, y down. */

/** A point in continuous image coordinates: pixel (x, y) covers [x, x+1) x [y, y+1), centre (x+0.5, y+0.5). */
export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned rectangle of whole pixels (x, y = top-left pixel; width, height in pixels). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Pixel neighbourhood: 4 = edge neighbours only, 8 = edge and corner neighbours. */
export type Connectivity = 4 | 8;

/**
 * Anything with a row-major per-pixel instance-id map (0 = background).
 * `LabelMap` satisfies it; raster operations accept this so they can also run on plain buffers.
 */
export interface IdMapLike {
  readonly width: number;
  readonly height: number;
  readonly ids: Uint32Array;
}

/** Flat ring of vertices [x0, y0, x1, y1, ...] (closed implicitly: the last vertex joins the first), as in COCO. */
export type FlatRing = readonly number[];

/** One polygon with holes: an outer ring and zero or more inner rings, flat coordinates. */
export interface PolygonWithHoles {
  outer: number[];
  holes: number[][];
}

/** Union of two rects (either may be null). */
export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

/** Checks positive integer image dimensions and, when given, a buffer length of width*height. */
export function assertDims(width: number, height: number, length?: number, what = 'buffer'): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`image size must be non-negative integers, got ${width}x${height}`);
  }
  if (length !== undefined && length !== width * height) {
    throw new RangeError(`${what} has ${length} elements, expected ${width}x${height} = ${width * height}`);
  }
}
