import type Database from 'better-sqlite3';
import { AppError } from '../api/errors';
import { MIGRATIONS } from './migrations/index';

/** Brings a database up to the latest schema; each migration is one transaction. */
export function migrate(db: Database.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (from > latest) {
    throw new AppError(
      'conflict',
      `This project was written by a newer Maskwright (schema ${from}; this version knows up to ${latest}). Update Maskwright to open it.`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: latest };
}

export function latestSchemaVersion(): number {
  return MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
}
