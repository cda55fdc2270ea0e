/**
 * Sliding-window tiling with overlap blending: tile positions covering an image, per-tile
 * blending weights (linear ramps where a tile overlaps a neighbour, flat at the image border),
 * reflect-padded tile extraction, and an accumulator whose normalised result is a weighted
 * average of the tiles' predictions (the weights of the tiles covering a pixel sum to 1).
 */
import { reflectIndex } from '../patch';
import type { ModelImage } from '../model-image';

export interface Tile {
  x: number;
  y: number;
  /** tile size fed to the model (may exceed the image: reflect-padded) */
  width: number;
  height: number;
}

/** Start positions along one axis: first at 0, last flush with the end, at most `tile - overlap` apart. */
export function axisPositions(length: number, tile: number, overlap: number): number[] {
  if (tile >= length) return [0];
  const step = Math.max(1, tile - overlap);
  const n = Math.ceil((length - tile) / step) + 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.round((i * (length - tile)) / (n - 1)));
  return out;
}

export const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;

/**
 * Tiles covering a width x height image. Tiles are `tileSize` (a multiple of `multiple`) or,
 * along an axis where the image is smaller, the image size rounded up to `multiple`.
 */
export function tileGrid(width: number, height: number, tileSize: number, overlap: number, multiple: number): Tile[] {
  const tw = Math.min(roundUp(tileSize, multiple), roundUp(width, multiple));
  const th = Math.min(roundUp(tileSize, multiple), roundUp(height, multiple));
  const tiles: Tile[] = [];
  for (const y of axisPositions(height, th, overlap)) for (const x of axisPositions(width, tw, overlap)) tiles.push({ x, y, width: tw, height: th });
  return tiles;
}

/** 1-D blending weights of a tile at `start` (length `tile`) in an axis of `length`. */
export function rampWeights(start: number, tile: number, length: number, overlap: number): Float32Array {
  const w = new Float32Array(tile).fill(1);
  const ov = Math.max(0, overlap);
  if (ov === 0) return w;
  const rampLeft = start > 0;
  const rampRight = start + tile < length;
  for (let i = 0; i < tile; i++) {
    let v = 1;
    if (rampLeft) v = Math.min(v, (i + 1) / (ov + 1));
    if (rampRight) v = Math.min(v, (tile - i) / (ov + 1));
    w[i] = v;
  }
  return w;
}

/** The tile's pixels (HWC), reflect-padded where it reaches past the image. */
export function extractTile(img: ModelImage, tile: Tile, out?: Float32Array, offset = 0): Float32Array {
  const { width: W, height: H, channels: C, data } = img;
  const dst = out ?? new Float32Array(tile.width * tile.height * C);
  for (let ty = 0; ty < tile.height; ty++) {
    const sy = reflectIndex(tile.y + ty, H);
    const inside = tile.x + tile.width <= W;
    if (inside) {
      const s = (sy * W + tile.x) * C;
      dst.set(data.subarray(s, s + tile.width * C), offset + ty * tile.width * C);
      continue;
    }
    for (let tx = 0; tx < tile.width; tx++) {
      const sx = reflectIndex(tile.x + tx, W);
      const s = (sy * W + sx) * C;
      const d = offset + (ty * tile.width + tx) * C;
      for (let c = 0; c < C; c++) dst[d + c] = data[s + c]!;
    }
  }
  return dst;
}

/** Weighted accumulation of per-tile maps of k channels into a width x height image. */
export class TileBlender {
  readonly sum: Float32Array;
  readonly weight: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly k: number,
    private readonly overlap: number,
  ) {
    this.sum = new Float32Array(width * height * k);
    this.weight = new Float32Array(width * height);
  }

  /** Adds a tile's map (tile.height x tile.width x k, from `offset` in `values`). */
  add(tile: Tile, values: ArrayLike<number>, offset = 0): void {
    const { width: W, height: H, k } = this;
    const wy = rampWeights(tile.y, tile.height, H, this.overlap);
    const wx = rampWeights(tile.x, tile.width, W, this.overlap);
    const ymax = Math.min(tile.height, H - tile.y);
    const xmax = Math.min(tile.width, W - tile.x);
    for (let ty = 0; ty < ymax; ty++) {
      for (let tx = 0; tx < xmax; tx++) {
        const w = wy[ty]! * wx[tx]!;
        const p = (tile.y + ty) * W + (tile.x + tx);
        this.weight[p]! += w;
        const s = offset + (ty * tile.width + tx) * k;
        for (let c = 0; c < k; c++) this.sum[p * k + c]! += w * values[s + c]!;
      }
    }
  }

  /** The blended map (sum / weight), in place. Throws if a pixel was never covered. */
  result(): Float32Array {
    const { k } = this;
    for (let p = 0; p < this.weight.length; p++) {
      const w = this.weight[p]!;
      if (!(w > 0)) throw new Error(`pixel ${p % this.width},${Math.floor(p / this.width)} is covered by no tile`);
      for (let c = 0; c < k; c++) this.sum[p * k + c]! /= w;
    }
    return this.sum;
  }
}
