/**
 * One object as a binary mask cropped to its box (what click refinement returns), and the two
 * ways it meets a label map: cut out of one (an instance as the refiner's previous mask) and
 * placed into one (accepting the refined object: background pixels only, like a proposal).
 */
import type { LabelMap } from '../mask/label-map';
import type { Rect } from '../mask/types';

export interface MaskCrop {
  x: number;
  y: number;
  width: number;
  height: number;
  /** row-major 0/1, width * height bytes */
  mask: Uint8Array;
}

export interface PlaceOptions {
  classId: number;
  source?: 'human' | 'model';
  score?: number | null;
  /** id for the new instance (default: the map's next free id) */
  id?: number;
  /** write into this existing instance instead of a new one (semantic mode: one instance per class) */
  into?: number;
  /** called with the rect before any pixel in it changes (undo recorder) */
  beforeWrite?: (rect: Rect) => void;
}

export interface PlaceResult {
  /** the new instance (null when no pixel could be placed) */
  id: number | null;
  placed: number;
  /** object pixels left alone because the person had already labeled them */
  keptHumanPixels: number;
  rect: Rect | null;
}

/** The crop's part inside the image (null when it misses it entirely). */
function clip(crop: MaskCrop, width: number, height: number): Rect | null {
  const x0 = Math.max(0, crop.x);
  const y0 = Math.max(0, crop.y);
  const x1 = Math.min(width, crop.x + crop.width);
  const y1 = Math.min(height, crop.y + crop.height);
  if (x1 <= x0 || y1 <= y0) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * Writes the object as a new instance onto background pixels only (a person's pixels are never
 * overwritten). Run it inside an editor gesture so that it is one undo step.
 */
export function placeObject(target: LabelMap, crop: MaskCrop, opts: PlaceOptions): PlaceResult {
  if (crop.mask.length !== crop.width * crop.height) throw new RangeError(`crop mask has ${crop.mask.length} bytes for ${crop.width}x${crop.height}`);
  const result: PlaceResult = { id: null, placed: 0, keptHumanPixels: 0, rect: null };
  const r = clip(crop, target.width, target.height);
  if (!r) return result;
  // tight bounds of the object's pixels, so the recorder copies only those tiles
  let bx0 = Infinity;
  let by0 = Infinity;
  let bx1 = -1;
  let by1 = -1;
  for (let y = r.y; y < r.y + r.height; y++) {
    const row = (y - crop.y) * crop.width - crop.x;
    for (let x = r.x; x < r.x + r.width; x++) {
      if (!crop.mask[row + x]) continue;
      if (x < bx0) bx0 = x;
      if (x > bx1) bx1 = x;
      if (y < by0) by0 = y;
      by1 = y;
    }
  }
  if (bx1 < 0) return result;
  const rect = { x: bx0, y: by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 };
  const ids = target.ids;
  const W = target.width;
  let id = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const row = (y - crop.y) * crop.width - crop.x;
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      if (!crop.mask[row + x]) continue;
      const i = y * W + x;
      if (ids[i] !== 0) {
        result.keptHumanPixels++;
        continue;
      }
      if (!id) {
        opts.beforeWrite?.(rect);
        id = opts.into ?? target.addInstance({ id: opts.id, classId: opts.classId, source: opts.source ?? 'model', score: opts.score ?? null }).id;
      }
      ids[i] = id;
      result.placed++;
    }
  }
  if (id) {
    result.id = id;
    result.rect = rect;
  }
  return result;
}

/**
 * An instance of a map as a crop (its bounding box), optionally only the pixels `keep(index)`
 * accepts (e.g. above a confidence threshold). Null when it has no such pixel.
 */
export function cropOfInstance(map: LabelMap, id: number, keep?: (index: number) => boolean): MaskCrop | null {
  const { width, height, ids } = map;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (ids[row + x] !== id || (keep && !keep(row + x))) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = (y + y0) * width + x0;
    for (let x = 0; x < w; x++) if (ids[row + x] === id && (!keep || keep(row + x))) mask[y * w + x] = 1;
  }
  return { x: x0, y: y0, width: w, height: h, mask };
}
