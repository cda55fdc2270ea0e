/* eslint-disable svelte/prefer-svelte-reactivity -- these collections are bookkeeping that the UI never reads */
/**
 * One background job on the host as the UI sees it: idle -> starting -> running -> finished (or
 * failed). Progress and the result arrive as events, which may come before the start call has
 * answered with the job id. Jobs of the same project started elsewhere (another window) are
 * adopted, so the status bar shows them too. A subclass says how to start and cancel a job, which
 * events to follow and, optionally, how to fetch a finished job's result: after a reconnect
 * (events may have been missed while the WebSocket was down) the owner calls resync(), so a
 * missed finish event cannot leave the UI spinning. Events drive everything else; nothing polls.
 */
import { AppError } from '../../../../core/api/errors';
import type { JobKind, RunningJobInfo } from '../../../../core/api/types';

export type HostJobPhase = 'idle' | 'starting' | 'running' | 'finished' | 'failed';

/** what every progress and finish payload carries */
export interface HostJobEvent {
  projectId: string;
  jobId: string;
}

export interface HostJobHandlers<Progress, Result> {
  onfinish?: (r: Result) => void;
  onprogress?: (p: Progress) => void;
}

export abstract class HostJob<Args, Progress extends HostJobEvent, Result extends HostJobEvent> {
  readonly projectId: string;
  #onfinish: (r: Result) => void;
  #onprogress: (p: Progress) => void;

  #phase = $state<HostJobPhase>('idle');
  #jobId = $state<string | null>(null);
  #progress = $state.raw<Progress | null>(null);
  #result = $state.raw<Result | null>(null);
  #error = $state.raw<AppError | null>(null);
  #cancelling = $state(false);
  #startedAt = $state(0);
  #now = $state(0);

  /** results that arrived before the start call answered */
  #early = new Map<string, Result>();
  /** jobs already finished; late events for them are ignored */
  #finishedIds = new Set<string>();
  #unsubscribe: (() => void)[] = [];

  constructor(projectId: string, handlers: HostJobHandlers<Progress, Result> = {}) {
    this.projectId = projectId;
    this.#onfinish = handlers.onfinish ?? (() => {});
    this.#onprogress = handlers.onprogress ?? (() => {});
  }

  /** which of the host's jobs (core/services/job-registry) this follows */
  protected abstract readonly kind: JobKind;
  /** the message of the conflict error when start() is called while a job runs */
  protected abstract readonly conflictMessage: string;
  /** asks the host to start a job */
  protected abstract launch(args: Args): Promise<{ jobId: string }>;
  /** asks the host to cancel a job */
  protected abstract abort(jobId: string): Promise<unknown>;
  /** subscribes the two handlers to the job's events; returns the unsubscribes */
  protected abstract subscribe(onProgress: (p: Progress) => void, onFinish: (r: Result) => void): (() => void)[];
  /** the failure a result reports, if any */
  protected failureOf(_result: Result): AppError | null {
    return null;
  }
  /** the result of a job if it has finished (null while it runs); used by resync() */
  protected fetchResult?(jobId: string): Promise<Result | null>;

  get phase(): HostJobPhase {
    return this.#phase;
  }
  get jobId(): string | null {
    return this.#jobId;
  }
  get progress(): Progress | null {
    return this.#progress;
  }
  get error(): AppError | null {
    return this.#error;
  }
  get cancelling(): boolean {
    return this.#cancelling;
  }
  get active(): boolean {
    return this.#phase === 'starting' || this.#phase === 'running';
  }
  /** the result of the last finished job */
  protected get outcome(): Result | null {
    return this.#result;
  }
  /** ms since the job started (or was adopted) up to its last progress event */
  protected get elapsedMs(): number {
    return this.#now - this.#startedAt;
  }

  /** Subscribe to the job's events; returns the unsubscribe. */
  connect(): () => void {
    this.#unsubscribe.push(...this.subscribe((p) => this.#handleProgress(p), (r) => this.#handleFinish(r)));
    return () => this.dispose();
  }

  dispose(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  async start(args: Args): Promise<void> {
    if (this.active) throw new AppError('conflict', this.conflictMessage);
    this.#phase = 'starting';
    this.#jobId = null;
    this.#progress = null;
    this.#result = null;
    this.#error = null;
    this.#cancelling = false;
    this.#early.clear();
    this.#startedAt = this.#now = performance.now();
    try {
      const { jobId } = await this.launch(args);
      if (this.#phase !== 'starting') return; // adopted a result meanwhile
      this.#jobId = jobId;
      this.#phase = 'running';
      const early = this.#early.get(jobId);
      this.#early.clear();
      if (early) this.#finish(early);
    } catch (err) {
      this.#error = AppError.from(err);
      this.#phase = 'failed';
    }
  }

  async cancel(): Promise<void> {
    const id = this.#jobId;
    if (!id || this.#phase !== 'running') return;
    this.#cancelling = true;
    try {
      await this.abort(id);
      void this.resync(); // the finish event follows; a job that already ended answers now
    } catch (err) {
      this.#cancelling = false;
      this.#error = AppError.from(err);
    }
  }

  /** Back to the form after a result or a failure. */
  reset(): void {
    if (this.active) return;
    this.#phase = 'idle';
    this.#jobId = null;
    this.#progress = null;
    this.#result = null;
    this.#error = null;
    this.#cancelling = false;
  }

  #handleProgress(p: Progress): void {
    if (p.projectId !== this.projectId || this.#finishedIds.has(p.jobId)) return;
    if (this.#phase === 'starting') {
      // the job of our own start() call, whose id we don't know yet
    } else if (this.#phase === 'running') {
      if (p.jobId !== this.#jobId) return;
    } else {
      // a job started elsewhere (another window): follow it
      this.#jobId = p.jobId;
      this.#phase = 'running';
      this.#result = null;
      this.#error = null;
      this.#cancelling = false;
      this.#startedAt = performance.now();
    }
    this.#progress = p;
    this.#now = performance.now();
    this.#onprogress(p);
  }

  #handleFinish(r: Result): void {
    if (r.projectId !== this.projectId || this.#finishedIds.has(r.jobId)) return;
    if (this.#phase === 'starting') {
      this.#early.set(r.jobId, r);
      return;
    }
    if (this.#phase === 'running' && r.jobId === this.#jobId) this.#finish(r);
  }

  #finish(r: Result): void {
    this.#finishedIds.add(r.jobId);
    this.#result = r;
    this.#cancelling = false;
    const failure = this.failureOf(r);
    this.#phase = failure ? 'failed' : 'finished';
    if (failure) this.#error = failure;
    this.#onfinish(r);
  }

  /**
   * Follows a job of this kind that the host says is running (`jobs.list`, after a reload or when a
   * window opens mid-job), so its progress shows before the next event; then resyncs, in case it
   * ended between the list and now. Does nothing while a job of this window is active.
   */
  adopt(running: readonly RunningJobInfo[]): void {
    if (this.active) return;
    const j = running.find((r) => r.kind === this.kind && r.projectId === this.projectId && !this.#finishedIds.has(r.jobId));
    if (!j) return;
    this.#jobId = j.jobId;
    this.#phase = 'running';
    this.#progress = null;
    this.#result = null;
    this.#error = null;
    this.#cancelling = false;
    this.#now = performance.now();
    this.#startedAt = this.#now - Math.max(0, Date.now() - Date.parse(j.startedAt) || 0);
    void this.resync();
  }

  /** Asks the host whether the running job has finished (after a reconnect: its finish event may be lost). */
  async resync(): Promise<void> {
    const id = this.#jobId;
    if (!id || this.#phase !== 'running' || !this.fetchResult) return;
    try {
      const r = await this.fetchResult(id);
      if (r && this.#phase === 'running' && this.#jobId === id) this.#finish(r);
    } catch {
      /* host unreachable for a moment: the next reconnect resyncs again */
    }
  }
}
