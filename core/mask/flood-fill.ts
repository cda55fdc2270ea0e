/**
 * Flood fills with a span (scanline) algorithm and an explicit stack, never recursion:
 * - `regionAt` / `fillRegion`: the connected region of pixels with the same id as the seed;
 * - `magicWand`: the connected region of pixels whose colour is within a tolerance of the seed's.
 * With 4-connectivity a region continues only through edge neighbours, so a diagonal one-pixel
 * wall (or two areas touching at a corner) stops it; with 8-connectivity it leaks through corners.
 */
import { paintMask, type PaintOptions } from './brush';
import type { Connectivity, IdMapLike, Rect } from './types';
import { assertDims } from './types';

export interface FillResult {
  /** row-major 0/1 mask of the region, full image size */
  mask: Uint8Array;
  area: number;
  /** tight bounds of the region, null when empty (seed outside the image or not fillable) */
  bbox: Rect | null;
}

/**
 * Generic span fill: the connected set of pixels containing (seedX, seedY) for which
 * `inside(index)` holds (index = y * width + x).
 */
export function scanlineFill(
  width: number,
  height: number,
  seedX: number,
  seedY: number,
  inside: (index: number) => boolean,
  connectivity: Connectivity = 4,
): FillResult {
  assertDims(width, height);
  const mask = new Uint8Array(width * height);
  seedX = Math.floor(seedX);
  seedY = Math.floor(seedY);
  if (seedX < 0 || seedY < 0 || seedX >= width || seedY >= height || !inside(seedY * width + seedX)) {
    return { mask, area: 0, bbox: null };
  }
  const diag = connectivity === 8 ? 1 : 0;
  const stack: number[] = [seedY * width + seedX];
  let area = 0;
  let minX = width;
  let maxX = -1;
  let minY = height;
  let maxY = -1;
  while (stack.length) {
    const s = stack.pop()!;
    if (mask[s] || !inside(s)) continue;
    const y = (s / width) | 0;
    const row = y * width;
    let xl = s - row;
    let xr = xl;
    while (xl > 0 && !mask[row + xl - 1] && inside(row + xl - 1)) xl--;
    while (xr < width - 1 && !mask[row + xr + 1] && inside(row + xr + 1)) xr++;
    mask.fill(1, row + xl, row + xr + 1);
    area += xr - xl + 1;
    if (xl < minX) minX = xl;
    if (xr > maxX) maxX = xr;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
    const from = Math.max(0, xl - diag);
    const to = Math.min(width - 1, xr + diag);
    for (let ny = y - 1; ny <= y + 1; ny += 2) {
      if (ny < 0 || ny >= height) continue;
      const nrow = ny * width;
      let inRun = false;
      for (let x = from; x <= to; x++) {
        const j = nrow + x;
        const ok = !mask[j] && inside(j);
        if (ok && !inRun) stack.push(j);
        inRun = ok;
      }
    }
  }
  return { mask, area, bbox: { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 } };
}

/** The connected region of pixels sharing the seed's id (background regions too). */
export function regionAt(map: IdMapLike, x: number, y: number, connectivity: Connectivity = 4): FillResult {
  const { width, height, ids } = map;
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  if (xi < 0 || yi < 0 || xi >= width || yi >= height) return scanlineFill(width, height, xi, yi, () => false, connectivity);
  const id = ids[yi * width + xi]!;
  return scanlineFill(width, height, xi, yi, (i) => ids[i] === id, connectivity);
}

/** the colour distance test of the magic wand: pixel i is within `tol` of pixel `seed` in every colour channel */
function colourNear(image: ImageBuffer, seed: number, tol: number): (i: number) => boolean {
  const { data, channels } = image;
  const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
  const s = seed * channels;
  const ref = Array.from({ length: colour }, (_, c) => data[s + c]!);
  return (i) => {
    const o = i * channels;
    for (let c = 0; c < colour; c++) if (Math.abs(data[o + c]! - ref[c]!) > tol) return false;
    return true;
  };
}

/** at or above this the fill is bounded by labels only (no colour bound) */
export const FILL_TOLERANCE_OFF = 255;

/**
 * The fill tool's region: the seed's connected same-id region (background too), bounded also by
 * image edges: only pixels whose colour is within `tolerance` of the seed pixel's (as the wand
 * compares). Without an image, or at FILL_TOLERANCE_OFF and above, labels alone bound it.
 */
export function fillRegionAt(map: IdMapLike, image: ImageBuffer | null, x: number, y: number, tolerance: number, connectivity: Connectivity = 4): FillResult {
  const { width, height, ids } = map;
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  if (!image || tolerance >= FILL_TOLERANCE_OFF || image.width !== width || image.height !== height || xi < 0 || yi < 0 || xi >= width || yi >= height) {
    return regionAt(map, x, y, connectivity);
  }
  const id = ids[yi * width + xi]!;
  const near = colourNear(image, yi * width + xi, tolerance);
  return scanlineFill(width, height, xi, yi, (i) => ids[i] === id && near(i), connectivity);
}

/**
 * Bucket fill: replaces the seed's same-id region with `opts.id` (0 erases), honouring locks and
 * `onlyBackground` like the brush. Returns the changed rect or null.
 */
export function fillRegion(
  map: IdMapLike,
  x: number,
  y: number,
  opts: Omit<PaintOptions, 'radiusPx'> & { connectivity?: Connectivity },
): Rect | null {
  const region = regionAt(map, x, y, opts.connectivity ?? 4);
  if (!region.bbox) return null;
  return paintMask(map, region.mask, opts, region.bbox);
}

/** An image buffer: row-major, `channels` values per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
export interface ImageBuffer {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export interface MagicWandOptions {
  /** largest allowed absolute difference, per channel, from the seed colour (same units as the data) */
  tolerance: number;
  connectivity?: Connectivity;
  /** also compare the alpha channel of 2- and 4-channel images (default false) */
  compareAlpha?: boolean;
}

/**
 * Magic wand: the connected region around the seed whose pixels differ from the seed colour by at
 * most `tolerance` in every compared channel (Chebyshev distance).
 */
export function magicWand(image: ImageBuffer, x: number, y: number, options: MagicWandOptions): FillResult {
  const { data, width, height, channels } = image;
  assertDims(width, height);
  if (![1, 2, 3, 4].includes(channels)) throw new RangeError(`channels must be 1..4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new RangeError(`image data has ${data.length} values, expected ${width}x${height}x${channels}`);
  }
  const tol = options.tolerance;
  const conn = options.connectivity ?? 4;
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  if (xi < 0 || yi < 0 || xi >= width || yi >= height) return scanlineFill(width, height, xi, yi, () => false, conn);
  const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
  const cmp = options.compareAlpha ? channels : colour;
  const s = (yi * width + xi) * channels;
  if (cmp === 1) {
    const s0 = data[s]!;
    return scanlineFill(width, height, xi, yi, (i) => Math.abs(data[i * channels]! - s0) <= tol, conn);
  }
  const seed = Array.from({ length: cmp }, (_, c) => data[s + c]!);
  if (cmp === 3) {
    const [r, g, b] = seed as [number, number, number];
    return scanlineFill(
      width,
      height,
      xi,
      yi,
      (i) => {
        const o = i * channels;
        return Math.abs(data[o]! - r) <= tol && Math.abs(data[o + 1]! - g) <= tol && Math.abs(data[o + 2]! - b) <= tol;
      },
      conn,
    );
  }
  return scanlineFill(
    width,
    height,
    xi,
    yi,
    (i) => {
      const o = i * channels;
      for (let c = 0; c < cmp; c++) if (Math.abs(data[o + c]! - seed[c]!) > tol) return false;
      return true;
    },
    conn,
  );
}
