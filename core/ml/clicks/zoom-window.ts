/**
 * The zoom-in window of click refinement (RITM's "zoom-in"): the model sees a square crop
 * around the object, resized to its input size, so objects of any size fill a similar share
 * of the input. Training and inference choose windows the same way:
 *   - first click, no previous mask: a square of side typicalObjectPx * FRESH_FACTOR centred
 *     on the click (typicalObjectPx: the median object size of the training set);
 *   - otherwise: the bounding box of the previous mask and the clicks, expanded by EXPAND of
 *     its side on each side, at least typicalObjectPx * MIN_FACTOR.
 */
import type { Click } from './click-maps';

export interface ZoomWindow {
  /** top-left corner in image pixels (may be negative: reflected) */
  x0: number;
  y0: number;
  side: number;
}

export const FRESH_FACTOR = 2.75;
export const EXPAND = 0.55;
export const MIN_FACTOR = 1.5;

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Bounding box (inclusive) of the nonzero pixels, or null. */
export function maskBox(mask: ArrayLike<number>, width: number, height: number): Box | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] !== 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 };
}

function union(a: Box | null, b: Box): Box {
  return a ? { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) } : b;
}

export function freshWindow(click: Click, typicalObjectPx: number, factor = FRESH_FACTOR): ZoomWindow {
  const side = Math.max(8, Math.round(typicalObjectPx * factor));
  return { x0: Math.round(click.x - side / 2), y0: Math.round(click.y - side / 2), side };
}

export function boxWindow(box: Box, typicalObjectPx: number, expand = EXPAND, minFactor = MIN_FACTOR): ZoomWindow {
  const w = box.x1 - box.x0 + 1;
  const h = box.y1 - box.y0 + 1;
  const side = Math.max(8, Math.round(Math.max(Math.max(w, h) * (1 + 2 * expand), typicalObjectPx * minFactor)));
  const cx = (box.x0 + box.x1 + 1) / 2;
  const cy = (box.y0 + box.y1 + 1) / 2;
  return { x0: Math.round(cx - side / 2), y0: Math.round(cy - side / 2), side };
}

/** The window for the current interaction (see the module comment). */
export function interactionWindow(clicks: readonly Click[], prev: ArrayLike<number> | null, width: number, height: number, typicalObjectPx: number): ZoomWindow {
  let box = prev ? maskBox(prev, width, height) : null;
  if (!box && clicks.length === 1) return freshWindow(clicks[0]!, typicalObjectPx);
  for (const c of clicks) if (c.positive || box) box = union(box, { x0: c.x, y0: c.y, x1: c.x, y1: c.y });
  if (!box) box = union(null, { x0: clicks[0]!.x, y0: clicks[0]!.y, x1: clicks[0]!.x, y1: clicks[0]!.y });
  return boxWindow(box, typicalObjectPx);
}
