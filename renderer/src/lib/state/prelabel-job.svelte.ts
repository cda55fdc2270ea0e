/**
 * A batch pre-label of one project as the UI sees it: idle -> starting -> running -> finished /
 * failed. The host runs it in the ML worker; progress and the summary arrive as predictions.*
 * events. Jobs started by another window are followed too, so the status bar shows them. The
 * mechanism is HostJob's.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { PrelabelFinishEvent, PrelabelProgressEvent } from '../../../../core/api/types';
import { HostJob, type HostJobHandlers, type HostJobPhase } from './host-job.svelte';

export type PrelabelPhase = HostJobPhase;
export type PrelabelTarget = ({ imageIds: number[] } | { unlabeled: true }) & { minObjectPx?: number };

export class PrelabelJob extends HostJob<PrelabelTarget, PrelabelProgressEvent, PrelabelFinishEvent> {
  #client: MaskwrightClient;
  protected readonly kind = 'prelabel';
  protected readonly conflictMessage = 'A pre-label run is already going on for this project.';

  constructor(client: MaskwrightClient, projectId: string, handlers: HostJobHandlers<PrelabelProgressEvent, PrelabelFinishEvent> = {}) {
    super(projectId, handlers);
    this.#client = client;
  }

  get result(): PrelabelFinishEvent | null {
    return this.outcome;
  }
  /** estimated time left, ms, from the rate so far */
  get etaMs(): number | null {
    const p = this.progress;
    if (!p || p.done <= 0 || p.total <= 0) return null;
    const elapsed = this.elapsedMs;
    if (elapsed <= 0) return null;
    return (elapsed / p.done) * (p.total - p.done);
  }

  protected launch(target: PrelabelTarget): Promise<{ jobId: string }> {
    return this.#client.predictions.prelabel(this.projectId, target);
  }
  protected abort(jobId: string): Promise<unknown> {
    return this.#client.predictions.cancel(jobId);
  }
  protected override failureOf(f: PrelabelFinishEvent): AppError | null {
    return f.error ? new AppError('internal', f.error) : null;
  }
  protected subscribe(onProgress: (p: PrelabelProgressEvent) => void, onFinish: (f: PrelabelFinishEvent) => void): (() => void)[] {
    return [this.#client.on('predictions.onDidProgress', onProgress), this.#client.on('predictions.onDidFinish', onFinish)];
  }
}
