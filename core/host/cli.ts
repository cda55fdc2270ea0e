/**
 * Composition root of the `maskwright` command line. Each command builds the
 * services it needs in-process; exit status from ./exit-codes (0 ok, 1 failed,
 * 2 usage, 3 partial, 4 damaged project).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../api/errors';
import { EventHub } from '../api/events';
import { DEFAULT_TRAIN_BUDGET_S, EXPORT_FORMAT_NAMES, EXPORT_META_FILE, IMAGE_STATUSES, IMPORT_FORMAT_NAMES } from '../api/types';
import type {
  DatasetExportFormat,
  DatasetExportOptions,
  DatasetImportFormat,
  ImageStatus,
  PrelabelFinishEvent,
  PrelabelProgressEvent,
  TrainingFinishEvent,
  TrainingProgressEvent,
} from '../api/types';
import { acceptLatestProposals, hasHumanMask } from '../services/accept-proposals';
import { createServices } from '../services/create-services';
import { trainLiveProject } from '../services/live-service';
import { IMAGE_SORTS, labelStates, modelVersionsText, trainResult, valIouText, labelStateText, parseIgnoreValue, parseStatus, parseValueMap, sortImages, valueLines, type ImageSort } from './cli-labels';
import { APP_VERSION, defaultDataDir } from './data-dir';
import { nothingExportedHint } from './export-hint';
import { EXIT } from './exit-codes';
import { termSafe } from './term-safe';
import { ProgressBar } from './progress-bar';
import { serve } from './serve';

class UsageError extends Error {}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

const COMMON_HELP = { help: { type: 'boolean', short: 'h' } } as const;

function services() {
  const hub = new EventHub();
  const s = createServices({ dataDir: defaultDataDir(), mode: 'cli', version: APP_VERSION, emit: hub.emit });
  return { ...s, hub };
}

/** `train --kind live`: the live forest from the project's labelled masks (core/services/live-service.ts) */
async function trainLive(dir: string, name: string | undefined, json: boolean): Promise<number> {
  const s = services();
  try {
    const project = await s.impl.projects.open({ dir: path.resolve(dir) });
    const bar = new ProgressBar('Live forest');
    const r = await trainLiveProject(s.registry.get(project.id), { ...(name ? { name } : {}), onImage: (done, total) => bar.update(done, total, `features of image ${done}/${total}`) });
    bar.finish();
    for (const k of r.skipped) console.error(`  skipped ${termSafe(k)}`);
    if (json) console.log(JSON.stringify({ ok: true, kind: 'live', versionId: r.versionId, activated: r.activated, activation: r.activation, trainImages: r.trainImages, samples: r.samples, trainMs: r.trainMs, val: r.val, skipped: r.skipped }, null, 2));
    else console.log(`Trained live version ${r.versionId} on ${r.trainImages} image${r.trainImages === 1 ? '' : 's'} (${r.samples} pixels, ${(r.trainMs / 1000).toFixed(1)} s): ${r.activation}; ${valIouText(r.val)}`);
    return r.skipped.length ? EXIT.PARTIAL : EXIT.OK;
  } finally {
    s.dispose();
  }
}

const commands: Record<string, Command> = {
  init: {
    summary: 'create a project in a folder',
    usage: `maskwright init <project-dir> [--name NAME] [--classes a,b,c]

Creates <project-dir>/project.sqlite (the folder is created if missing).
  --name NAME        project name (default: the folder name)
  --classes LIST     comma-separated label class names`,
    options: { ...COMMON_HELP, name: { type: 'string' }, classes: { type: 'string' } },
    async run(v, pos) {
      const dir = pos[0];
      if (!dir || pos.length > 1) throw new UsageError('init takes exactly one project folder');
      const s = services();
      try {
        const classes = typeof v.classes === 'string' ? v.classes.split(',').map((n) => n.trim()).filter(Boolean).map((name) => ({ name })) : undefined;
        const info = s.impl.projects.create({
          dir: path.resolve(dir),
          name: typeof v.name === 'string' ? v.name : path.basename(path.resolve(dir)),
          ...(classes ? { classes } : {}),
        });
        const p = await info;
        console.log(`Created project "${p.name}" in ${p.dir} (${p.classes.length} classes)`);
        return 0;
      } finally {
        s.dispose();
      }
    },
  },
  import: {
    summary: 'import images (files or folders) into a project',
    usage: `maskwright import <project-dir> <path>... [--copy] [--no-recursive] [--max-pixels N] [--strict] [--json]

Imports PNG, JPEG, TIFF (8/16-bit), WebP and BMP files. Duplicates (same bytes)
are skipped; each skipped file is listed with the reason.
  --copy             copy files into the project (default: reference them in place)
  --no-recursive     do not descend into sub-folders
  --max-pixels N     skip images with more pixels than N (default 400000000)
  --strict           exit 1 when any file was skipped (other than a duplicate); the
                     good files are imported either way
  --json             print the report as JSON on stdout
Exit status: 0 all imported (duplicates skipped), 3 some files were skipped.`,
    options: {
      ...COMMON_HELP,
      copy: { type: 'boolean' },
      strict: { type: 'boolean' },
      'no-recursive': { type: 'boolean' },
      'max-pixels': { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(v, pos) {
      const [dir, ...paths] = pos;
      if (!dir || paths.length === 0) throw new UsageError('import needs a project folder and at least one path');
      const maxPixels = v['max-pixels'] === undefined ? undefined : Number(v['max-pixels']);
      if (maxPixels !== undefined && (!Number.isInteger(maxPixels) || maxPixels <= 0)) throw new UsageError('--max-pixels must be a positive whole number');
      const s = services();
      try {
        const project = await s.impl.projects.open({ dir: path.resolve(dir) });
        const bar = new ProgressBar('Importing');
        const off = s.hub.subscribe((e) => {
          if (e.name === 'imports.onDidProgress') {
            const p = e.payload as { done: number; total: number; currentPath: string | null };
            bar.update(p.done, p.total, p.currentPath ? path.basename(p.currentPath) : '');
          }
        });
        const { jobId } = await s.impl.imports.start(project.id, {
          paths: paths.map((p) => path.resolve(p)),
          recursive: !v['no-recursive'],
          mode: v.copy ? 'copy' : 'reference',
          ...(maxPixels ? { maxPixels } : {}),
        });
        const report = await s.waitForImport(jobId);
        off();
        bar.finish();
        if (v.json) {
          console.log(JSON.stringify(report, null, 2));
        } else {
          console.log(`Imported ${report.imported} of ${report.scanned} files in ${(report.durationMs / 1000).toFixed(1)} s; skipped ${report.skipped.length}.`);
          for (const sk of report.skipped) console.log(`  skipped  ${sk.reason.padEnd(10)} ${termSafe(sk.path)}: ${termSafe(sk.message)}`);
        }
        const skipped = report.skipped.filter((sk) => sk.reason !== 'duplicate').length;
        return report.cancelled ? EXIT.FAILED : skipped === 0 ? EXIT.OK : v.strict ? EXIT.FAILED : EXIT.PARTIAL;
      } finally {
        s.dispose();
      }
    },
  },
  ls: {
    summary: 'list the images of a project',
    usage: `maskwright ls <project-dir> [--status STATUS] [--search TEXT] [--sort name|added] [--limit N] [--json]

  --status STATUS    one of ${IMAGE_STATUSES.join(', ')}
  --search TEXT      file name contains TEXT
  --sort S           name (default: natural file-name order, 2.png before 10.png) | added
  --limit N          at most N rows (default 100; 0 = all)
  --json             JSON output`,
    options: { ...COMMON_HELP, status: { type: 'string' }, search: { type: 'string' }, sort: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    async run(v, pos) {
      const dir = pos[0];
      if (!dir || pos.length > 1) throw new UsageError('ls takes exactly one project folder');
      if (v.status !== undefined && !(IMAGE_STATUSES as readonly string[]).includes(v.status as string)) {
        throw new UsageError(`--status must be one of ${IMAGE_STATUSES.join(', ')}`);
      }
      const limit = v.limit === undefined ? 100 : Number(v.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit must be a whole number >= 0');
      const sort = (v.sort ?? 'name') as ImageSort;
      if (!IMAGE_SORTS.includes(sort)) throw new UsageError(`--sort must be one of ${IMAGE_SORTS.join(', ')}`);
      const s = services();
      try {
        const project = await s.impl.projects.open({ dir: path.resolve(dir) });
        const q = { ...(v.status ? { status: v.status as ImageStatus } : {}), ...(typeof v.search === 'string' ? { search: v.search } : {}) };
        let items = [];
        let total = 0;
        // natural name order is applied here, over all matching rows, then cut to --limit
        const cap = sort === 'name' ? 0 : limit;
        for (let offset = 0; ; ) {
          const want = cap === 0 ? 5000 : Math.min(5000, cap - items.length);
          if (want <= 0) break;
          const page = await s.impl.images.list(project.id, { ...q, offset, limit: want });
          total = page.total;
          items.push(...page.items);
          offset += page.items.length;
          if (page.items.length < want || offset >= total) break;
        }
        items = sortImages(items, sort);
        if (limit > 0) items = items.slice(0, limit);
        const states = labelStates(s.registry.get(project.id), items.map((r) => r.id));
        if (v.json) {
          const rows = items.map((r) => ({ ...r, ...states.get(r.id)! }));
          console.log(JSON.stringify({ project: { id: project.id, name: project.name, dir: project.dir }, total, items: rows }, null, 2));
        } else {
          console.log(`${termSafe(project.name)}: ${project.imageCount} images (${Object.entries(project.statusCounts).map(([k, n]) => `${n} ${k}`).join(', ')})`);
          for (const r of items) {
            console.log(`${String(r.id).padStart(6)}  ${r.status.padEnd(11)} ${labelStateText(states.get(r.id))} ${`${r.width}x${r.height}`.padEnd(11)} ${String(r.bitDepth).padStart(2)}-bit ${r.channels}ch  ${termSafe(r.fileName)}`);
          }
          if (items.length < total) console.log(`… ${total - items.length} more (use --limit 0 for all)`);
        }
        return 0;
      } finally {
        s.dispose();
      }
    },
  },
  export: {
    summary: 'export the masks as a dataset (COCO, VOC, YOLO-seg, LabelMe, index masks)',
    usage: `maskwright export <project-dir> <out-dir> --format FORMAT [options]

Writes to a temporary folder and renames it into place on success: a failed or
cancelled export leaves nothing half-written.
  --format F           ${EXPORT_FORMAT_NAMES.join(' | ')}
  --source S           masks (default: your masks) | predictions (each image's latest model
                       proposal instead; the model versions go to ${EXPORT_META_FILE})
  --split T,V[,S]      train/val/test fractions (e.g. 0.8,0.1,0.1); with --seed N (default 0)
  --status LIST        only images with these statuses (e.g. done,reviewed)
  --images MODE        copy | link | none (default copy)
  --coco-encoding E    auto | polygon | rle (default auto: RLE only where a polygon would lose pixels)
  --voc-layout L       flat | vocdevkit (default flat; vocdevkit: VOCdevkit/VOC2012/..., torchvision's root)
  --index-bits 8|16    bit depth of index-mask PNGs
  --include-unannotated  also export images without a mask (as empty)
  --overwrite          replace an existing non-empty out-dir
  --strict             write nothing (exit 1) if any image or instance would be left out
  --json               print the report as JSON
Exit status: 0 everything selected was exported, 3 some images or instances were left out
(the report says which and why).`,
    options: {
      ...COMMON_HELP,
      format: { type: 'string' },
      source: { type: 'string' },
      split: { type: 'string' },
      seed: { type: 'string' },
      status: { type: 'string' },
      images: { type: 'string' },
      'coco-encoding': { type: 'string' },
      'voc-layout': { type: 'string' },
      'index-bits': { type: 'string' },
      'include-unannotated': { type: 'boolean' },
      overwrite: { type: 'boolean' },
      strict: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    async run(v, pos) {
      const [dir, out] = pos;
      if (!dir || !out || pos.length > 2) throw new UsageError('export needs a project folder and an output folder');
      const format = v.format as DatasetExportFormat;
      if (!(EXPORT_FORMAT_NAMES as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMAT_NAMES.join(', ')}`);
      const opts: DatasetExportOptions = { format, outDir: path.resolve(out) };
      if (v.source !== undefined) {
        if (v.source !== 'masks' && v.source !== 'predictions') throw new UsageError('--source must be masks or predictions');
        opts.source = v.source;
      }
      if (typeof v.split === 'string') {
        const parts = v.split.split(',').map(Number);
        if (parts.length < 2 || parts.length > 3 || parts.some((x) => !Number.isFinite(x) || x < 0)) throw new UsageError('--split takes 2 or 3 non-negative numbers, e.g. 0.8,0.1,0.1');
        const seed = v.seed === undefined ? 0 : Number(v.seed);
        if (!Number.isInteger(seed)) throw new UsageError('--seed must be a whole number');
        opts.split = { train: parts[0]!, val: parts[1]!, ...(parts[2] !== undefined ? { test: parts[2] } : {}), seed };
      }
      if (typeof v.status === 'string') {
        const st = v.status.split(',').map((x) => x.trim());
        const bad = st.find((x) => !(IMAGE_STATUSES as readonly string[]).includes(x));
        if (bad) throw new UsageError(`unknown status '${bad}'`);
        opts.statuses = st as ImageStatus[];
      }
      if (v.images !== undefined) {
        if (!['copy', 'link', 'none'].includes(v.images as string)) throw new UsageError('--images must be copy, link or none');
        opts.images = v.images as 'copy' | 'link' | 'none';
      }
      if (v['coco-encoding'] !== undefined) {
        if (!['auto', 'polygon', 'rle'].includes(v['coco-encoding'] as string)) throw new UsageError('--coco-encoding must be auto, polygon or rle');
        opts.coco = { encoding: v['coco-encoding'] as 'auto' | 'polygon' | 'rle' };
      }
      if (v['voc-layout'] !== undefined) {
        if (v['voc-layout'] !== 'flat' && v['voc-layout'] !== 'vocdevkit') throw new UsageError('--voc-layout must be flat or vocdevkit');
        opts.voc = { layout: v['voc-layout'] };
      }
      if (v['index-bits'] !== undefined) {
        if (v['index-bits'] !== '8' && v['index-bits'] !== '16') throw new UsageError('--index-bits must be 8 or 16');
        opts.indexBitDepth = Number(v['index-bits']) as 8 | 16;
      }
      if (v['include-unannotated']) opts.includeUnannotated = true;
      if (v.overwrite) opts.overwrite = true;
      if (v.strict) opts.strict = true;
      const s = services();
      try {
        const project = await s.impl.projects.open({ dir: path.resolve(dir) });
        const bar = new ProgressBar('Exporting');
        const off = s.hub.subscribe((e) => {
          if (e.name === 'datasets.onDidProgress') {
            const p = e.payload as { done: number; total: number; current: string | null };
            bar.update(p.done, p.total, p.current ?? '');
          }
        });
        const report = await s.impl.datasets.export(project.id, randomUUID(), opts);
        off();
        bar.finish();
        if (v.json) console.log(JSON.stringify(report, null, 2));
        else {
          console.log(`Exported ${report.images} images, ${report.instances} instances (${format}) to ${report.outDir} in ${(report.durationMs / 1000).toFixed(1)} s.`);
          if (report.modelVersions) console.log(`  model proposals, not masks: ${termSafe(modelVersionsText(report.modelVersions))}`);
          for (const [split, n] of Object.entries(report.splits)) console.log(`  ${split.padEnd(6)} ${n.images} images, ${n.instances} instances`);
          if (report.coco) console.log(`  COCO: ${report.coco.polygon} polygons, ${report.coco.rle} RLE`);
          for (const i of report.issues.slice(0, 50)) console.log(`  ${i.action.padEnd(8)} ${termSafe(i.file)}${i.entry ? ` ${termSafe(i.entry)}` : ''}: ${termSafe(i.message)}`);
        }
        if (report.images === 0) {
          // say why nothing was exported (no masks yet, a --status that matches nothing, no images)
          const hint = nothingExportedHint((await s.impl.projects.get(project.id)).statusCounts, opts);
          console.error(hint.message);
          return hint.exit;
        }
        return report.skippedImages > 0 || report.issues.some((i) => i.action === 'skipped') ? EXIT.PARTIAL : EXIT.OK;
      } finally {
        s.dispose();
      }
    },
  },
  'import-annotations': {
    summary: 'import masks from COCO, VOC, YOLO-seg, LabelMe or a mask folder (dry run unless --apply)',
    usage: `maskwright import-annotations <project-dir> <path> --format FORMAT [--apply] [--merge] [--strict] [--json]

Matches dataset images to project images by file name. Without --apply it only
reports what would be written (images matched, annotations per class, problems).
With --apply everything is written in one transaction, or nothing.
  --format F   ${IMPORT_FORMAT_NAMES.join(' | ')}
  --merge      add to masks that images already have (default: replace them)
  --strict     refuse to write anything when any entry had to be skipped
               (also: mask values missing from --values)
  --values MAP mask-folder: mask value -> class, e.g. 255=horse or 0=membrane
               (inverted masks) or 1=road,2=road (several values, one class)
  --ignore V   mask-folder: a value left unlabelled (VOC's 255 border, CamVid's 11)
  --status S   status of the images that get masks: done (default, for a complete
               dataset) | in-progress | keep (leave statuses as they are)`,
    options: {
      ...COMMON_HELP,
      format: { type: 'string' },
      apply: { type: 'boolean' },
      merge: { type: 'boolean' },
      strict: { type: 'boolean' },
      json: { type: 'boolean' },
      values: { type: 'string' },
      ignore: { type: 'string' },
      status: { type: 'string' },
    },
    async run(v, pos) {
      const [dir, src] = pos;
      if (!dir || !src || pos.length > 2) throw new UsageError('import-annotations needs a project folder and a dataset path');
      const format = v.format as DatasetImportFormat;
      if (!(IMPORT_FORMAT_NAMES as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${IMPORT_FORMAT_NAMES.join(', ')}`);
      let valueMap: Record<number, string> | undefined;
      let ignoreValue: number | undefined;
      let status: ImageStatus | null = 'done';
      try {
        if (typeof v.status === 'string') status = v.status === 'keep' ? null : parseStatus(v.status);
        if (typeof v.values === 'string') valueMap = parseValueMap(v.values);
        if (typeof v.ignore === 'string') ignoreValue = parseIgnoreValue(v.ignore);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if ((valueMap || ignoreValue !== undefined) && format !== 'mask-folder') throw new UsageError('--values and --ignore apply to --format mask-folder');
      const s = services();
      try {
        const project = await s.impl.projects.open({ dir: path.resolve(dir) });
        const plan = await s.impl.datasets.planImport(project.id, {
          format,
          path: path.resolve(src),
          existingMasks: v.merge ? 'merge' : 'replace',
          ...(valueMap ? { valueMap } : {}),
          ...(ignoreValue !== undefined ? { ignoreValue } : {}),
        });
        const result = v.apply && plan.ok ? await s.impl.datasets.applyImport(project.id, plan.planId, { strict: !!v.strict }) : null;
        const ids = plan.images.filter((i) => i.instances > 0 || !v.merge).map((i) => i.imageId);
        if (result && status && ids.length > 0) await s.impl.images.setStatus(project.id, ids, status);
        if (v.json) console.log(JSON.stringify({ plan, result }, null, 2));
        else {
          const t = plan.totals;
          console.log(`${v.apply ? 'Import' : 'Dry run'}: ${t.matchedImages} of ${t.datasetImages} dataset images match project images; ${t.instances} instances; ${t.newClasses} new classes; ${t.existingMasks} images already have masks (${plan.existingMasks}).`);
          for (const line of valueLines(plan)) console.log(line);
          for (const c of plan.classes) console.log(`  class ${termSafe(c.sourceName)} -> ${termSafe(c.targetName ?? '(left out)')}: ${c.instances} instances`);
          for (const u of plan.unmatched.slice(0, 20)) console.log(`  unmatched ${termSafe(u.name)} (${u.reason})`);
          for (const i of plan.issues.slice(0, 50)) console.log(`  ${i.action.padEnd(8)} ${termSafe(i.file)}${i.entry ? ` ${termSafe(i.entry)}` : ''}: ${termSafe(i.message)}`);
          if (result) console.log(`Wrote ${result.images} masks, ${result.instances} instances in one transaction${status ? `; ${ids.length} images marked ${status}` : ''}.`);
          else if (v.apply || !plan.ok) console.log('Nothing was written: the dataset has a fatal problem (see above).');
          else console.log('Nothing was written (dry run). Add --apply to import.');
        }
        // a fatal problem fails the dry run too (scripts check a dataset with it before --apply)
        if (!plan.ok) return EXIT.FAILED;
        // applied, but some entries or dataset images were skipped (--strict refused those above, writing nothing)
        return result && (plan.issues.some((i) => i.action === 'skipped') || plan.unmatched.length > 0) ? EXIT.PARTIAL : EXIT.OK;
      } finally {
        s.dispose();
      }
    },
  },
  train: {
    summary: 'train a model on the labeled images (in a worker) and store it as a new version',
    usage: `maskwright train <project-dir> [--kind segmentation|live] [--budget-s N] [--max-steps N] [--fresh] [--interactive] [--name NAME] [--json]

Trains on the images that have masks (a fixed validation split), with progress. The
new version becomes active only if its validation IoU is not worse than the active one's.
  --budget-s N     training time budget in seconds (default ${DEFAULT_TRAIN_BUDGET_S}, as "Train now"
                   in the app; training also ends at the step limit or by early stopping)
  --max-steps N    step limit
  --json           print the result as JSON on stdout (steps, stop reason, best step,
                   validation metrics, backend, time); progress always goes to stderr
  --fresh          start from scratch instead of fine-tuning the active version
  --interactive    train the click-refinement model
  --kind live      train the live pixel classifier instead (a random forest on filter-bank
                   features, seconds on a CPU) from the same images, scored on the same
                   validation images; --budget-s, --max-steps, --fresh, --interactive do not apply`,
    options: {
      ...COMMON_HELP,
      kind: { type: 'string' },
      'budget-s': { type: 'string' },
      'max-steps': { type: 'string' },
      fresh: { type: 'boolean' },
      interactive: { type: 'boolean' },
      name: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(v, pos) {
      const dir = pos[0];
      if (!dir || pos.length > 1) throw new UsageError('train takes exactly one project folder');
      const num = (k: string) => {
        if (v[k] === undefined) return undefined;
        const n = Number(v[k]);
        if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${k} must be a positive number`);
        return n;
      };
      const kind = v.kind ?? 'segmentation';
      if (kind !== 'segmentation' && kind !== 'live') throw new UsageError(`--kind must be segmentation or live (got ${String(kind)})`);
      if (kind === 'live') {
        const clash = ['budget-s', 'max-steps', 'fresh', 'interactive'].find((k) => v[k] !== undefined);
        if (clash) throw new UsageError(`--${clash} does not apply to --kind live`);
        return trainLive(dir, typeof v.name === 'string' ? v.name : undefined, !!v.json);
      }
      const budgetS = num('budget-s') ?? DEFAULT_TRAIN_BUDGET_S;
      const maxSteps = num('max-steps');
      const s = services();
      try {
        const project = await s.impl.projects.open({ dir: path.resolve(dir) });
        const bar = new ProgressBar('Training');
        let finish: TrainingFinishEvent | null = null;
        const off = s.hub.subscribe((e) => {
          if (e.name === 'training.onDidProgress') {
            const p = e.payload as TrainingProgressEvent;
            const frac = p.timeBudgetMs ? Math.max(p.step / p.maxSteps, p.elapsedMs / p.timeBudgetMs) : p.step / p.maxSteps;
            // a time-budgeted run: the time left, not the step limit, says how far it is
            const byTime = p.timeBudgetMs != null && p.elapsedMs / p.timeBudgetMs >= p.step / p.maxSteps;
            const left = byTime ? `${Math.max(0, Math.ceil((p.timeBudgetMs! - p.elapsedMs) / 1000))} s left, ` : '';
            bar.update(Math.round(frac * 1000), 1000, `${left}step ${p.step}${byTime ? '' : `/${p.maxSteps}`} loss ${p.loss.toFixed(4)}${p.val && typeof p.val.meanIou === 'number' ? ` val IoU ${(p.val.meanIou as number).toFixed(3)}` : ''}`);
          } else if (e.name === 'training.onDidFinish') finish = e.payload as TrainingFinishEvent;
        });
        const stop = () => void s.impl.training.cancel(jobId);
        const { jobId } = await s.impl.training.start(project.id, {
          budgetS,
          ...(maxSteps ? { maxSteps: Math.round(maxSteps) } : {}),
          base: v.fresh ? 'fresh' : 'active',
          ...(v.interactive ? { interactive: true } : {}),
          ...(typeof v.name === 'string' ? { name: v.name } : {}),
        });
        process.once('SIGINT', stop);
        await s.waitForJob(jobId);
        process.off('SIGINT', stop);
        off();
        bar.finish();
        const f = finish as TrainingFinishEvent | null;
        const ver = f?.ok && f.versionId ? (await s.impl.models.list(project.id)).find((x) => x.id === f.versionId) : undefined;
        if (v.json) console.log(JSON.stringify({ ...f, ...(ver ? { result: trainResult(ver, budgetS) } : {}) }, null, 2));
        else if (f?.ok) console.log(`Trained model version ${f.versionId} (run ${f.runId}): ${f.activation}${ver ? `; ${valIouText(ver.metrics.val)}` : ''}`);
        else console.error(`Training ${f?.cancelled ? 'was cancelled' : `failed: ${f?.error ?? 'unknown error'}`}; the active model is unchanged.`);
        return f?.ok ? 0 : 1;
      } finally {
        s.dispose();
      }
    },
  },
  status: {
    summary: 'set the status of images (a list of ids, or those matching a filter)',
    usage: `maskwright status <project-dir> STATUS (--images 1,2,3 | --where STATUS | --search TEXT | --all) [--json]

STATUS is one of ${IMAGE_STATUSES.map((x) => x.replace(/_/g, '-')).join(', ')}.
  --images LIST    these image ids
  --where STATUS   images that have this status now
  --search TEXT    images whose file name contains TEXT (with --where: both)
  --all            every image`,
    options: { ...COMMON_HELP, images: { type: 'string' }, where: { type: 'string' }, search: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' } },
    async run(v, pos) {
      const [dir, st] = pos;
      if (!dir || !st || pos.length > 2) throw new UsageError('status needs a project folder and a status');
      let target: ImageStatus;
      let where: ImageStatus | undefined;
      let ids: number[] | undefined;
      try {
        target = parseStatus(st);
        if (typeof v.where === 'string') where = parseStatus(v.where);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (typeof v.images === 'string') {
        ids = v.images.split(',').map((x) => Number(x.trim()));
        if (ids.some((n) => !Number.isInteger(n) || n <= 0)) throw new UsageError('--images takes comma-separated image ids');
      }
      const filters = [ids !== undefined, where !== undefined || typeof v.search === 'string', !!v.all].filter(Boolean).length;
      if (filters !== 1) throw new UsageError('status needs exactly one of --images, --where/--search or --all');
      const s = services();
      try {
        const project = await s.impl.projects.open({ dir: path.resolve(dir) });
        if (!ids) {
          ids = [];
          const q = { ...(where ? { status: where } : {}), ...(typeof v.search === 'string' ? { search: v.search } : {}) };
          for (let offset = 0; ; ) {
            const page = await s.impl.images.list(project.id, { ...q, offset, limit: 5000 });
            ids.push(...page.items.map((r) => r.id));
            offset += page.items.length;
            if (page.items.length < 5000) break;
          }
        }
        const changed = ids.length > 0 ? await s.impl.images.setStatus(project.id, ids, target) : 0;
        if (v.json) console.log(JSON.stringify({ status: target, images: ids.length, changed }, null, 2));
        else console.log(`Marked ${ids.length} images ${target}.`);
        return 0;
      } finally {
        s.dispose();
      }
    },
  },
  prelabel: {
    summary: 'pre-label images with the active model (proposals are kept apart from your masks)',
    usage: `maskwright prelabel <project-dir> [--images 1,2,3] [--include-masked] [--accept] [--json]

Without --images, pre-labels every unlabeled image. Proposals are kept apart from masks.
  --images LIST      these image ids
  --include-masked   also pre-label images that already have a human mask (skipped by default)
  --accept           make each new proposal the image's mask (status in-progress, one undo step
                     in the editor), only on images without labelled pixels: a human mask is
                     never overwritten; export them with: export --source masks
  --json             the result as JSON`,
    options: { ...COMMON_HELP, images: { type: 'string' }, 'include-masked': { type: 'boolean' }, accept: { type: 'boolean' }, json: { type: 'boolean' } },
    async run(v, pos) {
      const dir = pos[0];
      if (!dir || pos.length > 1) throw new UsageError('prelabel takes exactly one project folder');
      let imageIds: number[] | undefined;
      if (typeof v.images === 'string') {
        imageIds = v.images.split(',').map((x) => Number(x.trim()));
        if (imageIds.some((n) => !Number.isInteger(n) || n <= 0)) throw new UsageError('--images takes comma-separated image ids');
      }
      const s = services();
      try {
        const project = await s.impl.projects.open({ dir: path.resolve(dir) });
        const store = s.registry.get(project.id);
        let ids = imageIds ?? store.images.queue('sequential', 1_000_000).map((r) => r.id);
        for (const id of ids) if (!store.images.get(id)) throw new AppError('not-found', `Image ${id} is not in this project.`);
        // images with a human mask are skipped unless asked for (their proposal would only be noise to review)
        const masked = v['include-masked'] ? [] : ids.filter((id) => hasHumanMask(store, id));
        if (masked.length) {
          const m = new Set(masked);
          ids = ids.filter((id) => !m.has(id));
        }
        const skippedLine = masked.length
          ? `Skipped ${masked.length} image${masked.length === 1 ? '' : 's'} that already ${masked.length === 1 ? 'has' : 'have'} a human mask (--include-masked to pre-label them too).`
          : null;
        if (ids.length === 0) {
          if (v.json) console.log(JSON.stringify({ done: 0, failed: 0, cancelled: false, errors: [], skippedMasked: masked }, null, 2));
          else console.log(`Nothing to pre-label${imageIds ? '' : ' (no unlabeled images)'}.${skippedLine ? ` ${skippedLine}` : ''}`);
          return EXIT.OK;
        }
        const bar = new ProgressBar('Pre-labeling');
        let finish: PrelabelFinishEvent | null = null;
        const off = s.hub.subscribe((e) => {
          if (e.name === 'predictions.onDidProgress') {
            const p = e.payload as PrelabelProgressEvent;
            bar.update(p.done, p.total, p.imageId ? `image ${p.imageId}` : '');
          } else if (e.name === 'predictions.onDidFinish') finish = e.payload as PrelabelFinishEvent;
        });
        const { jobId } = await s.impl.predictions.prelabel(project.id, { imageIds: ids });
        const stop = () => void s.impl.predictions.cancel(jobId);
        process.once('SIGINT', stop);
        await s.waitForJob(jobId);
        process.off('SIGINT', stop);
        off();
        bar.finish();
        const f = finish as PrelabelFinishEvent | null;
        const ok = !!f && !f.error && !f.cancelled;
        const failed = new Set(f?.errors.map((e) => e.imageId) ?? []);
        const accepted = ok && v.accept ? acceptLatestProposals(store, ids.filter((id) => !failed.has(id))) : null;
        const version = store.models.active();
        if (v.json) console.log(JSON.stringify({ ...f, modelVersionId: version?.id ?? null, skippedMasked: masked, ...(accepted ? { accepted } : {}) }, null, 2));
        else if (f && !f.error) {
          console.log(`Pre-labeled ${f.done - f.failed} images with model version ${version ? `${version.id} "${termSafe(version.name)}"` : '?'}${f.failed ? `, ${f.failed} failed` : ''}${f.cancelled ? ' (cancelled)' : ''}.`);
          for (const e of f.errors) console.log(`  image ${e.imageId}: ${e.message}`);
          if (skippedLine) console.log(skippedLine);
          if (accepted) {
            console.log(`Accepted ${accepted.accepted.length} proposals as masks (status in-progress); ${accepted.skipped.length} left as proposals.`);
            for (const sk of accepted.skipped.slice(0, 50)) console.log(`  image ${sk.imageId}: not accepted, ${sk.message}`);
          }
        } else console.error(`Pre-labeling failed: ${f?.error ?? 'unknown error'}`);
        return ok ? 0 : 1;
      } finally {
        s.dispose();
      }
    },
  },
  models: {
    summary: 'list, activate (roll back), delete, export or import model versions',
    usage: `maskwright models <project-dir> [list | activate ID | delete ID | export ID FILE | import FILE] [--json]

  list             the versions (* = active, the one that pre-labels)
  activate ID      make version ID the active one (also how to roll back)
  delete ID        delete an inactive version
  export ID FILE   write version ID to one .mwmodel file (to use on another machine)
  import FILE      add a version from a .mwmodel file (classes are matched by name)`,
    options: { ...COMMON_HELP, json: { type: 'boolean' } },
    async run(v, pos) {
      const [dir, sub = 'list', arg1, arg2] = pos;
      if (!dir) throw new UsageError('models needs a project folder');
      if (!['list', 'activate', 'delete', 'export', 'import'].includes(sub)) throw new UsageError(`unknown models subcommand '${sub}'`);
      const versionId = () => {
        const id = Number(arg1);
        if (!Number.isInteger(id) || id <= 0) throw new UsageError(`${sub} needs a version id`);
        return id;
      };
      const s = services();
      try {
        const project = await s.impl.projects.open({ dir: path.resolve(dir) });
        if (sub === 'activate') {
          const ver = await s.impl.models.activate(project.id, versionId());
          console.log(`Version ${ver.id} (${ver.name}) is now active.`);
          return 0;
        }
        if (sub === 'delete') {
          const id = versionId();
          await s.impl.models.remove(project.id, id);
          console.log(`Version ${id} deleted.`);
          return 0;
        }
        if (sub === 'export') {
          const id = versionId();
          if (!arg2) throw new UsageError('export needs a target file (or folder)');
          const r = await s.impl.models.exportFile(project.id, id, path.resolve(arg2));
          console.log(`Wrote version ${id} to ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB).`);
          return 0;
        }
        if (sub === 'import') {
          if (!arg1) throw new UsageError('import needs a .mwmodel file');
          const ver = await s.impl.models.importFile(project.id, path.resolve(arg1));
          console.log(`Imported version ${ver.id} (${ver.name}); activate it with: maskwright models ${dir} activate ${ver.id}`);
          return 0;
        }
        const list = await s.impl.models.list(project.id);
        if (v.json) console.log(JSON.stringify(list, null, 2));
        else if (!list.length) console.log('No model versions yet. Label a few images and run: maskwright train <project-dir>');
        else
          for (const m of list) {
            const iou = valIouText(m.metrics.val);
            console.log(`${m.isActive ? '*' : ' '} ${String(m.id).padStart(4)}  ${m.createdAt.slice(0, 16).replace('T', ' ')}  ${m.kind.padEnd(12)} ${m.arch.padEnd(20)} ${(m.backend ?? '').padEnd(8)} ${iou}  ${m.name}`);
          }
        return 0;
      } finally {
        s.dispose();
      }
    },
  },
  check: {
    summary: 'check a project file and folder (integrity, rows have files, orphans, leftovers); never writes',
    usage: `maskwright check <project-dir> [--json]

Opens the project read-only (also a damaged one) and runs SQLite's full integrity check, the
foreign-key check, and consistency checks: every image row has its file and thumbnail, every
mask decodes, no orphan files in thumbs/ or images/, no temp files of killed processes.
Exit status: 0 sound (orphans and leftovers are only listed), 1 rows whose files are missing
or refused, 4 the project file is damaged (restore it from a backup).`,
    options: { ...COMMON_HELP, json: { type: 'boolean' } },
    async run(v, pos) {
      const dir = pos[0];
      if (!dir || pos.length > 1) throw new UsageError('check takes exactly one project folder');
      const s = services();
      try {
        const r = s.checkProject(path.resolve(dir));
        const damaged = r.integrity.length > 0 || r.problems.some((p) => p.kind === 'damaged-mask' || p.kind === 'foreign-key' || p.kind === 'integrity');
        const code = damaged ? EXIT.DAMAGED : r.problems.length ? EXIT.FAILED : EXIT.OK;
        if (v.json) console.log(JSON.stringify({ ...r, exitCode: code }, null, 2));
        else {
          console.log(`Checked ${termSafe(r.dir)}: ${r.images} images, ${r.masks} masks.`);
          console.log(r.integrity.length ? `  integrity: DAMAGED (${r.integrity.length} problems)` : '  integrity: ok');
          for (const m of r.integrity.slice(0, 20)) console.log(`    ${termSafe(m)}`);
          for (const p of r.problems.slice(0, 50)) console.log(`  ${p.kind.padEnd(17)} ${p.imageId !== undefined ? `image ${p.imageId}: ` : ''}${termSafe(p.message)}`);
          if (r.problems.length > 50) console.log(`  … ${r.problems.length - 50} more problems (--json for all)`);
          if (r.orphans.length) console.log(`  ${r.orphans.length} orphan files (no row refers to them; harmless): ${r.orphans.slice(0, 5).map(termSafe).join(', ')}${r.orphans.length > 5 ? ', …' : ''}`);
          if (r.leftovers.length) console.log(`  ${r.leftovers.length} temp files of killed processes (the next import removes them)`);
          console.log(damaged ? 'The project file is damaged: put project.sqlite back from a backup.' : r.problems.length ? 'Some rows have problems (see above).' : 'No problems found.');
        }
        return code;
      } finally {
        s.dispose();
      }
    },
  },
  serve: {
    summary: 'serve the UI in a browser on 127.0.0.1 (browser mode)',
    usage: `maskwright serve [--port N] [--project DIR]

Serves the Maskwright UI and API on http://127.0.0.1 with a random token; open the
printed URL (it contains the token). Stop with Ctrl+C.
  --port N           port (default: a free one)
  --project DIR      open this project at start`,
    options: { ...COMMON_HELP, port: { type: 'string' }, project: { type: 'string' } },
    async run(v, pos) {
      if (pos.length) throw new UsageError('serve takes no positional arguments');
      const port = v.port === undefined ? 0 : Number(v.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
      const server = await serve({ port, ...(typeof v.project === 'string' ? { projectDir: v.project } : {}) });
      console.log(`Maskwright (browser mode) is running.\nOpen: ${server.openUrl}`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.stop();
      return 0;
    },
  },
};

function mainHelp(): string {
  const rows = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `maskwright ${APP_VERSION}: local-first segmentation annotation

Usage: maskwright <command> [options]

Commands:
${rows.join('\n')}

Run 'maskwright <command> --help' for a command's options.
Data folder (recent projects): ${defaultDataDir()} (set MASKWRIGHT_HOME to change)`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    console.log(APP_VERSION);
    return 0;
  }
  const cmd = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    console.error(`maskwright: unknown command '${name}'\n\n${mainHelp()}`);
    return 2;
  }
  try {
    const parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    const values = parsed.values as Record<string, unknown>;
    const positionals = parsed.positionals;
    if (values.help) {
      console.log(cmd.usage);
      return 0;
    }
    return await cmd.run(values, positionals);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`maskwright ${name}: ${(err as Error).message}\n\n${cmd.usage}`);
      return 2;
    }
    const e = AppError.from(err);
    console.error(`maskwright ${name}: ${termSafe(e.message)}`);
    return isDamagedProject(err) ? EXIT.DAMAGED : EXIT.FAILED;
  }
}

/** a damaged project file (ProjectStore's corrupt-data with details.damagedProject, or SQLite's own corruption codes) */
function isDamagedProject(err: unknown): boolean {
  const details = (err as { details?: { damagedProject?: unknown } }).details;
  if (err instanceof AppError) return err.code === 'corrupt-data' && !!details?.damagedProject;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}
