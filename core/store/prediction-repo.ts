import type Database from 'better-sqlite3';

export interface StoredPrediction {
  id: number;
  imageId: number;
  modelVersionId: number | null;
  /** core/mask label-map blob (instances with source 'model' and a score) */
  labelMap: Uint8Array;
  /** per-pixel confidence 0..255, row-major, or null */
  confidence: Uint8Array | null;
  uncertainty: number | null;
  state: 'proposed' | 'accepted' | 'rejected' | 'partial';
  createdAt: string;
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

  setState(id: number, state: StoredPrediction['state']): void {
    this.db.prepare('UPDATE prediction SET state = ? WHERE id = ?').run(state, id);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM prediction').get() as { n: number }).n;
  }
}
