/**
 * models.*, training.*, predictions.*: the model engine (core/ml) behind the contract.
 * Training and pre-labelling run in the ML worker thread (core/ml TrainingJob, PredictionJob);
 * each proposal is stored apart from the person's masks; cancellation stops between images.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServiceImpl } from '../api/contract';
import { AppError } from '../api/errors';
import type { Emit } from '../api/events';
import type { AutoTrainSettings, ModelVersionInfo, PrelabelFinishEvent, SavingsReport, SavingsVersion, TrainingOptions, TrainingProgressEvent, TrainingStatus } from '../api/types';
import { DEFAULT_MIN_OBJECT_PX } from '../api/types';
import { decodeLabelMap, maskAgreement } from '../mask';
import { maskBox } from '../ml/clicks/zoom-window';
import type * as MlIndex from '../ml/index';
import type { ModelRepo, ModelVersionRecord } from '../store/model-repo';
import { resolveImageFile } from '../store/project-paths';
import type { ProjectStore } from '../store/project-store';
import type * as TrainingServiceModule from './training-service';
import type { ProjectRegistry } from './project-registry';
import { hasHumanMask } from './accept-proposals';
import { JobRegistry } from './job-registry';

type MlModule = typeof MlIndex;
let ml: Promise<MlModule> | undefined;
/** TensorFlow.js loads on first use only: start-up and plain labeling never pay for it */
const loadMl = (): Promise<MlModule> => (ml ??= import('../ml/index'));
let trainingService: Promise<typeof TrainingServiceModule> | undefined;
const loadTraining = () => (trainingService ??= import('./training-service'));

export interface ModelServices {
  models: ServiceImpl['models'];
  training: ServiceImpl['training'];
  predictions: ServiceImpl['predictions'];
  /** resolves when a job has finished (CLI, tests) */
  waitFor(jobId: string): Promise<void>;
  /**
   * after images were marked done/reviewed: scores their proposals against the final masks and
   * starts an automatic fine-tune when the project's auto mode is due
   */
  afterImagesFinished(pid: string, imageIds: readonly number[]): void;
  cancelAll(): void;
}

/** A stored version as the contract shows it (with the images and duration of the run that made it). */
export function versionInfo(v: ModelVersionRecord, repo: ModelRepo): ModelVersionInfo {
  const run = repo.producingRun(v.id);
  const { config: _config, ...shown } = v;
  return { ...shown, images: run ? run.images : null, durationMs: run?.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : null };
}

/** the refine worker's version id when no click model exists (zero-training graph cut) */
const ZERO_SHOT = -1;

export function createModelServices(registry: ProjectRegistry, emit: Emit, notifyProject: (pid: string) => void, jobs: JobRegistry = new JobRegistry()): ModelServices {

  /** the run in progress per project (one at a time: the CPU is shared anyway) */
  const training = new Map<string, TrainingStatus>();
  /** click refinement: the loaded click model (or the zero-shot cut, ZERO_SHOT) per project */
  const refiners = new Map<string, { versionId: number; worker: MlIndex.RefineWorker }>();
  const closeRefiner = (pid: string) => {
    void refiners.get(pid)?.worker.dispose();
    refiners.delete(pid);
  };

  const startJob = (kind: 'training' | 'prelabel', pid: string, run: (ac: { signal: AbortSignal }, jobId: string) => Promise<void>): { jobId: string } => {
    const { jobId, done } = jobs.start(kind, pid, (signal, id) => run({ signal }, id));
    done.catch(() => undefined); // each run reports its own failure as a finish event
    return { jobId };
  };

  function startTraining(pid: string, opts: TrainingOptions, auto: boolean): { jobId: string } {
    const store = registry.get(pid);
    const running = training.get(pid);
    if (running) throw new AppError('conflict', `A training run is already in progress (${running.auto ? 'automatic' : 'started'} at ${running.startedAt.slice(11, 19)}); cancel it or wait for it to finish.`);
    return startJob('training', pid, async (ac, jobId) => {
      const status: TrainingStatus = { jobId, interactive: Boolean(opts.interactive), auto, startedAt: new Date().toISOString(), progress: [] };
      training.set(pid, status);
      emit('training.onDidStart', { jobId, projectId: pid, interactive: status.interactive, auto, startedAt: status.startedAt });
      try {
        const t = await loadTraining();
        // a click model fine-tunes the newest click model; a segmentation model the active one
        const repo = store.models;
        let base: number | 'active' | null = opts.base === 'fresh' ? null : opts.interactive ? (repo.latest('clicks')?.id ?? null) : 'active';
        if (base === 'active') {
          // classes added or removed since the active model was trained: it cannot be fine-tuned
          const active = repo.active();
          const classIds = store.classes.list().sort((a, b) => a.index - b.index).map((c) => c.id);
          if (active && JSON.stringify((active.config as { classIds?: number[] }).classIds) !== JSON.stringify(classIds)) base = null;
          // a live forest cannot be fine-tuned into a U-Net: train a fresh one
          if (active && active.kind !== 'segmentation') base = null;
        }
        const result = await t.trainProjectModel(store, {
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.interactive ? { interactive: true } : {}),
          baseVersionId: base,
          train: { ...(opts.budgetS ? { timeBudgetMs: opts.budgetS * 1000 } : {}), ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}) },
          signal: ac.signal,
          onProgress: (p) => {
            const ev: TrainingProgressEvent = {
              jobId,
              projectId: pid,
              step: p.step,
              maxSteps: p.maxSteps,
              loss: p.loss,
              lr: p.lr,
              elapsedMs: p.elapsedMs,
              ...(p.timeBudgetMs ? { timeBudgetMs: p.timeBudgetMs } : {}),
              ...(p.val ? { val: p.val as unknown as Record<string, unknown> } : {}),
            };
            status.progress.push(ev);
            emit('training.onDidProgress', ev);
          },
        });
        if (opts.interactive) closeRefiner(pid); // the next refine loads the new click model
        training.delete(pid);
        emit('training.onDidFinish', {
          jobId,
          projectId: pid,
          interactive: status.interactive,
          ok: true,
          cancelled: false,
          runId: result.runId,
          versionId: result.versionId,
          activated: result.activated,
          activation: result.activation,
        });
      } catch (err) {
        training.delete(pid);
        const e = AppError.from(err);
        emit('training.onDidFinish', { jobId, projectId: pid, interactive: status.interactive, ok: false, cancelled: e.code === 'cancelled' || ac.signal.aborted, error: e.message });
      }
      notifyProject(pid);
    });
  }

  /** automatic mode: fine-tunes the active model once N more images are done (never two runs at once) */
  function maybeAutoTrain(pid: string): void {
    if (training.has(pid)) return;
    let store: ProjectStore;
    try {
      store = registry.get(pid);
    } catch {
      return;
    }
    const a = autoSettings(store);
    if (!a.enabled || a.doneSinceLastRun < a.everyN) return;
    try {
      startTraining(pid, { base: 'active', budgetS: AUTO_TRAIN_BUDGET_S }, true);
    } catch {
      /* a run started meanwhile */
    }
  }

  return {
    models: {
      async list(pid) {
        const repo = registry.get(pid).models;
        return repo.listVersions().map((v) => versionInfo(v, repo));
      },
      async activate(pid, id) {
        const repo = registry.get(pid).models;
        repo.setActive(id);
        notifyProject(pid);
        return versionInfo(repo.getVersion(id), repo);
      },
      async remove(pid, id) {
        registry.get(pid).models.deleteVersion(id);
        closeRefiner(pid);
        notifyProject(pid);
        return true;
      },
      async exportFile(pid, id, file) {
        const m = await loadMl();
        const store = registry.get(pid);
        const repo = store.models;
        const v = repo.getVersion(id);
        const classes = new Map(store.classes.list().map((c) => [c.id, c.name]));
        const bytes = m.encodeModelFile(v, repo.getWeights(id), (cid) => classes.get(cid));
        let target = file;
        try {
          if (fs.existsSync(file) && fs.statSync(file).isDirectory()) target = path.join(file, `${safeFileName(v.name)}${m.MODEL_FILE_EXT}`);
          if (!fs.existsSync(path.dirname(target))) throw new AppError('not-found', `The folder ${path.dirname(target)} does not exist.`);
          // write beside, then rename: a crash never leaves half a model file under the name
          const tmp = `${target}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, bytes);
          fs.renameSync(tmp, target);
        } catch (e) {
          if (e instanceof AppError) throw e;
          throw new AppError('io', `Cannot write ${target}: ${(e as Error).message}`);
        }
        return { path: target, bytes: bytes.byteLength };
      },
      async importFile(pid, file) {
        const m = await loadMl();
        const store = registry.get(pid);
        let bytes: Uint8Array;
        try {
          bytes = fs.readFileSync(file);
        } catch (e) {
          throw new AppError('not-found', `Cannot read ${file}: ${(e as Error).message}`);
        }
        const byName = new Map(store.classes.list().map((c) => [c.name, c.id]));
        const nv = m.decodeModelFile(bytes, (n) => byName.get(n));
        const repo = store.models;
        const id = repo.createVersion(nv);
        notifyProject(pid);
        return versionInfo(repo.getVersion(id), repo);
      },
      async savings(pid) {
        return savingsReport(registry.get(pid));
      },
      async runs(pid) {
        const repo = registry.get(pid).models;
        return repo.listRuns().map(({ kind: _kind, config: _config, ...r }) => {
          const imgs = repo.runImages(r.id);
          return { ...r, images: { train: imgs.filter((i) => i.split === 'train').length, val: imgs.filter((i) => i.split === 'val').length } };
        });
      },
    },

    training: {
      start(pid, opts) {
        return startTraining(pid, opts, false);
      },
      cancel(jobId) {
        return jobs.cancel(jobId, 'training');
      },
      status(pid) {
        registry.get(pid);
        const t = training.get(pid);
        return t ? { ...t, progress: [...t.progress] } : null;
      },
      async metrics(pid, runId) {
        const repo = registry.get(pid).models;
        repo.getRun(runId);
        return repo.metrics(runId).map((r) => ({ step: r.step, loss: r.loss ?? null, lr: r.lr ?? null, val: (r.val as Record<string, unknown> | null) ?? null }));
      },
      getAuto(pid) {
        return autoSettings(registry.get(pid));
      },
      setAuto(pid, { enabled, everyN }) {
        const store = registry.get(pid);
        store.updateSettings({ autoTrain: { enabled, everyN } });
        notifyProject(pid);
        const s = autoSettings(store);
        maybeAutoTrain(pid);
        return s;
      },
    },

    predictions: {
      prelabel(pid, { imageIds, unlabeled, minObjectPx }) {
        const store = registry.get(pid);
        const ids = imageIds ?? (unlabeled ? allUnlabeled(store) : null);
        if (!ids || ids.length === 0) throw new AppError('invalid-argument', 'Nothing to pre-label: give image ids, or ask for the unlabeled images.');
        for (const id of ids) if (!store.images.get(id)) throw new AppError('not-found', `Image ${id} is not in this project.`);
        return startJob('prelabel', pid, async (ac, jobId) => {
          const finish: PrelabelFinishEvent = { jobId, projectId: pid, done: 0, failed: 0, cancelled: false, errors: [] };
          try {
            const m = await loadMl();
            const repo = store.models;
            const active = repo.active();
            if (!active) throw new AppError('not-found', 'No model is active yet. Train a model or select a version first.');
            // every file through core/store/project-paths: an image whose stored path leads outside the
            // project (or its import folder), or is missing, is skipped with its reason; the others run
            const items: { id: number; path: string }[] = [];
            for (const id of ids) {
              try {
                items.push({ id, path: resolveImageFile(store.dir, store.images.get(id)!) });
              } catch (err) {
                finish.failed++;
                finish.errors.push({ imageId: id, message: AppError.from(err).message });
              }
            }
            if (!items.length) throw new AppError('io', `None of the ${ids.length} image(s) could be read: ${finish.errors[0]!.message}`);
            // decoding and prediction run in the ML worker: the host (and the UI it serves) stays responsive
            const job = m.PredictionJob.start(
              { weights: repo.getWeights(active.id), config: active.kind === 'live' ? (m.parseLiveModelConfig(active.config) as never) : m.modelConfigOf(active), kind: active.kind, versionId: active.id, items, minAreaPx: minObjectPx ?? DEFAULT_MIN_OBJECT_PX },
              {
                onResult: (img, done, total) => {
                  store.predictions.add({ imageId: img.id, modelVersionId: active.id, labelMap: img.labelMap, confidence: img.confidence, uncertainty: img.uncertainty });
                  emit('predictions.onDidProgress', { jobId, projectId: pid, done, total, imageId: img.id, failed: finish.failed });
                },
                onError: (id, error, done, total) => {
                  finish.failed++;
                  finish.errors.push({ imageId: id, message: error.message });
                  emit('predictions.onDidProgress', { jobId, projectId: pid, done, total, imageId: id, failed: finish.failed });
                },
              },
            );
            ac.signal.addEventListener('abort', () => job.cancel(), { once: true });
            const summary = await job.done;
            finish.done = summary.done;
          } catch (err) {
            const e = AppError.from(err);
            finish.cancelled = e.code === 'cancelled' || ac.signal.aborted;
            if (!finish.cancelled) finish.error = e.message;
          }
          emit('predictions.onDidFinish', finish);
          notifyProject(pid);
        });
      },
      cancel(jobId) {
        return jobs.cancel(jobId, 'prelabel');
      },
      latest(pid, iid) {
        const p = registry.get(pid).predictions.latest(iid);
        return p
          ? { id: p.id, modelVersionId: p.modelVersionId, labelMap: p.labelMap, confidence: p.confidence, uncertainty: p.uncertainty, state: p.state, createdAt: p.createdAt }
          : null;
      },
      setState(pid, predictionId, state) {
        const store = registry.get(pid);
        if (!store.predictions.exists(predictionId)) throw new AppError('not-found', `Prediction ${predictionId} does not exist.`);
        store.predictions.setState(predictionId, state);
        return true;
      },
      async clickModel(pid) {
        const repo = registry.get(pid).models;
        const v = repo.latest('clicks');
        return v ? versionInfo(v, repo) : null;
      },
      async refine(pid, iid, { clicks, box, prev }) {
        const store = registry.get(pid);
        const row = store.images.get(iid);
        if (!row) throw new AppError('not-found', `Image ${iid} is not in this project.`);
        for (const c of clicks) {
          if (c.x >= row.width || c.y >= row.height) throw new AppError('invalid-argument', `Click ${c.x},${c.y} is outside the ${row.width}x${row.height} image.`);
        }
        if (box && (box.x1 >= row.width || box.y1 >= row.height)) throw new AppError('invalid-argument', `The box ${box.x0},${box.y0}-${box.x1},${box.y1} reaches outside the ${row.width}x${row.height} image.`);
        if (!clicks.length && !box) throw new AppError('invalid-argument', 'Refining needs at least one click or a box.');
        const repo = store.models;
        const v = repo.latest('clicks');
        let prevMask: Uint8Array | null = null;
        if (prev) {
          if (prev.x + prev.width > row.width || prev.y + prev.height > row.height || prev.mask.length !== prev.width * prev.height) {
            throw new AppError('invalid-argument', `The previous mask (${prev.width}x${prev.height} at ${prev.x},${prev.y}, ${prev.mask.length} bytes) does not fit the ${row.width}x${row.height} image.`);
          }
          prevMask = new Uint8Array(row.width * row.height);
          for (let y = 0; y < prev.height; y++) {
            for (let x = 0; x < prev.width; x++) if (prev.mask[y * prev.width + x]) prevMask[(prev.y + y) * row.width + prev.x + x] = 1;
          }
        }
        const m = await loadMl();
        // the click model runs in an ML worker (loaded once per version), like training and
        // pre-labelling; with no click model yet the worker runs the zero-training graph cut
        // (core/ml/interactive; versionId ZERO_SHOT), so no click ever runs on the host's thread
        // combined mode: a trained click model's probabilities are one more term of the cut
        const versionId = v ? v.id : ZERO_SHOT;
        let entry = refiners.get(pid);
        if (!entry || entry.versionId !== versionId || !entry.worker.alive) {
          closeRefiner(pid);
          const clickModel = v ? { kind: v.kind, version: { id: v.id, config: v.config }, weights: repo.getWeights(v.id) } : undefined;
          entry = { versionId, worker: m.RefineWorker.open({ kind: 'zero-shot', ...(clickModel ? { clickModel } : {}) }) };
          refiners.set(pid, entry);
        }
        const prelabel = prelabelPrior(store, iid, row.width, row.height, clicks);
        const r = await entry.worker.refine({ imageId: iid, path: resolveImageFile(store.dir, row), clicks, box: box ?? null, prevMask, ...(prelabel ? { priors: [{ prob: prelabel, source: 'prelabel' as const, weight: 1.5 }] } : {}) });
        if (r.width !== row.width || r.height !== row.height) throw new AppError('conflict', `Image ${iid} is ${r.width}x${r.height} on disk but ${row.width}x${row.height} in the project; re-import it.`);
        return { ...cropToBox(r.mask, row.width, row.height), score: r.score, ms: r.ms, modelVersionId: v ? v.id : null, sources: r.sources ?? ['zero-shot'] };
      },
    },

    async waitFor(jobId) {
      await jobs.wait(jobId);
    },
    afterImagesFinished(pid, imageIds) {
      const store = registry.get(pid);
      for (const id of imageIds) scoreProposal(store, id);
      maybeAutoTrain(pid);
    },
    cancelAll() {
      for (const j of jobs.list()) if (j.kind === 'training' || j.kind === 'prelabel') jobs.cancel(j.jobId);
      for (const pid of [...refiners.keys()]) closeRefiner(pid);
    },
  };
}

/** the decoded proposal per prediction id (refine asks on every click) */
const proposalCache = new WeakMap<ProjectStore, { id: number; ids: Uint32Array | Uint16Array | Uint8Array; confidence: Uint8Array }>();

/**
 * The pre-label proposal as object probabilities (0..255) for refine: the proposal instances
 * under the positive clicks are the object (p = confidence), every other pixel is not
 * (p = 1 - confidence). Null when the image has no proposal with confidences, it was rejected,
 * or no positive click lands on a proposed instance (the model missed this object: its opinion
 * would only fight the clicks).
 */
function prelabelPrior(store: ProjectStore, imageId: number, width: number, height: number, clicks: readonly { x: number; y: number; positive: boolean }[]): Uint8Array | null {
  const p = store.predictions.latest(imageId);
  if (!p || !p.confidence || p.state === 'rejected' || p.confidence.length !== width * height) return null;
  let dec = proposalCache.get(store);
  if (!dec || dec.id !== p.id) {
    let map;
    try {
      map = decodeLabelMap(p.labelMap);
    } catch {
      return null;
    }
    if (map.width !== width || map.height !== height) return null;
    dec = { id: p.id, ids: map.ids, confidence: p.confidence };
    proposalCache.set(store, dec);
  }
  const hit = new Set<number>();
  for (const c of clicks) {
    if (!c.positive) continue;
    const v = dec.ids[Math.floor(c.y) * width + Math.floor(c.x)]!;
    if (v) hit.add(v);
  }
  if (!hit.size) return null;
  const out = new Uint8Array(width * height);
  const { ids, confidence } = dec;
  for (let i = 0; i < out.length; i++) out[i] = hit.has(ids[i]!) ? confidence[i]! : 255 - confidence[i]!;
  return out;
}

/** images with status unlabeled, less those that have a human mask anyway (e.g. imported with status kept) */
function allUnlabeled(store: ProjectStore): number[] {
  return store.images
    .queue('sequential', 1_000_000)
    .map((r) => r.id)
    .filter((id) => !hasHumanMask(store, id));
}

/** automatic runs are short fine-tunes: the person keeps labeling meanwhile */
const AUTO_TRAIN_BUDGET_S = 120;
const DEFAULT_AUTO: { enabled: boolean; everyN: number } = { enabled: false, everyN: 5 };

function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'model';
}

function autoSettings(store: ProjectStore): AutoTrainSettings {
  const raw = store.settings()['autoTrain'] as Partial<typeof DEFAULT_AUTO> | undefined;
  const enabled = typeof raw?.enabled === 'boolean' ? raw.enabled : DEFAULT_AUTO.enabled;
  const everyN = Number.isInteger(raw?.everyN) && raw!.everyN! >= 1 ? raw!.everyN! : DEFAULT_AUTO.everyN;
  // finished images that the latest segmentation run (running or not) did not see
  return { enabled, everyN, doneSinceLastRun: store.models.finishedSinceLastRun('segmentation') };
}

/** Scores the latest proposal of a finished image against the person's final mask. */
function scoreProposal(store: ProjectStore, imageId: number): void {
  const p = store.predictions.latest(imageId);
  const a = store.annotations.get(imageId);
  if (!p || !a) return;
  try {
    const o = maskAgreement(decodeLabelMap(p.labelMap), decodeLabelMap(a.labelMap));
    store.predictions.setOutcome(p.id, o);
  } catch {
    /* a proposal of another size (image replaced) or a damaged blob: no score rather than a wrong one */
  }
}

function savingsReport(store: ProjectStore): SavingsReport {
  const rows = store.predictions.outcomes();
  const images: SavingsReport['images'] = [];
  const byVersion = new Map<number | null, { name: string; rows: SavingsReport['images'] }>();
  for (const r of rows) {
    if (r.iou == null) continue;
    const im = { imageId: r.imageId, fileName: r.fileName, modelVersionId: r.modelVersionId, iou: r.iou, changedFraction: r.changedFraction ?? 0, editMs: r.editMs, edits: r.edits, scoredAt: r.scoredAt! };
    images.push(im);
    const g = byVersion.get(r.modelVersionId) ?? { name: r.versionName ?? 'deleted version', rows: [] };
    g.rows.push(im);
    byVersion.set(r.modelVersionId, g);
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
  const versions: SavingsVersion[] = [...byVersion.entries()]
    .sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0))
    .map(([id, g]) => ({
      modelVersionId: id,
      name: g.name,
      images: g.rows.length,
      meanIou: mean(g.rows.map((r) => r.iou)),
      meanChangedFraction: mean(g.rows.map((r) => r.changedFraction)),
      meanEditMs: mean(g.rows.map((r) => r.editMs)),
      meanEdits: mean(g.rows.map((r) => r.edits)),
    }));
  const plain = rows.filter((r) => r.iou == null);
  return { versions, images, unassisted: { images: plain.length, meanEditMs: mean(plain.map((r) => r.editMs)), meanEdits: mean(plain.map((r) => r.edits)) } };
}

/** A 0/1 image-size mask cropped to its box (an empty box when nothing is set). */
function cropToBox(mask: Uint8Array, width: number, height: number): { x: number; y: number; width: number; height: number; mask: Uint8Array } {
  const b = maskBox(mask, width, height);
  if (!b) return { x: 0, y: 0, width: 0, height: 0, mask: new Uint8Array(0) };
  const w = b.x1 - b.x0 + 1;
  const h = b.y1 - b.y0 + 1;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) out.set(mask.subarray((b.y0 + y) * width + b.x0, (b.y0 + y) * width + b.x0 + w), y * w);
  return { x: b.x0, y: b.y0, width: w, height: h, mask: out };
}
