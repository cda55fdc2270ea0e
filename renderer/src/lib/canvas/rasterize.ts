/**
 * Turns part of a per-pixel instance-id map into RGBA pixels for one overlay tile.
 * Pure (no DOM): writes packed little-endian RGBA (0xAABBGGRR) into a Uint32Array.
 *
 * A tile of level k samples every 2^k-th image pixel (nearest), so a tile is always
 * TILE x TILE samples whatever the zoom; level 0 is pixel-exact.
 */

export interface RasterSource {
  readonly ids: Uint32Array;
  readonly width: number;
  readonly height: number;
}

export interface RasterJob {
  /** image coordinates of sample (0, 0) of the tile */
  x0: number;
  y0: number;
  /** image px between samples (2^level) */
  step: number;
  /** sample range to write, tile-local, end exclusive */
  sx0: number;
  sy0: number;
  sx1: number;
  sy1: number;
  /** only boundary pixels (an id differing from a 4-neighbour, or the image edge) */
  outline: boolean;
  /** instance drawn with a highlighted boundary (0: none) */
  selected: number;
  selectedColor: number;
}

/** `#rrggbb` + alpha (0..255) -> packed 0xAABBGGRR (ImageData byte order on little-endian machines). */
export function packColor(hex: string, alpha = 255): number {
  const v = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  const n = v ? parseInt(v[1]!, 16) : 0x888888;
  const r = (n >> 16) & 255;
  const g = (n >> 8) & 255;
  const b = n & 255;
  return ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/**
 * Fills `out` (row stride `outStride` samples) for the job's sample range.
 * `color(id)` gives the packed colour of an instance (0 = not drawn); it is called once per run of
 * equal ids, so it may do a Map lookup.
 */
export function rasterizeTile(src: RasterSource, job: RasterJob, out: Uint32Array, outStride: number, color: (id: number) => number): void {
  const { ids, width, height } = src;
  const { x0, y0, step, sx0, sy0, sx1, sy1, outline, selected, selectedColor } = job;
  let lastId = -1;
  let lastColor = 0;
  let selectedFill = 0;
  for (let sy = sy0; sy < sy1; sy++) {
    const iy = y0 + sy * step;
    const o = sy * outStride;
    if (iy >= height) {
      out.fill(0, o + sx0, o + sx1);
      continue;
    }
    const row = iy * width;
    const up = iy - step >= 0 ? row - step * width : -1;
    const down = iy + step < height ? row + step * width : -1;
    for (let sx = sx0; sx < sx1; sx++) {
      const ix = x0 + sx * step;
      if (ix >= width) {
        out[o + sx] = 0;
        continue;
      }
      const id = ids[row + ix]!;
      if (id === 0) {
        out[o + sx] = 0;
        continue;
      }
      if (id !== lastId) {
        lastId = id;
        lastColor = color(id);
        if (id === selected) selectedFill = lighten(lastColor);
      }
      if (lastColor === 0) {
        out[o + sx] = 0;
        continue;
      }
      if (!outline && id !== selected) {
        out[o + sx] = lastColor;
        continue;
      }
      const edge =
        ix - step < 0 ||
        ix + step >= width ||
        up < 0 ||
        down < 0 ||
        ids[row + ix - step] !== id ||
        ids[row + ix + step] !== id ||
        ids[up + ix] !== id ||
        ids[down + ix] !== id;
      if (id === selected) out[o + sx] = edge ? selectedColor : outline ? 0 : selectedFill;
      else out[o + sx] = edge ? lastColor : 0;
    }
  }
}

/** the fill of the selected instance: its colour, halfway to white */
export function lighten(packed: number, amount = 0.45): number {
  const r = packed & 255;
  const g = (packed >>> 8) & 255;
  const b = (packed >>> 16) & 255;
  const a = packed >>> 24;
  const f = (c: number) => Math.round(c + (255 - c) * amount);
  return ((a << 24) | (f(b) << 16) | (f(g) << 8) | f(r)) >>> 0;
}
