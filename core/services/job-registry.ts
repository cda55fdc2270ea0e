/**
 * The host's background jobs in one place: imports, exports, pre-labelling and training all start,
 * cancel, finish and are listed here. A job is a function of an AbortSignal; its progress and finish
 * events stay the service's own (each kind has its payloads), the registry only knows which jobs run,
 * for which project, since when, and what the last finished ones returned. A window that reloads
 * asks `jobs.list` which jobs of its project are still running and adopts them (their events keep
 * coming); the CLI and tests wait for a job by id.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../api/errors';
import type { JobKind, RunningJobInfo } from '../api/types';

export type { JobKind, RunningJobInfo };

interface Entry {
  info: RunningJobInfo;
  ac: AbortController;
  /** settles when the job has ended, never rejects */
  ended: Promise<void>;
}

interface Finished {
  kind: JobKind;
  projectId: string;
  ok: boolean;
  result: unknown;
}

/** how many finished jobs keep their result (import reports are read after the finish event) */
const KEEP_FINISHED = 64;

export class JobRegistry {
  readonly #running = new Map<string, Entry>();
  readonly #finished = new Map<string, Finished>();

  /**
   * Starts `run` as a job of `kind` for a project and returns its id and a promise of its result
   * (the same rejection as `run`). `jobId` lets a caller choose the id (an export's id comes from
   * the UI); an id of a running job is refused.
   */
  start<T>(kind: JobKind, projectId: string, run: (signal: AbortSignal, jobId: string) => Promise<T>, jobId: string = randomUUID()): { jobId: string; done: Promise<T> } {
    if (this.#running.has(jobId)) throw new AppError('conflict', `A job with the id ${jobId} already exists.`);
    const ac = new AbortController();
    const info: RunningJobInfo = { jobId, kind, projectId, startedAt: new Date().toISOString() };
    let done: Promise<T>;
    try {
      done = run(ac.signal, jobId);
    } catch (err) {
      done = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const ended = done.then(
      (result) => this.#end(jobId, { kind, projectId, ok: true, result }),
      (err: unknown) => this.#end(jobId, { kind, projectId, ok: false, result: err }),
    );
    this.#running.set(jobId, { info, ac, ended });
    return { jobId, done };
  }

  #end(jobId: string, f: Finished): void {
    this.#running.delete(jobId);
    this.#finished.set(jobId, f);
    while (this.#finished.size > KEEP_FINISHED) this.#finished.delete(this.#finished.keys().next().value!);
  }

  /** asks a running job of this kind to stop; false when there is none (finished, unknown, other kind) */
  cancel(jobId: string, kind?: JobKind): boolean {
    const e = this.#running.get(jobId);
    if (!e || (kind && e.info.kind !== kind)) return false;
    e.ac.abort();
    return true;
  }

  /** the jobs running now, oldest first (one project's, or all) */
  list(projectId?: string): RunningJobInfo[] {
    return [...this.#running.values()].map((e) => e.info).filter((i) => projectId === undefined || i.projectId === projectId);
  }

  isRunning(jobId: string): boolean {
    return this.#running.has(jobId);
  }

  /**
   * A job's result: undefined while it runs, its value once it has finished; a failed job's error is
   * thrown. Unknown ids (never started, or long forgotten) are not-found.
   */
  result<T>(jobId: string, kind: JobKind): T | undefined {
    const r = this.#running.get(jobId);
    if (r && r.info.kind === kind) return undefined;
    const f = this.#finished.get(jobId);
    if (!f || f.kind !== kind) throw new AppError('not-found', `No such ${kind} job.`);
    if (!f.ok) throw f.result;
    return f.result as T;
  }

  /** resolves once the job has ended (at once for unknown or finished ids); never rejects */
  async wait(jobId: string): Promise<void> {
    await this.#running.get(jobId)?.ended;
  }

  /** cancels every running job (of one project, or all) */
  cancelAll(projectId?: string): void {
    for (const e of this.#running.values()) if (projectId === undefined || e.info.projectId === projectId) e.ac.abort();
  }
}
