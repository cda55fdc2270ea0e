/**
 * Model versions and training runs of a project (tables model_version, training_run,
 * training_metric, training_run_image; a version's and a run's kind is a column since migration
 * 0003). Multi-row changes run in one transaction. The store keeps a version's config as the
 * JSON it was given; core/ml validates it into a typed model config (modelConfigOf).
 */
import os from 'node:os';
import type Database from 'better-sqlite3';
import { AppError } from '../api/errors';
import { MODEL_KINDS, type ModelKind, type ModelVersionInfo, type TrainingRunInfo } from '../api/types';
import { isProcessAlive } from './leftovers';

export type RunStatus = TrainingRunInfo['status'];

/** a model's config as stored: a JSON object (core/ml's modelConfigOf types and validates it) */
export type StoredModelConfig = Readonly<Record<string, unknown>>;

/** a stored version: what the API shows of it (less its run's figures), plus its config */
export interface ModelVersionRecord extends Omit<ModelVersionInfo, 'images' | 'durationMs'> {
  config: StoredModelConfig;
}

export interface NewModelVersion {
  name: string;
  arch: string;
  kind: ModelKind;
  config: object;
  weights: Uint8Array;
  metrics: object;
  backend?: string | null;
  parentId?: number | null;
}

/** a stored run: what the API shows of it (less its image counts), plus its kind and config */
export interface TrainingRunRecord extends Omit<TrainingRunInfo, 'images'> {
  kind: ModelKind;
  config: Record<string, unknown>;
}

export interface TrainingMetricRow {
  step: number;
  epoch?: number | null;
  loss?: number | null;
  val?: object | null;
  lr?: number | null;
}

interface DbVersion {
  id: number;
  name: string;
  arch: string;
  kind: string;
  config: string;
  metrics: string;
  backend: string | null;
  parent_id: number | null;
  is_active: number;
  created_at: string;
  weights_bytes: number | null;
}

interface DbRun {
  id: number;
  kind: string;
  status: RunStatus;
  config: string;
  backend: string | null;
  base_version_id: number | null;
  result_version_id: number | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

const now = () => new Date().toISOString();
const parse = (s: string): Record<string, unknown> => {
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

const VERSION_COLS = 'id, name, arch, kind, config, metrics, backend, parent_id, is_active, created_at, length(weights) AS weights_bytes';

function toKind(k: string): ModelKind {
  if ((MODEL_KINDS as readonly string[]).includes(k)) return k as ModelKind;
  throw new AppError('corrupt-data', `A model version or run has the unknown kind "${k}" (this Maskwright knows ${MODEL_KINDS.join(', ')}).`);
}

function toVersion(r: DbVersion): ModelVersionRecord {
  return {
    id: r.id,
    name: r.name,
    arch: r.arch,
    kind: toKind(r.kind),
    config: parse(r.config),
    metrics: parse(r.metrics),
    backend: r.backend,
    parentId: r.parent_id,
    isActive: r.is_active === 1,
    createdAt: r.created_at,
    weightsBytes: r.weights_bytes ?? 0,
  };
}

function toRun(r: DbRun): TrainingRunRecord {
  return {
    id: r.id,
    kind: toKind(r.kind),
    status: r.status,
    config: parse(r.config),
    backend: r.backend,
    baseVersionId: r.base_version_id,
    resultVersionId: r.result_version_id,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export class ModelRepo {
  constructor(private readonly db: Database.Database) {}

  // ----- model versions -----

  createVersion(v: NewModelVersion, opts: { activate?: boolean } = {}): number {
    return this.db.transaction(() => {
      const info = this.db
        .prepare('INSERT INTO model_version (name, arch, kind, config, weights, metrics, backend, parent_id, is_active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)')
        .run(v.name, v.arch, toKind(v.kind), JSON.stringify(v.config), Buffer.from(v.weights.buffer, v.weights.byteOffset, v.weights.byteLength), JSON.stringify(v.metrics), v.backend ?? null, v.parentId ?? null, now());
      const id = Number(info.lastInsertRowid);
      if (opts.activate) this.setActive(id);
      return id;
    })();
  }

  getVersion(id: number): ModelVersionRecord {
    const r = this.db.prepare(`SELECT ${VERSION_COLS} FROM model_version WHERE id = ?`).get(id) as DbVersion | undefined;
    if (!r) throw new AppError('not-found', `Model version ${id} does not exist.`);
    return toVersion(r);
  }

  listVersions(kind?: ModelKind): ModelVersionRecord[] {
    const rows = kind
      ? (this.db.prepare(`SELECT ${VERSION_COLS} FROM model_version WHERE kind = ? ORDER BY id`).all(kind) as DbVersion[])
      : (this.db.prepare(`SELECT ${VERSION_COLS} FROM model_version ORDER BY id`).all() as DbVersion[]);
    return rows.map(toVersion);
  }

  /** The newest version of a kind (the click model in use is the newest one), or null. */
  latest(kind: ModelKind): ModelVersionRecord | null {
    const r = this.db.prepare(`SELECT ${VERSION_COLS} FROM model_version WHERE kind = ? ORDER BY id DESC LIMIT 1`).get(kind) as DbVersion | undefined;
    return r ? toVersion(r) : null;
  }

  /** The serialized weights (serializeModel bytes) of a version. */
  getWeights(id: number): Uint8Array {
    const r = this.db.prepare('SELECT weights, weights_path FROM model_version WHERE id = ?').get(id) as { weights: Buffer | null; weights_path: string | null } | undefined;
    if (!r) throw new AppError('not-found', `Model version ${id} does not exist.`);
    if (!r.weights) throw new AppError('not-available', `Model version ${id} keeps its weights outside the database (${r.weights_path ?? 'no path'}), which this build does not read.`);
    return new Uint8Array(r.weights.buffer, r.weights.byteOffset, r.weights.byteLength);
  }

  active(): ModelVersionRecord | null {
    const r = this.db.prepare(`SELECT ${VERSION_COLS} FROM model_version WHERE is_active = 1`).get() as DbVersion | undefined;
    return r ? toVersion(r) : null;
  }

  /** Makes `id` the active version (at most one is active; only a segmentation model pre-labels). */
  setActive(id: number): void {
    this.db.transaction(() => {
      const v = this.getVersion(id);
      if (v.kind === 'clicks') {
        throw new AppError('invalid-argument', `"${v.name}" is a click-refinement model; only a segmentation model can pre-label. The newest click model is used for refinement.`);
      }
      this.db.prepare('UPDATE model_version SET is_active = 0 WHERE is_active = 1 AND id <> ?').run(id);
      this.db.prepare('UPDATE model_version SET is_active = 1 WHERE id = ?').run(id);
    })();
  }

  /** Deletes a version; the active one cannot be deleted (activate another first). */
  deleteVersion(id: number): void {
    const v = this.getVersion(id);
    if (v.isActive) throw new AppError('conflict', `"${v.name}" is the active model; activate another version before deleting it.`);
    this.db.prepare('DELETE FROM model_version WHERE id = ?').run(id);
  }

  /** The run that produced a version, with its image counts (null for imported versions). */
  producingRun(versionId: number): (TrainingRunRecord & { images: { train: number; val: number } }) | null {
    const r = this.db.prepare('SELECT * FROM training_run WHERE result_version_id = ? ORDER BY id DESC LIMIT 1').get(versionId) as DbRun | undefined;
    if (!r) return null;
    const counts = this.db.prepare('SELECT split, COUNT(*) AS n FROM training_run_image WHERE run_id = ? GROUP BY split').all(r.id) as { split: 'train' | 'val'; n: number }[];
    return { ...toRun(r), images: { train: counts.find((c) => c.split === 'train')?.n ?? 0, val: counts.find((c) => c.split === 'val')?.n ?? 0 } };
  }

  clearActive(): void {
    this.db.prepare('UPDATE model_version SET is_active = 0 WHERE is_active = 1').run();
  }

  // ----- training runs -----

  createRun(r: { kind: ModelKind; config: object; backend?: string | null; baseVersionId?: number | null; images: { imageId: number; split: 'train' | 'val' }[] }): number {
    return this.db.transaction(() => {
      const info = this.db
        .prepare("INSERT INTO training_run (kind, status, config, backend, base_version_id, started_at, owner_pid, owner_host) VALUES (?, 'running', ?, ?, ?, ?, ?, ?)")
        .run(toKind(r.kind), JSON.stringify(r.config), r.backend ?? null, r.baseVersionId ?? null, now(), process.pid, os.hostname());
      const id = Number(info.lastInsertRowid);
      const ins = this.db.prepare('INSERT INTO training_run_image (run_id, image_id, split) VALUES (?, ?, ?)');
      for (const im of r.images) ins.run(id, im.imageId, im.split);
      return id;
    })();
  }

  getRun(id: number): TrainingRunRecord {
    const r = this.db.prepare('SELECT * FROM training_run WHERE id = ?').get(id) as DbRun | undefined;
    if (!r) throw new AppError('not-found', `Training run ${id} does not exist.`);
    return toRun(r);
  }

  listRuns(): TrainingRunRecord[] {
    return (this.db.prepare('SELECT * FROM training_run ORDER BY id').all() as DbRun[]).map(toRun);
  }

  runImages(runId: number): { imageId: number; split: 'train' | 'val' }[] {
    return (this.db.prepare('SELECT image_id AS imageId, split FROM training_run_image WHERE run_id = ? ORDER BY image_id').all(runId) as { imageId: number; split: 'train' | 'val' }[]);
  }

  setRunBackend(runId: number, backend: string): void {
    this.db.prepare('UPDATE training_run SET backend = ? WHERE id = ?').run(backend, runId);
  }

  addMetric(runId: number, m: TrainingMetricRow): void {
    this.db
      .prepare('INSERT OR REPLACE INTO training_metric (run_id, step, epoch, loss, val, lr, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(runId, m.step, m.epoch ?? null, m.loss ?? null, m.val ? JSON.stringify(m.val) : null, m.lr ?? null, now());
  }

  metrics(runId: number): (TrainingMetricRow & { at: string })[] {
    const rows = this.db.prepare('SELECT step, epoch, loss, val, lr, at FROM training_metric WHERE run_id = ? ORDER BY step').all(runId) as {
      step: number;
      epoch: number | null;
      loss: number | null;
      val: string | null;
      lr: number | null;
      at: string;
    }[];
    return rows.map((r) => ({ ...r, val: r.val ? parse(r.val) : null }));
  }

  finishRun(runId: number, r: { status: Exclude<RunStatus, 'queued' | 'running'>; resultVersionId?: number | null; error?: string | null }): void {
    this.db
      .prepare('UPDATE training_run SET status = ?, result_version_id = ?, error = ?, finished_at = ? WHERE id = ?')
      .run(r.status, r.resultVersionId ?? null, r.error ?? null, now(), runId);
  }

  /**
   * Finished (done/reviewed) images that the latest running or succeeded run of this kind did
   * not train or validate on: what automatic fine-tuning counts.
   */
  finishedSinceLastRun(kind: ModelKind): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM image WHERE status IN ('done', 'reviewed') AND id NOT IN (
           SELECT image_id FROM training_run_image WHERE run_id = (
             SELECT MAX(id) FROM training_run WHERE status IN ('running', 'succeeded') AND kind = ?))`,
      )
      .get(kind) as { n: number };
    return row.n;
  }

  /**
   * Runs left 'running' or 'queued' by a process that no longer exists become 'failed' (called
   * when a project opens). A run owned by a live process on this host (the CLI training beside
   * the app) is left alone; a run owned by another host is left alone too, since its process
   * cannot be checked from here. Rows from before migration 0004 have no owner and count as dead.
   */
  failInterruptedRuns(isAlive: (pid: number) => boolean = isProcessAlive): number {
    const rows = this.db.prepare("SELECT id, owner_pid, owner_host FROM training_run WHERE status IN ('running', 'queued')").all() as {
      id: number;
      owner_pid: number | null;
      owner_host: string | null;
    }[];
    const host = os.hostname();
    const dead = rows.filter((r) => r.owner_pid === null || (r.owner_host === host && !isAlive(r.owner_pid)));
    const fail = this.db.prepare(
      "UPDATE training_run SET status = 'failed', error = 'interrupted (the process running it stopped)', finished_at = ? WHERE id = ? AND status IN ('running', 'queued')",
    );
    const at = now();
    this.db.transaction(() => {
      for (const r of dead) fail.run(at, r.id);
    })();
    return dead.length;
  }
}

