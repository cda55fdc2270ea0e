/**
 * Leftovers of killed processes: temporary files (`<name>.<pid>.<tag>.tmp`, written beside a
 * file and renamed over it) inside a project folder, and export folders in the making
 * (`.<out>.partial-<pid>-<ts>` beside the destination). A leftover whose process is no longer
 * running on this machine is stale and is removed by the next run (import, export, check);
 * those of live processes are left alone.
 */
import fs from 'node:fs';
import path from 'node:path';

/** `<name>.<pid>.<tag>.tmp`, and the project-create temp `.project.sqlite.<pid>.<ts>.tmp` */
const TMP_RE = /\.(\d+)\.[0-9a-z]+\.tmp$/i;
/** folders of derived files where atomic writes leave their temp files */
const DERIVED_DIRS = ['thumbs', 'images', 'previews', 'models'];

/** true when a process with this id runs on this machine (EPERM: it runs, as another user) */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** pid of a temp file's writer, or null when the name is not one of ours */
export function tempOwner(name: string): number | null {
  const m = TMP_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Calls `fn` for every entry below `dir` that is not a folder, descending `depth` folder levels
 * (0: `dir` itself only); a folder that cannot be read is skipped.
 */
export function walkFiles(dir: string, depth: number, fn: (file: string, entry: fs.Dirent) => void): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (depth > 0) walkFiles(p, depth - 1, fn);
    } else fn(p, e);
  }
}

/** Stale temp files in a project folder (its root and the derived-file folders, two levels deep). */
export function findStaleTempFiles(projectDir: string): string[] {
  const out: string[] = [];
  const visit = (p: string, e: fs.Dirent) => {
    if (!e.isFile()) return;
    const pid = tempOwner(e.name);
    if (pid !== null && !isProcessAlive(pid)) out.push(p);
  };
  walkFiles(projectDir, 0, visit);
  for (const d of DERIVED_DIRS) walkFiles(path.join(projectDir, d), 2, visit);
  return out.sort();
}

/** Removes the stale temp files of a project folder; returns what was removed. */
export function removeStaleTempFiles(projectDir: string): string[] {
  const removed: string[] = [];
  for (const f of findStaleTempFiles(projectDir)) {
    try {
      fs.rmSync(f, { force: true });
      removed.push(f);
    } catch {
      // another process got there first, or the folder is read-only: nothing to do
    }
  }
  return removed;
}

/**
 * Removes stale `.<out>.partial-<pid>-<ts>` folders beside `outDir`. A stale `...-old` folder is
 * a previous export set aside during the final swap: when `outDir` itself is missing, it is put
 * back instead of removed. Returns the folders removed or restored.
 */
export function cleanStaleExportPartials(outDir: string): string[] {
  const parent = path.dirname(outDir);
  const prefix = `.${path.basename(outDir)}.partial-`;
  const done: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return done;
  }
  const re = /^(\d+)-[0-9a-z]+(-old)?$/;
  for (const name of entries.sort()) {
    if (!name.startsWith(prefix)) continue;
    const m = re.exec(name.slice(prefix.length));
    if (!m || isProcessAlive(Number(m[1]))) continue;
    const p = path.join(parent, name);
    try {
      if (m[2] && !fs.existsSync(outDir)) fs.renameSync(p, outDir);
      else fs.rmSync(p, { recursive: true, force: true });
      done.push(p);
    } catch {
      // leave it; the next run tries again
    }
  }
  return done;
}
