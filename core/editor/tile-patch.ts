/**
 * Undo entries are tile patches: the before/after ids of the TILE_PX x TILE_PX tiles a
 * gesture touched, never whole-image copies. Patches are stored run-length encoded.
 */
import type { IdMapLike, Rect } from '../mask/types';

export const TILE_PX = 64;

export interface TilePatch {
  /** tile column and row */
  tx: number;
  ty: number;
  /** ids of the tile (clipped at the image edge), row-major, RLE-packed: [id, count, id, count, ...] */
  before: Uint32Array;
  after: Uint32Array;
}

export function tileRect(map: { width: number; height: number }, tx: number, ty: number): Rect {
  const x = tx * TILE_PX;
  const y = ty * TILE_PX;
  return { x, y, width: Math.min(TILE_PX, map.width - x), height: Math.min(TILE_PX, map.height - y) };
}

/** Tile indices (tx, ty) that intersect a pixel rectangle. */
export function tilesOf(rect: Rect, map: { width: number; height: number }): Array<[number, number]> {
  const x0 = Math.max(0, rect.x);
  const y0 = Math.max(0, rect.y);
  const x1 = Math.min(map.width, rect.x + rect.width) - 1;
  const y1 = Math.min(map.height, rect.y + rect.height) - 1;
  const out: Array<[number, number]> = [];
  if (x1 < x0 || y1 < y0) return out;
  for (let ty = Math.floor(y0 / TILE_PX); ty <= Math.floor(y1 / TILE_PX); ty++) {
    for (let tx = Math.floor(x0 / TILE_PX); tx <= Math.floor(x1 / TILE_PX); tx++) out.push([tx, ty]);
  }
  return out;
}

/** Reads one tile's ids run-length encoded. */
export function captureTile(map: IdMapLike, tx: number, ty: number): Uint32Array {
  const r = tileRect(map, tx, ty);
  const runs: number[] = [];
  let cur = -1;
  let n = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    const row = y * map.width;
    for (let x = r.x; x < r.x + r.width; x++) {
      const v = map.ids[row + x]!;
      if (v === cur) n++;
      else {
        if (n) runs.push(cur, n);
        cur = v;
        n = 1;
      }
    }
  }
  if (n) runs.push(cur, n);
  return Uint32Array.from(runs);
}

/** Writes RLE-packed ids back into one tile. */
export function restoreTile(map: IdMapLike, tx: number, ty: number, packed: Uint32Array): void {
  const r = tileRect(map, tx, ty);
  let k = 0;
  let left = 0;
  let v = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    const row = y * map.width;
    for (let x = r.x; x < r.x + r.width; x++) {
      if (left === 0) {
        v = packed[k++]!;
        left = packed[k++]!;
      }
      map.ids[row + x] = v;
      left--;
    }
  }
}

export function samePacked(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function patchesRect(patches: readonly TilePatch[], map: { width: number; height: number }): Rect | null {
  if (!patches.length) return null;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of patches) {
    const r = tileRect(map, p.tx, p.ty);
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.width);
    y1 = Math.max(y1, r.y + r.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
