/** The worker-thread training job: events are relayed, the main thread only waits, cancel works. */
import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { resolveTrainingWorker, TrainingJob } from '../../../core/ml/train/training-job';
import { defaultTrainConfig } from '../../../core/ml/train/train';
import { blobSample, tinyConfig } from './ml-fixtures';

describe('TrainingJob', () => {
  it('finds the worker entry (the .ts file through tsx when no build exists)', () => {
    const e = resolveTrainingWorker();
    expect(e.eval ? String(e.file) : (e.file as URL).href).toMatch(/training-worker\.(ts|js)/);
  });

  it('trains in a worker thread, relays backend/progress events, then can be cancelled', async () => {
    const cfg = defaultTrainConfig(tinyConfig(), { cropSize: 64, batchSize: 2, maxSteps: 5, valEvery: 5, lr: 1e-2 });
    const backends: string[] = [];
    const steps: number[] = [];
    const job = TrainingJob.start({ config: cfg, samples: { train: [blobSample(1)], val: [blobSample(2)] }, backend: 'wasm' }, { onBackend: (n) => backends.push(n), onProgress: (p) => steps.push(p.step) });
    // the model runs in another thread; this one only relays (no wall-clock check: machines are noisy)
    expect(job.threadIds).toHaveLength(1);
    expect(job.threadIds[0]).not.toBe(threadId);
    const out = await job.done;
    expect(backends).toEqual(['wasm']);
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    expect(out.weights.length).toBeGreaterThan(1000);
    expect(out.val!.iou.length).toBe(1);
    expect(job.isFinished).toBe(true);

    const long = TrainingJob.start({ config: { ...cfg, maxSteps: 100000 }, samples: { train: [blobSample(1)], val: [] }, backend: 'wasm' }, { onProgress: (p) => p.step === 2 && long.cancel() }, { transfer: true });
    await expect(long.done).rejects.toMatchObject({ code: 'cancelled', message: 'Training was cancelled.' });
  }, 60_000);

  it('trains data-parallel in two workers whose weights stay identical', async () => {
    const cfg = defaultTrainConfig(tinyConfig(), { cropSize: 64, batchSize: 2, maxSteps: 6, valEvery: 3, lr: 1e-2 });
    const steps: number[] = [];
    const job = TrainingJob.start({ config: cfg, samples: { train: [blobSample(1), blobSample(3)], val: [blobSample(2)] }, backend: 'wasm', workers: 2 }, { onProgress: (p) => steps.push(p.step) });
    const out = await job.done;
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out.parallel).toEqual({ workers: 2, inSync: true });
    expect(out.weights.length).toBeGreaterThan(1000);
    const cancelMe = TrainingJob.start({ config: { ...cfg, maxSteps: 100000, valEvery: 0 }, samples: { train: [blobSample(1)], val: [] }, backend: 'wasm', workers: 2 }, { onProgress: (p) => p.step === 2 && cancelMe.cancel() });
    await expect(cancelMe.done).rejects.toMatchObject({ code: 'cancelled' });
  }, 60_000);

  it('reports a failure inside the worker as a typed error', async () => {
    const cfg = defaultTrainConfig(tinyConfig(), { cropSize: 64, batchSize: 2, maxSteps: 2 });
    const job = TrainingJob.start({ config: cfg, samples: { train: [], val: [] }, backend: 'wasm' });
    await expect(job.done).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/no labelled images/) });
  }, 60_000);
});
