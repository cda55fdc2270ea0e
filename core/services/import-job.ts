import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { Emit } from '../api/events';
import type { ImportOptions, ImportReport, ImportSkip, SkipReason } from '../api/types';
import { DEFAULT_MAX_PIXELS, isSupportedExtension, probeImage, writeThumbnail } from '../imaging';
import type { ProjectStore } from '../store/project-store';
import { copyFileAtomic } from './atomic-write';

const THUMB_SIZE_PX = 256;
const PROGRESS_INTERVAL_MS = 100;

const REASON_BY_CODE: Partial<Record<AppError['code'], SkipReason>> = {
  'unsupported-format': 'unsupported',
  'corrupt-image': 'corrupt',
  'truncated-image': 'truncated',
  'empty-file': 'empty',
  'too-large': 'too-large',
  'not-found': 'not-found',
  io: 'unreadable',
};

/** Where derived files of an image live inside the project folder (sharded by hash). */
export function thumbRelPath(hash: string): string {
  return path.join('thumbs', hash.slice(0, 2), `${hash}.webp`);
}

/**
 * Imports files and folders into a project: probe (full decode), dedupe by
 * content hash, optional copy, thumbnail, then one row per image. A row is
 * written only after its thumbnail (and copy) exist, so a killed import leaves
 * at most unreferenced derived files, never a row pointing at nothing.
 */
export class ImportJob {
  readonly id = randomUUID();
  private cancelled = false;
  private result: ImportReport | null = null;

  constructor(
    private readonly store: ProjectStore,
    private readonly opts: ImportOptions,
    private readonly emit: Emit,
    private readonly concurrency = 2,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }

  get report(): ImportReport | null {
    return this.result;
  }

  async run(): Promise<ImportReport> {
    const t0 = performance.now();
    const skipped: ImportSkip[] = [];
    const { files, problems } = await collectFiles(this.opts.paths, this.opts.recursive ?? true);
    skipped.push(...problems);
    const total = files.length;
    let done = 0;
    let imported = 0;
    let lastEmit = 0;
    const seen = new Map<string, string>(); // hash -> first path in this job
    const maxPixels = this.opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    const mode = this.opts.mode ?? 'reference';

    const progress = (currentPath: string | null, force = false) => {
      const now = performance.now();
      if (!force && now - lastEmit < PROGRESS_INTERVAL_MS) return;
      lastEmit = now;
      this.emit('imports.onDidProgress', {
        jobId: this.id,
        projectId: this.store.id,
        done,
        total,
        imported,
        skipped: skipped.length,
        currentPath,
      });
    };
    progress(null, true);

    const importOne = async (file: string): Promise<void> => {
      try {
        const probe = await probeImage(file, { maxPixels });
        const existing = this.store.images.findByHash(probe.hash);
        const firstInJob = seen.get(probe.hash);
        if (existing || firstInJob) {
          skipped.push({
            path: file,
            reason: 'duplicate',
            message: `Same content as ${existing ? `${existing.fileName} (already in the project)` : path.basename(firstInJob!)}`,
          });
          return;
        }
        seen.set(probe.hash, file);
        const thumbRel = thumbRelPath(probe.hash);
        await writeThumbnail(file, path.join(this.store.dir, thumbRel), { sizePx: THUMB_SIZE_PX });
        let storedPath = mode === 'reference' ? await fs.promises.realpath(file) : file; // containment is checked against the real folder
        if (mode === 'copy') {
          const rel = path.join('images', `${probe.hash.slice(0, 12)}-${path.basename(file)}`);
          await copyFileAtomic(file, path.join(this.store.dir, rel));
          storedPath = rel;
        }
        this.store.images.insert({
          fileName: path.basename(file),
          path: storedPath,
          storage: mode,
          hash: probe.hash,
          sizeBytes: probe.sizeBytes,
          format: probe.format,
          width: probe.width,
          height: probe.height,
          bitDepth: probe.bitDepth,
          channels: probe.channels,
          orientation: probe.orientation,
          thumbPath: thumbRel,
        });
        imported++;
      } catch (err) {
        const e = AppError.from(err);
        skipped.push({ path: file, reason: REASON_BY_CODE[e.code] ?? 'unreadable', message: e.message });
      } finally {
        done++;
        progress(file);
      }
    };

    // a small worker pool: sharp decodes on libuv's threads, so 2 in flight keeps both cores busy
    let next = 0;
    const worker = async () => {
      while (!this.cancelled && next < files.length) {
        const file = files[next++]!;
        await importOne(file);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.concurrency) }, worker));

    this.result = {
      jobId: this.id,
      projectId: this.store.id,
      imported,
      scanned: total + problems.length,
      skipped,
      cancelled: this.cancelled,
      durationMs: Math.round(performance.now() - t0),
    };
    progress(null, true);
    this.emit('imports.onDidFinish', this.result);
    return this.result;
  }
}

/**
 * Expands the given paths into image files (sorted, deduplicated). Folders are
 * walked (recursively by default); hidden entries are ignored; non-image files
 * inside folders are reported as unsupported, as are explicitly named ones.
 */
export async function collectFiles(paths: readonly string[], recursive: boolean): Promise<{ files: string[]; problems: ImportSkip[] }> {
  const files = new Set<string>();
  const problems: ImportSkip[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ path: dir, reason: 'unreadable', message: `Cannot read the folder: ${(err as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (recursive) await walk(p, depth + 1);
      } else if (e.isFile() || e.isSymbolicLink()) {
        if (isSupportedExtension(p)) files.add(p);
        else problems.push({ path: p, reason: 'unsupported', message: `${e.name} is not an image Maskwright reads (PNG, JPEG, TIFF, WebP, BMP).` });
      }
    }
  };
  for (const raw of paths) {
    const p = path.resolve(raw);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(p);
    } catch {
      problems.push({ path: p, reason: 'not-found', message: `${p} does not exist.` });
      continue;
    }
    if (st.isDirectory()) await walk(p, 0);
    else files.add(p); // explicitly named files are always tried, whatever the extension
  }
  return { files: [...files], problems };
}
