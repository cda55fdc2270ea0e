/**
 * models.*, training.*, predictions.*: the model engine (core/ml) behind the contract.
 * Training and pre-labelling run in the ML worker thread (core/ml TrainingJob, PredictionJob);
 * each proposal is stored apart from the person's masks; cancellation stops between images.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceImpl } from '../api/contract';
import { AppError } from '../api/errors';
import type { Emit } from '../api/events';
import type { ModelVersionInfo, PrelabelFinishEvent } from '../api/types';
import type * as MlIndex from '../ml/index';
import type { ModelVersionRecord } from '../ml/model-repo';
import type { SegModelConfig } from '../ml/models/model-config';
import type { ProjectStore } from '../store/project-store';
import type { ProjectRegistry } from './project-registry';

type MlModule = typeof MlIndex;
let ml: Promise<MlModule> | undefined;
/** TensorFlow.js loads on first use only: start-up and plain labeling never pay for it */
const loadMl = (): Promise<MlModule> => (ml ??= import('../ml/index'));

export interface ModelServices {
  models: ServiceImpl['models'];
  training: ServiceImpl['training'];
  predictions: ServiceImpl['predictions'];
  /** resolves when a job has finished (CLI, tests) */
  waitFor(jobId: string): Promise<void>;
  cancelAll(): void;
}

export function createModelServices(registry: ProjectRegistry, emit: Emit, notifyProject: (pid: string) => void): ModelServices {
  const jobs = new Map<string, { ac: AbortController; done: Promise<void> }>();

  const versionInfo = (v: ModelVersionRecord): ModelVersionInfo => ({
    id: v.id,
    name: v.name,
    arch: v.arch,
    isActive: v.isActive,
    createdAt: v.createdAt,
    backend: v.backend,
    parentId: v.parentId,
    metrics: v.metrics,
    weightsBytes: v.weightsBytes,
  });

  const startJob = (run: (ac: AbortController, jobId: string) => Promise<void>): { jobId: string } => {
    const jobId = randomUUID();
    const ac = new AbortController();
    const done = run(ac, jobId).finally(() => jobs.delete(jobId));
    jobs.set(jobId, { ac, done });
    return { jobId };
  };

  return {
    models: {
      async list(pid) {
        const { ModelRepo } = await loadMl();
        return new ModelRepo(registry.get(pid).db).listVersions().map(versionInfo);
      },
      async activate(pid, id) {
        const { ModelRepo } = await loadMl();
        const repo = new ModelRepo(registry.get(pid).db);
        repo.setActive(id);
        return versionInfo(repo.getVersion(id));
      },
      async runs(pid) {
        const { ModelRepo } = await loadMl();
        const repo = new ModelRepo(registry.get(pid).db);
        return repo.listRuns().map((r) => {
          const imgs = repo.runImages(r.id);
          return {
            id: r.id,
            status: r.status,
            backend: r.backend,
            baseVersionId: r.baseVersionId,
            resultVersionId: r.resultVersionId,
            error: r.error,
            startedAt: r.startedAt,
            finishedAt: r.finishedAt,
            images: { train: imgs.filter((i) => i.split === 'train').length, val: imgs.filter((i) => i.split === 'val').length },
          };
        });
      },
    },

    training: {
      start(pid, opts) {
        const store = registry.get(pid);
        return startJob(async (ac, jobId) => {
          try {
            const { trainProjectModel } = await loadMl();
            const result = await trainProjectModel(store, {
              ...(opts.name ? { name: opts.name } : {}),
              ...(opts.interactive ? { interactive: true } : {}),
              baseVersionId: opts.base === 'fresh' ? null : 'active',
              train: { ...(opts.budgetS ? { timeBudgetMs: opts.budgetS * 1000 } : {}), ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}) },
              signal: ac.signal,
              onProgress: (p) =>
                emit('training.onDidProgress', {
                  jobId,
                  projectId: pid,
                  step: p.step,
                  maxSteps: p.maxSteps,
                  loss: p.loss,
                  lr: p.lr,
                  elapsedMs: p.elapsedMs,
                  ...(p.timeBudgetMs ? { timeBudgetMs: p.timeBudgetMs } : {}),
                  ...(p.val ? { val: p.val as unknown as Record<string, unknown> } : {}),
                }),
            });
            emit('training.onDidFinish', {
              jobId,
              projectId: pid,
              ok: true,
              cancelled: false,
              runId: result.runId,
              versionId: result.versionId,
              activated: result.activated,
              activation: result.activation,
            });
          } catch (err) {
            const e = AppError.from(err);
            emit('training.onDidFinish', { jobId, projectId: pid, ok: false, cancelled: e.code === 'cancelled' || ac.signal.aborted, error: e.message });
          }
          notifyProject(pid);
        });
      },
      cancel(jobId) {
        const j = jobs.get(jobId);
        if (!j) return false;
        j.ac.abort();
        return true;
      },
    },

    predictions: {
      prelabel(pid, { imageIds, unlabeled }) {
        const store = registry.get(pid);
        const ids = imageIds ?? (unlabeled ? allUnlabeled(store) : null);
        if (!ids || ids.length === 0) throw new AppError('invalid-argument', 'Nothing to pre-label: give image ids, or ask for the unlabeled images.');
        for (const id of ids) if (!store.images.get(id)) throw new AppError('not-found', `Image ${id} is not in this project.`);
        return startJob(async (ac, jobId) => {
          const finish: PrelabelFinishEvent = { jobId, projectId: pid, done: 0, failed: 0, cancelled: false, errors: [] };
          try {
            const m = await loadMl();
            const repo = new m.ModelRepo(store.db);
            const active = repo.active();
            if (!active) throw new AppError('not-found', 'No model is active yet. Train a model or select a version first.');
            const items = ids.map((id) => ({ id, path: store.images.get(id)!.path }));
            // decoding and prediction run in the ML worker: the host (and the UI it serves) stays responsive
            const job = m.PredictionJob.start(
              { weights: repo.getWeights(active.id), config: active.config as unknown as SegModelConfig, items },
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
        const j = jobs.get(jobId);
        if (!j) return false;
        j.ac.abort();
        return true;
      },
      latest(pid, iid) {
        const p = registry.get(pid).predictions.latest(iid);
        return p ? { id: p.id, modelVersionId: p.modelVersionId, labelMap: p.labelMap, uncertainty: p.uncertainty, state: p.state, createdAt: p.createdAt } : null;
      },
    },

    async waitFor(jobId) {
      await jobs.get(jobId)?.done;
    },
    cancelAll() {
      for (const j of jobs.values()) j.ac.abort();
    },
  };
}

function allUnlabeled(store: ProjectStore): number[] {
  return store.images.queue('sequential', 1_000_000).map((r) => r.id);
}
