import path from 'node:path';
import type Database from 'better-sqlite3';
import type { ImageListPage, ImageListQuery, ImageRow, ImageStatus, StorageMode } from '../api/types';
import { IMAGE_STATUSES } from '../api/types';

/** an image to insert: the row the API shows (less what the store assigns), plus its EXIF orientation and thumbnail */
export interface NewImage extends Omit<ImageRow, 'id' | 'status' | 'addedAt'> {
  /** absolute for 'reference'; relative to the project folder for 'copy' */
  path: string;
  orientation: number;
  thumbPath: string | null;
}

interface DbImage {
  id: number;
  file_name: string;
  path: string;
  storage: StorageMode;
  content_hash: string;
  size_bytes: number;
  format: string;
  width: number;
  height: number;
  bit_depth: number;
  channels: number;
  status: ImageStatus;
  thumb_path: string | null;
  added_at: string;
}

const COLUMNS =
  'id, file_name, path, storage, content_hash, size_bytes, format, width, height, bit_depth, channels, status, thumb_path, added_at';

/** '2.png' before '10.png' in SQL: digit runs left-padded to 20 digits, case folded (mw_natural_key) */
export function naturalKey(name: string): string {
  return name.toLowerCase().replace(/\d+/g, (d) => d.replace(/^0+(?=\d)/, '').padStart(20, '0'));
}

/** what the grid shows on a thumbnail: the mask's version (null: none) and the latest proposal */
export interface ImageLabelSummary {
  maskVersion: number | null;
  proposal: { id: number; modelVersionId: number | null; state: string } | null;
}

/** Images of one project. Row paths come back absolute. */
export class ImageRepo {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly projectDir: string,
  ) {
    db.function('mw_natural_key', { deterministic: true }, (s: unknown) => naturalKey(String(s ?? '')));
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO image (file_name, path, storage, content_hash, size_bytes, format, width, height, bit_depth, channels, orientation, thumb_path, added_at, updated_at)
         VALUES (@fileName, @path, @storage, @hash, @sizeBytes, @format, @width, @height, @bitDepth, @channels, @orientation, @thumbPath, @now, @now)`,
      ),
      byHash: db.prepare(`SELECT ${COLUMNS} FROM image WHERE content_hash = ?`),
      byId: db.prepare(`SELECT ${COLUMNS} FROM image WHERE id = ?`),
      thumbById: db.prepare('SELECT thumb_path FROM image WHERE id = ?'),
      counts: db.prepare('SELECT status, COUNT(*) AS n FROM image GROUP BY status'),
      setStatus: db.prepare("UPDATE image SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?"),
    };
  }

  insert(img: NewImage): number {
    const info = this.stmts.insert.run({ ...img, now: new Date().toISOString() });
    return Number(info.lastInsertRowid);
  }

  findByHash(hash: string): ImageRow | null {
    const r = this.stmts.byHash.get(hash) as DbImage | undefined;
    return r ? this.toRow(r) : null;
  }

  get(id: number): ImageRow | null {
    const r = this.stmts.byId.get(id) as DbImage | undefined;
    return r ? this.toRow(r) : null;
  }

  /** absolute thumbnail path, or null when the image has none (not checked: read files through project-paths) */
  thumbnailPath(id: number): string | null {
    const rel = this.thumbnailRelPath(id);
    return rel ? path.join(this.projectDir, rel) : null;
  }

  /** the thumbnail path as stored (relative to the project folder), or null */
  thumbnailRelPath(id: number): string | null {
    const r = this.stmts.thumbById.get(id) as { thumb_path: string | null } | undefined;
    return r?.thumb_path ?? null;
  }

  statusCounts(): Record<ImageStatus, number> {
    const out = Object.fromEntries(IMAGE_STATUSES.map((s) => [s, 0])) as Record<ImageStatus, number>;
    for (const r of this.stmts.counts.all() as { status: ImageStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  count(): number {
    return Object.values(this.statusCounts()).reduce((a, b) => a + b, 0);
  }

  list(q: ImageListQuery = {}): ImageListPage {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.search && q.search.trim()) {
      where.push("file_name LIKE ? ESCAPE '\\'");
      params.push(`%${q.search.trim().replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    }
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // 'name' is natural order (0, 1, 2, …, 10), as `maskwright ls` sorts
    const order = q.sort === 'name' ? 'mw_natural_key(file_name), id' : 'id';
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 200;
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM image ${whereSql}`).get(...params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM image ${whereSql} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as DbImage[];
    return { total, offset, items: rows.map((r) => this.toRow(r)) };
  }

  /**
   * Unlabeled images in labeling order: 'uncertainty' = the active model's least certain first
   * (mean uncertainty of each image's latest prediction; images without one come last),
   * 'sequential' = import order, 'random' = shuffled.
   */
  queue(order: 'uncertainty' | 'sequential' | 'random', limit = 1, excludeIds: readonly number[] = []): ImageRow[] {
    const exclude = excludeIds.length ? `AND i.id NOT IN (${excludeIds.map(() => '?').join(',')})` : '';
    const orderSql =
      order === 'uncertainty' ? 'p.uncertainty IS NULL, p.uncertainty DESC, i.id' : order === 'random' ? 'random()' : 'i.id';
    const rows = this.db
      .prepare(
        `SELECT ${COLUMNS.split(', ').map((c) => `i.${c}`).join(', ')} FROM image i
         LEFT JOIN prediction p ON p.id = (SELECT MAX(id) FROM prediction WHERE image_id = i.id)
         WHERE i.status = 'unlabeled' ${exclude}
         ORDER BY ${orderSql} LIMIT ?`,
      )
      .all(...excludeIds, limit) as DbImage[];
    return rows.map((r) => this.toRow(r));
  }

  /** per image id: the mask's version and the latest proposal (one query, no blobs read) */
  labelSummaries(ids: readonly number[]): Map<number, ImageLabelSummary> {
    const out = new Map<number, ImageLabelSummary>();
    for (let k = 0; k < ids.length; k += 500) {
      const part = ids.slice(k, k + 500);
      const rows = this.db
        .prepare(
          `SELECT i.id, a.version AS mask_version, p.id AS pid, p.model_version_id, p.state FROM image i
           LEFT JOIN annotation a ON a.image_id = i.id
           LEFT JOIN prediction p ON p.id = (SELECT MAX(id) FROM prediction WHERE image_id = i.id)
           WHERE i.id IN (${part.map(() => '?').join(',')})`,
        )
        .all(...part) as { id: number; mask_version: number | null; pid: number | null; model_version_id: number | null; state: string | null }[];
      for (const r of rows) {
        out.set(r.id, { maskVersion: r.mask_version, proposal: r.pid === null ? null : { id: r.pid, modelVersionId: r.model_version_id, state: r.state ?? 'proposed' } });
      }
    }
    return out;
  }

  setStatus(ids: readonly number[], status: ImageStatus): number {
    let changed = 0;
    this.db.transaction(() => {
      for (const id of ids) changed += this.stmts.setStatus.run(status, id).changes;
    })();
    return changed;
  }

  private toRow(r: DbImage): ImageRow {
    return {
      id: r.id,
      fileName: r.file_name,
      path: r.storage === 'copy' ? path.join(this.projectDir, r.path) : r.path,
      storage: r.storage,
      hash: r.content_hash,
      sizeBytes: r.size_bytes,
      format: r.format,
      width: r.width,
      height: r.height,
      bitDepth: r.bit_depth,
      channels: r.channels,
      status: r.status,
      addedAt: r.added_at,
    };
  }
}
