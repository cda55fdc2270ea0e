/**
 * Instances from a live prediction (pure TS). The foreground (argmax != background) is split
 * into objects by the probability map, so that touching objects separate where the classifier
 * is less sure between them:
 *   1. seeds: connected components (4-neighbourhood) of pixels whose foreground probability is
 *      at least `seedProbability` (default 0.8), of the same class; seeds smaller than
 *      `minSeedPx` are dropped;
 *   2. every other foreground pixel joins the seed it reaches first when the foreground is
 *      flooded from the seeds in order of decreasing probability (a watershed on 1 - p, so the
 *      boundary between two touching objects falls on the low-probability neck between them);
 *   3. foreground pieces no seed reaches become objects of their own; objects smaller than
 *      `minAreaPx` are dropped (back to background).
 */
export interface InstanceOptions {
  seedProbability?: number;
  minSeedPx?: number;
  minAreaPx?: number;
}

export interface LiveInstances {
  /** instance id per pixel, 0 background */
  ids: Uint32Array;
  /** class (1..) of each instance id, index 0 unused */
  classOf: number[];
  /** mean foreground probability of each instance (its score), index 0 unused */
  score: number[];
}

/** labels: argmax class per pixel (0 background); probs: per pixel and class (HWC, `classes` wide). */
export function liveInstances(labels: Uint8Array, probs: Float32Array, width: number, height: number, classes: number, opts: InstanceOptions = {}): LiveInstances {
  const n = width * height;
  if (labels.length !== n || probs.length !== n * classes) throw new RangeError(`labels/probs do not match ${width} x ${height} x ${classes}`);
  const seedP = opts.seedProbability ?? 0.8;
  const minSeed = opts.minSeedPx ?? 4;
  const minArea = opts.minAreaPx ?? 8;
  const fgP = new Float32Array(n);
  for (let i = 0; i < n; i++) fgP[i] = labels[i] ? probs[i * classes + labels[i]!]! : 0;
  const ids = new Uint32Array(n);
  const stack: number[] = [];
  const nbrs = (i: number, fn: (j: number) => void) => {
    const x = i % width;
    if (x > 0) fn(i - 1);
    if (x < width - 1) fn(i + 1);
    if (i >= width) fn(i - width);
    if (i < n - width) fn(i + width);
  };
  // 1. seeds
  let next = 1;
  const seedOk = (i: number, c: number) => labels[i] === c && fgP[i]! >= seedP;
  for (let i = 0; i < n; i++) {
    if (ids[i] || !labels[i] || fgP[i]! < seedP) continue;
    const c = labels[i]!;
    const id = next++;
    const members = [i];
    ids[i] = id;
    stack.push(i);
    while (stack.length) {
      const p = stack.pop()!;
      nbrs(p, (j) => {
        if (!ids[j] && seedOk(j, c)) {
          ids[j] = id;
          members.push(j);
          stack.push(j);
        }
      });
    }
    if (members.length < minSeed) {
      for (const m of members) ids[m] = 0;
      next--;
    }
  }
  // 2. flood by decreasing probability: a bucket queue over 256 probability levels
  const buckets: number[][] = Array.from({ length: 256 }, () => []);
  const level = (i: number) => Math.min(255, Math.floor(fgP[i]! * 255));
  const queued = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!ids[i]) continue;
    nbrs(i, (j) => {
      if (!ids[j] && labels[j] && !queued[j]) {
        queued[j] = 1;
        buckets[level(j)]!.push(j);
      }
    });
  }
  for (let b = 255; b >= 0; b--) {
    const q = buckets[b]!;
    while (q.length) {
      const p = q.pop()!;
      // join the neighbouring instance of the same class (first found)
      let join = 0;
      nbrs(p, (j) => {
        if (!join && ids[j] && labels[j] === labels[p]) join = ids[j]!;
      });
      if (!join) continue;
      ids[p] = join;
      nbrs(p, (j) => {
        if (!ids[j] && labels[j] && !queued[j]) {
          queued[j] = 1;
          const lj = level(j);
          buckets[Math.min(lj, b)]!.push(j);
        }
      });
    }
  }
  // 3. leftover foreground pieces
  for (let i = 0; i < n; i++) {
    if (ids[i] || !labels[i]) continue;
    const c = labels[i]!;
    const id = next++;
    ids[i] = id;
    stack.push(i);
    while (stack.length) {
      const p = stack.pop()!;
      nbrs(p, (j) => {
        if (!ids[j] && labels[j] === c) {
          ids[j] = id;
          stack.push(j);
        }
      });
    }
  }
  // sizes, classes, scores; drop small objects; renumber 1..k
  const area = new Float64Array(next);
  const sum = new Float64Array(next);
  const cls = new Array<number>(next).fill(0);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (!id) continue;
    area[id]!++;
    sum[id]! += fgP[i]!;
    cls[id] = labels[i]!;
  }
  const remap = new Uint32Array(next);
  const classOf = [0];
  const score = [0];
  for (let id = 1; id < next; id++) {
    if (area[id]! < minArea) continue;
    remap[id] = classOf.length;
    classOf.push(cls[id]!);
    score.push(sum[id]! / area[id]!);
  }
  for (let i = 0; i < n; i++) ids[i] = remap[ids[i]!]!;
  return { ids, classOf, score };
}
