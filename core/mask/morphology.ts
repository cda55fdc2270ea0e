/**
 * Binary dilation and erosion by one pixel (repeat with `iterations`). 4-neighbourhood: the cross
 * (edge neighbours); 8-neighbourhood: the 3x3 square. Pixels outside the image are ignored (not
 * treated as background), so erosion does not eat masks touching the border, and the two
 * operations are duals: erode(m) = not dilate(not m).
 * Input: row-major mask, nonzero = foreground. Output: a new 0/1 mask.
 */
import type { Connectivity } from './types';
import { assertDims } from './types';

function step(src: Uint8Array, width: number, height: number, connectivity: Connectivity, grow: boolean): Uint8Array {
  // Work on "is foreground" for dilation and "is background" for erosion: both are dilations.
  const on = grow ? 1 : 0;
  const out = new Uint8Array(src.length);
  const hit = (i: number): boolean => (src[i] !== 0) === (on === 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      let h = hit(i);
      if (!h && x > 0) h = hit(i - 1);
      if (!h && x + 1 < width) h = hit(i + 1);
      if (!h && y > 0) h = hit(i - width);
      if (!h && y + 1 < height) h = hit(i + width);
      if (!h && connectivity === 8) {
        if (y > 0) {
          if (x > 0) h = hit(i - width - 1);
          if (!h && x + 1 < width) h = hit(i - width + 1);
        }
        if (!h && y + 1 < height) {
          if (x > 0) h = hit(i + width - 1);
          if (!h && x + 1 < width) h = hit(i + width + 1);
        }
      }
      out[i] = h ? on : 1 - on;
    }
  }
  return out;
}

function run(mask: Uint8Array, width: number, height: number, connectivity: Connectivity, iterations: number, grow: boolean): Uint8Array {
  assertDims(width, height, mask.length, 'mask');
  if (connectivity !== 4 && connectivity !== 8) throw new RangeError(`connectivity must be 4 or 8, got ${String(connectivity)}`);
  if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`iterations must be a non-negative integer, got ${iterations}`);
  let cur: Uint8Array = Uint8Array.from(mask, (v) => (v !== 0 ? 1 : 0));
  for (let k = 0; k < iterations; k++) cur = step(cur, width, height, connectivity, grow);
  return cur;
}

/** Grows the foreground by `iterations` pixels (default 1). */
export function dilate(mask: Uint8Array, width: number, height: number, connectivity: Connectivity = 8, iterations = 1): Uint8Array {
  return run(mask, width, height, connectivity, iterations, true);
}

/** Shrinks the foreground by `iterations` pixels (default 1). */
export function erode(mask: Uint8Array, width: number, height: number, connectivity: Connectivity = 8, iterations = 1): Uint8Array {
  return run(mask, width, height, connectivity, iterations, false);
}
