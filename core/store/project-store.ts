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
/** project files up to this size get the full integrity_check on open, larger ones quick_check */
export const FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024;

/** AppError for a damaged project file (the CLI exits with EXIT.DAMAGED on it) */
function damaged(message: string, problems: string[]): AppError {
  return new AppError('corrupt-data', message, { damagedProject: true, problems: problems.slice(0, 20) });
}

export function isDamagedProjectError(err: unknown): boolean {
  if (err instanceof AppError) return err.code === 'corrupt-data' && !!(err.details as { damagedProject?: boolean } | undefined)?.damagedProject;
  return isSqliteDamage(err);
}

function isSqliteDamage(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

function sqliteOpenError(dbPath: string, err: unknown): AppError {
  if (isSqliteDamage(err)) {
    return damaged(`${dbPath} is damaged or not a Maskwright project file (${(err as Error).message}). Nothing was written to it; put it back from a backup.`, [(err as Error).message]);
  }
  return new AppError('io', `Cannot open ${dbPath}: ${(err as Error).message}`);
}

/** SQLite's own check: the rows it reports (at most 100), [] when the file is sound */
function checkDatabase(db: Database.Database, kind: 'integrity' | 'quick'): string[] {
  try {
    const rows = db.pragma(`${kind === 'integrity' ? 'integrity_check' : 'quick_check'}(100)`) as Record<string, string>[];
    const msgs = rows.map((r) => String(Object.values(r)[0]));
    return msgs.length === 1 && msgs[0] === 'ok' ? [] : msgs;
  } catch (err) {
    return [(err as Error).message];
  }
}

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
    /** what the check on open found wrong (empty: sound); non-empty only with `allowDamaged`, read-only then */
    readonly damage: readonly string[] = [],
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

  /**
   * Opens an existing project, running any pending migrations. The file is checked first on a
   * read-only connection (PRAGMA integrity_check up to FULL_CHECK_MAX_BYTES, quick_check above):
   * a damaged file is refused with AppError 'corrupt-data' (details.damagedProject) and nothing
   * is written to it, or, with `allowDamaged`, opened read-only with `damage` listing the problems.
   * `readOnly` opens read-only without migrating (sound or, with `allowDamaged`, damaged).
   * An empty (0-byte) project.sqlite is refused with what to do.
   */
  static open(dir: string, opts: { allowDamaged?: boolean; readOnly?: boolean } = {}): ProjectStore {
    const abs = path.resolve(dir);
    const dbPath = path.join(abs, PROJECT_DB_FILE);
    if (!fs.existsSync(dbPath)) {
      throw new AppError('not-found', fs.existsSync(abs) ? `${abs} is not a Maskwright project (no ${PROJECT_DB_FILE}).` : `The folder ${abs} does not exist.`);
    }
    const size = fs.statSync(dbPath).size;
    if (size === 0) {
      throw damaged(
        `${dbPath} is empty (0 bytes): it holds no project, and Maskwright will not write a new one into it. ` +
          `Put the file back from a backup, or delete the empty ${PROJECT_DB_FILE} and run \`maskwright init ${abs}\` to start a new project there (images in the folder are not touched).`,
        [],
      );
    }
    // the check runs on a read-only connection: a damaged file is never written (not even a WAL checkpoint)
    let ro: Database.Database;
    try {
      ro = new Database(dbPath, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw sqliteOpenError(dbPath, err);
    }
    const problems = checkDatabase(ro, size <= FULL_CHECK_MAX_BYTES ? 'integrity' : 'quick');
    if (problems.length || opts.readOnly) {
      if (opts.allowDamaged || (opts.readOnly && !problems.length)) {
        let row: ProjectRecord | undefined;
        try {
          row = ro.prepare('SELECT id, name, created_at AS createdAt FROM project LIMIT 1').get() as ProjectRecord | undefined;
        } catch (err) {
          problems.push(`the project record cannot be read: ${(err as Error).message}`);
        }
        return new ProjectStore(abs, ro, row ?? { id: 'damaged:' + abs, name: path.basename(abs), createdAt: '' }, problems);
      }
      ro.close();
      throw damaged(
        `${dbPath} is damaged (SQLite's integrity check: ${problems[0]}${problems.length > 1 ? `; and ${problems.length - 1} more` : ''}). ` +
          `Nothing was written to it. Run \`maskwright check ${abs}\` for the full report, and put ${PROJECT_DB_FILE} back from a backup ` +
          `(or recover what it holds with \`sqlite3 ${PROJECT_DB_FILE} .recover\`).`,
        problems,
      );
    }
    ro.close();
    let db: Database.Database;
    try {
      db = new Database(dbPath, { fileMustExist: true });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
    } catch (err) {
      throw sqliteOpenError(dbPath, err);
    }
    try {
      migrate(db);
      const row = db.prepare('SELECT id, name, created_at AS createdAt FROM project LIMIT 1').get() as ProjectRecord | undefined;
      if (!row) throw damaged(`${dbPath} has no project record; it may be damaged. Run \`maskwright check ${abs}\`.`, ['no project record']);
      return new ProjectStore(abs, db, row);
    } catch (err) {
      db.close();
      if (err instanceof AppError) throw err;
      if (isSqliteDamage(err)) throw damaged(`${dbPath} is damaged: ${(err as Error).message}. Run \`maskwright check ${abs}\`.`, [(err as Error).message]);
      throw new AppError('io', `Cannot read ${dbPath}: ${(err as Error).message}`);
    }
  }

  /** The full check (\`maskwright check\`): SQLite's integrity_check; problems, or [] when the file is sound. */
  integrityProblems(): string[] {
    return checkDatabase(this.db, 'integrity');
  }

  /** true when opened read-only (asked for, or because the file is damaged: see `damage`) */
  get readOnly(): boolean {
    return this.db.readonly;
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
