/**
 * The one lifecycle of work in the ML worker threads (training, batch prediction): spawn the
 * worker(s), relay their messages to a handler, finish exactly once (result, typed error,
 * cancellation, crash or early exit), then terminate every worker. TrainingJob and
 * PredictionJob are thin protocols on top.
 *
 * Worker file: `training-worker.js` next to the compiled output (the esbuild bundle puts it next
 * to out/host/cli.js, electron-vite next to out/main/index.js), or else core/ml/worker/training-worker.ts
 * run through tsx (tests, dev).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../api/errors';
import type { FromWorker, ToWorker } from './training-protocol';

export interface WorkerEntry {
  /** a script URL, or (eval) the CommonJS source of a bootstrap */
  file: URL | string;
  eval: boolean;
}

/** Where the ML worker script is (see the module comment). */
export function resolveMlWorker(base: string = import.meta.url): WorkerEntry {
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

export interface MlWorkerControl<T> {
  resolve(value: T): void;
  post(rank: number, msg: ToWorker, transfer?: ArrayBuffer[]): void;
}

export interface MlWorkerJobSpec<T> {
  /** 'Training', 'Batch prediction': "<what> was cancelled." */
  what: string;
  /** 'training', 'prediction': "The <noun> worker crashed: ..." */
  noun: string;
  workers: number;
  entry: WorkerEntry;
  /** a message other than 'error' from worker `rank` */
  onMessage(m: Exclude<FromWorker, { type: 'error' }>, rank: number, ctl: MlWorkerControl<T>): void;
  /** whether a worker's exit before the result ends the job (default: always) */
  exitEnds?(rank: number, code: number): boolean;
}

export class MlWorkerJob<T> {
  readonly done: Promise<T>;
  private readonly workers: Worker[] = [];
  private finished = false;
  private cancelRequested = false;

  constructor(spec: MlWorkerJobSpec<T>) {
    this.done = new Promise<T>((resolve, reject) => {
      const finish = (fn: () => void) => {
        if (this.finished) return;
        this.finished = true;
        fn();
        for (const w of this.workers) void w.terminate();
      };
      const cancelled = () => new AppError('cancelled', `${spec.what} was cancelled.`);
      const ctl: MlWorkerControl<T> = {
        resolve: (v) => finish(() => resolve(v)),
        post: (rank, msg, transfer = []) => this.workers[rank]!.postMessage(msg, transfer),
      };
      for (let rank = 0; rank < Math.max(1, spec.workers); rank++) {
        const worker = new Worker(spec.entry.file, { eval: spec.entry.eval });
        this.workers.push(worker);
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'error') finish(() => reject(m.cancelled || this.cancelRequested ? cancelled() : new AppError(m.error.code, m.error.message, m.error.details)));
          else spec.onMessage(m, rank, ctl);
        });
        worker.on('error', (e) => finish(() => reject(new AppError('internal', `The ${spec.noun} worker crashed: ${e.message}`))));
        worker.on('exit', (code) => {
          if (spec.exitEnds?.(rank, code) ?? true) finish(() => reject(this.cancelRequested ? cancelled() : new AppError('internal', `The ${spec.noun} worker exited (code ${code}) before finishing.`)));
        });
      }
    });
  }

  post(rank: number, msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.workers[rank]!.postMessage(msg, transfer);
  }

  /** Asks every worker to stop at its next check; `done` then rejects with code 'cancelled'. */
  cancel(): void {
    if (this.finished) return;
    this.cancelRequested = true;
    for (const w of this.workers) w.postMessage({ type: 'cancel' } satisfies ToWorker);
  }

  /** Stops the workers at once (no clean-up inside them). */
  async terminate(): Promise<void> {
    this.cancelRequested = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** The worker threads' ids (never the calling thread's): the work happens off this thread. */
  get threadIds(): number[] {
    return this.workers.map((w) => w.threadId);
  }
}
