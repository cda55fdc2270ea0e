/**
 * The live pixel classifier: a random forest on the per-image feature stack, trained only on
 * painted pixels. Label maps here use 0 = unknown (not painted; never training data),
 * 1 = background, 2.. = foreground classes (class index + 1); finished masks of other images
 * are label maps with no 0. Each class is capped per image (a finished mask must not drown the
 * strokes) and weighted so that every class has the same total weight (class balance).
 */
import { forEachFeatureBand } from './compute-feature-stack';
import type { FeatureImage, FeatureStack, FeatureStackOptions } from './feature-types';
import { ForestInputError, predictForest, trainForest, type ForestOptions, type RandomForest } from './random-forest';
import { createRng } from '../train/rng';

export interface LiveTrainingImage {
  stack: FeatureStack;
  /** per pixel: 0 unknown, 1 background, 2.. class + 1 */
  labels: Uint8Array;
}

export interface LiveTrainOptions {
  forest?: ForestOptions;
  /** most samples per class and image (default 4000) */
  maxPerClassPerImage?: number;
  seed?: number;
}

export interface LiveModel {
  kind: 'live-forest';
  features: FeatureStackOptions;
  featureNames: string[];
  /** classes incl. background (index 0 = background) */
  classes: number;
  forest: RandomForest;
  trainedOn: { images: number; samples: number; perClass: number[] };
}

export interface TrainingSet {
  x: Float32Array;
  y: Uint8Array;
  w: Float32Array;
  features: number;
  classes: number;
  perClass: number[];
}

/**
 * The painted pixels of one image, at most `maxPerClassPerImage` random ones per class
 * (weights are set when sets are merged). Cache it per image: a stroke resamples one image only.
 */
export function sampleImage(image: LiveTrainingImage, opts: LiveTrainOptions = {}): TrainingSet {
  const { stack, labels } = image;
  const f = stack.channels;
  if (labels.length !== stack.width * stack.height) throw new ForestInputError(`${labels.length} labels for ${stack.width} x ${stack.height} pixels`);
  const cap = opts.maxPerClassPerImage ?? 4000;
  const rng = createRng(opts.seed ?? 7);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === 0) continue;
    let a = byClass.get(l);
    if (!a) byClass.set(l, (a = []));
    a.push(i);
  }
  const classes = Math.max(0, ...byClass.keys());
  const perClass = new Array<number>(classes).fill(0);
  const rows: number[] = [];
  const ys: number[] = [];
  for (const [l, px] of [...byClass].sort((p, q) => p[0] - q[0])) {
    // partial Fisher-Yates: `cap` random pixels of this class
    const n = Math.min(cap, px.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(rng.next() * (px.length - i));
      const t = px[i]!;
      px[i] = px[j]!;
      px[j] = t;
      rows.push(px[i]!);
      ys.push(l - 1);
    }
    perClass[l - 1] = n;
  }
  const x = new Float32Array(rows.length * f);
  rows.forEach((i, r) => x.set(stack.data.subarray(i * f, i * f + f), r * f));
  return { x, y: Uint8Array.from(ys), w: new Float32Array(rows.length).fill(1), features: f, classes, perClass };
}

/** Concatenates per-image samples and weights every class to the same total (class balance). */
export function mergeTrainingSets(sets: TrainingSet[]): TrainingSet {
  if (!sets.length) throw new ForestInputError('no labelled images');
  const f = sets[0]!.features;
  for (const s of sets) if (s.features !== f) throw new ForestInputError(`an image has ${s.features} features; the first has ${f}`);
  const classes = Math.max(...sets.map((s) => s.classes));
  const perClass = new Array<number>(classes).fill(0);
  for (const s of sets) s.perClass.forEach((c, k) => (perClass[k]! += c));
  const present = perClass.filter((c) => c > 0).length;
  if (present < 2) throw new ForestInputError(present === 0 ? 'nothing is painted yet' : 'paint both an object and the background (only one class is painted)');
  const n = perClass.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * f);
  const y = new Uint8Array(n);
  let r = 0;
  for (const s of sets) {
    x.set(s.x, r * f);
    y.set(s.y, r);
    r += s.y.length;
  }
  const w = Float32Array.from(y, (c) => n / (present * perClass[c]!));
  return { x, y, w, features: f, classes: Math.max(2, classes), perClass };
}

/** Samples the painted pixels of every image into one weighted, class-balanced table. */
export function buildTrainingSet(images: LiveTrainingImage[], opts: LiveTrainOptions = {}): TrainingSet {
  if (!images.length) throw new ForestInputError('no labelled images');
  return mergeTrainingSets(images.map((im, k) => sampleImage(im, { ...opts, seed: (opts.seed ?? 7) + k })));
}

/** Trains the forest on a merged set. */
export function trainFromSet(set: TrainingSet, featureOpts: FeatureStackOptions, featureNames: string[], images: number, opts: LiveTrainOptions = {}): LiveModel {
  const forest = trainForest(set.x, set.y, set.w, set.features, set.classes, { seed: opts.seed, ...opts.forest });
  return { kind: 'live-forest', features: featureOpts, featureNames, classes: set.classes, forest, trainedOn: { images, samples: set.y.length, perClass: set.perClass } };
}

export function trainLiveModel(images: LiveTrainingImage[], featureOpts: FeatureStackOptions, opts: LiveTrainOptions = {}): LiveModel {
  return trainFromSet(buildTrainingSet(images, opts), featureOpts, images[0]!.stack.names, images.length, opts);
}

export interface LivePrediction {
  width: number;
  height: number;
  classes: number;
  /** per pixel and class (HWC) */
  probs: Float32Array;
  /** argmax class per pixel (0 = background) */
  labels: Uint8Array;
  /** 1 - (top probability - second probability), per pixel, in [0, 1] */
  uncertainty: Float32Array;
}

/** argmax and margin uncertainty of `n` pixels of probabilities (written from `offset`) */
export function finish(probs: Float32Array, n: number, K: number, labels: Uint8Array, unc: Float32Array, offset: number): void {
  for (let i = 0; i < n; i++) {
    let b = 0;
    let p1 = -1;
    let p2 = -1;
    for (let c = 0; c < K; c++) {
      const p = probs[i * K + c]!;
      if (p > p1) {
        p2 = p1;
        p1 = p;
        b = c;
      } else if (p > p2) p2 = p;
    }
    labels[offset + i] = b;
    unc[offset + i] = 1 - (p1 - Math.max(p2, 0));
  }
}

/** Predicts from a ready feature stack. */
export function predictStack(model: LiveModel, stack: FeatureStack): LivePrediction {
  if (stack.channels !== model.forest.features) throw new ForestInputError(`the image has ${stack.channels} features; the model was trained on ${model.forest.features}`);
  const n = stack.width * stack.height;
  const K = model.classes;
  const probs = predictForest(model.forest, stack.data, n);
  const labels = new Uint8Array(n);
  const uncertainty = new Float32Array(n);
  finish(probs, n, K, labels, uncertainty, 0);
  return { width: stack.width, height: stack.height, classes: K, probs, labels, uncertainty };
}

/** Predicts an image band by band: its whole feature stack is never held (large images). */
export function predictImage(model: LiveModel, image: FeatureImage): LivePrediction {
  const { width: w, height: h } = image;
  const K = model.classes;
  const probs = new Float32Array(w * h * K);
  const labels = new Uint8Array(w * h);
  const uncertainty = new Float32Array(w * h);
  forEachFeatureBand(image, model.features, (band, nf) => {
    if (nf !== model.forest.features) throw new ForestInputError(`the image has ${nf} features; the model was trained on ${model.forest.features}`);
    const n = band.rows * w;
    const p = probs.subarray(band.y0 * w * K, (band.y0 * w + n) * K);
    predictForest(model.forest, band.data, n, p);
    finish(p, n, K, labels, uncertainty, band.y0 * w);
  });
  return { width: w, height: h, classes: K, probs, labels, uncertainty };
}

