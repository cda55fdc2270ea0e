/**
 * The model-engine benchmark on dsb2018 nuclei, side by side with the PyTorch reference
 * (../shared/peers/attn_unet_torch.py) where Debian's python3-torch is installed:
 *
 *   1. train step time, same architecture and input (reference Attention U-Net, batch 4,
 *      256x256): wasm (+ Maskwright kernels, 1 thread) vs PyTorch with 1 thread; also forward;
 *   2. TEST IoU (pooled and mean per image) after a 5-minute CPU training budget (20 s with
 *      BENCH_QUICK=1) for each of our models and for the reference (2 threads, its own recipe);
 *   3. pre-label time for a 512x512 image with the best model;
 *   4. the click-refinement model: trained for the same budget, NoC@85/90 with simulated
 *      clicks on TEST objects and the latency of one refinement.
 * Split (peers/README.md): ids sorted ascending, TRAIN = positions 0,2,...,38, TEST = 1,3,...,39.
 * Everything runs one after another on the same machine in the same run; ratios come from it.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeImage } from '../../core/imaging/decode-image';
import { selectBackend, type BackendReport } from '../../core/ml/backend';
import { ClickRefiner, clicksToReach } from '../../core/ml/infer/click-refiner';
import { predictImage } from '../../core/ml/infer/predict-image';
import { predictionToLabelMap } from '../../core/ml/infer/prediction-to-label-map';
import { IouAccumulator } from '../../core/ml/iou-metrics';
import { normalizeInput, toModelImage, type InputNorm, type ModelImage } from '../../core/ml/model-image';
import { buildAttentionUNet } from '../../core/ml/models/attention-unet';
import { findNsfwjsMobileNet } from '../../core/ml/models/mobilenet-unet';
import { defaultModelConfig, REFERENCE_UNET, type SegModelConfig } from '../../core/ml/models/model-config';
import { DEFAULT_AUGMENT } from '../../core/ml/train/augment';
import { createRng } from '../../core/ml/train/rng';
import { segmentationLoss } from '../../core/ml/train/segmentation-loss';
import { defaultTrainConfig, type TrainConfig } from '../../core/ml/train/train';
import { TrainingJob } from '../../core/ml/train/training-job';
import type { TrainingOutcome } from '../../core/ml/worker/training-protocol';
import { deserializeModel } from '../../core/ml/models/serialize-model';
import type { TrainingSample } from '../../core/ml/train/training-sample';
import { median, type BenchContext, type BenchResult, type BenchRow, type BenchSuite } from './bench-types';

const PY = '/usr/bin/python3';
const HERE = path.dirname(new URL(import.meta.url).pathname);
const PEER = path.resolve(HERE, '../../../shared/peers/attn_unet_torch.py');

// ----------------------------------------------------------------------------- data

export interface DsbImage {
  id: string;
  /** RGB 8-bit -> [0,1] (before normalisation) */
  rgb: ModelImage;
  /** 0/1 nuclei */
  semantic: Uint8Array;
  /** instance ids */
  instances: Uint32Array;
}

export function dsbSplit(dir: string): { train: string[]; test: string[] } {
  const ids = fs
    .readdirSync(path.join(dir, 'images'))
    .filter((f) => f.endsWith('.png'))
    .map((f) => f.slice(0, -4))
    .sort();
  if (ids.length < 40) throw new Error(`${dir} has ${ids.length} images; the split needs 40`);
  return { train: ids.slice(0, 40).filter((_, i) => i % 2 === 0), test: ids.slice(0, 40).filter((_, i) => i % 2 === 1) };
}

export async function loadDsb(dir: string, id: string): Promise<DsbImage> {
  const img = await decodeImage(path.join(dir, 'images', `${id}.png`));
  const sem = await decodeImage(path.join(dir, 'semantic_masks', `${id}.png`));
  const inst = await decodeImage(path.join(dir, 'instance_labels', `${id}.png`), { keepDepth: true });
  const semantic = new Uint8Array(sem.width * sem.height);
  for (let i = 0; i < semantic.length; i++) semantic[i] = sem.data[i * sem.channels]! > 127 ? 1 : 0;
  const instances = new Uint32Array(inst.width * inst.height);
  for (let i = 0; i < instances.length; i++) instances[i] = inst.data[i * inst.channels]!;
  return { id, rgb: toModelImage(img, 3), semantic, instances };
}

function prepared(d: DsbImage, norm: InputNorm): ModelImage {
  return normalizeInput({ ...d.rgb, data: d.rgb.data.slice() }, norm);
}

export function toSample(d: DsbImage, norm: InputNorm): TrainingSample {
  const img = prepared(d, norm);
  return { id: d.id, width: img.width, height: img.height, channels: 3, image: img.data, labels: d.semantic, weights: null, instances: d.instances };
}

// ----------------------------------------------------------------------------- PyTorch reference

export function torchAvailable(): { ok: boolean; version?: string; why?: string } {
  if (!fs.existsSync(PY)) return { ok: false, why: `${PY} is missing` };
  if (!fs.existsSync(PEER)) return { ok: false, why: `${PEER} is missing` };
  try {
    const v = execFileSync(PY, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return { ok: true, version: v };
  } catch {
    return { ok: false, why: 'python3-torch is not installed (apt-get install -y python3-torch python3-pil python3-numpy)' };
  }
}

function runPy(args: string[], log: (m: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(PY, [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code === 0) resolve(out);
      else {
        log(err.slice(-2000));
        reject(new Error(`${path.basename(PEER)} ${args[0]} exited with ${code}`));
      }
    });
  });
}

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').filter((l) => l.startsWith('{')).at(-1)!) as Record<string, unknown>;

// ----------------------------------------------------------------------------- our side

/**
 * Seconds per train step after `warm` warm-up steps: Adam 1e-3, CE + Dice, unit weights — the
 * protocol of every step-time row (this suite and ml-native-kernels).
 */
export function timeTrainSteps(m: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor4D, warm: number, reps: number): number[] {
  const w = tf.onesLike(y) as tf.Tensor4D;
  const opt = tf.train.adam(1e-3);
  const vars = m.trainableWeights.map((v) => v.read() as tf.Variable);
  const steps: number[] = [];
  for (let i = 0; i < warm + reps; i++) {
    const t0 = performance.now();
    const l = opt.minimize(() => segmentationLoss(m.apply(x, { training: false }) as tf.Tensor4D, y, w, { diceWeight: 1 }), true, vars)!;
    l.dataSync();
    l.dispose();
    if (i >= warm) steps.push((performance.now() - t0) / 1000);
  }
  opt.dispose();
  w.dispose();
  return steps;
}

/** Bounding box and pixel count of every instance id in a row-major id map. */
export function instanceBoxes(inst: ArrayLike<number>, W: number): Map<number, { x0: number; y0: number; x1: number; y1: number; area: number }> {
  const boxes = new Map<number, { x0: number; y0: number; x1: number; y1: number; area: number }>();
  for (let i = 0; i < inst.length; i++) {
    const id = inst[i]!;
    if (!id) continue;
    const x = i % W;
    const y = (i - x) / W;
    const b = boxes.get(id);
    if (!b) boxes.set(id, { x0: x, y0: y, x1: x, y1: y, area: 1 });
    else {
      b.area++;
      b.x0 = Math.min(b.x0, x);
      b.x1 = Math.max(b.x1, x);
      b.y0 = Math.min(b.y0, y);
      b.y1 = Math.max(b.y1, y);
    }
  }
  return boxes;
}

/** Median wasm time of a train step and of a forward pass (batch 4, 256x256, the reference arch). */
async function timeWasmStep(quick: boolean): Promise<{ stepS: number; forwardS: number; steps: number[]; forwards: number[]; params: number }> {
  const cfg = defaultModelConfig({ unet: REFERENCE_UNET, inputNorm: 'unit' });
  const m = buildAttentionUNet(cfg);
  const x = tf.randomUniform([4, 256, 256, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.cast(tf.greater(tf.randomUniform([4, 256, 256, 1], 0, 1, 'float32', 2), 0.85), 'float32') as tf.Tensor4D;
  const warm = quick ? 1 : 2;
  const reps = quick ? 2 : 5;
  const forwards: number[] = [];
  for (let i = 0; i < warm + reps; i++) {
    const t0 = performance.now();
    tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync());
    if (i >= warm) forwards.push((performance.now() - t0) / 1000);
  }
  const steps = timeTrainSteps(m, x, y, warm, reps);
  const params = m.countParams();
  tf.dispose([x, y]);
  m.dispose();
  return { stepS: median(steps), forwardS: median(forwards), steps, forwards, params };
}

export interface Candidate {
  key: string;
  label: string;
  /** per worker; the effective batch is workers x batchSize */
  train: TrainConfig;
}

/** Data-parallel training workers (the reference trains with 2 threads). */
export const WORKERS = Number(process.env.BENCH_ML_WORKERS ?? 2);

/** Trains through the product path: TrainingJob (worker threads), weights back as bytes. */
export async function trainInWorkers(config: TrainConfig, samples: TrainingSample[], log: (m: string) => void, tag: string): Promise<{ model: tf.LayersModel; outcome: TrainingOutcome }> {
  const job = TrainingJob.start(
    { config, samples: { train: samples, val: [] }, backend: 'wasm', workers: WORKERS, progressEvery: 25 },
    { onProgress: (p) => p.step % 100 === 0 && log(`  ${tag} step ${p.step} loss ${p.loss.toFixed(3)} lr ${p.lr.toExponential(1)} (${(p.elapsedMs / 1000).toFixed(0)} s)`) },
  );
  const outcome = await job.done;
  return { model: await deserializeModel(outcome.weights), outcome };
}

export async function evaluateTest(model: tf.LayersModel, cfg: SegModelConfig, test: DsbImage[]): Promise<{ pooled: number; meanPerImage: number; perImage: number[]; evalS: number }> {
  const acc = new IouAccumulator(2);
  const t0 = performance.now();
  for (const d of test) {
    const pred = await predictImage(model, cfg, prepared(d, cfg.inputNorm), { tileSize: 512, overlap: 64 });
    acc.add(pred.classMap, d.semantic);
  }
  return { pooled: acc.pooled()[0]!, meanPerImage: acc.meanPerImage()[0]!, perImage: acc.perImage.map((r) => r[0]!), evalS: (performance.now() - t0) / 1000 };
}

/** Our candidates; the recipes are ours (the reference recipe is the torch run). */
export function candidates(budgetMs: number, seed = 0, nsfwjsModel: string | null = null): Candidate[] {
  const base = (unet: Partial<typeof REFERENCE_UNET>, norm: InputNorm) => defaultModelConfig({ unet: { ...REFERENCE_UNET, ...unet }, inputNorm: norm, seed: seed + 1 });
  const common = { maxSteps: 1_000_000, timeBudgetMs: budgetMs, valEvery: 0, seed, augment: DEFAULT_AUGMENT, warmup: 0.02 };
  return [
    {
      key: 'attn-unet-16',
      label: 'Attention U-Net, reference architecture (base 16, 4 levels, 2.36 M)',
      train: defaultTrainConfig(base({}, 'standardize'), { ...common, cropSize: 256, batchSize: Math.max(1, Math.round(4 / WORKERS)), lr: 2e-3, minLr: 2e-5 }),
    },
    {
      key: 'attn-unet-8',
      label: 'Attention U-Net lite (base 8, 4 levels)',
      train: defaultTrainConfig(base({ baseWidth: 8 }, 'standardize'), { ...common, cropSize: 128, batchSize: Math.max(1, Math.round(8 / WORKERS)), lr: 3e-3, minLr: 3e-5 }),
    },
    ...(nsfwjsModel
      ? [
          {
            key: 'mobilenet-unet',
            label: 'MobileNetV2 encoder (nsfwjs, frozen) + attention decoder (base 16)',
            train: defaultTrainConfig(
              defaultModelConfig({ arch: 'mobilenet-unet', unet: REFERENCE_UNET, inputNorm: 'unit', seed: seed + 1, encoder: { modelJsonPath: nsfwjsModel, trainableBlocks: 0, inputScale: 1, inputOffset: 0 } }),
              { ...common, cropSize: 128, batchSize: Math.max(1, Math.round(8 / WORKERS)), lr: 3e-3, minLr: 3e-5 },
            ),
          },
        ]
      : []),
  ];
}

interface NocStats {
  noc85: number;
  noc90: number;
  objects: number;
  latencyMedianS: number;
  latencyP90S: number;
  firstClickIou: number;
}

/** NoC@85/90 on TEST objects, each in a crop of its box + margin (see the module comment). */
async function evaluateClicks(model: tf.LayersModel, cfg: SegModelConfig, test: DsbImage[], perImage: number, maxClicks: number, seed: number): Promise<NocStats> {
  const rng = createRng(seed);
  const refiner = new ClickRefiner(model, cfg);
  const n85: number[] = [];
  const n90: number[] = [];
  const first: number[] = [];
  const lat: number[] = [];
  const orig = refiner.refine.bind(refiner);
  refiner.refine = async (req) => {
    const r = await orig(req);
    lat.push(r.ms / 1000);
    return r;
  };
  for (const d of test) {
    const { width: W, height: H } = d.rgb;
    const boxes = instanceBoxes(d.instances, W);
    const ids = [...boxes.entries()].filter(([, b]) => b.area >= 30).map(([id]) => id);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    const img = prepared(d, cfg.inputNorm);
    for (const id of ids.slice(0, perImage)) {
      const b = boxes.get(id)!;
      const margin = Math.max(48, Math.round(1.5 * Math.max(b.x1 - b.x0, b.y1 - b.y0)));
      const cx0 = Math.max(0, b.x0 - margin);
      const cy0 = Math.max(0, b.y0 - margin);
      const cw = Math.min(W, b.x1 + margin + 1) - cx0;
      const ch = Math.min(H, b.y1 + margin + 1) - cy0;
      const crop = new Float32Array(cw * ch * 3);
      const gt = new Uint8Array(cw * ch);
      for (let y = 0; y < ch; y++) {
        crop.set(img.data.subarray(((cy0 + y) * W + cx0) * 3, ((cy0 + y) * W + cx0 + cw) * 3), y * cw * 3);
        for (let x = 0; x < cw; x++) gt[y * cw + x] = d.instances[(cy0 + y) * W + cx0 + x] === id ? 1 : 0;
      }
      refiner.setImage({ width: cw, height: ch, channels: 3, data: crop });
      const r = await clicksToReach(refiner, gt, [0.85, 0.9], maxClicks);
      n85.push(r.noc[0]!);
      n90.push(r.noc[1]!);
      first.push(r.ious[0] ?? 0);
    }
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(a.length, 1);
  const sorted = [...lat].sort((a, b) => a - b);
  return { noc85: mean(n85), noc90: mean(n90), objects: n85.length, latencyMedianS: median(lat), latencyP90S: sorted[Math.floor(0.9 * (sorted.length - 1))] ?? NaN, firstClickIou: mean(first) };
}

/** Pre-label time of a 512x512 image: normalise + sliding-window predict + instance split. */
async function timePrelabel(model: tf.LayersModel, cfg: SegModelConfig, d: DsbImage, reps: number): Promise<{ medianS: number; all: number[] }> {
  const { width: W } = d.rgb;
  const crop = new Float32Array(512 * 512 * 3);
  for (let y = 0; y < 512; y++) crop.set(d.rgb.data.subarray(y * W * 3, (y * W + 512) * 3), y * 512 * 3);
  const all: number[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const t0 = performance.now();
    const img = normalizeInput({ width: 512, height: 512, channels: 3, data: crop.slice() }, cfg.inputNorm);
    const pred = await predictImage(model, cfg, img, { tileSize: 512, overlap: 64 });
    predictionToLabelMap(pred, { classIds: cfg.classIds });
    if (i > 0) all.push((performance.now() - t0) / 1000);
  }
  return { medianS: median(all), all };
}

// ----------------------------------------------------------------------------- the suite

const suite: BenchSuite = {
  name: 'ml-model',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const dir = path.join(ctx.datasetsDir, 'dsb2018-nuclei');
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = {};
    const budgetS = ctx.quick ? 20 : 300;
    const contention = `${os.cpus().length} cores shared with other engineers' runs; load avg at start ${os.loadavg()[0]!.toFixed(1)}`;
    const report: BackendReport = await selectBackend({ force: 'wasm', env: {} });
    ctx.log(`backend: ${report.summary}`);
    details['backend'] = report;
    details['conditions'] = contention;
    const torch = torchAvailable();
    ctx.log(torch.ok ? `PyTorch ${torch.version} found: running the reference side by side` : `PyTorch reference skipped: ${torch.why}`);
    details['torch'] = torch;

    // 1. step time, same architecture and input
    const ours = await timeWasmStep(ctx.quick);
    ctx.log(`wasm reference arch (${ours.params} params), batch 4 @ 256: step ${ours.stepS.toFixed(2)} s [${ours.steps.map((s) => s.toFixed(2)).join(' ')}], forward ${ours.forwardS.toFixed(2)} s`);
    rows.push({ metric: 'train step, reference arch, batch 4 @ 256x256, wasm 1 thread', value: ours.stepS, unit: 's', note: `median of ${ours.steps.length}; Adam; ${ours.params} params` });
    rows.push({ metric: 'forward, reference arch, batch 4 @ 256x256, wasm 1 thread', value: ours.forwardS, unit: 's' });
    details['wasmTiming'] = ours;
    if (torch.ok) {
      const t = lastJson(await runPy(['timing', '--threads', '1', ...(ctx.quick ? ['--reps', '2', '--warmup', '1'] : [])], ctx.log)) as { step_median_s: number; forward_median_s: number };
      ctx.log(`torch 1 thread: step ${t.step_median_s.toFixed(2)} s, forward ${t.forward_median_s.toFixed(2)} s`);
      details['torchTiming'] = t;
      rows.push({ metric: 'train step, same arch/input, PyTorch 1 thread', value: t.step_median_s, unit: 's' });
      rows.push({ metric: 'train step ratio wasm / PyTorch (1 thread each)', value: ours.stepS / t.step_median_s, unit: 'x', target: '<= 1.5', met: ours.stepS / t.step_median_s <= 1.5 });
      rows.push({ metric: 'forward ratio wasm / PyTorch (1 thread each)', value: ours.forwardS / t.forward_median_s, unit: 'x' });
    }

    // 2. accuracy after the budget
    const split = dsbSplit(dir);
    const t0 = performance.now();
    const trainImgs = await Promise.all(split.train.map((id) => loadDsb(dir, id)));
    const testImgs = await Promise.all(split.test.map((id) => loadDsb(dir, id)));
    ctx.log(`loaded ${trainImgs.length} TRAIN + ${testImgs.length} TEST images in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    let torchIou: { pooled: number; mean: number; steps: number } | null = null;
    if (torch.ok) {
      const out = path.join(ctx.tmpDir, 'torch');
      const r = lastJson(await runPy(['train', '--data', dir, '--threads', '2', '--budget', String(budgetS), '--seed', '0', '--out', out], ctx.log)) as {
        steps: number;
        median_step_s: number;
        final: { iou_pooled: number; iou_mean_per_image: number; eval_s: number };
      };
      torchIou = { pooled: r.final.iou_pooled, mean: r.final.iou_mean_per_image, steps: r.steps };
      details['torchTrain'] = r;
      ctx.log(`torch 2 threads, ${budgetS} s: ${r.steps} steps (${r.median_step_s.toFixed(2)} s/step), TEST IoU pooled ${r.final.iou_pooled.toFixed(4)}, mean/image ${r.final.iou_mean_per_image.toFixed(4)}`);
      rows.push({ metric: `TEST IoU pooled, PyTorch reference (2 threads, ${budgetS} s)`, value: r.final.iou_pooled, unit: '', note: `${r.steps} steps; README: 0.72` });
      rows.push({ metric: `TEST IoU mean/image, PyTorch reference (2 threads, ${budgetS} s)`, value: r.final.iou_mean_per_image, unit: '' });
    }

    const results: { key: string; label: string; pooled: number; mean: number; res: { model: tf.LayersModel; modelConfig: SegModelConfig }; cfg: SegModelConfig }[] = [];
    const nsfw = findNsfwjsMobileNet(path.resolve(HERE, '../..'));
    details['mobilenet'] = nsfw ? `nsfwjs MobileNetV2 at ${nsfw}` : 'skipped: the nsfwjs package is not installed (npm install nsfwjs)';
    ctx.log(`MobileNetV2-encoder variant: ${details['mobilenet']}`);
    for (const c of candidates(budgetS * 1000, 0, nsfw)) {
      const samples = trainImgs.map((d) => toSample(d, c.train.model.inputNorm));
      const t1 = performance.now();
      const { model, outcome } = await trainInWorkers(c.train, samples, ctx.log, c.key);
      const ev = await evaluateTest(model, outcome.modelConfig, testImgs);
      const eff = `${WORKERS} worker(s) x crop ${c.train.cropSize} x batch ${c.train.batchSize}`;
      ctx.log(`${c.key}: ${outcome.steps} steps in ${(outcome.trainMs / 1000).toFixed(0)} s (wall ${((performance.now() - t1) / 1000).toFixed(0)} s, ${eff}), loss ${outcome.lossFirst.toFixed(3)} -> ${outcome.lossLast.toFixed(3)}, TEST IoU pooled ${ev.pooled.toFixed(4)}, mean/image ${ev.meanPerImage.toFixed(4)} (eval ${ev.evalS.toFixed(0)} s)`);
      details[`train_${c.key}`] = { steps: outcome.steps, trainMs: outcome.trainMs, lossFirst: outcome.lossFirst, lossLast: outcome.lossLast, parallel: outcome.parallel, params: model.countParams(), test: ev, recipe: c.train, workers: WORKERS };
      rows.push({ metric: `TEST IoU pooled, ${c.label}, wasm ${budgetS} s`, value: ev.pooled, unit: '', target: '>= 0.75', met: ev.pooled >= 0.75, note: `${outcome.steps} steps, ${eff}` });
      rows.push({ metric: `TEST IoU mean/image, ${c.label}, wasm ${budgetS} s`, value: ev.meanPerImage, unit: '' });
      if (torchIou) rows.push({ metric: `TEST IoU pooled ratio ${c.key} / PyTorch reference`, value: ev.pooled / torchIou.pooled, unit: 'x' });
      const res = { model, modelConfig: outcome.modelConfig };
      results.push({ key: c.key, label: c.label, pooled: ev.pooled, mean: ev.meanPerImage, res, cfg: res.modelConfig });
    }

    results.sort((a, b) => b.pooled - a.pooled);
    const best = results[0]!;
    rows.push({ metric: `best model TEST IoU pooled (${best.key})`, value: best.pooled, unit: '', target: '>= 0.80', met: best.pooled >= 0.8, note: nsfw ? '' : 'MobileNetV2-encoder variant not measured: nsfwjs is not installed (npm install nsfwjs)' });
    details['defaultModel'] = { key: best.key, label: best.label, config: best.cfg };

    // 3. pre-label time, 512x512 (best model and reference arch)
    const big = testImgs.find((d) => d.rgb.width >= 512 && d.rgb.height >= 512) ?? trainImgs.find((d) => d.rgb.width >= 512 && d.rgb.height >= 512)!;
    for (const r of results) {
      const p = await timePrelabel(r.res.model, r.cfg, big, ctx.quick ? 2 : 5);
      ctx.log(`pre-label 512x512 with ${r.key}: ${p.medianS.toFixed(3)} s [${p.all.map((v) => v.toFixed(3)).join(' ')}]`);
      rows.push({ metric: `pre-label 512x512 (${r.key}): normalise + predict + instances`, value: p.medianS, unit: 's', target: '<= 0.5 s', met: p.medianS <= 0.5, note: `median of ${p.all.length}` });
    }
    for (const r of results) r.res.model.dispose();

    // 4. click refinement
    const ic = defaultModelConfig({ interactive: true, unet: { ...REFERENCE_UNET, baseWidth: 8 }, inputNorm: 'standardize', seed: 3 });
    const icTrain = defaultTrainConfig(ic, { cropSize: 128, batchSize: 8, lr: 3e-3, minLr: 3e-5, maxSteps: 1_000_000, timeBudgetMs: budgetS * 1000, valEvery: 0, seed: 1, warmup: 0.02 });
    const clicks = await trainInWorkers({ ...icTrain, batchSize: Math.max(1, Math.round(8 / WORKERS)) }, trainImgs.map((d) => toSample(d, 'standardize')), ctx.log, 'clicks');
    const clickRes = { model: clicks.model, modelConfig: clicks.outcome.modelConfig, steps: clicks.outcome.steps, lossFirst: clicks.outcome.lossFirst, lossLast: clicks.outcome.lossLast };
    ctx.log(`click model: ${clickRes.steps} steps, loss ${clickRes.lossFirst.toFixed(3)} -> ${clickRes.lossLast.toFixed(3)}, typical object ${clickRes.modelConfig.refine?.typicalObjectPx} px`);
    const noc = await evaluateClicks(clickRes.model, clickRes.modelConfig, testImgs, ctx.quick ? 2 : 5, 20, 7);
    ctx.log(`NoC@85 ${noc.noc85.toFixed(2)}, NoC@90 ${noc.noc90.toFixed(2)} over ${noc.objects} objects; first-click IoU ${noc.firstClickIou.toFixed(3)}; latency median ${noc.latencyMedianS.toFixed(3)} s, p90 ${noc.latencyP90S.toFixed(3)} s`);
    details['clicks'] = { steps: clickRes.steps, lossFirst: clickRes.lossFirst, lossLast: clickRes.lossLast, config: clickRes.modelConfig, noc };
    rows.push({ metric: 'click refinement latency (one click, zoom-in 128x128)', value: noc.latencyMedianS, unit: 's', target: '<= 0.3 s', met: noc.latencyMedianS <= 0.3, note: `median; p90 ${noc.latencyP90S.toFixed(3)} s` });
    rows.push({ metric: `NoC@85, simulated clicks, TEST objects (max 20)`, value: noc.noc85, unit: 'clicks', note: `${noc.objects} objects; click model trained ${budgetS} s (${clickRes.steps} steps)` });
    rows.push({ metric: `NoC@90, simulated clicks, TEST objects (max 20)`, value: noc.noc90, unit: 'clicks', note: `first-click IoU ${noc.firstClickIou.toFixed(3)}` });
    clickRes.model.dispose();

    return {
      title: `ML model engine on dsb2018 (wasm backend, ${report.threads ?? 1} thread; PyTorch ${torch.ok ? torch.version : 'not installed'}) — ${contention}`,
      rows,
      details,
    };
  },
};

export default suite;
