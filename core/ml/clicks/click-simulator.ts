/**
 * Simulated clicks from a person's own masks, for training the click-refinement model and for
 * NoC evaluation (the RITM / standard interactive-segmentation protocol):
 *   - the first click goes deep inside the object (the maximum of its distance transform);
 *   - each next click goes to the interior of the largest error region: where the distance
 *     transform of the false-negative region or of the false-positive region is largest; a
 *     false negative gets a positive click, a false positive a negative one.
 */
import { dilate, erode } from '../../mask/morphology';
import type { Rng } from '../train/rng';
import type { Click } from './click-maps';
import { distanceTransform } from './distance-transform';

function argmax(a: Float32Array): { index: number; value: number } {
  let index = -1;
  let value = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > value) {
      value = a[i]!;
      index = i;
    }
  }
  return { index, value };
}

/** The click that fixes the largest error of `pred` against `gt` (both 0/1), or null if none. */
export function nextClick(pred: ArrayLike<number>, gt: ArrayLike<number>, width: number, height: number): Click | null {
  const n = width * height;
  const fn = new Uint8Array(n);
  const fp = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const g = gt[i] !== 0;
    const p = pred[i] !== 0;
    if (g && !p) fn[i] = 1;
    else if (!g && p) fp[i] = 1;
  }
  const a = argmax(distanceTransform(fn, width, height));
  const b = argmax(distanceTransform(fp, width, height));
  if (a.index < 0 && b.index < 0) return null;
  const positive = a.value >= b.value;
  const i = positive ? a.index : b.index;
  return { x: i % width, y: Math.floor(i / width), positive };
}

/** The first click on an object: deep inside it. */
export function firstClick(gt: ArrayLike<number>, width: number, height: number): Click | null {
  return nextClick(new Uint8Array(width * height), gt, width, height);
}

/** A random pixel whose depth (distance to the outside) is at least `frac` of the maximum. */
function deepRandomPixel(mask: Uint8Array, width: number, height: number, rng: Rng, frac: number): number {
  const dt = distanceTransform(mask, width, height);
  const { index, value } = argmax(dt);
  if (index < 0) return -1;
  const cand: number[] = [];
  for (let i = 0; i < dt.length; i++) if (dt[i]! >= frac * value) cand.push(i);
  return cand.length ? cand[rng.int(cand.length)]! : index;
}

export interface SimulatedInteraction {
  clicks: Click[];
  /** the "previous mask" input (0/1) */
  prev: Uint8Array;
}

/** A plausible imperfect previous mask: the object eroded, dilated or cut by a random line. */
export function corruptMask(gt: Uint8Array, width: number, height: number, rng: Rng): Uint8Array {
  const kind = rng.int(3);
  const iters = 1 + rng.int(3);
  if (kind === 0) return erode(gt, width, height, 8, iters);
  if (kind === 1) return dilate(gt, width, height, 8, iters);
  // keep the part of the object on one side of a random line through a random object pixel
  const out = gt.slice();
  const idx: number[] = [];
  for (let i = 0; i < gt.length; i++) if (gt[i]) idx.push(i);
  if (!idx.length) return out;
  const c = idx[rng.int(idx.length)]!;
  const cx = c % width;
  const cy = Math.floor(c / width);
  const th = rng.uniform(0, 2 * Math.PI);
  const nx = Math.cos(th);
  const ny = Math.sin(th);
  for (const i of idx) {
    const x = i % width;
    const y = Math.floor(i / width);
    if ((x - cx) * nx + (y - cy) * ny > 0) out[i] = 0;
  }
  return out;
}

/**
 * Clicks and a previous mask for one training example of the object `gt` (0/1, w x h):
 * half of the time a fresh start (no previous mask, a first click deep inside, sometimes a
 * second click in the remaining largest error), otherwise a corrupted previous mask with the
 * first click plus up to two clicks in its largest error regions.
 */
export function simulateInteraction(gt: Uint8Array, width: number, height: number, rng: Rng, maxClicks = 3): SimulatedInteraction {
  const clicks: Click[] = [];
  const first = deepRandomPixel(gt, width, height, rng, 0.5);
  if (first < 0) return { clicks, prev: new Uint8Array(width * height) };
  clicks.push({ x: first % width, y: Math.floor(first / width), positive: true });
  if (rng.next() < 0.5) return { clicks, prev: new Uint8Array(width * height) };
  const prev = corruptMask(gt, width, height, rng);
  const extra = rng.int(maxClicks);
  const sim = prev.slice();
  for (let k = 0; k < extra; k++) {
    const c = nextClick(sim, gt, width, height);
    if (!c) break;
    clicks.push(c);
    // pretend the click fixed the region around it so the next click goes elsewhere
    const r = 6;
    for (let y = Math.max(0, c.y - r); y <= Math.min(height - 1, c.y + r); y++) {
      for (let x = Math.max(0, c.x - r); x <= Math.min(width - 1, c.x + r); x++) sim[y * width + x] = gt[y * width + x]!;
    }
  }
  return { clicks, prev };
}
