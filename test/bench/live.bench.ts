/**
 * The live pixel classifier (core/ml/live, issue 11) under a simulated annotator:
 *
 *   1. dsb2018 TRAIN -> TEST (split of ml-model.bench.ts / peers README): pooled TEST IoU after
 *      simulated scribbles (simulate-scribbles.ts: a stroke along the main axis of up to 10
 *      objects + 6 background strokes per image) on 1, 2 and 5 TRAIN images, and after the full
 *      masks of 1, 5 and 20 TRAIN images (import order). "1 image" is also repeated for each of
 *      the first 5 TRAIN images (median), since one image decides everything there.
 *   2. fruits-nuts (18 photos, 3 classes): scribbles / full masks on images 0, 0-1 (0-4 for full
 *      masks); scored on images 5-17, class-aware mean IoU over date/fig/hazelnut (pooled).
 *   3. latency: features of a 1024^2 RGB image, retrain after a stroke with 5 scribbled images,
 *      predict 1024^2 from cached features; memory: feature bytes per megapixel and the peak RSS
 *      growth while predicting a 4096^2 image band by band.
 *   4. the U-Nets beside it, trained IN THIS RUN on the same full masks (dsb 1/5/20 TRAIN images,
 *      fruits images 0-1) through the product path (TrainingJob, 2 wasm workers) with the
 *      product's defaults (resources/models/defaults.json: attention U-Net lite, crop 128,
 *      batch 4 per worker, lr 3e-3) and its default budget (DEFAULT_TRAIN_BUDGET_S, 120 s;
 *      BENCH_LIVE_UNET_S overrides, 0 skips), and the MobileNetV2-encoder U-Net with the same
 *      recipe; scored with the same TEST metric as the forest.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeImage } from '../../core/imaging/decode-image';
import { computeFeatureStack, DEFAULT_SCALES } from '../../core/ml/live/compute-feature-stack';
import type { FeatureImage, FeatureStack, FeatureStackOptions } from '../../core/ml/live/feature-types';
import { mergeTrainingSets, predictStack, sampleImage, trainFromSet, type LiveModel, type TrainingSet } from '../../core/ml/live/live-classifier';
import { encodeLiveModel } from '../../core/ml/live/live-model-file';
import { concatStacks, MobileNetFeatures } from '../../core/ml/live/mobilenet-features';
import { findNsfwjsMobileNet } from '../../core/ml/models/mobilenet-unet';
import { selectBackend } from '../../core/ml/backend';
import { simulateScribbles } from '../../core/ml/live/simulate-scribbles';
import { createRng } from '../../core/ml/train/rng';
import { median, percentile, type BenchContext, type BenchResult, type BenchRow, type BenchSuite } from './bench-types';
import { dsbSplit, loadDsb, trainInWorkers } from './ml-model.bench';
import { liveInstances } from '../../core/ml/live/live-instances';
import { DEFAULT_TRAIN_BUDGET_S } from '../../core/api/types';
import { projectModelDefaults } from '../../core/ml/models/project-defaults';
import { defaultModelConfig, REFERENCE_UNET, type SegModelConfig } from '../../core/ml/models/model-config';
import { defaultTrainConfig } from '../../core/ml/train/train';
import { predictImage as predictUnet } from '../../core/ml/infer/predict-image';
import { normalizeInput, type ModelImage } from '../../core/ml/model-image';
import type { TrainingSample } from '../../core/ml/train/training-sample';

/** microscopy: per-image robust contrast and dark-background polarity; photos: contrast only */
const DSB_FEATURES: FeatureStackOptions = { scales: [...DEFAULT_SCALES], normalize: 'robust', polarity: 'dark-background' };
const PHOTO_FEATURES: FeatureStackOptions = { scales: [...DEFAULT_SCALES], normalize: 'robust' };
let FEATURES: FeatureStackOptions = DSB_FEATURES;
/** MobileNetV2 live features: projected channels per stride, longest side of the copy the encoder reads */
const MN_DIMS = 16;
const MN_SIDE = 512;

interface Labelled {
  id: string;
  image: FeatureImage;
  /** class per pixel, 0 background */
  semantic: Uint8Array;
  instances: Uint32Array;
}

async function loadFruit(dir: string, id: string): Promise<Labelled> {
  const img = await decodeImage(path.join(dir, 'images', `${id}.jpg`));
  const sem = await decodeImage(path.join(dir, 'semantic_masks', `${id}.png`));
  const inst = await decodeImage(path.join(dir, 'instance_labels', `${id}.png`), { keepDepth: true });
  const n = img.width * img.height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = img.data[i * img.channels + Math.min(c, img.channels - 1)]!;
  return {
    id,
    image: { data: rgb, width: img.width, height: img.height, channels: 3 },
    semantic: Uint8Array.from({ length: n }, (_, i) => sem.data[i * sem.channels]!),
    instances: Uint32Array.from({ length: n }, (_, i) => inst.data[i * inst.channels]!),
  };
}

class Scores {
  readonly tp: number[];
  readonly fp: number[];
  readonly fn: number[];
  readonly perImageFg: number[] = [];
  constructor(readonly k: number) {
    this.tp = new Array<number>(k).fill(0);
    this.fp = new Array<number>(k).fill(0);
    this.fn = new Array<number>(k).fill(0);
  }
  add(pred: Uint8Array, truth: Uint8Array): void {
    let i1 = 0;
    let u1 = 0;
    for (let i = 0; i < truth.length; i++) {
      const p = pred[i]!;
      const t = truth[i]!;
      if (p === t) this.tp[t]!++;
      else {
        this.fp[p]!++;
        this.fn[t]!++;
      }
      if (p && t) i1++;
      if (p || t) u1++;
    }
    this.perImageFg.push(u1 ? i1 / u1 : 1);
  }
  iou(c: number): number {
    return this.tp[c]! / Math.max(1, this.tp[c]! + this.fp[c]! + this.fn[c]!);
  }
  /** mean over foreground classes of the pooled IoU */
  miou(): number {
    let s = 0;
    for (let c = 1; c < this.k; c++) s += this.iou(c);
    return s / (this.k - 1);
  }
  meanPerImage(): number {
    return this.perImageFg.reduce((a, b) => a + b, 0) / Math.max(1, this.perImageFg.length);
  }
}

/** binary fg scorer: predictions and truth collapsed to 0/1 */
function fgOnly(x: Uint8Array): Uint8Array {
  return Uint8Array.from(x, (v) => (v ? 1 : 0));
}

interface Prepared {
  scribble: TrainingSet;
  full: TrainingSet;
  names: string[];
}

type Extra = ((img: FeatureImage) => FeatureStack) | null;

function stackOf(img: FeatureImage, extra: Extra): FeatureStack {
  const s = computeFeatureStack(img, FEATURES);
  return extra ? concatStacks(s, extra(img)) : s;
}

function prepare(d: Labelled, seed: number, timings: number[], extra: Extra = null): Prepared {
  const t0 = performance.now();
  const stack = stackOf(d.image, extra);
  timings.push((performance.now() - t0) / (d.image.width * d.image.height / 1e6));
  const scribbleLabels = simulateScribbles(d.instances, d.image.width, d.image.height, createRng(seed), {}, (id) => {
    const i = d.instances.indexOf(id);
    return Math.max(1, d.semantic[i]!);
  });
  const fullLabels = Uint8Array.from(d.semantic, (c) => c + 1);
  return { scribble: sampleImage({ stack, labels: scribbleLabels }, { seed }), full: sampleImage({ stack, labels: fullLabels }, { seed }), names: stack.names };
}

function train(sets: TrainingSet[], names: string[], trainTimes: number[]): LiveModel {
  const t0 = performance.now();
  const m = trainFromSet(mergeTrainingSets(sets), FEATURES, names, sets.length);
  trainTimes.push(performance.now() - t0);
  return m;
}

function evaluate(models: Record<string, LiveModel>, test: Labelled[], k: number, binary: boolean, extra: Extra = null): Record<string, Scores> {
  const scores: Record<string, Scores> = {};
  for (const name of Object.keys(models)) scores[name] = new Scores(binary ? 2 : k);
  for (const d of test) {
    const stack = stackOf(d.image, extra);
    const truth = binary ? fgOnly(d.semantic) : d.semantic;
    for (const [name, m] of Object.entries(models)) {
      const p = predictStack(m, stack).labels;
      scores[name]!.add(binary ? fgOnly(p) : p, truth);
    }
  }
  return scores;
}

/**
 * Object-level class decision (measured, not used by the product): foreground = background
 * probability < 0.5, split into objects as the product splits instances (live-instances.ts),
 * then each object takes the class with the largest summed probability over its pixels.
 */
function objectVote(probs: Float32Array, w: number, h: number, K: number): Uint8Array {
  const n = w * h;
  const fg = new Uint8Array(n);
  const p2 = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const bg = probs[i * K]!;
    fg[i] = bg < 0.5 ? 1 : 0;
    p2[i * 2] = bg;
    p2[i * 2 + 1] = 1 - bg;
  }
  const inst = liveInstances(fg, p2, w, h, 2, { minAreaPx: 8 });
  const m = inst.classOf.length;
  const sums = new Float64Array(m * K);
  for (let i = 0; i < n; i++) {
    const id = inst.ids[i]!;
    if (id) for (let c = 1; c < K; c++) sums[id * K + c]! += probs[i * K + c]!;
  }
  const cls = new Uint8Array(m);
  for (let id = 1; id < m; id++) {
    let b = 1;
    for (let c = 2; c < K; c++) if (sums[id * K + c]! > sums[id * K + b]!) b = c;
    cls[id] = b;
  }
  return Uint8Array.from(inst.ids, (id) => (id ? cls[id]! : 0));
}

/** The U-Nets of this run: the product's default (segmentation defaults) and the MobileNetV2-encoder U-Net with the same recipe. */
interface UnetSpec {
  key: string;
  label: string;
  config(classes: number): SegModelConfig;
}

function unetSpecs(nsfw: string | null): UnetSpec[] {
  const d = projectModelDefaults('segmentation');
  const classIds = (k: number) => Array.from({ length: k }, (_, i) => i + 1);
  const specs: UnetSpec[] = [
    { key: 'unet-lite', label: `attention U-Net lite (product default, base ${d.model.unet?.baseWidth ?? '?'})`, config: (k) => defaultModelConfig({ ...d.model, unet: { ...d.model.unet }, classes: k, classIds: classIds(k), seed: 1 }) },
  ];
  if (nsfw) {
    specs.push({
      key: 'unet-mobilenet',
      label: 'MobileNetV2-encoder U-Net (nsfwjs, frozen; decoder base 16)',
      config: (k) => defaultModelConfig({ arch: 'mobilenet-unet', unet: REFERENCE_UNET, inputNorm: 'unit', classes: k, classIds: classIds(k), seed: 1, encoder: { modelJsonPath: nsfw, trainableBlocks: 0, inputScale: 1, inputOffset: 0 } }),
    });
  }
  return specs;
}

interface TrainedUnet {
  predict(img: ModelImage): Promise<Uint8Array>;
  note: string;
  dispose(): void;
}

/** Trains one U-Net on full masks for `budgetS` with the product's default recipe. */
async function trainUnet(spec: UnetSpec, classes: number, data: { image: ModelImage; labels: Uint8Array }[], budgetS: number, log: (m: string) => void, tag: string): Promise<TrainedUnet> {
  const cfg = spec.config(classes);
  const { workers: _w, ...recipe } = projectModelDefaults('segmentation').train;
  void _w;
  const train = defaultTrainConfig(cfg, { ...recipe, timeBudgetMs: budgetS * 1000, valEvery: 0, seed: 0 });
  const samples: TrainingSample[] = data.map((d, i) => {
    const img = normalizeInput({ ...d.image, data: d.image.data.slice() }, cfg.inputNorm);
    return { id: i, width: img.width, height: img.height, channels: img.channels, image: img.data, labels: d.labels, weights: null, instances: null };
  });
  const t0 = performance.now();
  const { model, outcome } = await trainInWorkers(train, samples, log, tag);
  const wall = (performance.now() - t0) / 1000;
  log(`${tag}: ${outcome.steps} steps in ${(outcome.trainMs / 1000).toFixed(0)} s (wall ${wall.toFixed(0)} s), loss ${outcome.lossFirst.toFixed(3)} -> ${outcome.lossLast.toFixed(3)}`);
  return {
    note: `${outcome.steps} steps in ${(outcome.trainMs / 1000).toFixed(0)} s (budget ${budgetS} s), loss ${outcome.lossFirst.toFixed(2)} -> ${outcome.lossLast.toFixed(2)}`,
    predict: async (img) => (await predictUnet(model, cfg, normalizeInput({ ...img, data: img.data.slice() }, cfg.inputNorm), { tileSize: 512, overlap: 64 })).classMap,
    dispose: () => model.dispose(),
  };
}

/** 8-bit RGB as the U-Net reads it (0..1). */
function unitImage(img: FeatureImage): ModelImage {
  return { width: img.width, height: img.height, channels: 3, data: Float32Array.from(img.data as ArrayLike<number>, (v) => v / 255) };
}

function timeMs(fn: () => void, reps: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const suite: BenchSuite = {
  name: 'live',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const rows: BenchRow[] = [];
    const conditions = `${os.cpus().length} cores shared with other engineers' runs; load avg at start ${os.loadavg()[0]!.toFixed(1)}`;
    const featTimes: number[] = [];
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
    const trainTimes: number[] = [];

    // ---------------------------------------------------------------- dsb2018
    const dsbDir = path.join(ctx.datasetsDir, 'dsb2018-nuclei');
    const split = dsbSplit(dsbDir);
    const nTrain = ctx.quick ? 5 : 20;
    const toLabelled = async (id: string): Promise<Labelled> => {
      const d = await loadDsb(dsbDir, id);
      return { id, image: d.rgb, semantic: d.semantic, instances: d.instances };
    };
    const prepTrain: Prepared[] = [];
    for (const [i, id] of split.train.slice(0, nTrain).entries()) prepTrain.push(prepare(await toLabelled(id), 100 + i, featTimes));
    const names = prepTrain[0]!.names;
    ctx.log(`dsb: ${prepTrain.length} TRAIN images prepared (${names.length} features)`);
    const dsbModels: Record<string, LiveModel> = {
      'scribbles 1': train(prepTrain.slice(0, 1).map((p) => p.scribble), names, trainTimes),
      'scribbles 2': train(prepTrain.slice(0, 2).map((p) => p.scribble), names, trainTimes),
      'scribbles 5': train(prepTrain.slice(0, 5).map((p) => p.scribble), names, trainTimes),
      'full 1': train(prepTrain.slice(0, 1).map((p) => p.full), names, trainTimes),
      'full 5': train(prepTrain.slice(0, 5).map((p) => p.full), names, trainTimes),
    };
    if (!ctx.quick) dsbModels['full 20'] = train(prepTrain.slice(0, 20).map((p) => p.full), names, trainTimes);
    for (let i = 1; i < 5; i++) dsbModels[`scribbles 1 (image ${i + 1})`] = train([prepTrain[i]!.scribble], names, trainTimes);
    const test: Labelled[] = [];
    for (const id of split.test.slice(0, ctx.quick ? 5 : 20)) test.push(await toLabelled(id));
    const dsb = evaluate(dsbModels, test, 2, true);
    const single = [dsb['scribbles 1']!, ...[1, 2, 3, 4].map((i) => dsb[`scribbles 1 (image ${i + 1})`]!)].map((s) => s.iou(1));
    const dsbTargets: Record<string, [string, (v: number) => boolean]> = {
      'scribbles 1': ['>= 0.70', (v) => v >= 0.7],
      'full 5': ['>= 0.75', (v) => v >= 0.75],
    };
    for (const key of ['scribbles 1', 'scribbles 2', 'scribbles 5', 'full 1', 'full 5', 'full 20']) {
      const s = dsb[key];
      if (!s) continue;
      const v = s.iou(1);
      const t = dsbTargets[key];
      const m = dsbModels[key]!;
      rows.push({ metric: `dsb TEST IoU pooled, live forest, ${key.replace('full', 'full masks of').replace('scribbles', 'scribbles on')} TRAIN image(s)`, value: v, unit: '', ...(t ? { target: t[0], met: t[1](v) } : {}), note: `mean/image ${s.meanPerImage().toFixed(3)}; ${m.trainedOn.samples} samples` });
    }
    rows.push({ metric: 'dsb TEST IoU pooled, scribbles on 1 TRAIN image, median over TRAIN images 1-5', value: median(single), unit: '', target: '>= 0.70', met: median(single) >= 0.7, note: `each: ${single.map((v) => v.toFixed(3)).join(', ')}` });
    // diagnosis of 'full 5': TRAIN image 4 is a 1024^2 bright-field image (2 % nuclei); TEST has none of its kind
    {
      const m = train([0, 1, 2, 4].map((i) => prepTrain[i]!.full), names, trainTimes);
      const sc = evaluate({ m }, test, 2, true).m!;
      rows.push({ metric: 'dsb TEST IoU pooled, live forest, full masks of TRAIN images 1-3 and 5 (diagnosis: without the bright-field TRAIN image 4)', value: sc.iou(1), unit: '', note: `mean/image ${sc.meanPerImage().toFixed(3)}; not a protocol row` });
    }
    ctx.log('dsb live done');

    // the U-Nets, trained in this run on the same full masks
    const unetS = Number(process.env.BENCH_LIVE_UNET_S ?? DEFAULT_TRAIN_BUDGET_S);
    const nsfw = findNsfwjsMobileNet(root);
    const specs = unetS > 0 ? unetSpecs(nsfw) : [];
    if (specs.length) await selectBackend({ force: 'wasm', env: {} });
    const dsbFull: { image: ModelImage; labels: Uint8Array }[] = [];
    for (const id of split.train.slice(0, nTrain)) {
      const d = await loadDsb(dsbDir, id);
      dsbFull.push({ image: d.rgb, labels: d.semantic });
    }
    for (const spec of specs) {
      for (const k of ctx.quick ? [1, 5] : [1, 5, 20]) {
        const u = await trainUnet(spec, 1, dsbFull.slice(0, k), unetS, ctx.log, `dsb ${spec.key} full ${k}`);
        const sc = new Scores(2);
        for (const d of test) sc.add(await u.predict(d.image as ModelImage), d.semantic);
        u.dispose();
        const t = k === 5 ? { target: '>= 0.75', met: sc.iou(1) >= 0.75 } : {};
        rows.push({ metric: `dsb TEST IoU pooled, ${spec.label}, full masks of ${k} TRAIN image(s), ${unetS} s`, value: sc.iou(1), unit: '', ...t, note: `mean/image ${sc.meanPerImage().toFixed(3)}; ${u.note}; trained in this run` });
      }
    }
    if (unetS > 0 && !nsfw) ctx.log('MobileNetV2-encoder U-Net skipped: the nsfwjs package is not installed');
    ctx.log('dsb U-Nets done');

    // ---------------------------------------------------------------- fruits-nuts
    FEATURES = PHOTO_FEATURES;
    const fnDir = path.join(ctx.datasetsDir, 'fruits-nuts-coco');
    const fruitIds = Array.from({ length: 18 }, (_, i) => String(i));
    const fTrain: Prepared[] = [];
    const fruits: Labelled[] = [];
    for (const id of fruitIds) fruits.push(await loadFruit(fnDir, id));
    for (let i = 0; i < 5; i++) fTrain.push(prepare(fruits[i]!, 200 + i, featTimes));
    const fNames = fTrain[0]!.names;
    const fModels: Record<string, LiveModel> = {
      'scribbles 1': train([fTrain[0]!.scribble], fNames, trainTimes),
      'scribbles 2': train(fTrain.slice(0, 2).map((p) => p.scribble), fNames, trainTimes),
      'full 1': train([fTrain[0]!.full], fNames, trainTimes),
      'full 2': train(fTrain.slice(0, 2).map((p) => p.full), fNames, trainTimes),
      'full 5': train(fTrain.slice(0, 5).map((p) => p.full), fNames, trainTimes),
    };
    const fTest = fruits.slice(5, ctx.quick ? 8 : 18);
    const fs4 = evaluate(fModels, fTest, 4, false);
    for (const key of Object.keys(fModels)) {
      const s = fs4[key]!;
      const t = key.endsWith(' 2');
      rows.push({ metric: `fruits-nuts mean IoU (date/fig/hazelnut, pooled over images 5-17), live forest, ${key.replace('full', 'full masks of').replace('scribbles', 'scribbles on')} image(s)`, value: s.miou(), unit: '', ...(t ? { target: '>= 0.80', met: s.miou() >= 0.8 } : {}), note: `per class ${[1, 2, 3].map((c) => s.iou(c).toFixed(2)).join('/')}; class-agnostic fg mean/image ${s.meanPerImage().toFixed(3)}` });
    }
    // diagnosis: per background (images 5-10 on the white tray of images 0-4; 11-17 on a dark cloth no training image shows)
    {
      const m = fModels['full 2']!;
      const tray = new Scores(4);
      const cloth = new Scores(4);
      const pix = new Scores(4);
      const vote = new Scores(4);
      for (const d of fTest) {
        const p = predictStack(m, stackOf(d.image, null));
        (Number(d.id) <= 10 ? tray : cloth).add(p.labels, d.semantic);
        pix.add(p.labels, d.semantic);
        vote.add(objectVote(p.probs, p.width, p.height, p.classes), d.semantic);
      }
      const pc = (sc: Scores) => [1, 2, 3].map((c) => sc.iou(c).toFixed(2)).join('/');
      rows.push({ metric: 'fruits-nuts mean IoU, live forest, full masks of 2 images, test images 5-10 only (white tray, as in images 0-4)', value: tray.miou(), unit: '', note: `per class ${pc(tray)}; diagnosis` });
      rows.push({ metric: 'fruits-nuts mean IoU, live forest, full masks of 2 images, test images 11-17 only (dark cloth, in no training image)', value: cloth.miou(), unit: '', note: `per class ${pc(cloth)}; diagnosis` });
      rows.push({ metric: 'fruits-nuts mean IoU, live forest, full masks of 2 images, object-level class vote (fg/bg, objects, summed class probabilities)', value: vote.miou(), unit: '', note: `per-pixel argmax ${pix.miou().toFixed(3)} (per class ${pc(pix)}); vote per class ${pc(vote)}; ${vote.miou() > pix.miou() ? 'helps' : 'does not help: not used'}` });
      if (!ctx.quick) {
        const p11 = prepare(fruits[11]!, 211, []);
        const m2 = train([fTrain[0]!.full, p11.full], fNames, trainTimes);
        const sc = evaluate({ m2 }, fTest.filter((d) => d.id !== '11'), 4, false).m2!;
        rows.push({ metric: 'fruits-nuts mean IoU, live forest, full masks of images 0 and 11 (one per background), scored on 5-17 without 11', value: sc.miou(), unit: '', note: `per class ${pc(sc)}; diagnosis, not the protocol` });
      }
    }
    ctx.log('fruits done');

    // MobileNetV2 activations (strides 4/8/16, 16 projected channels each, on a copy of long side 512) on top: measured on fruits-nuts
    if (!nsfw) ctx.log('MobileNetV2 features skipped: the nsfwjs package is not installed');
    else {
      await selectBackend({ force: 'wasm', env: {} });
      const mn = await MobileNetFeatures.load(nsfw);
      const mnTimes: number[] = [];
      const extra: Extra = (img) => {
        const t0 = performance.now();
        const st = mn.compute(img, MN_DIMS, MN_SIDE);
        mnTimes.push((performance.now() - t0) / ((img.width * img.height) / 1e6));
        return st;
      };
      const mTrain = fruits.slice(0, 2).map((d, i) => prepare(d, 200 + i, [], extra));
      const mNames = mTrain[0]!.names;
      const mModels: Record<string, LiveModel> = {
        'scribbles 2': train(mTrain.map((p) => p.scribble), mNames, []),
        'full 2': train(mTrain.map((p) => p.full), mNames, []),
      };
      const ms = evaluate(mModels, fTest, 4, false, extra);
      for (const key of Object.keys(mModels)) {
        const sc = ms[key]!;
        const base = fs4[key]!.miou();
        rows.push({ metric: `fruits-nuts mean IoU, live forest + MobileNetV2 features, ${key.replace('full', 'full masks of').replace('scribbles', 'scribbles on')} image(s)`, value: sc.miou(), unit: '', target: '>= 0.80', met: sc.miou() >= 0.8, note: `filter bank alone ${base.toFixed(3)} (${sc.miou() > base ? 'helps' : 'does not help'}); per class ${[1, 2, 3].map((c) => sc.iou(c).toFixed(2)).join('/')}` });
      }
      rows.push({ metric: `MobileNetV2 features per megapixel (wasm, 1 thread, encoder on a copy of long side ${MN_SIDE})`, value: median(mnTimes) / 1000, unit: 's', note: `${mnTimes.length} images` });
      mn.dispose();
    }

    // the U-Nets on the same 2 fruits images (3 classes), same test images and metric
    for (const spec of specs) {
      const u = await trainUnet(spec, 3, fruits.slice(0, 2).map((d) => ({ image: unitImage(d.image), labels: d.semantic })), unetS, ctx.log, `fruits ${spec.key} full 2`);
      const sc = new Scores(4);
      for (const d of fTest) sc.add(await u.predict(unitImage(d.image)), d.semantic);
      u.dispose();
      rows.push({ metric: `fruits-nuts mean IoU, ${spec.label}, full masks of 2 images, ${unetS} s`, value: sc.miou(), unit: '', target: '>= 0.80', met: sc.miou() >= 0.8, note: `per class ${[1, 2, 3].map((c) => sc.iou(c).toFixed(2)).join('/')}; ${u.note}; trained in this run` });
    }
    ctx.log('fruits U-Nets done');

    // ---------------------------------------------------------------- latency
    const f0 = fruits[0]!;
    const big: FeatureImage = (() => {
      const n = 1024;
      const d = new Uint8Array(n * n * 3);
      const s = f0.image.data as Uint8Array;
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
        const sx = Math.floor((x * f0.image.width) / n);
        const sy = Math.floor((y * f0.image.height) / n);
        for (let c = 0; c < 3; c++) d[(y * n + x) * 3 + c] = s[(sy * f0.image.width + sx) * 3 + c]!;
      }
      return { data: d, width: n, height: n, channels: 3 };
    })();
    let bigStack: FeatureStack | null = null;
    const tf = timeMs(() => (bigStack = computeFeatureStack(big, FEATURES)), ctx.quick ? 2 : 5);
    rows.push({ metric: 'features of a 1024x1024 RGB image', value: median(tf) / 1000, unit: 's', target: '<= 1 s', met: median(tf) <= 1000, note: `p95 ${(percentile(tf, 95) / 1000).toFixed(2)} s; ${bigStack!.channels} features; all images in this run: median ${(median(featTimes) / 1000).toFixed(2)} s per megapixel` });
    // retrain after a stroke: resample the stroked image, merge with 4 cached ones, train
    const dsbNames = names;
    const retrain = timeMs(() => {
      const sets = prepTrain.slice(0, 5).map((p) => p.scribble);
      const m = trainFromSet(mergeTrainingSets(sets), FEATURES, dsbNames, 5);
      if (!m.forest.trees.length) throw new Error('no trees');
    }, 5);
    rows.push({ metric: 'retrain after a stroke, 5 scribbled images (merge + 32-tree forest)', value: median(retrain) / 1000, unit: 's', note: `p95 ${(percentile(retrain, 95) / 1000).toFixed(2)} s; ${dsbModels['scribbles 5']!.trainedOn.samples} samples` });
    const pm = fModels['full 2']!;
    const tp = timeMs(() => predictStack(pm, bigStack!), 3);
    rows.push({ metric: 'predict 1024x1024 from cached features (4 classes, 32 trees) + uncertainty', value: median(tp) / 1000, unit: 's', note: `p95 ${(percentile(tp, 95) / 1000).toFixed(2)} s` });
    const s2p = retrain.map((r, i) => r + tp[i % tp.length]!);
    rows.push({ metric: 'stroke to proposal, core side (retrain + predict 1024^2, features cached)', value: percentile(s2p, 95) / 1000, unit: 's (p95)', target: '<= 1.5 s p95', met: percentile(s2p, 95) <= 1500, note: `median ${(median(s2p) / 1000).toFixed(2)} s; not the Chromium end-to-end time: that is in 'Live in the editor'` });
    const perMp = (bigStack!.channels * 4 * 1e6) / 2 ** 20;
    rows.push({ metric: 'feature cache per megapixel (RGB)', value: perMp, unit: 'MiB', note: `${bigStack!.channels} float32 features per pixel` });
    bigStack = null;
    if (!ctx.quick) {
      // in a fresh child process: this process's peak RSS (the U-Net training's) would hide the prediction's
      const n = 4096;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-live-mem-'));
      try {
        fs.writeFileSync(path.join(dir, 'model.bin'), encodeLiveModel(pm));
        fs.writeFileSync(path.join(dir, 'tile.rgb'), big.data as Uint8Array);
        const r = spawnSync(path.join(root, 'node_modules/.bin/vite-node'), [path.join(root, 'test/bench/live-memory-child.ts'), '--', path.join(dir, 'model.bin'), path.join(dir, 'tile.rgb'), String(n)], { cwd: root, encoding: 'utf8' });
        const line = r.stdout.trim().split('\n').pop() ?? '';
        if (r.status !== 0 || !line.startsWith('{')) throw new Error(`the 4096² memory child failed (${r.status}): ${r.stderr.slice(-400)}`);
        const m = JSON.parse(line) as { rssBefore: number; maxRss: number; seconds: number; probsBytes: number };
        rows.push({ metric: 'peak memory growth, predicting a 4096x4096 RGB image band by band', value: Math.max(0, m.maxRss - m.rssBefore) / 2 ** 20, unit: 'MiB', note: `${m.seconds.toFixed(1)} s; fresh child process, peak RSS above its RSS after building the 48 MiB input; its whole stack would be ${((perMp * n * n) / 1e6 / 1024).toFixed(1)} GiB; output ${(m.probsBytes / 2 ** 20).toFixed(0)} MiB probabilities incl.` });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    rows.push({ metric: 'forest training, all models of this run', value: median(trainTimes) / 1000, unit: 's (median)', note: `max ${(Math.max(...trainTimes) / 1000).toFixed(2)} s over ${trainTimes.length} models` });

    const summary = [
      `Live pixel classifier: ${names.length} features on RGB after per-image robust contrast normalisation (0.5-99.5th percentile of luminance -> 0..1; dsb also inverts images whose median is bright, so bright-field and fluorescence share polarity) (luminance: Gaussian, gradient magnitude, LoG, DoG, Hessian and structure-tensor eigenvalues at ${DEFAULT_SCALES.join(', ')} px; each colour channel: Gaussian at the same scales), a 32-tree random forest (depth 14, sqrt(F) features per split, 64 quantile bins), class-balanced weights, at most 4000 samples per class and image.`,
      'Scribbles are simulated from the ground truth: per image up to 10 random objects get one brush stroke (radius 1 px) along their main axis through their innermost pixel, kept inside the object, plus 6 straight background strokes at least 4 px from any object. Unpainted pixels are not training data.',
      `The U-Net rows are trained in this run, on the same full masks, through the product's training path (TrainingJob, ${projectModelDefaults('segmentation').train.workers ?? 1} wasm workers) with the product's default recipe (resources/models/defaults.json) and default budget (${unetS} s wall clock each, so on this loaded machine they get fewer steps than on an idle one); scored with the same TEST metric. U-Nets train on full masks only (the product's U-Net training has no scribble mode), so there are no U-Net scribble rows. The MobileNetV2 live rows add the pretrained encoder's stride-4/8/16 activations (each projected to ${MN_DIMS} channels by a fixed random matrix; the encoder reads a copy of long side ${MN_SIDE}, activations upsampled bilinearly to full size) to the same filter bank on fruits-nuts.`,
      `Ran on a loaded shared machine (${conditions}).`,
    ].join('\n\n');
    return { title: `Live pixel classifier (random forest on filter-bank features) — ${conditions}`, rows, summary };
  },
};

export default suite;
