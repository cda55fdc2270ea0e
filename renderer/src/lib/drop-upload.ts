/**
 * Drag and drop of image files and folders onto the grid: the dropped items are walked (folders
 * included), the image files sent to the host in batches (imports.upload stages them in the
 * project), and one import job copies them into images/ — so the person gets the same progress
 * and report as from the Import dialog.
 */
import type { MaskwrightClient } from '../../../core/api/client';

/** what the importer reads (core/imaging/formats SUPPORTED_EXTENSIONS) */
export const DROP_IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'tif', 'tiff', 'webp', 'bmp'];
/** raw bytes per imports.upload call (base64 on the wire: ~4/3 of it, far below the host's limit) */
export const UPLOAD_BATCH_BYTES = 48 * 1024 * 1024;

export interface DroppedFile {
  /** relative name: folder/sub/file.png for files inside a dropped folder */
  name: string;
  file: File;
}

export function isImageName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && DROP_IMAGE_EXTENSIONS.includes(name.slice(dot + 1).toLowerCase());
}

/** a name safe for imports.upload: segments without / \ : NUL, ., .. */
export function safeRelativeName(name: string): string {
  const segs = name
    .split(/[\\/]+/)
    .map((s) => s.replace(/[\0:]/g, '_'))
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .map((s) => s.slice(0, 255));
  return segs.join('/') || 'file';
}

/** batches of files no bigger than maxBytes each (a single larger file is a batch of its own) */
export function batchBySize<T extends { size: number }>(items: T[], maxBytes: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    if (cur.length && bytes + it.size > maxBytes) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += it.size;
  }
  if (cur.length) out.push(cur);
  return out;
}

interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
  file?: (ok: (f: File) => void, fail: (e: unknown) => void) => void;
  createReader?: () => { readEntries: (ok: (e: EntryLike[]) => void, fail: (e: unknown) => void) => void };
}

async function walk(entry: EntryLike, prefix: string, out: DroppedFile[], skipped: string[]): Promise<void> {
  if (entry.isFile && entry.file) {
    const name = prefix + entry.name;
    if (!isImageName(entry.name)) {
      skipped.push(name);
      return;
    }
    const f = await new Promise<File>((ok, fail) => entry.file!(ok, fail));
    out.push({ name, file: f });
  } else if (entry.isDirectory && entry.createReader) {
    if (entry.name.startsWith('.')) return; // hidden folders, as the importer
    const reader = entry.createReader();
    for (;;) {
      // readEntries answers in chunks (about 100) until an empty one
      const chunk = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
      if (!chunk.length) break;
      for (const c of chunk) await walk(c, `${prefix}${entry.name}/`, out, skipped);
    }
  }
}

/** the image files of a drop (folders walked); names of other files are returned as skipped */
export async function collectDropped(dt: DataTransfer): Promise<{ files: DroppedFile[]; skipped: string[] }> {
  const files: DroppedFile[] = [];
  const skipped: string[] = [];
  const entries: EntryLike[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    const e = (item as DataTransferItem & { webkitGetAsEntry?: () => EntryLike | null }).webkitGetAsEntry?.();
    if (e) entries.push(e);
  }
  if (entries.length) for (const e of entries) await walk(e, '', files, skipped);
  else {
    for (const f of Array.from(dt.files ?? [])) {
      if (isImageName(f.name)) files.push({ name: f.name, file: f });
      else skipped.push(f.name);
    }
  }
  return { files, skipped };
}

/** sends the files to the project's staging folder; returns the folder to import */
export async function uploadDropped(
  client: MaskwrightClient,
  projectId: string,
  files: DroppedFile[],
  onprogress?: (sent: number, total: number) => void,
): Promise<string> {
  let uploadId: string | undefined;
  let dir = '';
  let sent = 0;
  const used = new Set<string>();
  const named = files.map((f) => {
    // two dropped files may share a name (from different folders dropped together)
    let name = safeRelativeName(f.name);
    for (let i = 2; used.has(name); i++) name = safeRelativeName(f.name).replace(/(\.[^./]+)?$/, (ext) => ` (${i})${ext}`);
    used.add(name);
    return { name, file: f.file, size: f.file.size };
  });
  for (const batch of batchBySize(named, UPLOAD_BATCH_BYTES)) {
    const payload = await Promise.all(batch.map(async (b) => ({ name: b.name, bytes: new Uint8Array(await b.file.arrayBuffer()) })));
    const r = await client.imports.upload(projectId, { ...(uploadId ? { uploadId } : {}), files: payload });
    uploadId = r.uploadId;
    dir = r.dir;
    sent += batch.length;
    onprogress?.(sent, named.length);
  }
  return dir;
}
