/**
 * `maskwright check`: SQLite's full integrity check and foreign-key check, then consistency of
 * the rows with the folder: every image row has its file (inside the project, or its import
 * folder) and its thumbnail, every stored mask decodes, no files in thumbs/ or images/ that no row
 * uses (orphans), and no temp files of processes that are gone (leftovers).
 */
import path from 'node:path';
import { AppError } from '../api/errors';
import { LabelMap } from '../mask/label-map';
import { findStaleTempFiles, tempOwner, walkFiles } from './leftovers';
import { resolveImageFile, resolveInProject } from './project-paths';
import type { ProjectStore } from './project-store';

export interface CheckProblem {
  kind: 'integrity' | 'foreign-key' | 'missing-file' | 'refused-path' | 'missing-thumbnail' | 'damaged-mask';
  imageId?: number;
  path?: string;
  message: string;
}

export interface ProjectCheckReport {
  dir: string;
  /** SQLite's integrity_check problems ([] = the file is sound) */
  integrity: string[];
  problems: CheckProblem[];
  /** files under thumbs/ and images/ that no row refers to (left by a killed import; harmless) */
  orphans: string[];
  /** temp files of processes that are no longer running (removed by the next import) */
  leftovers: string[];
  images: number;
  masks: number;
}

export function checkProject(store: ProjectStore): ProjectCheckReport {
  const integrity = store.integrityProblems();
  const problems: CheckProblem[] = [];
  const report: ProjectCheckReport = { dir: store.dir, integrity, problems, orphans: [], leftovers: [], images: 0, masks: 0 };
  try {
    for (const r of store.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]) {
      problems.push({ kind: 'foreign-key', message: `${r.table} row ${r.rowid} refers to a missing ${r.parent} row` });
    }
  } catch (err) {
    problems.push({ kind: 'foreign-key', message: `the foreign-key check failed: ${(err as Error).message}` });
  }
  const usedThumbs = new Set<string>();
  const usedCopies = new Set<string>();
  let rows: { id: number; file_name: string; path: string; storage: 'copy' | 'reference'; thumb_path: string | null }[] = [];
  try {
    rows = store.db.prepare('SELECT id, file_name, path, storage, thumb_path FROM image ORDER BY id').all() as typeof rows;
  } catch (err) {
    problems.push({ kind: 'integrity', message: `the image table cannot be read: ${(err as Error).message}` });
  }
  report.images = rows.length;
  for (const r of rows) {
    const row = { storage: r.storage, fileName: r.file_name, path: r.storage === 'copy' ? path.join(store.dir, r.path) : r.path };
    try {
      resolveImageFile(store.dir, row);
      if (r.storage === 'copy') usedCopies.add(path.resolve(store.dir, r.path));
    } catch (err) {
      const e = AppError.from(err);
      problems.push({ kind: e.code === 'forbidden' ? 'refused-path' : 'missing-file', imageId: r.id, path: r.path, message: e.message });
    }
    if (r.thumb_path) {
      try {
        resolveInProject(store.dir, r.thumb_path, `The thumbnail of "${r.file_name}"`);
        usedThumbs.add(path.resolve(store.dir, r.thumb_path));
      } catch (err) {
        const e = AppError.from(err);
        problems.push({ kind: e.code === 'forbidden' ? 'refused-path' : 'missing-thumbnail', imageId: r.id, path: r.thumb_path, message: e.message });
      }
    }
  }
  try {
    for (const a of store.db.prepare('SELECT image_id, label_map FROM annotation ORDER BY image_id').iterate() as Iterable<{ image_id: number; label_map: Uint8Array }>) {
      report.masks++;
      try {
        LabelMap.decode(a.label_map);
      } catch (err) {
        problems.push({ kind: 'damaged-mask', imageId: a.image_id, message: `the stored mask of image ${a.image_id} does not decode: ${(err as Error).message}` });
      }
    }
  } catch (err) {
    problems.push({ kind: 'integrity', message: `the annotation table cannot be read: ${(err as Error).message}` });
  }
  for (const [dir, used] of [['thumbs', usedThumbs], ['images', usedCopies]] as const) {
    walkFiles(path.join(store.dir, dir), 3, (f) => {
      if (tempOwner(path.basename(f)) === null && !used.has(f)) report.orphans.push(f);
    });
  }
  report.leftovers = findStaleTempFiles(store.dir);
  return report;
}
