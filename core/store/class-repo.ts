import type Database from 'better-sqlite3';
import { AppError } from '../api/errors';
import type { LabelClass } from '../api/types';

/** A calm, distinguishable default palette (Tableau 10-like). */
export const DEFAULT_CLASS_COLORS = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
];

interface DbClass {
  id: number;
  name: string;
  color: string;
  idx: number;
  hidden: number;
  locked: number;
}

export class ClassRepo {
  constructor(private readonly db: Database.Database) {}

  list(): LabelClass[] {
    const rows = this.db.prepare('SELECT id, name, color, idx, hidden, locked FROM label_class ORDER BY sort_order, idx').all() as DbClass[];
    return rows.map(toClass);
  }

  create(name: string, color?: string): LabelClass {
    const trimmed = name.trim();
    if (this.db.prepare('SELECT 1 FROM label_class WHERE name = ?').get(trimmed)) {
      throw new AppError('already-exists', `A class named "${trimmed}" already exists.`);
    }
    const next = this.db.prepare('SELECT COALESCE(MAX(idx), 0) + 1 AS idx, COUNT(*) AS n FROM label_class').get() as { idx: number; n: number };
    if (next.idx > 65535) throw new AppError('invalid-argument', 'A project can have at most 65535 classes.');
    const c = color ?? DEFAULT_CLASS_COLORS[next.n % DEFAULT_CLASS_COLORS.length]!;
    const info = this.db
      .prepare('INSERT INTO label_class (name, color, idx, sort_order) VALUES (?, ?, ?, ?)')
      .run(trimmed, c.toLowerCase(), next.idx, next.n);
    return this.get(Number(info.lastInsertRowid));
  }

  reorder(ids: readonly number[]): LabelClass[] {
    const current = this.list().map((c) => c.id);
    if (ids.length !== current.length || new Set(ids).size !== ids.length || !ids.every((id) => current.includes(id))) {
      throw new AppError('invalid-argument', 'The new order must list every class of the project exactly once.');
    }
    const upd = this.db.prepare('UPDATE label_class SET sort_order = ? WHERE id = ?');
    this.db.transaction(() => ids.forEach((id, i) => upd.run(i, id)))();
    return this.list();
  }

  get(id: number): LabelClass {
    const r = this.db.prepare('SELECT id, name, color, idx, hidden, locked FROM label_class WHERE id = ?').get(id) as DbClass | undefined;
    if (!r) throw new AppError('not-found', `Class ${id} does not exist in this project.`);
    return toClass(r);
  }

  update(id: number, patch: { name?: string; color?: string; hidden?: boolean; locked?: boolean }): LabelClass {
    const cur = this.get(id);
    const name = patch.name?.trim() ?? cur.name;
    if (name !== cur.name && this.db.prepare('SELECT 1 FROM label_class WHERE name = ? AND id <> ?').get(name, id)) {
      throw new AppError('already-exists', `A class named "${name}" already exists.`);
    }
    this.db
      .prepare('UPDATE label_class SET name = ?, color = ?, hidden = ?, locked = ? WHERE id = ?')
      .run(name, (patch.color ?? cur.color).toLowerCase(), Number(patch.hidden ?? cur.hidden), Number(patch.locked ?? cur.locked), id);
    return this.get(id);
  }
}

function toClass(r: DbClass): LabelClass {
  return { id: r.id, name: r.name, color: r.color, index: r.idx, hidden: !!r.hidden, locked: !!r.locked };
}
