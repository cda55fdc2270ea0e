/* eslint-disable svelte/prefer-svelte-reactivity -- these collections are bookkeeping that the UI never reads */
/**
 * The import of one project as the UI sees it: idle -> starting -> running ->
 * finished (or failed). Progress and the report arrive as events; while a job
 * runs it also polls `imports.report` so a missed event (a dropped WebSocket)
 * cannot leave the dialog spinning. Jobs started by another window on the same
 * project are adopted, so the status bar shows them too.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { ImportOptions, ImportProgress, ImportReport } from '../../../../core/api/types';

export type ImportPhase = 'idle' | 'starting' | 'running' | 'finished' | 'failed';

const POLL_MS = 2000;

export class ImportJob {
  readonly projectId: string;
  #client: MaskwrightClient;
  #onfinish: (r: ImportReport) => void;
  #onprogress: (p: ImportProgress) => void;

  #phase = $state<ImportPhase>('idle');
  #jobId = $state<string | null>(null);
  #progress = $state.raw<ImportProgress | null>(null);
  #report = $state.raw<ImportReport | null>(null);
  #error = $state.raw<AppError | null>(null);
  #cancelling = $state(false);

  /** reports that arrived before imports.start answered */
  #early = new Map<string, ImportReport>();
  /** jobs already reported; late progress events for them are ignored */
  #finishedIds = new Set<string>();
  #pollTimer: ReturnType<typeof setInterval> | null = null;
  #unsubscribe: (() => void)[] = [];

  constructor(
    client: MaskwrightClient,
    projectId: string,
    handlers: { onfinish?: (r: ImportReport) => void; onprogress?: (p: ImportProgress) => void } = {},
  ) {
    this.#client = client;
    this.projectId = projectId;
    this.#onfinish = handlers.onfinish ?? (() => {});
    this.#onprogress = handlers.onprogress ?? (() => {});
  }

  get phase(): ImportPhase {
    return this.#phase;
  }
  get jobId(): string | null {
    return this.#jobId;
  }
  get progress(): ImportProgress | null {
    return this.#progress;
  }
  get report(): ImportReport | null {
    return this.#report;
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

  /** Subscribe to the import events; returns the unsubscribe. */
  connect(): () => void {
    this.#unsubscribe.push(
      this.#client.on('imports.onDidProgress', (p) => this.#handleProgress(p)),
      this.#client.on('imports.onDidFinish', (r) => this.#handleFinish(r)),
    );
    return () => this.dispose();
  }

  dispose(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#stopPolling();
  }

  async start(opts: ImportOptions): Promise<void> {
    if (this.active) throw new AppError('conflict', 'An import is already running for this project.');
    this.#phase = 'starting';
    this.#jobId = null;
    this.#progress = null;
    this.#report = null;
    this.#error = null;
    this.#cancelling = false;
    this.#early.clear();
    try {
      const { jobId } = await this.#client.imports.start(this.projectId, opts);
      if (this.#phase !== 'starting') return; // adopted a report meanwhile
      this.#jobId = jobId;
      this.#phase = 'running';
      const early = this.#early.get(jobId);
      this.#early.clear();
      if (early) this.#finish(early);
      else this.#startPolling();
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
      await this.#client.imports.cancel(id);
      void this.#poll(); // the finish event follows; don't wait for the next tick
    } catch (err) {
      this.#cancelling = false;
      this.#error = AppError.from(err);
    }
  }

  /** Back to the form after a report or a failure. */
  reset(): void {
    if (this.active) return;
    this.#phase = 'idle';
    this.#jobId = null;
    this.#progress = null;
    this.#report = null;
    this.#error = null;
    this.#cancelling = false;
  }

  #handleProgress(p: ImportProgress): void {
    if (p.projectId !== this.projectId || this.#finishedIds.has(p.jobId)) return;
    if (this.#phase === 'starting') {
      // the job of our own start() call, whose id we don't know yet
      this.#progress = p;
    } else if (this.#phase === 'running') {
      if (p.jobId !== this.#jobId) return;
      this.#progress = p;
    } else {
      // a job started elsewhere (another window): follow it
      this.#jobId = p.jobId;
      this.#phase = 'running';
      this.#report = null;
      this.#error = null;
      this.#cancelling = false;
      this.#progress = p;
      this.#startPolling();
    }
    this.#onprogress(p);
  }

  #handleFinish(r: ImportReport): void {
    if (r.projectId !== this.projectId || this.#finishedIds.has(r.jobId)) return;
    if (this.#phase === 'starting') {
      this.#early.set(r.jobId, r);
      return;
    }
    if (this.#phase === 'running' && r.jobId === this.#jobId) this.#finish(r);
  }

  #finish(r: ImportReport): void {
    this.#finishedIds.add(r.jobId);
    this.#stopPolling();
    this.#report = r;
    this.#phase = 'finished';
    this.#cancelling = false;
    this.#onfinish(r);
  }

  #startPolling(): void {
    this.#stopPolling();
    this.#pollTimer = setInterval(() => void this.#poll(), POLL_MS);
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }

  async #poll(): Promise<void> {
    const id = this.#jobId;
    if (!id || this.#phase !== 'running') return;
    try {
      const r = await this.#client.imports.report(id);
      if (r && this.#phase === 'running' && this.#jobId === id) this.#finish(r);
    } catch {
      /* host unreachable for a moment: the next tick tries again */
    }
  }
}
