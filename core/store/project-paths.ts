/**
 * File containment: the one place that turns a path stored in a project into a file to read.
 * A project folder someone sends you must not be able to make Maskwright read (serve, export,
 * decode) your other files, so every stored path is resolved to its real path (symbolic links
 * followed) and refused when that lies outside where it may:
 *
 *   - copied images, thumbnails and previews: inside the project folder;
 *   - referenced images ('reference' imports): inside the folder the file was imported from
 *     (the recorded path's folder), and the recorded path must be absolute.
 *
 * Export (and the asset routes, for referenced images) also compare the file's bytes with the
 * content hash recorded at import, so that a row pointing at some other file is refused even when
 * the folder rule cannot tell.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { ImageRow } from '../api/types';

const HASH_RE = /^[0-9a-f]{64}$/;

/** true when `p` is `root` or lies below it (both absolute and normalised) */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

function realpathOrThrow(p: string, what: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AppError('not-found', `${what} is missing on disk (${p}).`);
    throw new AppError('io', `Cannot read ${what} (${p}): ${(err as Error).message}`);
  }
}

function outside(what: string, p: string, real: string, root: string): never {
  throw new AppError(
    'forbidden',
    `${what} (${p}) resolves to ${real}, outside ${root}; Maskwright reads only files inside the project folder (or, for referenced images, the folder they were imported from).`,
  );
}

/**
 * Real path of `rel` (relative to the project folder), refused unless it exists inside the
 * project folder. Absolute `rel`, `..` escapes and symbolic links leading out are refused.
 */
export function resolveInProject(projectDir: string, rel: string, what = 'The file'): string {
  if (typeof rel !== 'string' || rel === '' || rel.includes('\0')) throw new AppError('forbidden', `${what} has an invalid stored path.`);
  if (path.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) throw new AppError('forbidden', `${what} has an absolute stored path (${rel}); project files are stored relative to the project folder.`);
  const root = realpathOrThrow(path.resolve(projectDir), 'The project folder');
  const lexical = path.resolve(root, rel);
  if (!isInside(root, lexical)) outside(what, rel, lexical, root);
  const real = realpathOrThrow(lexical, what);
  if (!isInside(root, real)) outside(what, rel, real, root);
  return real;
}

/**
 * Real path of an image's file (see the file comment): copies inside the project folder,
 * references inside the folder they were imported from.
 */
export function resolveImageFile(projectDir: string, row: Pick<ImageRow, 'storage' | 'path' | 'fileName'>): string {
  const what = `The image file "${row.fileName}"`;
  if (row.storage === 'copy') {
    const root = path.resolve(projectDir);
    const abs = path.resolve(root, row.path);
    if (!isInside(root, abs)) outside(what, row.path, abs, root);
    return resolveInProject(root, path.relative(root, abs), what);
  }
  if (typeof row.path !== 'string' || !path.isAbsolute(row.path) || row.path.includes('\0')) {
    throw new AppError('forbidden', `${what} has a referenced path that is not absolute (${String(row.path)}); refused.`);
  }
  const src = path.normalize(row.path);
  const folder = realpathOrThrow(path.dirname(src), `The folder of ${what}`);
  const real = realpathOrThrow(src, what);
  if (!isInside(folder, real)) outside(what, row.path, real, folder);
  return real;
}

/** The cached display image of an image, by content hash (the folder is created; the file may not exist yet). */
export function previewFile(projectDir: string, hash: string): string {
  if (!HASH_RE.test(hash)) throw new AppError('forbidden', `The image has an invalid content hash (${hash.slice(0, 80)}); refused.`);
  const root = realpathOrThrow(path.resolve(projectDir), 'The project folder');
  const dir = path.join(root, 'previews', hash.slice(0, 2));
  fs.mkdirSync(dir, { recursive: true });
  const realDir = realpathOrThrow(dir, 'The previews folder');
  if (!isInside(root, realDir)) outside('The previews folder', dir, realDir, root);
  const file = path.join(realDir, `${hash}.png`);
  if (fs.existsSync(file)) return resolveInProject(root, path.relative(root, file), 'The preview');
  return file;
}

/** sha256 of a file's bytes (hex) */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Remembers which files were found to hold the bytes recorded at import (keyed by real path,
 * size and modification time), so the asset routes hash each referenced file once per process.
 */
export class ContentCheckCache {
  readonly #ok = new Map<string, string>();

  /** throws 'forbidden' unless `file` holds the bytes whose sha256 is `hash` */
  async verify(file: string, hash: string, what: string): Promise<void> {
    const st = await fs.promises.stat(file);
    const key = `${file}\0${st.size}\0${st.mtimeMs}`;
    if (this.#ok.get(key) === hash) return;
    const actual = await sha256File(file);
    if (actual !== hash) throw contentMismatch(what, file);
    if (this.#ok.size > 10_000) this.#ok.clear();
    this.#ok.set(key, hash);
  }
}

export function contentMismatch(what: string, file: string): AppError {
  return new AppError('forbidden', `${what} (${file}) does not hold the bytes recorded when it was imported (content hash differs); it was changed or the project points at another file. Refused.`);
}
