/**
 * Main-side handle of a training run in the ML worker thread(s) (MlWorkerJob): relays the
 * worker's events, supports cancellation, and resolves with the outcome (or rejects with an
 * AppError: code 'cancelled' when cancelled). The main thread never runs a training step.
 */
import { MlWorkerJob, resolveMlWorker, type WorkerEntry } from '../worker/ml-worker-job';
import type { TrainProgress } from './train';
import type { ToWorker, TrainingOutcome, TrainingRequest } from '../worker/training-protocol';

export interface TrainingJobEvents {
  onBackend?: (name: string, summary: string) => void;
  onLoaded?: (train: number, val: number) => void;
  onProgress?: (p: TrainProgress) => void;
}

export type { WorkerEntry };
/** Where the ML worker script is (the name callers knew). */
export const resolveTrainingWorker = resolveMlWorker;

function transferables(request: TrainingRequest): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: { buffer: ArrayBufferLike } | null | undefined) => {
    if (a && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  };
  for (const s of [...(request.samples?.train ?? []), ...(request.samples?.val ?? [])]) {
    add(s.image);
    add(s.labels);
    add(s.weights);
    add(s.instances);
  }
  return [...out];
}

export class TrainingJob {
  readonly done: Promise<TrainingOutcome>;
  private readonly job: MlWorkerJob<TrainingOutcome>;

  private constructor(request: TrainingRequest, events: TrainingJobEvents, entry: WorkerEntry, transfer: boolean) {
    const n = Math.max(1, Math.floor(request.workers ?? 1));
    this.job = new MlWorkerJob<TrainingOutcome>({
      what: 'Training',
      noun: 'training',
      workers: n,
      entry,
      // a follower's clean exit is normal once the leader is done; the leader's ends the job
      exitEnds: (rank, code) => rank === 0 || code !== 0,
      onMessage: (m, rank, ctl) => {
        const leader = rank === 0;
        switch (m.type) {
          case 'backend':
            if (leader) events.onBackend?.(m.name, m.summary);
            break;
          case 'loaded':
            if (leader) events.onLoaded?.(m.train, m.val);
            break;
          case 'progress':
            if (leader) events.onProgress?.(m.progress);
            break;
          case 'exchange':
            // the leader sized the shared buffer from its model: start the others
            for (let r = 1; r < n; r++) ctl.post(r, { type: 'start', request: { ...request, parallel: { rank: r, size: n, buffer: m.buffer } } });
            break;
          case 'done':
            if (leader) ctl.resolve(m.outcome);
            break;
          default:
            break;
        }
      },
    });
    this.done = this.job.done;
    const msg: ToWorker = { type: 'start', request: n === 1 ? request : { ...request, parallel: { rank: 0, size: n, buffer: null } } };
    this.job.post(0, msg, transfer && n === 1 ? transferables(request) : []);
  }

  /**
   * Starts training in a worker (or `request.workers` data-parallel workers). With `transfer`
   * (default false; single worker only) the sample buffers are moved to the worker instead of
   * copied (they become unusable here).
   */
  static start(request: TrainingRequest, events: TrainingJobEvents = {}, opts: { transfer?: boolean; entry?: WorkerEntry } = {}): TrainingJob {
    return new TrainingJob(request, events, opts.entry ?? resolveMlWorker(), opts.transfer ?? false);
  }

  /** Asks the workers to stop after the current step; `done` then rejects with code 'cancelled'. */
  cancel(): void {
    this.job.cancel();
  }

  /** Stops the workers at once (no clean-up inside them). */
  terminate(): Promise<void> {
    return this.job.terminate();
  }

  get isFinished(): boolean {
    return this.job.isFinished;
  }

  /** The worker threads' ids (never the calling thread's): the run happens off this thread. */
  get threadIds(): number[] {
    return this.job.threadIds;
  }
}
