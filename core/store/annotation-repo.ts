import type Database from 'better-sqlite3';
import { AppError } from '../api/errors';
import { LabelMap } from '../mask/label-map';

export type MaskSource = 'human' | 'model' | 'import';

export interface StoredMask {
  imageId: number;
  /** core/mask label-map blob */
  labelMap: Uint8Array;
  version: number;
  timeSpentMs: number;
  editCount: number;
  updatedAt: string;
}

export interface SaveMaskOptions {
  /** the version the caller last read; a mismatch is a conflict (another window saved meanwhile) */
  expectedVersion?: number;
  addTimeMs?: number;
  addEdits?: number;
  /** also keep a revision snapshot (milestones) */
  revision?: { source: MaskSource; reason: string };
}

/** An image the person has labelled, as training reads it. */
export interface LabelledMask {
  imageId: number;
  /** core/mask label-map blob of the person's mask */
  labelMap: Uint8Array;
  /** the latest accepted or partly accepted model proposal (its corrected pixels weigh more), or null */
  proposal: Uint8Array | null;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** The person's masks: the current label map per image, milestone revisions and the persisted undo history. */
export class AnnotationRepo {
  constructor(private readonly db: Database.Database) {}

  get(imageId: number): StoredMask | null {
    const r = this.db
      .prepare('SELECT image_id, label_map, version, time_spent_ms, edit_count, updated_at FROM annotation WHERE image_id = ?')
      .get(imageId) as
      | { image_id: number; label_map: Buffer; version: number; time_spent_ms: number; edit_count: number; updated_at: string }
      | undefined;
    if (!r) return null;
    return {
      imageId: r.image_id,
      labelMap: new Uint8Array(r.label_map.buffer, r.label_map.byteOffset, r.label_map.byteLength),
      version: r.version,
      timeSpentMs: r.time_spent_ms,
      editCount: r.edit_count,
      updatedAt: r.updated_at,
    };
  }

  /** Writes the current mask (one transaction with its optional revision); returns the new version. */
  save(imageId: number, labelMap: Uint8Array, opts: SaveMaskOptions = {}): number {
    return this.db.transaction(() => {
      const now = new Date().toISOString();
      const cur = this.db.prepare('SELECT id, version FROM annotation WHERE image_id = ?').get(imageId) as { id: number; version: number } | undefined;
      if (opts.expectedVersion !== undefined && (cur?.version ?? 0) !== opts.expectedVersion) {
        throw new AppError('conflict', 'This mask was changed elsewhere since it was opened; reload the image.');
      }
      const blob = toBuffer(labelMap);
      let annotationId: number;
      let version: number;
      if (cur) {
        version = cur.version + 1;
        this.db
          .prepare('UPDATE annotation SET label_map = ?, version = ?, time_spent_ms = time_spent_ms + ?, edit_count = edit_count + ?, updated_at = ? WHERE id = ?')
          .run(blob, version, Math.round(opts.addTimeMs ?? 0), opts.addEdits ?? 0, now, cur.id);
        annotationId = cur.id;
      } else {
        version = 1;
        const info = this.db
          .prepare('INSERT INTO annotation (image_id, label_map, version, time_spent_ms, edit_count, updated_at) VALUES (?, ?, 1, ?, ?, ?)')
          .run(imageId, blob, Math.round(opts.addTimeMs ?? 0), opts.addEdits ?? 0, now);
        annotationId = Number(info.lastInsertRowid);
      }
      if (opts.revision) {
        this.db
          .prepare('INSERT INTO annotation_revision (annotation_id, source, reason, label_map, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(annotationId, opts.revision.source, opts.revision.reason, blob, now);
      }
      return version;
    })();
  }

  /** keeps a revision snapshot of the current mask (milestones); false when the image has no mask */
  snapshot(imageId: number, source: MaskSource, reason: string): boolean {
    const info = this.db
      .prepare(
        `INSERT INTO annotation_revision (annotation_id, source, reason, label_map, created_at)
         SELECT id, ?, ?, label_map, ? FROM annotation WHERE image_id = ?`,
      )
      .run(source, reason, new Date().toISOString(), imageId);
    return info.changes > 0;
  }

  revisions(imageId: number): { id: number; source: MaskSource; reason: string; createdAt: string }[] {
    return this.db
      .prepare(
        `SELECT r.id, r.source, r.reason, r.created_at AS createdAt FROM annotation_revision r
         JOIN annotation a ON a.id = r.annotation_id WHERE a.image_id = ? ORDER BY r.id`,
      )
      .all(imageId) as { id: number; source: MaskSource; reason: string; createdAt: string }[];
  }

  /** ids of images that have a mask */
  /**
   * Images that count as labelled for training: marked done/reviewed, or with at least one
   * labelled pixel (a mask that cannot be decoded does not count).
   */
  labelled(): LabelledMask[] {
    const rows = this.db
      .prepare(
        `SELECT a.image_id AS imageId, a.label_map AS labelMap, i.status AS status,
                (SELECT p.label_map FROM prediction p WHERE p.image_id = a.image_id AND p.state IN ('accepted', 'partial') ORDER BY p.id DESC LIMIT 1) AS proposal
           FROM annotation a JOIN image i ON i.id = a.image_id ORDER BY a.image_id`,
      )
      .all() as { imageId: number; labelMap: Buffer; status: string; proposal: Buffer | null }[];
    const out: LabelledMask[] = [];
    for (const r of rows) {
      const blob = bytes(r.labelMap);
      let labelled = r.status === 'done' || r.status === 'reviewed';
      if (!labelled) {
        try {
          labelled = LabelMap.decode(blob).ids.some((v) => v !== 0);
        } catch {
          labelled = false;
        }
      }
      if (labelled) out.push({ imageId: r.imageId, labelMap: blob, proposal: r.proposal ? bytes(r.proposal) : null });
    }
    return out;
  }

  annotatedImageIds(): number[] {
    return (this.db.prepare('SELECT image_id FROM annotation ORDER BY image_id').all() as { image_id: number }[]).map((r) => r.image_id);
  }

  // ---- undo history (core/editor entries, opaque bytes here) ----

  loadHistory(imageId: number): { undo: Uint8Array[]; redo: Uint8Array[] } {
    const rows = this.db.prepare('SELECT stack, entry FROM undo_entry WHERE image_id = ? ORDER BY stack, seq').all(imageId) as { stack: 'undo' | 'redo'; entry: Buffer }[];
    const out = { undo: [] as Uint8Array[], redo: [] as Uint8Array[] };
    for (const r of rows) out[r.stack].push(new Uint8Array(r.entry.buffer, r.entry.byteOffset, r.entry.byteLength));
    return out;
  }

  /** a new gesture: push onto undo, clear redo; keep at most `limit` undo entries */
  pushUndo(imageId: number, entry: Uint8Array, limit = 10_000): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM undo_entry WHERE image_id = ? AND stack = 'redo'").run(imageId);
      const top = this.#top(imageId, 'undo');
      this.db.prepare("INSERT INTO undo_entry (image_id, stack, seq, entry) VALUES (?, 'undo', ?, ?)").run(imageId, top + 1, toBuffer(entry));
      this.db.prepare("DELETE FROM undo_entry WHERE image_id = ? AND stack = 'undo' AND seq <= ?").run(imageId, top + 1 - limit);
    })();
  }

  /** undo moves the top undo entry to the redo stack; redo moves it back */
  moveTop(imageId: number, from: 'undo' | 'redo'): boolean {
    const to = from === 'undo' ? 'redo' : 'undo';
    return this.db.transaction(() => {
      const top = this.#top(imageId, from);
      if (top < 0) return false;
      const dest = this.#top(imageId, to) + 1;
      this.db.prepare('UPDATE undo_entry SET stack = ?, seq = ? WHERE image_id = ? AND stack = ? AND seq = ?').run(to, dest, imageId, from, top);
      return true;
    })();
  }

  clearHistory(imageId: number): void {
    this.db.prepare('DELETE FROM undo_entry WHERE image_id = ?').run(imageId);
  }

  #top(imageId: number, stack: 'undo' | 'redo'): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), -1) AS s FROM undo_entry WHERE image_id = ? AND stack = ?').get(imageId, stack) as { s: number }).s;
  }
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
