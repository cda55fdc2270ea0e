/**
 * The fixed train/validation split of a project's labelled images: each image falls on one side
 * by a hash of its id, so it stays there as images are added and runs compare on the same images.
 */

/** Stable pseudo-random position in [0,1) of an image id (the fixed split). */
export function splitHash(imageId: number): number {
  let h = Math.imul(imageId ^ 0x5bd1e995, 2654435761) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 2246822519) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** from this many labelled images on, the validation split has at least two images */
export const MIN_VAL_FROM = 5;

/** The fixed validation split (see the module comment). */
export function fixedSplit(imageIds: readonly number[], valFraction = 0.2): { train: number[]; val: number[] } {
  const ids = [...imageIds].sort((a, b) => a - b);
  if (ids.length < 2) return { train: ids, val: [] };
  let val = ids.filter((id) => splitHash(id) < valFraction);
  // each image is in validation with p = valFraction (stable as images are added); when that
  // leaves fewer than half the expected count (1 of 20 happens), the lowest-hash others join, so
  // that a new version is not judged on one image. Those extras can change as images are added;
  // the active model may then have trained on one, which errs toward keeping it.
  // From MIN_VAL_FROM labelled images on, at least two validation images: one image gives a
  // figure with no spread (issue 14: 0.74 on one image, 0.47 on the held-out rest).
  const want = Math.max(ids.length >= MIN_VAL_FROM ? 2 : 1, Math.floor((ids.length * valFraction) / 2));
  if (val.length < want) {
    const inVal = new Set(val);
    const rest = ids.filter((id) => !inVal.has(id)).sort((a, b) => splitHash(a) - splitHash(b));
    val = [...val, ...rest.slice(0, want - val.length)].sort((a, b) => a - b);
  }
  if (val.length === ids.length) val = val.slice(0, -1);
  const v = new Set(val);
  return { train: ids.filter((id) => !v.has(id)), val };
}
