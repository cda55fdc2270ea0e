/**
 * Main-side handle of a training run in a worker thread: starts training-worker, relays its
 * events, supports cancellation, and resolves with the outcome (or rejects with an AppError:
 * code 'cancelled' when cancelled). The main thread never runs a training step.
 *
 * Worker file: `training-worker.js` next to this module's compiled output (the esbuild bundle
 * puts it next to out/host/cli.js), or else `training-worker.ts` run through tsx (tests, dev).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../api/errors';
import type { TrainProgress } from './train';
import type { FromWorker, ToWorker, TrainingOutcome, TrainingRequest } from './training-protocol';

export interface TrainingJobEvents {
  onBackend?: (name: string, summary: string) => void;
  onLoaded?: (train: number, val: number) => void;
  onProgress?: (p: TrainProgress) => void;
}

export interface WorkerEntry {
  /** a script URL, or (eval) the CommonJS source of a bootstrap */
  file: URL | string;
  eval: boolean;
}

/** Where the worker script is (see the module comment). */
export function resolveTrainingWorker(base: string = import.meta.url): WorkerEntry {
  const js = new URL('./training-worker.js', base);
  if (fs.existsSync(fileURLToPath(js))) return { file: js, eval: false };
  const ts = new URL('./training-worker.ts', base);
  if (fs.existsSync(fileURLToPath(ts))) {
    // register tsx's loader inside the worker, then load the TypeScript entry
    const api = pathToFileURL(path.join(path.dirname(createRequire(base).resolve('tsx')), 'esm', 'api', 'index.mjs')).href;
    const src = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`;
    return { file: src, eval: true };
  }
  throw new AppError('not-available', `The training worker script is missing (looked for ${fileURLToPath(js)}); rebuild the app.`);
}

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
  private readonly workers: Worker[] = [];
  private finished = false;
  private cancelRequested = false;

  private constructor(request: TrainingRequest, events: TrainingJobEvents, entry: WorkerEntry, transfer: boolean) {
    const n = Math.max(1, Math.floor(request.workers ?? 1));
    this.done = new Promise<TrainingOutcome>((resolve, reject) => {
      const finish = (fn: () => void) => {
        if (this.finished) return;
        this.finished = true;
        fn();
        for (const w of this.workers) void w.terminate();
      };
      const cancelled = () => new AppError('cancelled', 'Training was cancelled.');
      for (let rank = 0; rank < n; rank++) {
        const worker = new Worker(entry.file, { eval: entry.eval });
        this.workers.push(worker);
        const leader = rank === 0;
        worker.on('message', (m: FromWorker) => {
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
              for (let r = 1; r < n; r++) {
                const msg: ToWorker = { type: 'start', request: { ...request, parallel: { rank: r, size: n, buffer: m.buffer } } };
                this.workers[r]!.postMessage(msg);
              }
              break;
            case 'done':
              if (leader) finish(() => resolve(m.outcome));
              break;
            case 'error':
              finish(() => reject(m.cancelled || this.cancelRequested ? cancelled() : new AppError(m.error.code, m.error.message, m.error.details)));
              break;
          }
        });
        worker.on('error', (e) => finish(() => reject(new AppError('internal', `The training worker crashed: ${e.message}`))));
        worker.on('exit', (code) => {
          if (leader || code !== 0) finish(() => reject(this.cancelRequested ? cancelled() : new AppError('internal', `The training worker exited (code ${code}) before finishing.`)));
        });
      }
    });
    const msg: ToWorker = { type: 'start', request: n === 1 ? request : { ...request, parallel: { rank: 0, size: n, buffer: null } } };
    this.workers[0]!.postMessage(msg, transfer && n === 1 ? transferables(request) : []);
  }

  /**
   * Starts training in a worker (or `request.workers` data-parallel workers). With `transfer`
   * (default false; single worker only) the sample buffers are moved to the worker instead of
   * copied (they become unusable here).
   */
  static start(request: TrainingRequest, events: TrainingJobEvents = {}, opts: { transfer?: boolean; entry?: WorkerEntry } = {}): TrainingJob {
    return new TrainingJob(request, events, opts.entry ?? resolveTrainingWorker(), opts.transfer ?? false);
  }

  /** Asks the workers to stop after the current step; `done` then rejects with code 'cancelled'. */
  cancel(): void {
    if (this.finished) return;
    this.cancelRequested = true;
    const msg: ToWorker = { type: 'cancel' };
    for (const w of this.workers) w.postMessage(msg);
  }

  /** Stops the workers at once (no clean-up inside them). */
  async terminate(): Promise<void> {
    this.cancelRequested = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** The worker threads' ids (never the calling thread's): the run happens off this thread. */
  get threadIds(): number[] {
    return this.workers.map((w) => w.threadId);
  }
}
