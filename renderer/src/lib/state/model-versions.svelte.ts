/* eslint-disable svelte/prefer-svelte-reactivity -- the curve cache is bookkeeping that the UI never reads */
/**
 * The model versions of one project, their training runs and what the model saves the person
 * (models.savings). Loaded on demand (the panel opens) and refreshed after a run or an action.
 * Methods throw AppError; the panel shows the message inline.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { ModelVersionInfo, SavingsReport, TrainingMetricPoint, TrainingRunInfo } from '../../../../core/api/types';
import { readVal } from './training-session.svelte';

export class ModelVersions {
  readonly projectId: string;
  #client: MaskwrightClient;

  #versions = $state.raw<ModelVersionInfo[]>([]);
  #runs = $state.raw<TrainingRunInfo[]>([]);
  #savings = $state.raw<SavingsReport | null>(null);
  #loaded = $state(false);
  #error = $state.raw<AppError | null>(null);
  #savingsError = $state.raw<AppError | null>(null);
  #curves = new Map<number, TrainingMetricPoint[]>();

  constructor(client: MaskwrightClient, projectId: string) {
    this.#client = client;
    this.projectId = projectId;
  }

  get versions(): ModelVersionInfo[] {
    return this.#versions;
  }
  get runs(): TrainingRunInfo[] {
    return this.#runs;
  }
  get savings(): SavingsReport | null {
    return this.#savings;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): AppError | null {
    return this.#error;
  }
  get savingsError(): AppError | null {
    return this.#savingsError;
  }
  /** the version that pre-labels (a U-Net or a live forest) */
  get active(): ModelVersionInfo | null {
    return this.#versions.find((v) => v.isActive && kindOf(v) !== 'clicks') ?? null;
  }

  async refresh(): Promise<void> {
    try {
      const [versions, runs] = await Promise.all([this.#client.models.list(this.projectId), this.#client.models.runs(this.projectId).catch(() => this.#runs)]);
      this.#versions = versions;
      this.#runs = runs;
      this.#error = null;
    } catch (err) {
      this.#error = AppError.from(err);
    } finally {
      this.#loaded = true;
    }
    await this.refreshSavings();
  }

  async refreshSavings(): Promise<void> {
    try {
      this.#savings = await this.#client.models.savings(this.projectId);
      this.#savingsError = null;
    } catch (err) {
      this.#savingsError = AppError.from(err);
    }
  }

  async activate(id: number): Promise<ModelVersionInfo> {
    const v = await this.#client.models.activate(this.projectId, id);
    await this.refresh();
    return v;
  }

  async remove(id: number): Promise<void> {
    await this.#client.models.remove(this.projectId, id);
    await this.refresh();
  }

  exportFile(id: number, path: string): Promise<{ path: string; bytes: number }> {
    return this.#client.models.exportFile(this.projectId, id, path);
  }

  async importFile(path: string): Promise<ModelVersionInfo> {
    const v = await this.#client.models.importFile(this.projectId, path);
    await this.refresh();
    return v;
  }

  /** the loss / validation curve of a stored run (cached: a finished run does not change) */
  async curve(runId: number): Promise<TrainingMetricPoint[]> {
    const hit = this.#curves.get(runId);
    if (hit) return hit;
    const pts = await this.#client.training.metrics(this.projectId, runId);
    const run = this.#runs.find((r) => r.id === runId);
    if (run && run.status !== 'running' && run.status !== 'queued') this.#curves.set(runId, pts);
    return pts;
  }
}

export function kindOf(v: ModelVersionInfo): 'segmentation' | 'clicks' | 'live' {
  return v.kind ?? (v.arch.endsWith('+clicks') ? 'clicks' : 'segmentation');
}

/** the validation mean IoU a version was trained to (metrics.val.meanIou), or null */
export function versionIou(v: ModelVersionInfo): number | null {
  const m = v.metrics as { val?: Record<string, unknown> | null; valIou?: unknown };
  if (typeof m.valIou === 'number') return m.valIou;
  return readVal(m.val ?? null)?.meanIou ?? null;
}

/** the run that produced a version (metrics.runId), or null */
export function versionRunId(v: ModelVersionInfo): number | null {
  const r = (v.metrics as { runId?: unknown }).runId;
  return typeof r === 'number' ? r : null;
}

const KIND_LABEL: Record<string, string> = { live: 'live forest', segmentation: 'U-Net', clicks: 'click model' };

/**
 * Why the active version proposes by default, in words: the rule's reason when it was trained
 * (metrics.activation; both models on the same validation images where that was possible) and
 * the two scores; "chosen by hand" when the rule had kept the other one.
 */
export function proposerWhy(v: ModelVersionInfo): string | null {
  const m = v.metrics as { activation?: unknown; comparedWith?: { kind?: unknown; name?: unknown; val?: Record<string, unknown> | null } | null };
  const own = versionIou(v);
  const c = m.comparedWith;
  const other = c ? readVal(c.val ?? null)?.meanIou : undefined;
  const images = typeof (m as { valImages?: unknown }).valImages === 'number' ? (m as { valImages: number }).valImages : null;
  const both =
    own != null && other != null
      ? `val IoU ${own.toFixed(2)} (${KIND_LABEL[kindOf(v)]}) vs ${other.toFixed(2)} (${KIND_LABEL[String(c?.kind ?? 'segmentation')] ?? 'the other model'}${typeof c?.name === 'string' ? ` ${c.name}` : ''})${images ? ` on the same ${images} validation image${images === 1 ? '' : 's'}` : ''}`
      : null;
  const a = typeof m.activation === 'string' ? m.activation : null;
  if (a?.startsWith('kept')) return `chosen by hand (when trained: ${a})`;
  if (a && both) return `${a} — ${both}`;
  return a ?? both;
}
