import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../api/errors';
import { AnnotationRepo } from './annotation-repo';
import { ClassRepo } from './class-repo';
import { ImageRepo } from './image-repo';
import { ModelRepo } from './model-repo';
import { PredictionRepo } from './prediction-repo';
import { migrate } from './migrate';

export const PROJECT_DB_FILE = 'project.sqlite';

export interface ProjectRecord {
  id: string;
  name: string;
  createdAt: string;
}

/**
 * One open project: a folder holding project.sqlite plus derived files
 * (thumbs/, previews/, images/ for copied originals). Owns the connection.
 */
export class ProjectStore {
  readonly images: ImageRepo;
  readonly classes: ClassRepo;
  readonly annotations: AnnotationRepo;
  readonly predictions: PredictionRepo;
  readonly models: ModelRepo;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly db: Database.Database,
    readonly record: ProjectRecord,
  ) {
    this.images = new ImageRepo(db, dir);
    this.classes = new ClassRepo(db);
    this.annotations = new AnnotationRepo(db);
    this.predictions = new PredictionRepo(db);
    this.models = new ModelRepo(db);
  }

  get id(): string {
    return this.record.id;
  }

  /**
   * Creates a project in `dir` (created if missing; must not already hold a
   * project). The database is built under a temporary name and renamed into
   * place, so an interrupted create leaves no half-made project behind.
   */
  static create(dir: string, opts: { name: string; classes?: { name: string; color?: string }[] }): ProjectStore {
    const abs = path.resolve(dir);
    const dbPath = path.join(abs, PROJECT_DB_FILE);
    if (fs.existsSync(dbPath)) throw new AppError('already-exists', `${abs} already holds a Maskwright project. Open it instead.`);
    try {
      fs.mkdirSync(abs, { recursive: true });
    } catch (err) {
      throw new AppError('io', `Cannot create the folder ${abs}: ${(err as Error).message}`);
    }
    const tmp = path.join(abs, `.${PROJECT_DB_FILE}.${process.pid}.${Date.now()}.tmp`);
    const record: ProjectRecord = { id: randomUUID(), name: opts.name.trim(), createdAt: new Date().toISOString() };
    let db: Database.Database | undefined;
    try {
      db = new Database(tmp);
      db.pragma('foreign_keys = ON');
      migrate(db);
      const classes = new ClassRepo(db);
      db.transaction(() => {
        db!.prepare('INSERT INTO project (id, name, created_at) VALUES (?, ?, ?)').run(record.id, record.name, record.createdAt);
        for (const c of opts.classes ?? []) classes.create(c.name, c.color);
      })();
      db.close();
      db = undefined;
      fs.renameSync(tmp, dbPath);
    } catch (err) {
      db?.close();
      fs.rmSync(tmp, { force: true });
      throw err instanceof AppError ? err : new AppError('io', `Cannot create the project in ${abs}: ${(err as Error).message}`);
    }
    return ProjectStore.open(abs);
  }

  /** Opens an existing project, running any pending migrations. */
  static open(dir: string): ProjectStore {
    const abs = path.resolve(dir);
    const dbPath = path.join(abs, PROJECT_DB_FILE);
    if (!fs.existsSync(dbPath)) {
      throw new AppError('not-found', fs.existsSync(abs) ? `${abs} is not a Maskwright project (no ${PROJECT_DB_FILE}).` : `The folder ${abs} does not exist.`);
    }
    let db: Database.Database;
    try {
      db = new Database(dbPath, { fileMustExist: true });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
    } catch (err) {
      throw new AppError('io', `Cannot open ${dbPath}: ${(err as Error).message}`);
    }
    try {
      migrate(db);
      const row = db.prepare('SELECT id, name, created_at AS createdAt FROM project LIMIT 1').get() as ProjectRecord | undefined;
      if (!row) throw new AppError('corrupt-data', `${dbPath} has no project record; it may be damaged.`);
      return new ProjectStore(abs, db, row);
    } catch (err) {
      db.close();
      if (err instanceof AppError) throw err;
      throw new AppError('io', `Cannot read ${dbPath}: ${(err as Error).message}`);
    }
  }

  /** Runs fn in one transaction: all of it is written, or none. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** The project's settings (the JSON column of the project row; {} when unreadable). */
  settings(): Record<string, unknown> {
    const r = this.db.prepare('SELECT settings FROM project LIMIT 1').get() as { settings: string } | undefined;
    try {
      const v = JSON.parse(r?.settings ?? '{}') as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  /** Merges `patch` into the project's settings. */
  updateSettings(patch: Record<string, unknown>): void {
    this.db.prepare('UPDATE project SET settings = ?').run(JSON.stringify({ ...this.settings(), ...patch }));
  }

  get isOpen(): boolean {
    return !this.closed;
  }
}
