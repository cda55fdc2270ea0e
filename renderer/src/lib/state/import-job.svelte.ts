/**
 * The import of one project as the UI sees it: idle -> starting -> running ->
 * finished (or failed). Progress and the report arrive as events; after a
 * reconnect resync() asks `imports.report`, so a missed event (a dropped
 * WebSocket) cannot leave the dialog spinning. Jobs started by another window on the same
 * project are adopted, so the status bar shows them too. The mechanism is
 * HostJob's.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import type { ImportOptions, ImportProgress, ImportReport } from '../../../../core/api/types';
import { HostJob, type HostJobHandlers, type HostJobPhase } from './host-job.svelte';

export type ImportPhase = HostJobPhase;

export class ImportJob extends HostJob<ImportOptions, ImportProgress, ImportReport> {
  #client: MaskwrightClient;
  protected readonly kind = 'import';
  protected readonly conflictMessage = 'An import is already running for this project.';

  constructor(client: MaskwrightClient, projectId: string, handlers: HostJobHandlers<ImportProgress, ImportReport> = {}) {
    super(projectId, handlers);
    this.#client = client;
  }

  get report(): ImportReport | null {
    return this.outcome;
  }

  protected launch(opts: ImportOptions): Promise<{ jobId: string }> {
    return this.#client.imports.start(this.projectId, opts);
  }
  protected abort(jobId: string): Promise<unknown> {
    return this.#client.imports.cancel(jobId);
  }
  protected override fetchResult(jobId: string): Promise<ImportReport | null> {
    return this.#client.imports.report(jobId);
  }
  protected subscribe(onProgress: (p: ImportProgress) => void, onFinish: (r: ImportReport) => void): (() => void)[] {
    return [this.#client.on('imports.onDidProgress', onProgress), this.#client.on('imports.onDidFinish', onFinish)];
  }
}
