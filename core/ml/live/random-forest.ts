/**
 * A small random forest (Breiman; as ilastik uses) for per-pixel classification, pure TS.
 * Features are quantised to at most `bins` quantile bins once per training set, so a split
 * search is one weighted class histogram per candidate feature (O(samples) per node and
 * feature). Splits maximise the weighted Gini gain over `mtry` random features (default
 * sqrt(F)); sample weights carry the class balance. Leaves hold class probabilities; the forest
 * averages them. Trees are flat typed arrays (serialisable as plain arrays).
 */
import { createRng, type Rng } from '../train/rng';
import { withLiveKernels, type LiveKernels } from '../wasm-kernels/live-kernels';

export interface ForestOptions {
  trees?: number;
  maxDepth?: number;
  minLeaf?: number;
  /** features tried per split (default round(sqrt(F))) */
  mtry?: number;
  /** bootstrap size per tree (default min(samples, 20000)) */
  samplesPerTree?: number;
  /** quantile bins per feature, <= 256 (default 64) */
  bins?: number;
  seed?: number;
}

export interface ForestTree {
  /** split feature per node, -1 at leaves */
  feature: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** class probabilities per node (nodes x classes) */
  value: Float32Array;
}

export interface RandomForest {
  classes: number;
  features: number;
  trees: ForestTree[];
}

export class ForestInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForestInputError';
  }
}

/** Quantile cut points per feature from (a sample of) the rows: value <= edges[b] -> bin <= b. */
function binEdges(x: Float32Array, n: number, f: number, bins: number, rng: Rng): Float32Array[] {
  const take = Math.min(n, 8192);
  const rows = Array.from({ length: take }, (_, i) => (take === n ? i : Math.floor(rng.next() * n)));
  const edges: Float32Array[] = [];
  const col = new Float32Array(take);
  for (let j = 0; j < f; j++) {
    for (let i = 0; i < take; i++) col[i] = x[rows[i]! * f + j]!;
    col.sort();
    const cuts: number[] = [];
    for (let b = 1; b < bins; b++) {
      const v = col[Math.min(take - 1, Math.floor((b * take) / bins))]!;
      if (v > (cuts.length ? cuts[cuts.length - 1]! : col[0]!)) cuts.push(v);
    }
    edges.push(Float32Array.from(cuts));
  }
  return edges;
}

function binOf(v: number, e: Float32Array): number {
  let lo = 0;
  let hi = e.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (v < e[m]!) hi = m;
    else lo = m + 1;
  }
  return lo;
}

/**
 * Trains a forest. x: n x f row-major features; y: class 0..classes-1 per row; w: weight per row
 * (null: 1).
 */
export function trainForest(x: Float32Array, y: Uint8Array, w: Float32Array | null, f: number, classes: number, opts: ForestOptions = {}): RandomForest {
  const n = y.length;
  if (n < 1) throw new ForestInputError('no training samples (paint at least one stroke of each class)');
  if (x.length !== n * f) throw new ForestInputError(`features have ${x.length} values; ${n} samples x ${f} features need ${n * f}`);
  if (classes < 2) throw new ForestInputError(`need at least 2 classes (got ${classes})`);
  for (let i = 0; i < n; i++) if (y[i]! >= classes) throw new ForestInputError(`label ${y[i]} out of range 0..${classes - 1}`);
  const trees = opts.trees ?? 32;
  const maxDepth = opts.maxDepth ?? 14;
  const minLeaf = Math.max(1, opts.minLeaf ?? 2);
  const mtry = Math.max(1, Math.min(f, opts.mtry ?? Math.round(Math.sqrt(f))));
  const m = Math.min(n, opts.samplesPerTree ?? 20000);
  const bins = Math.min(256, Math.max(2, opts.bins ?? 64));
  const rng = createRng(opts.seed ?? 1);
  const edges = binEdges(x, n, f, bins, rng);
  const binned = new Uint8Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) binned[i * f + j] = binOf(x[i * f + j]!, edges[j]!);
  const weights = w ?? new Float32Array(n).fill(1);
  const K = classes;
  const hist = new Float64Array(bins * K);
  const hcnt = new Int32Array(bins);
  const out: ForestTree[] = [];
  for (let t = 0; t < trees; t++) {
    const idx = new Int32Array(m);
    for (let i = 0; i < m; i++) idx[i] = Math.floor(rng.next() * n);
    const feature: number[] = [];
    const threshold: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const value: number[] = [];
    const newNode = () => {
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
      right.push(-1);
      for (let c = 0; c < K; c++) value.push(0);
      return feature.length - 1;
    };
    const stack: [number, number, number, number][] = [[newNode(), 0, m, 0]];
    const tot = new Float64Array(K);
    const lt = new Float64Array(K);
    while (stack.length) {
      const [node, s, e, depth] = stack.pop()!;
      tot.fill(0);
      for (let i = s; i < e; i++) tot[y[idx[i]!]!]! += weights[idx[i]!]!;
      let W = 0;
      let pure = 0;
      for (let c = 0; c < K; c++) {
        W += tot[c]!;
        if (tot[c]! > 0) pure++;
      }
      for (let c = 0; c < K; c++) value[node * K + c] = W > 0 ? tot[c]! / W : 1 / K;
      if (depth >= maxDepth || e - s < 2 * minLeaf || pure <= 1 || W <= 0) continue;
      let parentScore = 0;
      for (let c = 0; c < K; c++) parentScore += tot[c]! * tot[c]!;
      parentScore /= W;
      let bestGain = 1e-12;
      let bestF = -1;
      let bestB = -1;
      for (let k = 0; k < mtry; k++) {
        const j = Math.floor(rng.next() * f);
        const nb = edges[j]!.length + 1;
        if (nb < 2) continue;
        hist.fill(0, 0, nb * K);
        hcnt.fill(0, 0, nb);
        for (let i = s; i < e; i++) {
          const r = idx[i]!;
          const b = binned[r * f + j]!;
          hist[b * K + y[r]!]! += weights[r]!;
          hcnt[b]!++;
        }
        lt.fill(0);
        let lc = 0;
        for (let b = 0; b < nb - 1; b++) {
          let WL = 0;
          for (let c = 0; c < K; c++) WL += (lt[c]! += hist[b * K + c]!);
          lc += hcnt[b]!;
          if (lc < minLeaf) continue;
          if (e - s - lc < minLeaf) break;
          const WR = W - WL;
          if (WL <= 0 || WR <= 0) continue;
          let sl = 0;
          let sr = 0;
          for (let c = 0; c < K; c++) {
            sl += lt[c]! * lt[c]!;
            const rc = tot[c]! - lt[c]!;
            sr += rc * rc;
          }
          const gain = sl / WL + sr / WR - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestF = j;
            bestB = b;
          }
        }
      }
      if (bestF < 0) continue;
      // partition: bin <= bestB left
      let a = s;
      let z = e - 1;
      while (a <= z) {
        if (binned[idx[a]! * f + bestF]! <= bestB) a++;
        else {
          const tmp = idx[a]!;
          idx[a] = idx[z]!;
          idx[z] = tmp;
          z--;
        }
      }
      feature[node] = bestF;
      // bin <= b  <=>  value < edges[b]; stored as "value < threshold goes left"
      threshold[node] = edges[bestF]![bestB]!;
      const l = newNode();
      const r = newNode();
      left[node] = l;
      right[node] = r;
      stack.push([l, s, a, depth + 1], [r, a, e, depth + 1]);
    }
    out.push({ feature: Int32Array.from(feature), threshold: Float32Array.from(threshold), left: Int32Array.from(left), right: Int32Array.from(right), value: Float32Array.from(value) });
  }
  return { classes: K, features: f, trees: out };
}

/**
 * A forest as the wasm kernel reads it: 4 words per node {feature, threshold, left, right}, node
 * indices over all trees; a leaf is {-1, -inf, itself, itself}, so a row that reaches it stays
 * there while the other rows of its group of eight descend.
 */
interface PackedForest {
  nodes: Int32Array;
  roots: Int32Array;
  depth: Int32Array;
  value: Float32Array;
}
const packed = new WeakMap<RandomForest, PackedForest>();

function pack(forest: RandomForest): PackedForest {
  let p = packed.get(forest);
  if (p) return p;
  const total = forest.trees.reduce((a, t) => a + t.feature.length, 0);
  const nodes = new Int32Array(total * 4);
  const thr = new Float32Array(nodes.buffer);
  const value = new Float32Array(total * forest.classes);
  const roots = new Int32Array(forest.trees.length);
  const depth = new Int32Array(forest.trees.length);
  let base = 0;
  forest.trees.forEach((t, k) => {
    roots[k] = base;
    const m = t.feature.length;
    const d = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const o = (base + i) * 4;
      const leaf = t.feature[i]! < 0;
      const l = t.left[i]!;
      const r = t.right[i]!;
      if (!leaf && !(l >= 0 && l < m && r >= 0 && r < m)) throw new ForestInputError(`tree ${k} node ${i} has children ${l}, ${r} outside its ${m} nodes`);
      nodes[o] = leaf ? -1 : t.feature[i]!;
      thr[o + 1] = leaf ? -Infinity : t.threshold[i]!;
      nodes[o + 2] = base + (leaf ? i : l);
      nodes[o + 3] = base + (leaf ? i : r);
    }
    // depth: longest root-to-leaf path (iterative; children need not follow their parent)
    let deepest = 0;
    const stack = [0];
    d[0] = 0;
    while (stack.length) {
      const i = stack.pop()!;
      if (t.feature[i]! < 0) deepest = Math.max(deepest, d[i]!);
      else {
        if (d[i]! >= m) throw new ForestInputError(`tree ${k} has a cycle`);
        for (const c of [t.left[i]!, t.right[i]!]) {
          d[c] = d[i]! + 1;
          stack.push(c);
        }
      }
    }
    depth[k] = deepest;
    value.set(t.value, base * forest.classes);
    base += m;
  });
  packed.set(forest, (p = { nodes, roots, depth, value }));
  return p;
}

/** rows predicted per wasm call (their features copied in, probabilities copied out) */
const PREDICT_CHUNK = 4096;

/**
 * rows: null (x holds rows 0..n-1, f values each) or the element offset in x of each of the n
 * rows (gathered straight into wasm memory, no copy of the gathered table).
 */
function predictWasm(K: LiveKernels, forest: RandomForest, x: Float32Array, n: number, rows: Int32Array | null, out: Float32Array): Float32Array {
  const { features: f, classes: C } = forest;
  const p = pack(forest);
  const nodes = K.put(p.nodes);
  const roots = K.put(p.roots);
  const depth = K.put(p.depth);
  const value = K.put(p.value);
  const chunk = Math.min(n, PREDICT_CHUNK);
  const xp = K.alloc(chunk * f);
  const op = K.alloc(chunk * C);
  const inv = 1 / forest.trees.length;
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const m = Math.min(chunk, n - i0);
    const xv = K.f32(xp, m * f);
    if (!rows) xv.set(x.subarray(i0 * f, (i0 + m) * f));
    else
      for (let i = 0, r = 0; i < m; i++) {
        const o = rows[i0 + i]!;
        for (let j = 0; j < f; j++, r++) xv[r] = x[o + j]!;
      }
    K.k.rf_predict(xp, m, f, nodes, roots, depth, forest.trees.length, value, C, inv, op);
    out.set(K.f32(op, m * C), i0 * C);
  }
  return out;
}

/**
 * Class probabilities (n x classes) of n rows of features (row-major, forest.features wide). On
 * the SIMD wasm kernel (c/filter-bank.c rf_predict) where it runs, else in TS; both give the
 * same float32 results bit for bit.
 */
export function predictForest(forest: RandomForest, x: Float32Array, n: number, out: Float32Array = new Float32Array(n * forest.classes)): Float32Array {
  const { features: f } = forest;
  if (x.length < n * f) throw new ForestInputError(`features have ${x.length} values; ${n} rows x ${f} features need ${n * f}`);
  return predictWith(forest, x, n, null, out);
}

/**
 * predictForest of the rows of x that start at the element offsets `rows` (e.g. every other
 * pixel of a feature stack), without gathering them into a table first.
 */
export function predictForestRows(forest: RandomForest, x: Float32Array, rows: Int32Array, out: Float32Array = new Float32Array(rows.length * forest.classes)): Float32Array {
  const { features: f } = forest;
  for (let i = 0; i < rows.length; i++) if (!(rows[i]! >= 0 && rows[i]! + f <= x.length)) throw new ForestInputError(`row ${i} starts at ${rows[i]}, outside the ${x.length} feature values`);
  return predictWith(forest, x, rows.length, rows, out);
}

function predictWith(forest: RandomForest, x: Float32Array, n: number, rows: Int32Array | null, out: Float32Array): Float32Array {
  const { features: f, classes: K } = forest;
  const ts = () => {
    if (!rows) return predictForestTs(forest, x, n, out);
    const g = new Float32Array(n * f);
    for (let i = 0, r = 0; i < n; i++) for (let j = 0; j < f; j++, r++) g[r] = x[rows[i]! + j]!;
    return predictForestTs(forest, g, n, out);
  };
  if (n <= 0 || !forest.trees.length) return ts();
  const nodes = forest.trees.reduce((a, t) => a + t.feature.length, 0);
  const bytes = 4 * (nodes * (4 + K) + 2 * forest.trees.length + Math.min(n, PREDICT_CHUNK) * (f + K)) + 2 ** 16;
  return withLiveKernels(bytes, (k) => predictWasm(k, forest, x, n, rows, out), ts);
}

function predictForestTs(forest: RandomForest, x: Float32Array, n: number, out: Float32Array): Float32Array {
  const { features: f, classes: K, trees } = forest;
  out.fill(0, 0, n * K);
  const inv = 1 / trees.length;
  for (const t of trees) {
    const { feature, threshold, left, right, value } = t;
    for (let i = 0; i < n; i++) {
      const o = i * f;
      let node = 0;
      let j = feature[0]!;
      while (j >= 0) {
        node = x[o + j]! < threshold[node]! ? left[node]! : right[node]!;
        j = feature[node]!;
      }
      const vo = node * K;
      const po = i * K;
      for (let c = 0; c < K; c++) out[po + c]! += value[vo + c]! * inv;
    }
  }
  return out;
}

/** Plain-JSON form (for model files) and back. */
export function forestToJson(forest: RandomForest): object {
  return { classes: forest.classes, features: forest.features, trees: forest.trees.map((t) => ({ feature: Array.from(t.feature), threshold: Array.from(t.threshold), left: Array.from(t.left), right: Array.from(t.right), value: Array.from(t.value) })) };
}

export function forestFromJson(json: unknown): RandomForest {
  const j = json as { classes?: number; features?: number; trees?: Record<string, number[]>[] };
  if (!j || typeof j.classes !== 'number' || typeof j.features !== 'number' || !Array.isArray(j.trees)) throw new ForestInputError('not a random-forest model file');
  return {
    classes: j.classes,
    features: j.features,
    trees: j.trees.map((t) => ({ feature: Int32Array.from(t.feature!), threshold: Float32Array.from(t.threshold!), left: Int32Array.from(t.left!), right: Int32Array.from(t.right!), value: Float32Array.from(t.value!) })),
  };
}
