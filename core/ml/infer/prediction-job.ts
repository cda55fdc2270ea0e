/**
 * Main-side handle of batch pre-labelling in the ML worker thread (MlWorkerJob, the same worker
 * script as training): per-image results and progress come back as events, cancel() stops
 * between images, `done` resolves with the summary or rejects with an AppError ('cancelled'
 * when cancelled).
 */
import { AppError } from '../../api/errors';
import { MlWorkerJob, resolveMlWorker, type WorkerEntry } from '../worker/ml-worker-job';
import type { PredictedImage, PredictionRequest } from '../worker/training-protocol';

export interface PredictionJobEvents {
  onBackend?: (name: string, summary: string) => void;
  onResult?: (image: PredictedImage, done: number, total: number) => void;
  onError?: (id: number, error: AppError, done: number, total: number) => void;
}

export type PredictionSummary = { done: number; failed: number; ms: number };

export class PredictionJob {
  readonly done: Promise<PredictionSummary>;
  private readonly job: MlWorkerJob<PredictionSummary>;

  private constructor(request: PredictionRequest, events: PredictionJobEvents, entry: WorkerEntry) {
    this.job = new MlWorkerJob<PredictionSummary>({
      what: 'Batch prediction',
      noun: 'prediction',
      workers: 1,
      entry,
      onMessage: (m, _rank, ctl) => {
        if (m.type === 'backend') events.onBackend?.(m.name, m.summary);
        else if (m.type === 'predicted') events.onResult?.(m.image, m.done, m.total);
        else if (m.type === 'predict-failed') events.onError?.(m.id, new AppError(m.error.code, m.error.message, m.error.details), m.done, m.total);
        else if (m.type === 'predict-done') ctl.resolve({ done: m.done, failed: m.failed, ms: m.ms });
      },
    });
    this.done = this.job.done;
    this.job.post(0, { type: 'predict', request });
  }

  static start(request: PredictionRequest, events: PredictionJobEvents = {}, opts: { entry?: WorkerEntry } = {}): PredictionJob {
    return new PredictionJob(request, events, opts.entry ?? resolveMlWorker());
  }

  cancel(): void {
    this.job.cancel();
  }
}
