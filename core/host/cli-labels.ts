/**
 * Helpers for the label-related CLI commands (value maps for mask imports, image listing order),
 * kept apart from cli.ts so that file's command table stays small.
 */
import { IMAGE_STATUSES } from '../api/types';
import type { DatasetImportPlan, ImageRow, ImageStatus, ModelVersionInfo } from '../api/types';

/**
 * Parses `--values 255=horse,0=membrane,1=road,2=road` into value -> class name. Throws a message
 * (for a usage error) on a malformed entry or a value given twice.
 */
export function parseValueMap(text: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})\s*=\s*(.+)$/.exec(part);
    const value = m ? Number(m[1]) : NaN;
    if (!m || value > 65535) throw new Error(`--values entry "${part}" is not VALUE=CLASS (VALUE 0-65535)`);
    if (Object.prototype.hasOwnProperty.call(out, value)) throw new Error(`--values gives value ${value} twice`);
    out[value] = m[2]!.trim();
  }
  if (Object.keys(out).length === 0) throw new Error('--values needs at least one VALUE=CLASS');
  return out;
}

/** Parses `--ignore V` (a mask value 0-65535). */
export function parseIgnoreValue(text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text.trim()) || n > 65535) throw new Error('--ignore must be a mask value 0-65535');
  return n;
}

/** The dry-run lines for a value map: "value 255 -> horse: 1234 px". */
export function valueLines(plan: DatasetImportPlan): string[] {
  return (plan.values ?? []).map((v) => {
    const to = v.role === 'class' ? v.className! : v.role === 'ignored' ? '(ignored)' : v.role === 'background' ? '(background)' : '(unmapped: left as background)';
    return `  value ${String(v.value).padStart(5)} -> ${to}: ${v.pixels} px`;
  });
}

export type ImageSort = 'name' | 'added';
export const IMAGE_SORTS: readonly ImageSort[] = ['name', 'added'];

/** Natural file-name order ('2.png' before '10.png'), ties by id. */
export function sortImages<T extends Pick<ImageRow, 'id' | 'fileName'>>(items: T[], sort: ImageSort): T[] {
  if (sort === 'added') return [...items].sort((a, b) => a.id - b.id);
  return [...items].sort((a, b) => a.fileName.localeCompare(b.fileName, 'en', { numeric: true, sensitivity: 'base' }) || a.id - b.id);
}

// ---- statuses ------------------------------------------------------------------------------

/** 'in-progress' and 'in_progress' both name the stored 'in_progress' */
export function parseStatus(text: string): ImageStatus {
  const s = text.trim().toLowerCase().replace(/-/g, '_');
  if (!(IMAGE_STATUSES as readonly string[]).includes(s)) throw new Error(`unknown status '${text}' (use ${IMAGE_STATUSES.map((x) => x.replace(/_/g, '-')).join(', ')})`);
  return s as ImageStatus;
}

/** what `ls` shows next to each image: is there a mask, and the latest proposal's model version */
export interface LabelState {
  mask: boolean;
  proposal: { modelVersionId: number | null; state: string } | null;
}

/** the part of an open project (services' registry) that `labelStates` reads */
export interface LabelStateSource {
  annotations: { annotatedImageIds(): number[] };
  predictions: { latest(imageId: number): { modelVersionId: number | null; state: string } | null };
}

/** Mask and proposal state of the given images. */
export function labelStates(store: LabelStateSource, imageIds: readonly number[]): Map<number, LabelState> {
  const masked = new Set(store.annotations.annotatedImageIds());
  const out = new Map<number, LabelState>();
  for (const id of imageIds) {
    const p = store.predictions.latest(id);
    out.set(id, { mask: masked.has(id), proposal: p ? { modelVersionId: p.modelVersionId, state: p.state } : null });
  }
  return out;
}

/** "mask  proposal v3 (proposed)" / "-     -" */
export function labelStateText(st: LabelState | undefined): string {
  if (!st) return '';
  const prop = st.proposal ? `proposal ${st.proposal.modelVersionId === null ? 'v?' : `v${st.proposal.modelVersionId}`} (${st.proposal.state})` : 'no proposal';
  return `${(st.mask ? 'mask' : 'no mask').padEnd(7)} ${prop.padEnd(24)}`;
}

/** "model version 3 "unet 1" (12 images), a deleted version (2 images)" */
export function modelVersionsText(versions: readonly { id: number | null; name: string | null; images: number }[]): string {
  if (versions.length === 0) return 'no proposals';
  return versions.map((v) => `${v.id === null ? 'a deleted model version' : `model version ${v.id}${v.name ? ` "${v.name}"` : ''}`} (${v.images} image${v.images === 1 ? '' : 's'})`).join(', ');
}

// ---- training result ------------------------------------------------------------------------

/** The `train --json` result: what ran, why it stopped, and what it measured. */
/**
 * A model's validation figure in words: "val IoU 0.734 ± 0.021 over 12 images (baseline 0.310)";
 * the ± is the standard error of the per-image mean (shown where there are 2+ images).
 */
export function valIouText(val: unknown): string {
  const v = val as { meanIou?: unknown; iouSe?: unknown; images?: unknown; baselineIou?: unknown } | null | undefined;
  if (!v || typeof v.meanIou !== 'number' || !Number.isFinite(v.meanIou)) return 'no validation';
  let t = `val IoU ${v.meanIou.toFixed(3)}`;
  if (typeof v.iouSe === 'number' && Number.isFinite(v.iouSe)) t += ` ± ${v.iouSe.toFixed(3)}`;
  // one validation image has no spread: say so rather than let the number pass for the model's quality
  if (v.images === 1) t += ' on 1 image only (spread unknown; not a measure of the model, label more images)';
  else if (typeof v.images === 'number') t += ` over ${v.images} images`;
  if (typeof v.baselineIou === 'number' && Number.isFinite(v.baselineIou)) t += ` (baseline ${v.baselineIou.toFixed(3)}${v.meanIou <= v.baselineIou ? ': no better than calling every pixel one class' : ''})`;
  return t;
}

export function trainResult(ver: ModelVersionInfo, budgetS: number): Record<string, unknown> {
  const m = ver.metrics;
  return {
    versionId: ver.id,
    backend: ver.backend,
    budgetS,
    steps: m.steps ?? null,
    epochs: m.epochs ?? null,
    stopReason: m.stoppedBy ?? null,
    bestStep: m.bestStep ?? null,
    timeS: typeof m.trainMs === 'number' ? m.trainMs / 1000 : null,
    trainImages: m.trainImages ?? null,
    valImages: m.valImages ?? null,
    val: m.val ?? null,
    warnings: m.warnings ?? [],
  };
}
