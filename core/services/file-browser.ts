/**
 * The folder/file browser of browser mode (app.listDirectory): lists one folder at a time, only
 * under the places it may show — the home folder, the temp folder, mount points, the parents of
 * recent projects, and any folder MASKWRIGHT_BROWSE_ROOTS names — with every path resolved
 * (symlinks included) before the containment check, so neither `..` nor a link leads outside.
 * Hidden entries (dot files) are left out unless asked for. Electron uses native dialogs instead;
 * the service exists only where the host enables it (core/host/serve.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { DirectoryEntry, DirectoryListing } from '../api/types';
import { PROJECT_DB_FILE } from '../store/project-store';

/** entries one listing carries at most (a folder of 100 000 images is not shown file by file) */
export const MAX_LISTING = 5000;

export interface BrowseRequest {
  /** absolute folder; the home folder when absent */
  path?: string | undefined;
  showHidden?: boolean | undefined;
  /** list files too (otherwise folders only) */
  files?: boolean | undefined;
  /** with files: only these extensions (lower case, no dot) */
  extensions?: string[] | undefined;
}

export interface BrowsePlaces {
  home: string;
  /** recent project folders (their parents become places) */
  recent: string[];
  /** further places (the temp folder, mount points, MASKWRIGHT_BROWSE_ROOTS) */
  extra: string[];
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** the default places of this machine: home, temp, mount points and MASKWRIGHT_BROWSE_ROOTS */
export function defaultPlaces(recent: string[], env: NodeJS.ProcessEnv = process.env): BrowsePlaces {
  const extra = [os.tmpdir(), '/mnt', '/media', '/run/media', '/Volumes'];
  for (const p of (env.MASKWRIGHT_BROWSE_ROOTS ?? '').split(path.delimiter)) if (p && path.isAbsolute(p)) extra.push(p);
  return { home: os.homedir(), recent, extra };
}

function real(p: string): string | null {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
}

const within = (root: string, p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** the resolved roots the browser may show (existing folders only, no duplicates) */
export function browseRoots(places: BrowsePlaces): string[] {
  const out: string[] = [];
  const add = (p: string) => {
    const r = real(p);
    if (!r || out.includes(r)) return;
    try {
      if (!fs.statSync(r).isDirectory()) return;
    } catch {
      return;
    }
    out.push(r);
  };
  add(places.home);
  for (const p of places.extra) add(p);
  for (const p of places.recent) add(path.dirname(p));
  return out;
}

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

function readableDir(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.R_OK | fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function listDirectory(req: BrowseRequest, places: BrowsePlaces): DirectoryListing {
  const roots = browseRoots(places);
  const asked = req.path ?? places.home;
  if (asked.includes('\0') || !path.isAbsolute(asked)) throw new AppError('invalid-argument', 'The folder must be an absolute path.');
  const target = real(path.resolve(asked));
  if (!target) throw new AppError('not-found', `There is no folder ${asked}.`);
  // the outermost place holding it: Up goes as far as that place's top
  const root = roots.filter((r) => within(r, target)).sort((a, b) => a.length - b.length)[0];
  if (!root) {
    throw new AppError('forbidden', `${asked} is outside the places this browser shows (your home folder, the temp folder, mounted drives, recent projects; MASKWRIGHT_BROWSE_ROOTS adds more). Type the path instead.`);
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    throw new AppError('not-found', `There is no folder ${asked}.`);
  }
  if (!st.isDirectory()) throw new AppError('invalid-argument', `${asked} is a file, not a folder.`);
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(target, { withFileTypes: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM') throw new AppError('forbidden', `You may not read the folder ${asked}.`);
    throw new AppError('io', `The folder ${asked} could not be read: ${(e as Error).message}`);
  }
  const exts = req.extensions?.length ? new Set(req.extensions.map((e) => e.toLowerCase())) : null;
  const entries: DirectoryEntry[] = [];
  let hiddenCount = 0;
  for (const d of dirents) {
    if (!req.showHidden && isHidden(d.name)) {
      hiddenCount++;
      continue;
    }
    const full = path.join(target, d.name);
    let kind: 'dir' | 'file' | null = d.isDirectory() ? 'dir' : d.isFile() ? 'file' : null;
    let size: number | undefined;
    if (d.isSymbolicLink()) {
      // a link is shown only where it leads inside the places
      const r = real(full);
      if (!r || !roots.some((root) => within(root, r))) continue;
      try {
        const t = fs.statSync(r);
        kind = t.isDirectory() ? 'dir' : t.isFile() ? 'file' : null;
        if (t.isFile()) size = t.size;
      } catch {
        continue;
      }
    }
    if (kind === null) continue; // sockets, devices, fifos
    if (kind === 'file') {
      if (!req.files) continue;
      if (exts && !exts.has(path.extname(d.name).slice(1).toLowerCase())) continue;
      if (size === undefined) {
        try {
          size = fs.statSync(full).size;
        } catch {
          continue;
        }
      }
      entries.push({ name: d.name, path: full, kind, size, readable: true });
    } else {
      const readable = readableDir(full);
      const project = readable && fs.existsSync(path.join(full, PROJECT_DB_FILE));
      entries.push({ name: d.name, path: full, kind, readable, ...(project ? { project } : {}) });
    }
  }
  entries.sort((a, b) => (a.kind === b.kind ? collator.compare(a.name, b.name) : a.kind === 'dir' ? -1 : 1));
  const truncated = entries.length > MAX_LISTING;
  const parentPath = path.dirname(target);
  const parent = target !== root && parentPath !== target ? parentPath : null;
  const home = real(places.home);
  const placeList: DirectoryListing['places'] = [];
  if (home) placeList.push({ label: 'Home', path: home, kind: 'home' });
  for (const r of places.recent) {
    const rr = real(r);
    if (rr && !placeList.some((p) => p.path === rr)) placeList.push({ label: path.basename(rr), path: rr, kind: 'recent' });
  }
  for (const r of roots) {
    if (!placeList.some((p) => p.path === r) && !places.recent.some((rp) => real(path.dirname(rp)) === r)) placeList.push({ label: r, path: r, kind: 'place' });
  }
  return { path: target, parent, entries: truncated ? entries.slice(0, MAX_LISTING) : entries, hiddenCount, truncated, places: placeList };
}
