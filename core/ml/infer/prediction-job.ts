/**
 * Main-side handle of batch pre-labelling in a worker thread (the same worker script as
 * training): per-image results and progress come back as events, cancel() stops between
 * images, `done` resolves with the summary or rejects with an AppError ('cancelled' when
 * cancelled).
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '../../api/errors';
import { resolveTrainingWorker, type WorkerEntry } from '../train/training-job';
import type { FromWorker, PredictedImage, PredictionRequest, ToWorker } from '../train/training-protocol';

export interface PredictionJobEvents {
  onBackend?: (name: string, summary: string) => void;
  onResult?: (image: PredictedImage, done: number, total: number) => void;
  onError?: (id: number, error: AppError, done: number, total: number) => void;
}

export class PredictionJob {
  readonly done: Promise<{ done: number; failed: number; ms: number }>;
  private readonly worker: Worker;
  private finished = false;
  private cancelRequested = false;

  private constructor(request: PredictionRequest, events: PredictionJobEvents, entry: WorkerEntry) {
    this.worker = new Worker(entry.file, { eval: entry.eval });
    this.done = new Promise((resolve, reject) => {
      const finish = (fn: () => void) => {
        if (this.finished) return;
        this.finished = true;
        fn();
        void this.worker.terminate();
      };
      const cancelled = () => new AppError('cancelled', 'Batch prediction was cancelled.');
      this.worker.on('message', (m: FromWorker) => {
        if (m.type === 'backend') events.onBackend?.(m.name, m.summary);
        else if (m.type === 'predicted') events.onResult?.(m.image, m.done, m.total);
        else if (m.type === 'predict-failed') events.onError?.(m.id, new AppError(m.error.code, m.error.message, m.error.details), m.done, m.total);
        else if (m.type === 'predict-done') finish(() => resolve({ done: m.done, failed: m.failed, ms: m.ms }));
        else if (m.type === 'error') finish(() => reject(m.cancelled || this.cancelRequested ? cancelled() : new AppError(m.error.code, m.error.message, m.error.details)));
      });
      this.worker.on('error', (e) => finish(() => reject(new AppError('internal', `The prediction worker crashed: ${e.message}`))));
      this.worker.on('exit', (code) => finish(() => reject(this.cancelRequested ? cancelled() : new AppError('internal', `The prediction worker exited (code ${code}) before finishing.`))));
    });
    const msg: ToWorker = { type: 'predict', request };
    this.worker.postMessage(msg);
  }

  static start(request: PredictionRequest, events: PredictionJobEvents = {}, opts: { entry?: WorkerEntry } = {}): PredictionJob {
    return new PredictionJob(request, events, opts.entry ?? resolveTrainingWorker());
  }

  cancel(): void {
    if (this.finished) return;
    this.cancelRequested = true;
    const msg: ToWorker = { type: 'cancel' };
    this.worker.postMessage(msg);
  }
}
