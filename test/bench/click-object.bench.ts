/**
 * Click-to-object (core/ml/interactive, issue 12) with the standard NoC protocol of
 * ml-model.bench.ts (first click at the object's interior maximum, then the largest error
 * region; max 20 clicks):
 *   - NoC@85 / NoC@90 and IoU after 1, 3 and 5 clicks (a sequence that stopped early keeps its
 *     last IoU) on dsb2018 TEST nuclei (split of ml-model.bench.ts / peers README; up to 2 random
 *     objects >= 30 px per image, seed 7) and on fruits-nuts objects (up to 2 per photo, all 18
 *     photos: nothing is trained), each on the whole image and in a crop of the object's box +
 *     max(48, 1.5 x its size) (the crop of the click-model rows);
 *   - for three engines: zero training (the graph cut alone), the trained click model alone, and
 *     both combined as in the ML worker (run-refine-session.ts: the model's probabilities are one
 *     more unary term of the cut). The click model is the one of ml-model.bench.ts section 4,
 *     trained here on dsb TRAIN for BENCH_CLICK_TRAIN_S seconds (default 180; 20 with
 *     BENCH_QUICK=1); fruits-nuts has no TRAIN split, so its trained rows are not measured;
 *   - click latency median / p95 over every click of the NoC runs on 4 fruits-nuts photos
 *     resized to 1024 x 1024 (zero training; the ROI features are computed per click).
 */
import os from 'node:os';
import path from 'node:path';
import { decodeImage } from '../../core/imaging/decode-image';
import type { Click } from '../../core/ml/clicks/click-maps';
import { nextClick } from '../../core/ml/clicks/click-simulator';
import { selectBackend } from '../../core/ml/backend';
import { ClickRefiner } from '../../core/ml/infer/click-refiner';
import { CLICK_MODEL_PRIOR_WEIGHT } from '../../core/ml/infer/run-refine-session';
import { ZeroShotSegmenter } from '../../core/ml/interactive/zero-shot-object';
import { normalizeInput } from '../../core/ml/model-image';
import { defaultModelConfig, REFERENCE_UNET, type SegModelConfig } from '../../core/ml/models/model-config';
import { deserializeModel } from '../../core/ml/models/serialize-model';
import { defaultTrainConfig } from '../../core/ml/train/train';
import type { FeatureImage } from '../../core/ml/live/feature-types';
import { binaryIou } from '../../core/ml/iou-metrics';
import { createRng } from '../../core/ml/train/rng';
import { median, percentile, type BenchContext, type BenchResult, type BenchRow, type BenchSuite } from './bench-types';
import { dsbSplit, instanceBoxes, loadDsb, toSample, trainInWorkers, WORKERS } from './ml-model.bench';

interface Obj {
  image: FeatureImage;
  inst: Uint32Array;
  id: number;
}

interface Stats {
  noc85: number[];
  noc90: number[];
  iou1: number[];
  iou3: number[];
  iou5: number[];
  ms: number[];
}

const newStats = (): Stats => ({ noc85: [], noc90: [], iou1: [], iou3: [], iou5: [], ms: [] });
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(a.length, 1);

function pickObjects(image: FeatureImage, inst: Uint32Array, perImage: number, rng: ReturnType<typeof createRng>): Obj[] {
  const ids = [...instanceBoxes(inst, image.width).entries()].filter(([, b]) => b.area >= 30).map(([id]) => id);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids.slice(0, perImage).map((id) => ({ image, inst, id }));
}

/** the object's image and mask, whole or cropped to its box + margin */
function view(o: Obj, crop: boolean): { image: FeatureImage; gt: Uint8Array } {
  const { width: W, height: H, channels: C } = o.image;
  if (!crop) return { image: o.image, gt: Uint8Array.from(o.inst, (v) => (v === o.id ? 1 : 0)) };
  const b = instanceBoxes(Uint32Array.from(o.inst, (v) => (v === o.id ? 1 : 0)), W).get(1)!;
  const margin = Math.max(48, Math.round(1.5 * Math.max(b.x1 - b.x0, b.y1 - b.y0)));
  const cx0 = Math.max(0, b.x0 - margin);
  const cy0 = Math.max(0, b.y0 - margin);
  const cw = Math.min(W, b.x1 + margin + 1) - cx0;
  const ch = Math.min(H, b.y1 + margin + 1) - cy0;
  const data = new Uint8Array(cw * ch * C);
  const gt = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const s = (cy0 + y) * W + cx0 + x;
      for (let c = 0; c < C; c++) data[(y * cw + x) * C + c] = o.image.data[s * C + c]!;
      gt[y * cw + x] = o.inst[s] === o.id ? 1 : 0;
    }
  }
  return { image: { data, width: cw, height: ch, channels: C }, gt };
}

/** one click of an engine: the object from these clicks and the mask so far */
type Step = (clicks: readonly Click[], prev: Uint8Array | null) => Promise<{ mask: Uint8Array; ms: number }>;

async function runNocWith(step: Step, image: FeatureImage, gt: Uint8Array, st: Stats, maxClicks = 20): Promise<void> {
  const clicks: Click[] = [];
  let pred: Uint8Array | null = null;
  const ious: number[] = [];
  let n85 = maxClicks;
  let n90 = maxClicks;
  for (let k = 1; k <= maxClicks; k++) {
    const c = nextClick(pred ?? new Uint8Array(gt.length), gt, image.width, image.height);
    if (!c) break;
    clicks.push(c);
    const r = await step(clicks, pred);
    st.ms.push(r.ms);
    pred = r.mask;
    const iou = binaryIou(pred, gt);
    ious.push(iou);
    if (iou >= 0.85 && n85 === maxClicks) n85 = k;
    if (iou >= 0.9 && n90 === maxClicks) {
      n90 = k;
      break;
    }
  }
  const at = (k: number) => ious[Math.min(k, ious.length) - 1] ?? 0;
  st.noc85.push(n85);
  st.noc90.push(n90);
  st.iou1.push(at(1));
  st.iou3.push(at(3));
  st.iou5.push(at(5));
}

function zeroStep(seg: ZeroShotSegmenter, image: FeatureImage): Step {
  if (seg.currentImage !== image) seg.setImage(image);
  return (clicks, prev) => {
    const r = seg.segment({ clicks, prevMask: prev });
    return Promise.resolve({ mask: r.mask, ms: r.ms });
  };
}

/**
 * The trained click model alone, or combined with the cut as in the ML worker
 * (core/ml/infer/run-refine-session.ts: the model's probabilities become a -w log p term).
 */
function modelStep(refiner: ClickRefiner, seg: ZeroShotSegmenter | null, image: FeatureImage, weight = CLICK_MODEL_PRIOR_WEIGHT): Step {
  const data = Float32Array.from(image.data, (v) => v / 255);
  refiner.setImage(normalizeInput({ width: image.width, height: image.height, channels: image.channels, data }, refiner.input.norm));
  if (seg) seg.setImage(image);
  return async (clicks, prev) => {
    const t0 = performance.now();
    const m = await refiner.refine({ clicks, prevMask: prev });
    if (!seg) return { mask: m.mask, ms: performance.now() - t0 };
    const r = seg.segment({ clicks, prevMask: prev, priors: [{ prob: m.prob, source: 'click-model', weight }] });
    return { mask: r.mask, ms: performance.now() - t0 };
  };
}

function runNoc(seg: ZeroShotSegmenter, image: FeatureImage, gt: Uint8Array, st: Stats, maxClicks = 20): Promise<void> {
  return runNocWith(zeroStep(seg, image), image, gt, st, maxClicks);
}

async function loadFruit(dir: string, file: string, size?: number): Promise<{ image: FeatureImage; inst: Uint32Array }> {
  const img = await decodeImage(path.join(dir, 'images', file));
  const inst = await decodeImage(path.join(dir, 'instance_labels', file.replace(/\.jpg$/, '.png')), { keepDepth: true });
  const W = img.width;
  const H = img.height;
  const w = size ?? W;
  const h = size ?? H;
  const rgb = new Uint8Array(w * h * 3);
  const ids = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // nearest neighbour (the resize only serves the latency rows)
      const sx = Math.min(W - 1, Math.floor(((x + 0.5) * W) / w));
      const sy = Math.min(H - 1, Math.floor(((y + 0.5) * H) / h));
      const s = sy * W + sx;
      for (let c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = img.data[s * img.channels + Math.min(c, img.channels - 1)]!;
      ids[y * w + x] = inst.data[s * inst.channels]!;
    }
  }
  return { image: { data: rgb, width: w, height: h, channels: 3 }, inst: ids };
}

/** the click model of ml-model.bench.ts (section 4), trained on dsb TRAIN for `budgetS` seconds; BENCH_CLICK_MODEL_CACHE=<file> keeps it between ad-hoc runs */
async function clickModel(dsbDir: string, train: string[], budgetS: number, log: (m: string) => void): Promise<{ refiner: ClickRefiner; steps: number; trainS: number; cached: boolean }> {
  const fs = await import('node:fs');
  await selectBackend({ force: 'wasm', env: {} });
  const cache = process.env.BENCH_CLICK_MODEL_CACHE;
  if (cache && fs.existsSync(cache) && fs.existsSync(`${cache}.json`)) {
    const meta = JSON.parse(fs.readFileSync(`${cache}.json`, 'utf8')) as { config: SegModelConfig; steps: number; trainS: number };
    return { refiner: new ClickRefiner(await deserializeModel(new Uint8Array(fs.readFileSync(cache))), meta.config), steps: meta.steps, trainS: meta.trainS, cached: true };
  }
  const imgs = await Promise.all(train.map((id) => loadDsb(dsbDir, id)));
  const ic = defaultModelConfig({ interactive: true, unet: { ...REFERENCE_UNET, baseWidth: 8 }, inputNorm: 'standardize', seed: 3 });
  const cfg = defaultTrainConfig(ic, { cropSize: 128, batchSize: Math.max(1, Math.round(8 / WORKERS)), lr: 3e-3, minLr: 3e-5, maxSteps: 1_000_000, timeBudgetMs: budgetS * 1000, valEvery: 0, seed: 1, warmup: 0.02 });
  const { model, outcome } = await trainInWorkers(cfg, imgs.map((d) => toSample(d, 'standardize')), log, 'click model');
  if (cache) {
    fs.writeFileSync(cache, outcome.weights);
    fs.writeFileSync(`${cache}.json`, JSON.stringify({ config: outcome.modelConfig, steps: outcome.steps, trainS: outcome.trainMs / 1000 }));
  }
  return { refiner: new ClickRefiner(model, outcome.modelConfig), steps: outcome.steps, trainS: outcome.trainMs / 1000, cached: false };
}

type Engine = 'zero-training' | 'click model alone' | 'combined (click model + cut)';

const suite: BenchSuite = {
  name: 'click-object',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = {};
    const seg = new ZeroShotSegmenter();
    const perImage = ctx.quick ? 1 : Number(process.env.BENCH_CLICK_PER_IMAGE ?? 2);
    const budgetS = ctx.quick ? 20 : Number(process.env.BENCH_CLICK_TRAIN_S ?? 180);
    const rng = createRng(7);
    const sets: { name: string; objs: Obj[] }[] = [];
    const dsbDir = path.join(ctx.datasetsDir, 'dsb2018-nuclei');
    const fruitsDir = path.join(ctx.datasetsDir, 'fruits-nuts-coco');
    const loadStart = os.loadavg()[0]!;
    const { train, test } = dsbSplit(dsbDir);
    const dsbObjs: Obj[] = [];
    for (const id of test.slice(0, ctx.quick ? 4 : test.length)) {
      const d = await loadDsb(dsbDir, id);
      const rgb = new Uint8Array(d.rgb.data.length);
      for (let i = 0; i < rgb.length; i++) rgb[i] = Math.round(d.rgb.data[i]! * 255);
      dsbObjs.push(...pickObjects({ data: rgb, width: d.rgb.width, height: d.rgb.height, channels: 3 }, d.instances, perImage, rng));
    }
    sets.push({ name: 'dsb TEST nuclei', objs: dsbObjs });
    const fs = await import('node:fs');
    const files = fs.readdirSync(path.join(fruitsDir, 'images')).filter((f) => f.endsWith('.jpg')).sort();
    const fruitObjs: Obj[] = [];
    for (const f of files.slice(0, ctx.quick ? 4 : files.length)) {
      const { image, inst } = await loadFruit(fruitsDir, f);
      fruitObjs.push(...pickObjects(image, inst, perImage, rng));
    }
    sets.push({ name: 'fruits-nuts objects', objs: fruitObjs });
    const table: string[] = ['| engine | set | view | objects | NoC@85 | NoC@90 | IoU@1 | IoU@3 | IoU@5 | click ms median / p95 |', '|---|---|---|---|---|---|---|---|---|---|'];
    const measure = async (engine: Engine, s: { name: string; objs: Obj[] }, crop: boolean, step: (image: FeatureImage) => Step) => {
      const st = newStats();
      const t0 = performance.now();
      for (const o of s.objs) {
        const v = view(o, crop);
        await runNocWith(step(v.image), v.image, v.gt, st);
      }
      const viewName = crop ? 'crop' : 'whole image';
      ctx.log(`${engine}, ${s.name} ${viewName}: ${st.noc85.length} objects, NoC@85 ${mean(st.noc85).toFixed(2)}, NoC@90 ${mean(st.noc90).toFixed(2)}, IoU@1 ${mean(st.iou1).toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      table.push(`| ${engine} | ${s.name} | ${viewName} | ${st.noc85.length} | ${mean(st.noc85).toFixed(2)} | ${mean(st.noc90).toFixed(2)} | ${mean(st.iou1).toFixed(3)} | ${mean(st.iou3).toFixed(3)} | ${mean(st.iou5).toFixed(3)} | ${median(st.ms).toFixed(0)} / ${percentile(st.ms, 95).toFixed(0)} |`);
      details[`${engine}, ${s.name} ${viewName}`] = { noc85: st.noc85, noc90: st.noc90, iou1: st.iou1 };
      const fruitsWhole = engine === 'zero-training' && s.name.startsWith('fruits') && !crop;
      const dsbCombined = engine.startsWith('combined') && s.name.startsWith('dsb');
      rows.push({
        metric: `${engine} NoC@85, ${s.name}, ${viewName} (max 20)`,
        value: mean(st.noc85),
        unit: 'clicks',
        ...(fruitsWhole ? { target: '<= 3', met: mean(st.noc85) <= 3 } : {}),
        note: `${st.noc85.length} objects; IoU@1/3/5 ${mean(st.iou1).toFixed(3)} / ${mean(st.iou3).toFixed(3)} / ${mean(st.iou5).toFixed(3)}`,
      });
      rows.push({
        metric: `${engine} NoC@90, ${s.name}, ${viewName} (max 20)`,
        value: mean(st.noc90),
        unit: 'clicks',
        ...(fruitsWhole ? { target: '<= 5', met: mean(st.noc90) <= 5 } : dsbCombined ? { target: '<= 6', met: mean(st.noc90) <= 6 } : {}),
      });
    };
    for (const s of sets) for (const crop of [false, true]) await measure('zero-training', s, crop, (image) => zeroStep(seg, image));
    // latency on 1024^2
    const lat = newStats();
    for (const f of files.slice(0, ctx.quick ? 1 : 4)) {
      const { image, inst } = await loadFruit(fruitsDir, f, 1024);
      for (const o of pickObjects(image, inst, 4, rng)) await runNoc(seg, image, view(o, false).gt, lat, 10);
    }
    const p95 = percentile(lat.ms, 95);
    ctx.log(`latency 1024^2: ${lat.ms.length} clicks, median ${median(lat.ms).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms`);
    rows.push({ metric: 'zero-training click latency, 1024x1024 photo', value: median(lat.ms), unit: 'ms', note: `median of ${lat.ms.length} clicks; p95 below` });
    rows.push({ metric: 'zero-training click latency p95, 1024x1024 photo', value: p95, unit: 'ms', target: '<= 150 ms', met: p95 <= 150 });
    table.push(`| zero-training | fruits-nuts at 1024x1024 | whole image | ${lat.noc85.length} | ${mean(lat.noc85).toFixed(2)} (max 10) | ${mean(lat.noc90).toFixed(2)} (max 10) | ${mean(lat.iou1).toFixed(3)} | ${mean(lat.iou3).toFixed(3)} | ${mean(lat.iou5).toFixed(3)} | ${median(lat.ms).toFixed(0)} / ${p95.toFixed(0)} |`);

    // the trained click model (dsb TRAIN), alone and combined with the cut, on dsb TEST
    const tTrain = performance.now();
    const cm = await clickModel(dsbDir, train, budgetS, ctx.log);
    const trainNote = cm.cached ? `click model from BENCH_CLICK_MODEL_CACHE (trained ${cm.trainS.toFixed(0)} s, ${cm.steps} steps)` : `click model trained ${cm.trainS.toFixed(0)} s on dsb TRAIN (${cm.steps} steps, ${WORKERS} workers; wall ${((performance.now() - tTrain) / 1000).toFixed(0)} s)`;
    ctx.log(trainNote);
    details['clickModel'] = { budgetS, steps: cm.steps, trainS: cm.trainS, cached: cm.cached };
    for (const crop of [false, true]) {
      await measure('click model alone', sets[0]!, crop, (image) => modelStep(cm.refiner, null, image));
      await measure('combined (click model + cut)', sets[0]!, crop, (image) => modelStep(cm.refiner, seg, image));
    }
    cm.refiner.dispose();
    const loadEnd = os.loadavg()[0]!;
    return {
      title: 'Click-to-object: zero training (graph cut on filter-bank features), the trained click model, and both combined',
      rows,
      summary: [
        'Zero training: no model of the project is used; each click is one graph cut on an ROI around the prompts (core/ml/interactive).',
        `Click model alone / combined: ${trainNote}; budget ${budgetS} s (BENCH_CLICK_TRAIN_S). Combined = the worker's combined mode: the model's probabilities are a -${CLICK_MODEL_PRIOR_WEIGHT} log p term of the cut. Fruits-nuts has no TRAIN split, so its trained rows are not measured.`,
        `Load average (1 min) at start ${loadStart.toFixed(1)}, at end ${loadEnd.toFixed(1)} on ${os.cpus().length} cores shared with other jobs.`,
        '',
        ...table,
      ].join('\n'),
      details,
    };
  },
};

export default suite;
