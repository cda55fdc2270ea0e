/**
 * Simulated annotator on dsb2018 nuclei: how much of the model's proposal does a person still
 * have to change as the model learns, and does labeling the least certain images first
 * (images.queue('uncertainty')) help compared with a random order?
 *
 * Split (peers/README.md): ids sorted ascending, the TRAIN positions 0,2,...,38 are the pool
 * the person labels, TEST positions 1,3,...,39 are held out. The ground truth is the person.
 * For each ordering, a fresh project (ProjectStore + ImportJob of the 20 pool images, in id
 * order), then:
 *   - round 0: the first BATCH images of the queue (no model yet: import order, the same
 *     images for both orderings) get the GT as the person's mask and are marked done; a model
 *     is trained (trainProjectModel, product defaults, a fresh model, ROUND_S seconds);
 *   - each next round: the active model pre-labels every unlabeled pool image (runPrediction,
 *     the ML worker's code, in-process; stored with store.predictions.add like the app does),
 *     the next BATCH images come from the ordering (uncertainty: store.images.queue; random: a
 *     seeded shuffle, as the app's queue('random') uses SQLite random() and cannot be seeded);
 *     for each, the proposal is compared with the GT (class-aware foreground IoU and the share
 *     of pixels whose class the person had to change), the proposal is marked accepted/partial
 *     (so training weighs the corrected pixels, as in the app), the GT is saved, the image is
 *     marked done; then the active model is fine-tuned (baseVersionId 'active') on all done
 *     images for ROUND_S seconds. Activation follows the product rule (validation IoU).
 *   - after each round: the active model's TEST IoU (pooled over the 20 TEST images).
 *
 * Env: BENCH_AL_ROUND_S (train seconds per round; default 45, quick 3), BENCH_AL_BATCH (images
 * per round; 5), BENCH_AL_ROUNDS (rounds after round 0; default: until the pool is labeled,
 * quick 1), BENCH_AL_ORDERS (comma list; 'uncertainty,random'), BENCH_AL_SEED (0),
 * BENCH_AL_TEST (0 skips the TEST evaluation).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { selectBackend, type BackendReport } from '../../core/ml/backend';
import { runPrediction } from '../../core/ml/infer/run-prediction';
import { loadModelVersion } from '../../core/ml/load-model-version';
import { modelConfigOf } from '../../core/ml/models/model-config';
import { createRng } from '../../core/ml/train/rng';
import { trainProjectModel } from '../../core/services/training-service';
import { LabelMap } from '../../core/mask/label-map';
import { ImportJob } from '../../core/services/import-job';
import { ProjectStore } from '../../core/store';
import type { BenchContext, BenchResult, BenchRow, BenchSuite } from './bench-types';
import { dsbSplit, evaluateTest, loadDsb, type DsbImage } from './ml-model.bench';

type Ordering = 'uncertainty' | 'random';

interface Settings {
  roundS: number;
  batch: number;
  maxRounds: number;
  orders: Ordering[];
  seed: number;
  test: boolean;
}

function settings(quick: boolean): Settings {
  const num = (k: string, d: number) => {
    const v = process.env[k];
    if (v == null || v === '') return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${k}=${v} is not a non-negative number`);
    return n;
  };
  const orders = (process.env.BENCH_AL_ORDERS ?? 'uncertainty,random').split(',').map((s) => s.trim()).filter(Boolean);
  for (const o of orders) if (o !== 'uncertainty' && o !== 'random') throw new Error(`BENCH_AL_ORDERS: unknown ordering '${o}' (uncertainty, random)`);
  return {
    roundS: num('BENCH_AL_ROUND_S', quick ? 3 : 45),
    batch: Math.max(1, Math.round(num('BENCH_AL_BATCH', 5))),
    maxRounds: Math.round(num('BENCH_AL_ROUNDS', quick ? 1 : 1_000)),
    orders: orders as Ordering[],
    seed: Math.round(num('BENCH_AL_SEED', 0)),
    test: process.env.BENCH_AL_TEST !== '0',
  };
}

// ----------------------------------------------------------------------------- the person's side

/** Class index per pixel of a label map (0 = background, else the instance's class id). */
function classPixels(m: LabelMap): Uint16Array {
  const out = new Uint16Array(m.ids.length);
  const cls = new Map<number, number>();
  for (const inst of m.instances()) cls.set(inst.id, inst.classId);
  for (let i = 0; i < out.length; i++) {
    const id = m.ids[i]!;
    if (id) out[i] = cls.get(id) ?? 0;
  }
  return out;
}

export interface ProposalScore {
  /** class-aware foreground IoU: pixels where both are foreground of the same class / pixels where either is foreground */
  iou: number;
  /** pixels whose class the person changes (proposal class != final class) / all pixels */
  changed: number;
}

export function scoreProposal(proposal: Uint16Array, final: Uint16Array): ProposalScore {
  let inter = 0;
  let union = 0;
  let changed = 0;
  for (let i = 0; i < final.length; i++) {
    const p = proposal[i]!;
    const t = final[i]!;
    if (p !== t) changed++;
    if (p || t) {
      union++;
      if (p === t) inter++;
    }
  }
  return { iou: union ? inter / union : 1, changed: changed / final.length };
}

/** The GT instances as the person's mask (one instance per nucleus, source 'human'). */
function gtLabelMap(d: DsbImage, classId: number): LabelMap {
  const m = new LabelMap(d.rgb.width, d.rgb.height, d.instances.slice());
  const seen = new Set<number>();
  for (const id of d.instances) if (id && !seen.has(id)) seen.add(id);
  for (const id of [...seen].sort((a, b) => a - b)) m.addInstance({ id, classId, source: 'human' });
  return m;
}

/** A bright background (bright-field / H&E) rather than dark-background fluorescence: mean RGB above 0.4. */
export function isBrightField(d: DsbImage): boolean {
  let sum = 0;
  for (let i = 0; i < d.rgb.data.length; i++) sum += d.rgb.data[i]!;
  return sum / d.rgb.data.length > 0.4;
}

// ----------------------------------------------------------------------------- one loop

interface PoolImage {
  dsbId: string;
  uncertainty: number;
  iou: number;
  changed: number;
}

interface PickedImage {
  dsbId: string;
  /** the image's mean uncertainty from the active model's latest prediction */
  uncertainty: number | null;
  iou: number | null;
  changed: number | null;
}

export interface RoundResult {
  round: number;
  /** done images after this round */
  labeled: number;
  picked: PickedImage[];
  /** mean over the picked images (null in round 0: no model yet) */
  proposalIou: number | null;
  changedFraction: number | null;
  /** mean proposal IoU over every image that was pre-labeled this round (picked or not) */
  poolIou: number | null;
  /** every image pre-labeled this round: its uncertainty and how good the proposal was (absent in older results) */
  pool?: PoolImage[];
  prelabelS: number | null;
  trainS: number;
  trainWallS: number;
  steps: number;
  versionId: number;
  activated: boolean;
  activation: string;
  valIou: number | null;
  /** the active model after this round */
  activeVersionId: number;
  testPooled: number | null;
  testMeanPerImage: number | null;
  testEvalS: number | null;
  /** TEST IoU pooled of the version trained this round when it was not activated (null: it was) */
  testPooledNew: number | null;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

async function runLoop(order: Ordering, s: Settings, pool: DsbImage[], poolFiles: string[], test: DsbImage[], ctx: BenchContext): Promise<RoundResult[]> {
  const store = ProjectStore.create(path.join(ctx.tmpDir, `proj-${order}`), { name: `annotator-${order}`, classes: [{ name: 'nucleus' }] });
  try {
    const classId = store.classes.list()[0]!.id;
    // one at a time: import order = sorted id order (the 'sequential' queue)
    const rep = await new ImportJob(store, { paths: poolFiles }, () => {}, 1).run();
    if (rep.imported !== pool.length) throw new Error(`imported ${rep.imported} of ${pool.length} pool images: ${rep.skipped.map((x) => x.message).join('; ')}`);
    const byImageId = new Map<number, DsbImage>();
    const byDsbId = new Map(pool.map((d) => [d.id, d]));
    for (const row of store.images.list({ limit: 10_000 }).items) byImageId.set(row.id, byDsbId.get(row.fileName.replace(/\.png$/, ''))!);
    const repo = store.models;
    const gtClass = new Map<number, Uint16Array>();
    for (const [id, d] of byImageId) gtClass.set(id, classPixels(gtLabelMap(d, classId)));

    // random: a seeded shuffle of the pool (the same one for every run with this seed)
    const rng = createRng(s.seed * 7919 + 17);
    const perm = [...byImageId.keys()].sort((a, b) => a - b);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const unlabeled = () => store.images.queue('sequential', 1_000_000).map((r) => r.id);
    const next = (n: number, round: number): number[] => {
      // round 0 (no model, no predictions): the uncertainty queue is import order; both orderings start there
      if (order === 'uncertainty' || round === 0) return store.images.queue('uncertainty', n).map((r) => r.id);
      const open = new Set(unlabeled());
      return perm.filter((id) => open.has(id)).slice(0, n);
    };

    const rounds: RoundResult[] = [];
    for (let round = 0; round <= s.maxRounds; round++) {
      const open = unlabeled();
      if (!open.length) break;
      let prelabelS: number | null = null;
      const poolScores: PoolImage[] = [];
      if (round > 0) {
        const active = repo.active()!;
        const t0 = performance.now();
        let failed = 0;
        await runPrediction(
          { weights: repo.getWeights(active.id), config: modelConfigOf(active), items: open.map((id) => ({ id, path: store.images.get(id)!.path })), backend: 'wasm' },
          {
            onResult: (r) => {
              if ('error' in r) {
                failed++;
                ctx.log(`  pre-label of image ${r.id} failed: ${r.error.message}`);
                return;
              }
              store.predictions.add({ imageId: r.image.id, modelVersionId: active.id, labelMap: r.image.labelMap, confidence: r.image.confidence, uncertainty: r.image.uncertainty });
              const sc = scoreProposal(classPixels(LabelMap.decode(r.image.labelMap)), gtClass.get(r.image.id)!);
              poolScores.push({ dsbId: byImageId.get(r.image.id)!.id, uncertainty: r.image.uncertainty, iou: sc.iou, changed: sc.changed });
            },
          },
        );
        prelabelS = (performance.now() - t0) / 1000;
        if (failed) throw new Error(`${failed} pre-labels failed`);
      }

      const picked: PickedImage[] = [];
      for (const id of next(s.batch, round)) {
        const d = byImageId.get(id)!;
        const pred = round > 0 ? store.predictions.latest(id) : null;
        let score: ProposalScore | null = null;
        if (pred) {
          score = scoreProposal(classPixels(LabelMap.decode(pred.labelMap)), gtClass.get(id)!);
          // the person started from the proposal: untouched = accepted, corrected = partial
          store.predictions.setState(pred.id, score.changed === 0 ? 'accepted' : 'partial');
        }
        store.annotations.save(id, gtLabelMap(d, classId).encode(), { revision: { source: 'human', reason: 'done' } });
        store.images.setStatus([id], 'done');
        picked.push({ dsbId: d.id, uncertainty: pred?.uncertainty ?? null, iou: score?.iou ?? null, changed: score?.changed ?? null });
      }

      const t1 = performance.now();
      const tr = await trainProjectModel(store, {
        name: `${order} round ${round}`,
        baseVersionId: round === 0 ? null : 'active',
        train: { timeBudgetMs: s.roundS * 1000, maxSteps: 1_000_000, seed: s.seed + round },
        backend: 'wasm',
      });
      const trainWallS = (performance.now() - t1) / 1000;
      const activeId = repo.active()!.id;

      let testPooled: number | null = null;
      let testMean: number | null = null;
      let testEvalS: number | null = null;
      let testPooledNew: number | null = null;
      const evalVersion = async (id: number) => {
        const lm = await loadModelVersion(repo.getVersion(id), repo.getWeights(id));
        try {
          return await evaluateTest(lm.model, lm.config, test);
        } finally {
          lm.model.dispose();
        }
      };
      if (s.test) {
        const ev = await evalVersion(activeId);
        testPooled = ev.pooled;
        testMean = ev.meanPerImage;
        testEvalS = ev.evalS;
        // the version this round trained, when the activation rule kept the older one
        if (activeId !== tr.versionId) testPooledNew = (await evalVersion(tr.versionId)).pooled;
      }
      const done = store.images.statusCounts().done;
      const r: RoundResult = {
        round,
        labeled: done,
        picked,
        proposalIou: mean(picked.flatMap((p) => (p.iou == null ? [] : [p.iou]))),
        changedFraction: mean(picked.flatMap((p) => (p.changed == null ? [] : [p.changed]))),
        poolIou: mean(poolScores.map((p) => p.iou)),
        pool: poolScores,
        prelabelS,
        trainS: tr.outcome.trainMs / 1000,
        trainWallS,
        steps: tr.outcome.steps,
        versionId: tr.versionId,
        activated: tr.activated,
        activation: tr.activation,
        valIou: tr.outcome.val?.meanIou ?? null,
        activeVersionId: activeId,
        testPooled,
        testMeanPerImage: testMean,
        testEvalS,
        testPooledNew,
      };
      rounds.push(r);
      const f = (v: number | null, d = 3) => (v == null ? '-' : v.toFixed(d));
      ctx.log(
        `${order} round ${round}: ${done} labeled; picked ${picked.map((p) => p.dsbId.slice(0, 6)).join(' ')}; proposal IoU ${f(r.proposalIou)} (pool ${f(r.poolIou)}), changed ${f(r.changedFraction == null ? null : 100 * r.changedFraction, 2)} %; ` +
          `train ${r.steps} steps ${r.trainS.toFixed(0)} s (wall ${trainWallS.toFixed(0)} s), v${r.versionId} ${r.activated ? 'activated' : 'NOT activated'} (${r.activation}); TEST IoU ${f(testPooled)}${testPooledNew == null ? '' : ` (not activated v${r.versionId}: ${f(testPooledNew)})`}`,
      );
    }
    return rounds;
  } finally {
    store.close();
  }
}

// ----------------------------------------------------------------------------- the report

/** Spearman rank correlation (ties get their mean rank). */
function spearman(a: number[], b: number[]): number {
  const rank = (xs: number[]) => {
    const idx = xs.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(xs.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
      for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const ma = mean(ra)!;
  const mb = mean(rb)!;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return da && db ? num / Math.sqrt(da * db) : NaN;
}

/** An image the person had to redraw a good part of (class changed on more than this share of its pixels). */
const HARD = 0.2;

/** Rows and the markdown summary, from the per-ordering rounds alone (so stored results can be re-rendered). */
export function renderReport(
  byOrder: Partial<Record<Ordering, RoundResult[]>>,
  s: Pick<Settings, 'batch' | 'roundS' | 'seed'>,
  pool: { size: number; brightField: string[]; firstBatch: string[] },
  backend: string,
): { rows: BenchRow[]; summary: string } {
  const orders = Object.keys(byOrder) as Ordering[];
  const rows: BenchRow[] = [];
  const f3 = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '-' : v.toFixed(3));
  const pct = (v: number | null | undefined) => (v == null ? '-' : `${(100 * v).toFixed(1)} %`);
  const findings: string[] = [];
  for (const order of orders) {
    const rs = byOrder[order]!;
    for (const r of rs) {
      const at = `${order}, round ${r.round} (${r.labeled} labeled)`;
      if (r.proposalIou != null) {
        rows.push({ metric: `${at}: proposal IoU of the ${r.picked.length} images labeled`, value: r.proposalIou, unit: '', note: `all unlabeled pool images: ${f3(r.poolIou)}` });
        rows.push({ metric: `${at}: pixels the person changed`, value: 100 * r.changedFraction!, unit: '%' });
        if (r.pool && r.pool.length >= 3) {
          const rho = spearman(
            r.pool.map((p) => p.uncertainty),
            r.pool.map((p) => p.changed),
          );
          if (Number.isFinite(rho)) rows.push({ metric: `${at}: rank correlation of uncertainty with pixels to change`, value: rho, unit: '', note: `Spearman over the ${r.pool.length} pre-labeled images; > 0: the uncertainty order finds the bad proposals` });
        }
      }
      if (r.testPooled != null) {
        const kept = r.activated ? '' : `; this round's v${r.versionId} was not activated (its TEST IoU ${f3(r.testPooledNew)})`;
        rows.push({ metric: `${at}: TEST IoU pooled, active model`, value: r.testPooled, unit: '', note: `mean/image ${f3(r.testMeanPerImage)}; ${r.steps} steps in ${r.trainS.toFixed(0)} s${kept}` });
      }
    }
    const all = rs.filter((r) => r.proposalIou != null).flatMap((r) => r.picked);
    if (all.length) {
      const iou = mean(all.map((p) => p.iou!))!;
      const changed = mean(all.map((p) => p.changed!))!;
      rows.push({ metric: `${order}: mean proposal IoU over all ${all.length} pre-labeled images the person labeled`, value: iou, unit: '' });
      rows.push({ metric: `${order}: mean share of pixels changed over those images`, value: 100 * changed, unit: '%' });
      const last = rs[rs.length - 1]!;
      const hard = rs.flatMap((r) => r.picked.filter((p) => (p.changed ?? 0) > HARD).map((p) => `${p.dsbId.slice(0, 6)} (round ${r.round}, ${pct(p.changed)})`));
      const hardU = mean(all.filter((p) => p.changed! > HARD).map((p) => p.uncertainty!));
      const easyU = mean(all.filter((p) => p.changed! <= HARD).map((p) => p.uncertainty!));
      const notActivated = rs.filter((r) => !r.activated && r.testPooledNew != null);
      findings.push(
        `${order}: over the ${all.length} pre-labeled images the person changed ${pct(changed)} of the pixels (mean proposal IoU ${f3(iou)}); TEST IoU of the active model after ${last.labeled} images ${f3(last.testPooled)}. ` +
          `Images needing > ${100 * HARD} % of their pixels changed: ${hard.length ? hard.join(', ') : 'none'}` +
          (hardU != null && easyU != null ? `; their mean uncertainty (from the model of their round) ${f3(hardU)} vs ${f3(easyU)} for the other pre-labeled images.` : '.') +
          (notActivated.length
            ? ` Not activated by the validation rule: ${notActivated.map((r) => `round ${r.round} (its TEST IoU ${f3(r.testPooledNew)} vs the kept model's ${f3(r.testPooled)})`).join(', ')}.`
            : ''),
      );
    }
  }

  const curve: string[] = ['| ordering | round | labeled | proposal IoU (labeled imgs) | proposal IoU (all unlabeled) | px changed | TEST IoU pooled | train | activated |', '|---|---:|---:|---:|---:|---:|---:|---|---|'];
  for (const order of orders) {
    for (const r of byOrder[order]!) {
      curve.push(
        `| ${order} | ${r.round} | ${r.labeled} | ${f3(r.proposalIou)} | ${f3(r.poolIou)} | ${pct(r.changedFraction)} | ${f3(r.testPooled)} | ${r.steps} steps, ${r.trainS.toFixed(0)} s | ${r.activated ? 'yes' : `no (${r.activation}; its TEST IoU ${f3(r.testPooledNew)})`} |`,
      );
    }
  }
  const summary = [
    `Simulated annotator: the GT masks of the ${pool.size} TRAIN images are the person, ${s.batch} images per round; round 0 (import order, the same images for both orderings) trains a fresh model, each next round pre-labels the unlabeled pool with the active model, takes the next ${s.batch} by the ordering, scores the proposal against the GT, saves the GT and fine-tunes the active model (product defaults, ${s.roundS} s of training per round, ${backend} backend, product activation rule). ` +
      `"proposal IoU" = class-aware foreground IoU of the stored proposal vs the final mask; "px changed" = pixels whose class the person had to change / image pixels (mean per image). "random" is a seeded shuffle (seed ${s.seed}). ` +
      'Uncertainty ordering picks the images the model is least sure of, so its proposal IoU on the picked images is lower by design; the column "all unlabeled" shows the model itself. ' +
      (pool.brightField.length
        ? `The pool holds ${pool.brightField.length} bright-field/H&E images (${pool.brightField.map((id) => id.slice(0, 6) + (pool.firstBatch.includes(id) ? ' (round 0)' : '')).join(', ')}) among ${pool.size - pool.brightField.length} dark-background fluorescence ones: the early models fail on those, and when they come up largely decides "px changed". `
        : '') +
      'Training is time-budgeted on a shared, noisy machine: the steps per round vary with the load, so the IoU curves carry that noise too (one run, no repeats).',
    '',
    ...curve,
    '',
    ...findings.map((f) => `- ${f}`),
  ].join('\n');
  return { rows, summary };
}

// ----------------------------------------------------------------------------- the suite

const suite: BenchSuite = {
  name: 'annotator-loop',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const s = settings(ctx.quick);
    const dir = path.join(ctx.datasetsDir, 'dsb2018-nuclei');
    const report: BackendReport = await selectBackend({ force: 'wasm', env: {} });
    ctx.log(`backend: ${report.summary}`);
    const conditions = `${os.cpus().length} cores shared with other engineers' runs; load avg at start ${os.loadavg()[0]!.toFixed(1)}`;
    ctx.log(`settings: ${JSON.stringify(s)}`);
    const split = dsbSplit(dir);
    const pool = await Promise.all(split.train.map((id) => loadDsb(dir, id)));
    const test = s.test ? await Promise.all(split.test.map((id) => loadDsb(dir, id))) : [];
    const poolFiles = split.train.map((id) => path.join(dir, 'images', `${id}.png`));
    for (const f of poolFiles) if (!fs.existsSync(f)) throw new Error(`missing ${f}`);

    const byOrder: Partial<Record<Ordering, RoundResult[]>> = {};
    for (const order of s.orders) byOrder[order] = await runLoop(order, s, pool, poolFiles, test, ctx);

    const poolInfo = { size: pool.length, brightField: pool.filter(isBrightField).map((d) => d.id), firstBatch: byOrder[s.orders[0]!]?.[0]?.picked.map((p) => p.dsbId) ?? [] };
    const { rows, summary } = renderReport(byOrder, s, poolInfo, report.name);
    return {
      title: `Simulated annotator loop on dsb2018 (uncertainty vs random order, ${report.name} backend, ${s.roundS} s training per round) — ${conditions}`,
      rows,
      summary,
      details: { backend: report, conditions, settings: s, split: { pool: split.train, test: split.test }, poolInfo, rounds: byOrder },
    };
  },
};

export default suite;
