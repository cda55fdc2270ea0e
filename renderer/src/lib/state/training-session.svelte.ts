/* eslint-disable svelte/prefer-svelte-reactivity -- the finished-job set is bookkeeping that the UI never reads */
/**
 * The training of one project as the UI sees it: idle -> starting -> running -> finished / failed.
 * Progress arrives as training.* events; a panel opened mid-run (or a window reconnected after a
 * drop) rebuilds the whole curve from `training.status`. Runs started elsewhere (another window,
 * the automatic mode) are adopted. Nothing polls: after a reconnect the owner calls sync(), which
 * ends a run whose finish event was lost while the connection was down.
 *
 * Progress points are kept in a plain array (a run can send thousands) and a revision counter is
 * what the UI reacts to; readers take `points` after reading `revision`.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import { progressView } from '../training-progress';
import type { AutoTrainSettings, TrainingFinishEvent, TrainingOptions, TrainingProgressEvent, TrainingStartEvent } from '../../../../core/api/types';

export type TrainingPhase = 'idle' | 'starting' | 'running' | 'finished' | 'failed';

export interface TrainingLogLine {
  at: number;
  tone: 'info' | 'ok' | 'warn' | 'error';
  text: string;
}

/** validation metrics as the worker reports them: { iou: number[] per class, meanIou } */
export interface ValView {
  meanIou: number | null;
  perClass: number[];
}

export function readVal(v: Record<string, unknown> | null | undefined): ValView | null {
  if (!v) return null;
  const mean = typeof v.meanIou === 'number' ? v.meanIou : typeof v.iou === 'number' ? v.iou : null;
  const arr = Array.isArray(v.iou) ? v.iou : Array.isArray(v.perClassIou) ? v.perClassIou : [];
  const perClass = arr.map((x) => (typeof x === 'number' ? x : NaN));
  if (mean === null && perClass.length === 0) return null;
  return { meanIou: mean ?? (perClass.length ? perClass.reduce((a, b) => a + b, 0) / perClass.length : null), perClass };
}

function nowIso(): string {
  const d = new Date();
  return d.toISOString();
}

export class TrainingSession {
  readonly projectId: string;
  #client: MaskwrightClient;
  #onfinish: (f: TrainingFinishEvent) => void;

  #phase = $state<TrainingPhase>('idle');
  #jobId = $state<string | null>(null);
  #interactive = $state(false);
  #auto = $state(false);
  #startedAt = $state<string | null>(null);
  #finish = $state.raw<TrainingFinishEvent | null>(null);
  #error = $state.raw<AppError | null>(null);
  #cancelling = $state(false);
  #log = $state.raw<TrainingLogLine[]>([]);
  #autoSettings = $state.raw<AutoTrainSettings | null>(null);
  #autoError = $state.raw<AppError | null>(null);
  /** bumped on every new point: the UI reads it, then `points` */
  #revision = $state(0);
  #last = $state.raw<TrainingProgressEvent | null>(null);
  #points: TrainingProgressEvent[] = [];

  #unsubscribe: (() => void)[] = [];
  #finishedIds = new Set<string>();
  /** a finish that came before training.start answered */
  #early: TrainingFinishEvent | null = null;

  constructor(client: MaskwrightClient, projectId: string, handlers: { onfinish?: (f: TrainingFinishEvent) => void } = {}) {
    this.#client = client;
    this.projectId = projectId;
    this.#onfinish = handlers.onfinish ?? (() => {});
  }

  get phase(): TrainingPhase {
    return this.#phase;
  }
  get active(): boolean {
    return this.#phase === 'starting' || this.#phase === 'running';
  }
  get jobId(): string | null {
    return this.#jobId;
  }
  get interactive(): boolean {
    return this.#interactive;
  }
  get auto(): boolean {
    return this.#auto;
  }
  get startedAt(): string | null {
    return this.#startedAt;
  }
  get finish(): TrainingFinishEvent | null {
    return this.#finish;
  }
  get error(): AppError | null {
    return this.#error;
  }
  get cancelling(): boolean {
    return this.#cancelling;
  }
  get log(): TrainingLogLine[] {
    return this.#log;
  }
  get revision(): number {
    return this.#revision;
  }
  /** every progress point of the current (or last) run; read `revision` first to react */
  get points(): readonly TrainingProgressEvent[] {
    return this.#points;
  }
  get last(): TrainingProgressEvent | null {
    return this.#last;
  }
  get autoSettings(): AutoTrainSettings | null {
    return this.#autoSettings;
  }
  get autoError(): AppError | null {
    return this.#autoError;
  }

  /** 0..1: whichever limit (steps or time budget) is closer */
  get fraction(): number {
    return this.#last ? progressView(this.#last).fraction : 0;
  }

  /** estimated time left, ms (null until there is progress to go on) */
  get etaMs(): number | null {
    return this.#last ? progressView(this.#last).leftMs : null;
  }

  /** the latest validation of this run */
  get lastVal(): { step: number; val: ValView } | null {
    void this.#revision;
    for (let i = this.#points.length - 1; i >= 0; i--) {
      const v = readVal(this.#points[i]!.val);
      if (v) return { step: this.#points[i]!.step, val: v };
    }
    return null;
  }

  connect(): () => void {
    this.#unsubscribe.push(
      this.#client.on('training.onDidStart', (e) => this.#handleStart(e)),
      this.#client.on('training.onDidProgress', (p) => this.#handleProgress(p)),
      this.#client.on('training.onDidFinish', (f) => this.#handleFinish(f)),
    );
    void this.sync();
    void this.loadAuto();
    return () => this.dispose();
  }

  dispose(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  /** adopts the run in progress (with every point so far), if any */
  async sync(): Promise<void> {
    try {
      const s = await this.#client.training.status(this.projectId);
      if (s) {
        if (this.#finishedIds.has(s.jobId)) return;
        if (this.#jobId !== s.jobId || !this.active) this.#begin(s.jobId, s.interactive, s.auto, s.startedAt, false);
        this.#points = [...s.progress];
        this.#last = s.progress.at(-1) ?? null;
        this.#log = this.#log.filter((l) => !l.text.startsWith('Validation'));
        for (const p of s.progress) this.#logVal(p);
        this.#revision++;
      } else if (this.#phase === 'running') {
        // finished while we were not listening (its finish event is lost): the caller refreshes versions
        this.#phase = 'finished';
        this.#addLog('info', 'The run has ended.');
        if (this.#jobId) this.#onfinish({ jobId: this.#jobId, projectId: this.projectId, ok: true, cancelled: false });
      }
    } catch {
      /* status not available (older host) or unreachable: events still drive the panel */
    }
  }

  async loadAuto(): Promise<void> {
    try {
      this.#autoSettings = await this.#client.training.getAuto(this.projectId);
      this.#autoError = null;
    } catch (err) {
      this.#autoError = AppError.from(err);
    }
  }

  async setAuto(enabled: boolean, everyN: number): Promise<void> {
    try {
      this.#autoSettings = await this.#client.training.setAuto(this.projectId, { enabled, everyN });
      this.#autoError = null;
    } catch (err) {
      this.#autoError = AppError.from(err);
      throw this.#autoError;
    }
  }

  async start(opts: TrainingOptions): Promise<void> {
    if (this.active) throw new AppError('conflict', 'A training run is already going on for this project.');
    this.#phase = 'starting';
    this.#error = null;
    this.#finish = null;
    this.#early = null;
    this.#cancelling = false;
    this.#interactive = Boolean(opts.interactive);
    this.#auto = false;
    this.#points = [];
    this.#last = null;
    this.#revision++;
    this.#log = [];
    try {
      const { jobId } = await this.#client.training.start(this.projectId, opts);
      // (read through the getters: the awaited call may have changed them)
      if (this.phase !== 'starting' && this.jobId !== null && this.jobId !== jobId) return;
      const early = this.#early as TrainingFinishEvent | null;
      if (this.#jobId !== jobId) this.#begin(jobId, Boolean(opts.interactive), false, nowIso(), true);
      this.#early = null;
      if (early && early.jobId === jobId) this.#end(early);
    } catch (err) {
      this.#error = AppError.from(err);
      this.#phase = 'failed';
      this.#addLog('error', `Could not start: ${this.#error.message}`);
    }
  }

  async cancel(): Promise<void> {
    const id = this.#jobId;
    if (!id || this.#phase !== 'running') return;
    this.#cancelling = true;
    try {
      await this.#client.training.cancel(id);
    } catch (err) {
      this.#cancelling = false;
      this.#error = AppError.from(err);
    }
  }

  #begin(jobId: string, interactive: boolean, auto: boolean, startedAt: string, fresh: boolean): void {
    this.#jobId = jobId;
    this.#phase = 'running';
    this.#interactive = interactive;
    this.#auto = auto;
    this.#startedAt = startedAt;
    this.#finish = null;
    this.#error = null;
    this.#cancelling = false;
    if (!fresh) {
      this.#points = [];
      this.#last = null;
      this.#revision++;
      this.#log = [];
    }
    const what = interactive ? 'click model' : 'segmentation model';
    this.#addLog('info', `Started training a ${what}${auto ? ' (automatic mode)' : ''}`);
  }

  #handleStart(e: TrainingStartEvent): void {
    if (e.projectId !== this.projectId || this.#finishedIds.has(e.jobId)) return;
    if (this.#phase === 'starting') {
      this.#begin(e.jobId, e.interactive, e.auto, e.startedAt, true);
      return;
    }
    if (this.active && this.#jobId === e.jobId) return;
    this.#begin(e.jobId, e.interactive, e.auto, e.startedAt, false);
  }

  #handleProgress(p: TrainingProgressEvent): void {
    if (p.projectId !== this.projectId || this.#finishedIds.has(p.jobId)) return;
    if (this.#phase === 'starting') this.#begin(p.jobId, this.#interactive, false, nowIso(), true);
    else if (!this.active || this.#jobId !== p.jobId) {
      // a run we did not see start: follow it and fetch what came before
      this.#begin(p.jobId, false, false, nowIso(), false);
      void this.sync();
    }
    const prev = this.#points.at(-1);
    if (prev && prev.step >= p.step) return;
    this.#points.push(p);
    this.#last = p;
    this.#revision++;
    this.#logVal(p);
  }

  #handleFinish(f: TrainingFinishEvent): void {
    if (f.projectId !== this.projectId || this.#finishedIds.has(f.jobId)) return;
    if (this.#phase === 'starting' && this.#jobId === null) {
      this.#early = f;
      return;
    }
    if (this.#jobId === f.jobId || !this.active) this.#end(f);
  }

  #end(f: TrainingFinishEvent): void {
    this.#finishedIds.add(f.jobId);
    this.#jobId = f.jobId;
    this.#finish = f;
    this.#cancelling = false;
    this.#phase = f.ok ? 'finished' : 'failed';
    if (f.ok) {
      const reason = f.activation ? ` — ${f.activation}` : '';
      if (f.activated) this.#addLog('ok', `Finished: new version activated${reason}`);
      else this.#addLog('warn', `Finished: new version kept, not activated${reason}`);
    } else if (f.cancelled) this.#addLog('warn', 'Cancelled: no version was saved');
    else this.#addLog('error', `Failed: ${f.error ?? 'unknown error'}`);
    void this.loadAuto();
    this.#onfinish(f);
  }

  #logVal(p: TrainingProgressEvent): void {
    const v = readVal(p.val);
    if (!v || v.meanIou === null) return;
    this.#addLog('info', `Validation at step ${p.step}: IoU ${v.meanIou.toFixed(3)}`);
  }

  #addLog(tone: TrainingLogLine['tone'], text: string): void {
    this.#log = [...this.#log, { at: Date.now(), tone, text }].slice(-200);
  }
}
