/**
 * Main-side handle of click refinement in the ML worker thread: the worker loads the click model
 * once (open), then each refine() is one message there and back; the host's thread never runs
 * the model. A worker that crashes or exits fails its pending calls, and `alive` turns false so
 * the caller opens a new one.
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '../../api/errors';
import { resolveMlWorker, type WorkerEntry } from '../worker/ml-worker-job';
import type { FromWorker, RefineCall, RefineSessionRequest, ToWorker } from '../worker/training-protocol';

export interface RefinedObject {
  /** image-size 0/1 mask */
  mask: Uint8Array;
  width: number;
  height: number;
  score: number;
  ms: number;
  /** what made the mask (zero-shot sessions: 'zero-shot' and any prior's source) */
  sources?: string[];
}

export class RefineWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: RefinedObject) => void; reject: (e: AppError) => void }>();
  private nextId = 1;
  private dead: AppError | null = null;
  /** resolves when the click model is loaded (rejects if it cannot be) */
  readonly ready: Promise<void>;

  private constructor(request: RefineSessionRequest, entry: WorkerEntry) {
    this.worker = new Worker(entry.file, { eval: entry.eval });
    // an idle session never keeps the process alive; a call in flight does (see refine)
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      const fail = (e: AppError) => {
        if (this.dead) return;
        this.dead = e;
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        void this.worker.terminate();
      };
      this.worker.on('message', (m: FromWorker) => {
        if (m.type === 'refine-ready') resolve();
        else if (m.type === 'error') fail(new AppError(m.error.code, m.error.message, m.error.details));
        else if (m.type === 'refined' || m.type === 'refine-failed') {
          const p = this.pending.get(m.callId);
          if (!p) return;
          this.pending.delete(m.callId);
          if (this.pending.size === 0) this.worker.unref();
          if (m.type === 'refined') p.resolve({ mask: m.mask, width: m.width, height: m.height, score: m.score, ms: m.ms, ...(m.sources ? { sources: m.sources } : {}) });
          else p.reject(new AppError(m.error.code, m.error.message, m.error.details));
        }
      });
      this.worker.on('error', (e) => fail(new AppError('internal', `The click-refinement worker crashed: ${e.message}`)));
      this.worker.on('exit', (code) => fail(new AppError('internal', `The click-refinement worker exited (code ${code}).`)));
    });
    // an unawaited failed start must not become an unhandled rejection: callers see it via refine()
    this.ready.catch(() => undefined);
    // copied, not transferred: the weights may be a view on a buffer the store still owns
    this.worker.postMessage({ type: 'refine-open', request } satisfies ToWorker);
  }

  /** Starts a worker with this click model. */
  static open(request: RefineSessionRequest, opts: { entry?: WorkerEntry } = {}): RefineWorker {
    return new RefineWorker(request, opts.entry ?? resolveMlWorker());
  }

  get alive(): boolean {
    return this.dead === null;
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  async refine(call: Omit<RefineCall, 'callId'>): Promise<RefinedObject> {
    this.worker.ref(); // loading the model is work in flight too
    try {
      await this.ready;
    } finally {
      if (this.pending.size === 0) this.worker.unref();
    }
    if (this.dead) throw this.dead;
    const callId = this.nextId++;
    return new Promise<RefinedObject>((resolve, reject) => {
      this.pending.set(callId, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ type: 'refine', callId, ...call } satisfies ToWorker);
    });
  }

  /** Ends the worker (its model and image go with it). */
  async dispose(): Promise<void> {
    this.dead ??= new AppError('cancelled', 'Click refinement was closed.');
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
    await this.worker.terminate();
  }
}
