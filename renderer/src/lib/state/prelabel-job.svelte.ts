/* eslint-disable svelte/prefer-svelte-reactivity -- the finished-job set is bookkeeping that the UI never reads */
/**
 * A batch pre-label of one project as the UI sees it: idle -> starting -> running -> finished /
 * failed. The host runs it in the ML worker; progress and the summary arrive as predictions.*
 * events. Jobs started by another window are followed too, so the status bar shows them.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { PrelabelFinishEvent, PrelabelProgressEvent } from '../../../../core/api/types';

export type PrelabelPhase = 'idle' | 'starting' | 'running' | 'finished' | 'failed';
export type PrelabelTarget = { imageIds: number[] } | { unlabeled: true };

export class PrelabelJob {
  readonly projectId: string;
  #client: MaskwrightClient;
  #onfinish: (f: PrelabelFinishEvent) => void;
  #onprogress: (p: PrelabelProgressEvent) => void;

  #phase = $state<PrelabelPhase>('idle');
  #jobId = $state<string | null>(null);
  #progress = $state.raw<PrelabelProgressEvent | null>(null);
  #result = $state.raw<PrelabelFinishEvent | null>(null);
  #error = $state.raw<AppError | null>(null);
  #cancelling = $state(false);
  #startedAt = $state(0);
  #now = $state(0);
  #early: PrelabelFinishEvent | null = null;
  #finishedIds = new Set<string>();
  #unsubscribe: (() => void)[] = [];

  constructor(client: MaskwrightClient, projectId: string, handlers: { onfinish?: (f: PrelabelFinishEvent) => void; onprogress?: (p: PrelabelProgressEvent) => void } = {}) {
    this.#client = client;
    this.projectId = projectId;
    this.#onfinish = handlers.onfinish ?? (() => {});
    this.#onprogress = handlers.onprogress ?? (() => {});
  }

  get phase(): PrelabelPhase {
    return this.#phase;
  }
  get active(): boolean {
    return this.#phase === 'starting' || this.#phase === 'running';
  }
  get progress(): PrelabelProgressEvent | null {
    return this.#progress;
  }
  get result(): PrelabelFinishEvent | null {
    return this.#result;
  }
  get error(): AppError | null {
    return this.#error;
  }
  get cancelling(): boolean {
    return this.#cancelling;
  }
  /** estimated time left, ms, from the rate so far */
  get etaMs(): number | null {
    const p = this.#progress;
    if (!p || p.done <= 0 || p.total <= 0) return null;
    const elapsed = this.#now - this.#startedAt;
    if (elapsed <= 0) return null;
    return (elapsed / p.done) * (p.total - p.done);
  }

  connect(): () => void {
    this.#unsubscribe.push(
      this.#client.on('predictions.onDidProgress', (p) => this.#handleProgress(p)),
      this.#client.on('predictions.onDidFinish', (f) => this.#handleFinish(f)),
    );
    return () => this.dispose();
  }

  dispose(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  async start(target: PrelabelTarget): Promise<void> {
    if (this.active) throw new AppError('conflict', 'A pre-label run is already going on for this project.');
    this.#phase = 'starting';
    this.#jobId = null;
    this.#progress = null;
    this.#result = null;
    this.#error = null;
    this.#cancelling = false;
    this.#early = null;
    this.#startedAt = this.#now = performance.now();
    try {
      const { jobId } = await this.#client.predictions.prelabel(this.projectId, target);
      this.#jobId = jobId;
      const early = this.#early as PrelabelFinishEvent | null;
      this.#early = null;
      if (early?.jobId === jobId) this.#finish(early);
      else if (this.#phase === 'starting') this.#phase = 'running';
    } catch (err) {
      this.#error = AppError.from(err);
      this.#phase = 'failed';
    }
  }

  async cancel(): Promise<void> {
    const id = this.#jobId;
    if (!id || !this.active) return;
    this.#cancelling = true;
    try {
      await this.#client.predictions.cancel(id);
    } catch (err) {
      this.#cancelling = false;
      this.#error = AppError.from(err);
    }
  }

  reset(): void {
    if (this.active) return;
    this.#phase = 'idle';
    this.#progress = null;
    this.#result = null;
    this.#error = null;
  }

  #handleProgress(p: PrelabelProgressEvent): void {
    if (p.projectId !== this.projectId || this.#finishedIds.has(p.jobId)) return;
    if (this.#phase === 'starting' || (this.#phase === 'running' && p.jobId === this.#jobId)) {
      // ours (perhaps before prelabel() answered)
    } else if (!this.active) {
      this.#jobId = p.jobId;
      this.#phase = 'running';
      this.#result = null;
      this.#error = null;
      this.#startedAt = performance.now();
    } else return;
    this.#progress = p;
    this.#now = performance.now();
    this.#onprogress(p);
  }

  #handleFinish(f: PrelabelFinishEvent): void {
    if (f.projectId !== this.projectId || this.#finishedIds.has(f.jobId)) return;
    if (this.#phase === 'starting' && this.#jobId === null) {
      this.#early = f;
      return;
    }
    if (this.#jobId === f.jobId) this.#finish(f);
  }

  #finish(f: PrelabelFinishEvent): void {
    this.#finishedIds.add(f.jobId);
    this.#result = f;
    this.#cancelling = false;
    this.#phase = f.error ? 'failed' : 'finished';
    if (f.error) this.#error = new AppError('internal', f.error);
    this.#onfinish(f);
  }
}
