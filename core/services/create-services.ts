import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AssetKind } from '../api/client';
import type { ServiceImpl } from '../api/contract';
import { AppError } from '../api/errors';
import type { Emit } from '../api/events';
import type { AppInfo, ComputeInfo, ImportReport } from '../api/types';
import { renderPreview } from '../imaging';
import { hexRgb, maskPreviewDataUrl } from '../imaging/mask-preview';
import { LabelMap, checkLabelMapBlob } from '../mask/label-map';
import { checkProject, type ProjectCheckReport } from '../store/project-check';
import { ProjectStore } from '../store/project-store';
import { ContentCheckCache, previewFile, resolveImageFile, resolveInProject } from '../store/project-paths';
import { writeFileAtomic } from './atomic-write';
import { createDatasetService } from './dataset-service';
import { defaultPlaces, listDirectory } from './file-browser';
import { ImportJob } from './import-job';
import { JobRegistry } from './job-registry';
import { createLiveServices } from './live-service';
import { createModelServices, versionInfo } from './model-service';
import { ProjectRegistry } from './project-registry';
import { RecentProjects } from './recent-projects';

export interface ServiceDeps {
  /** app-level folder: recent projects, settings */
  dataDir: string;
  mode: AppInfo['mode'];
  version: string;
  emit: Emit;
  /** a native folder picker, where the host has one (Electron) */
  pickDirectory?: (title?: string) => Promise<string | null>;
  /** browser mode: serve the in-page folder/file browser (app.listDirectory) */
  browseFiles?: boolean;
}

/** where imports.upload stages dropped files inside a project (removed when their import ends) */
export const UPLOADS_DIR = '.uploads';

export interface Asset {
  /** absolute file to send */
  file: string;
  contentType: string;
}

export interface AppServices {
  impl: ServiceImpl;
  registry: ProjectRegistry;
  /** resolves thumbnails and display images for the asset routes of both transports */
  resolveAsset(kind: AssetKind, projectId: string, imageId: number): Promise<Asset>;
  /**
   * `maskwright check`: opens the project read-only (damaged or not, never writing), runs the full
   * integrity check and the consistency checks, closes it.
   */
  checkProject(dir: string): ProjectCheckReport;
  /** waits for running import jobs (tests, CLI) */
  waitForImport(jobId: string): Promise<ImportReport>;
  /** waits for a training or pre-label job (tests, CLI) */
  waitForJob(jobId: string): Promise<void>;
  dispose(): void;
}

/** staging folders of uploads whose import never ran (a closed tab, a crash): gone after a day */
function sweepStaleUploads(projectDir: string, maxAgeMs = 24 * 60 * 60 * 1000): void {
  const root = path.join(projectDir, UPLOADS_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const n of names) {
    const p = path.join(root, n);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > maxAgeMs) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* in use or gone: the next upload tries again */
    }
  }
}

function isStagedUpload(projectDir: string, p: string): boolean {
  const rel = path.relative(path.join(projectDir, UPLOADS_DIR), p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.includes(path.sep);
}

const BROWSER_NATIVE = new Set(['png', 'jpeg', 'webp']);
const PREVIEW_MAX_PX = 4096;

/** Builds every service of the contract over the store, imaging and jobs. One per process. */
export function createServices(deps: ServiceDeps): AppServices {
  const recent = new RecentProjects(deps.dataDir);
  const registry = new ProjectRegistry(recent);
  const jobs = new JobRegistry();
  let compute: Promise<ComputeInfo> | undefined;
  const contentChecks = new ContentCheckCache();

  const notifyProject = (projectId: string) => {
    try {
      deps.emit('projects.onDidChange', registry.info(registry.get(projectId)));
    } catch {
      // the project was closed meanwhile
    }
  };

  const modelServices = createModelServices(registry, deps.emit, notifyProject, jobs);
  const liveServices = createLiveServices(registry, deps.emit, notifyProject, versionInfo);

  const impl: ServiceImpl = {
    app: {
      info: () => ({
        version: deps.version,
        mode: deps.mode,
        platform: process.platform,
        dataDir: deps.dataDir,
        canPickDirectory: !!deps.pickDirectory,
        canBrowseFiles: !!deps.browseFiles,
      }),
      compute: () => (compute ??= detectCompute()),
      pickDirectory: async ({ title }) => {
        if (!deps.pickDirectory) throw new AppError('not-available', 'Folder dialogs exist only in the desktop app; type the path instead.');
        return deps.pickDirectory(title);
      },
      listDirectory: (req) => {
        if (!deps.browseFiles) throw new AppError('not-available', 'The in-page file browser exists only in browser mode; the desktop app uses the system dialogs.');
        return listDirectory(req, defaultPlaces(recent.list().map((r) => r.dir)));
      },
    },
    projects: {
      listRecent: () => recent.list(),
      create: ({ dir, name, classes }) => registry.info(registry.create(dir, name, classes)),
      open: ({ dir }) => registry.info(registry.openDir(dir)),
      get: (id) => registry.info(registry.get(id)),
      close: async (id) => {
        await liveServices.closeProject(id);
        registry.close(id);
      },
      forgetRecent: (dir) => recent.forget(dir),
    },
    classes: {
      list: (pid) => registry.get(pid).classes.list(),
      create: (pid, { name, color }) => {
        const c = registry.get(pid).classes.create(name, color);
        notifyProject(pid);
        return c;
      },
      update: (pid, id, patch) => {
        const c = registry.get(pid).classes.update(id, patch);
        notifyProject(pid);
        return c;
      },
      reorder: (pid, ids) => {
        const list = registry.get(pid).classes.reorder(ids);
        notifyProject(pid);
        return list;
      },
    },
    images: {
      list: (pid, q) => {
        // each row says whether it has a mask (and its version) and its latest proposal: the grid marks both
        const store = registry.get(pid);
        const page = store.images.list(q);
        const sums = store.images.labelSummaries(page.items.map((r) => r.id));
        return {
          ...page,
          items: page.items.map((r) => {
            const s = sums.get(r.id);
            const p = s?.proposal;
            return { ...r, maskVersion: s?.maskVersion ?? null, proposal: p ? { modelVersionId: p.modelVersionId, state: p.state as 'proposed' } : null };
          }),
        };
      },
      maskPreviews: async (pid, ids, size) => {
        const store = registry.get(pid);
        const colours = new Map(store.classes.list().map((c) => [c.id, c.hidden ? null : hexRgb(c.color)]));
        const out = [];
        for (const id of ids) {
          const m = store.annotations.get(id);
          if (!m) continue;
          let dataUrl: string | null = null;
          try {
            const map = LabelMap.decode(m.labelMap);
            dataUrl = await maskPreviewDataUrl(map, (inst) => colours.get(map.getInstance(inst)?.classId ?? -1) ?? null, size);
          } catch {
            dataUrl = null; // a mask that does not decode shows no overlay (the editor reports it)
          }
          out.push({ imageId: id, maskVersion: m.version, dataUrl });
        }
        return out;
      },
      get: (pid, id) => {
        const row = registry.get(pid).images.get(id);
        if (!row) throw new AppError('not-found', `Image ${id} is not in this project.`);
        return row;
      },
      queue: (pid, { order, limit, excludeIds }) => registry.get(pid).images.queue(order, limit ?? 1, excludeIds ?? []),
      setStatus: (pid, ids, status) => {
        const store = registry.get(pid);
        const n = store.transaction(() => {
          const changed = store.images.setStatus(ids, status);
          // finishing or reviewing an image keeps a snapshot of its mask
          if (status === 'done' || status === 'reviewed') for (const id of ids) store.annotations.snapshot(id, 'human', `status:${status}`);
          return changed;
        });
        // proposal-vs-final scores and the automatic fine-tune (after the transaction: never inside it)
        if (status === 'done' || status === 'reviewed') {
          modelServices.afterImagesFinished(pid, ids);
          liveServices.afterImagesFinished(pid, ids);
        }
        notifyProject(pid);
        return n;
      },
    },
    masks: {
      load: (pid, iid) => {
        const store = registry.get(pid);
        if (!store.images.get(iid)) throw new AppError('not-found', `Image ${iid} is not in this project.`);
        const m = store.annotations.get(iid);
        return {
          labelMap: m?.labelMap ?? null,
          version: m?.version ?? 0,
          timeSpentMs: m?.timeSpentMs ?? 0,
          editCount: m?.editCount ?? 0,
          history: store.annotations.loadHistory(iid),
        };
      },
      save: (pid, iid, req) => {
        const store = registry.get(pid);
        const row = store.images.get(iid);
        if (!row) throw new AppError('not-found', `Image ${iid} is not in this project.`);
        checkLabelMap(req.labelMap, row.width, row.height);
        // mask, history step and status change are one transaction: a crash keeps all or none
        const version = store.transaction(() => {
          const v = store.annotations.save(iid, req.labelMap, {
            expectedVersion: req.expectedVersion,
            addTimeMs: req.addTimeMs ?? 0,
            addEdits: req.addEdits ?? 0,
          });
          const h = req.history;
          if (h?.op === 'push') store.annotations.pushUndo(iid, h.entry);
          else if (h?.op === 'undo') store.annotations.moveTop(iid, 'undo');
          else if (h?.op === 'redo') store.annotations.moveTop(iid, 'redo');
          if (row.status === 'unlabeled') store.images.setStatus([iid], 'in_progress');
          return v;
        });
        if (row.status === 'unlabeled') notifyProject(pid);
        return { version };
      },
    },
    datasets: createDatasetService(registry, deps.emit, notifyProject, jobs),
    models: modelServices.models,
    training: modelServices.training,
    predictions: modelServices.predictions,
    live: liveServices.live,
    imports: {
      start: (pid, opts) => {
        const store = registry.get(pid);
        const job = new ImportJob(store, opts, (name, payload) => {
          deps.emit(name, payload);
          if (name === 'imports.onDidFinish') notifyProject(pid);
        });
        const { done } = jobs.start(
          'import',
          pid,
          (signal) => {
            signal.addEventListener('abort', () => job.cancel(), { once: true });
            return job.run();
          },
          job.id,
        );
        // files dropped on the page were staged by imports.upload: gone once copied (or skipped)
        const staged = opts.paths.filter((p) => isStagedUpload(store.dir, p));
        const cleanUp = () => {
          for (const p of staged) fs.rmSync(p, { recursive: true, force: true });
        };
        done.then(cleanUp, cleanUp);
        return { jobId: job.id };
      },
      upload: async (pid, { uploadId, files }) => {
        const store = registry.get(pid);
        if (!uploadId) sweepStaleUploads(store.dir);
        const id = uploadId ?? randomUUID();
        const dir = path.join(store.dir, UPLOADS_DIR, id);
        for (const f of files) {
          const file = path.resolve(dir, ...f.name.split('/'));
          if (!file.startsWith(dir + path.sep)) throw new AppError('invalid-argument', `Bad file name ${JSON.stringify(f.name)}.`);
          await fs.promises.mkdir(path.dirname(file), { recursive: true });
          await fs.promises.writeFile(file, f.bytes, { flag: 'wx' }).catch((e: unknown) => {
            if ((e as { code?: string }).code === 'EEXIST') throw new AppError('already-exists', `${f.name} was sent twice in one upload.`);
            throw e;
          });
        }
        return { uploadId: id, dir, files: files.length };
      },
      cancel: (jobId) => jobs.cancel(jobId, 'import'),
      report: (jobId) => jobs.result<ImportReport>(jobId, 'import') ?? null,
    },
    jobs: {
      list: (pid) => {
        registry.get(pid);
        return jobs.list(pid);
      },
    },
  };

  return {
    impl,
    registry,
    async resolveAsset(kind, projectId, imageId) {
      const store = registry.get(projectId);
      const row = store.images.get(imageId);
      if (!row) throw new AppError('not-found', `Image ${imageId} is not in this project.`);
      // every file goes through core/store/project-paths: nothing outside the project (or a referenced image's folder)
      if (kind === 'thumb') {
        const rel = store.images.thumbnailRelPath(imageId);
        if (!rel) throw new AppError('not-found', `No thumbnail for ${row.fileName}.`);
        return { file: resolveInProject(store.dir, rel, `The thumbnail of "${row.fileName}"`), contentType: 'image/webp' };
      }
      const file = resolveImageFile(store.dir, row);
      if (row.storage === 'reference') await contentChecks.verify(file, row.hash, `The image file "${row.fileName}"`);
      // originals the browser can show as they are; everything else (TIFF, BMP, 16-bit) gets a cached preview
      if (BROWSER_NATIVE.has(row.format) && row.bitDepth === 8 && Math.max(row.width, row.height) <= PREVIEW_MAX_PX) {
        return { file, contentType: `image/${row.format}` };
      }
      const cached = previewFile(store.dir, row.hash);
      if (!fs.existsSync(cached)) writeFileAtomic(cached, await renderPreview(file, PREVIEW_MAX_PX));
      return { file: cached, contentType: 'image/png' };
    },
    checkProject(dir) {
      const store = ProjectStore.open(dir, { allowDamaged: true, readOnly: true });
      try {
        return checkProject(store);
      } finally {
        store.close();
      }
    },
    async waitForImport(jobId) {
      if (!jobs.isRunning(jobId)) jobs.result(jobId, 'import'); // unknown ids are not-found
      await jobs.wait(jobId);
      return jobs.result<ImportReport>(jobId, 'import')!;
    },
    waitForJob: (jobId) => jobs.wait(jobId),
    dispose() {
      jobs.cancelAll();
      void liveServices.disposeAll();
      modelServices.cancelAll();
      registry.closeAll();
    },
  };
}

/** A mask blob must decode and match the image size before it is stored. */
function checkLabelMap(blob: Uint8Array, width: number, height: number): void {
  let map: { width: number; height: number };
  try {
    map = checkLabelMapBlob(blob); // full check without allocating the pixel map
  } catch (err) {
    throw new AppError('invalid-argument', `The mask could not be decoded: ${(err as Error).message}`);
  }
  if (map.width !== width || map.height !== height) {
    throw new AppError('invalid-argument', `The mask is ${map.width}x${map.height} but the image is ${width}x${height}.`);
  }
}

/** Picks the backend the way training and inference will (core/ml/backend.ts), for display. */
async function detectCompute(): Promise<ComputeInfo> {
  const { selectBackend } = await import('../ml/backend');
  try {
    const r = await selectBackend();
    return { name: r.name, kind: r.kind, summary: r.summary, tried: r.tried, ...(r.threads ? { threads: r.threads } : {}), notes: r.notes };
  } catch (err) {
    throw new AppError('not-available', `No compute backend could start: ${(err as Error).message}`);
  }
}
