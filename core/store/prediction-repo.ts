import type Database from 'better-sqlite3';
import type { PredictionInfo } from '../api/types';

/** a stored proposal: what the API returns (core/api PredictionInfo) plus the image it belongs to */
export interface StoredPrediction extends PredictionInfo {
  imageId: number;
}

export interface PredictionOutcomeRow {
  imageId: number;
  fileName: string;
  modelVersionId: number | null;
  versionName: string | null;
  iou: number | null;
  changedFraction: number | null;
  scoredAt: string | null;
  editMs: number;
  edits: number;
}

const toBuf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const toU8 = (b: Buffer | null) => (b ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : null);

/** What the model proposed, kept apart from the person's masks (the prediction table). */
export class PredictionRepo {
  constructor(private readonly db: Database.Database) {}

  add(p: { imageId: number; modelVersionId: number | null; labelMap: Uint8Array; confidence?: Uint8Array | null; uncertainty: number | null }): number {
    const info = this.db
      .prepare('INSERT INTO prediction (image_id, model_version_id, label_map, confidence, uncertainty, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(p.imageId, p.modelVersionId, toBuf(p.labelMap), p.confidence ? toBuf(p.confidence) : null, p.uncertainty, new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  latest(imageId: number): StoredPrediction | null {
    const r = this.db
      .prepare('SELECT id, image_id, model_version_id, label_map, confidence, uncertainty, state, created_at FROM prediction WHERE image_id = ? ORDER BY id DESC LIMIT 1')
      .get(imageId) as
      | { id: number; image_id: number; model_version_id: number | null; label_map: Buffer; confidence: Buffer | null; uncertainty: number | null; state: StoredPrediction['state']; created_at: string }
      | undefined;
    if (!r) return null;
    return {
      id: r.id,
      imageId: r.image_id,
      modelVersionId: r.model_version_id,
      labelMap: toU8(r.label_map)!,
      confidence: toU8(r.confidence),
      uncertainty: r.uncertainty,
      state: r.state,
      createdAt: r.created_at,
    };
  }

  /** ids of images that have at least one proposal */
  imageIds(): number[] {
    return (this.db.prepare('SELECT DISTINCT image_id FROM prediction ORDER BY image_id').all() as { image_id: number }[]).map((r) => r.image_id);
  }

  exists(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM prediction WHERE id = ?').get(id) !== undefined;
  }

  setState(id: number, state: StoredPrediction['state']): void {
    this.db.prepare('UPDATE prediction SET state = ? WHERE id = ?').run(state, id);
  }

  /** Records how the proposal compares with the person's final mask (when the image is marked done). */
  setOutcome(id: number, o: { iou: number; changedFraction: number }): void {
    this.db.prepare('UPDATE prediction SET final_iou = ?, changed_fraction = ?, scored_at = ? WHERE id = ?').run(o.iou, o.changedFraction, new Date().toISOString(), id);
  }

  /**
   * Finished images (done/reviewed) with their latest proposal's outcome, the person's editing
   * time and edit count; images finished without a proposal have null outcome fields.
   */
  outcomes(): PredictionOutcomeRow[] {
    return this.db
      .prepare(
        `SELECT i.id AS imageId, i.file_name AS fileName, p.model_version_id AS modelVersionId, mv.name AS versionName,
                p.final_iou AS iou, p.changed_fraction AS changedFraction, p.scored_at AS scoredAt,
                COALESCE(a.time_spent_ms, 0) AS editMs, COALESCE(a.edit_count, 0) AS edits
         FROM image i
         LEFT JOIN annotation a ON a.image_id = i.id
         LEFT JOIN prediction p ON p.id = (SELECT MAX(id) FROM prediction WHERE image_id = i.id AND scored_at IS NOT NULL)
         LEFT JOIN model_version mv ON mv.id = p.model_version_id
         WHERE i.status IN ('done', 'reviewed')
         ORDER BY i.id`,
      )
      .all() as PredictionOutcomeRow[];
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM prediction').get() as { n: number }).n;
  }
}
