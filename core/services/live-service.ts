/**
 * live.*: the live pixel classifier of an open project (core/ml/live, issue 11).
 *
 * While Live is on, a LiveSession (one worker thread per project; no feature or tree is ever
 * computed on the host's thread) holds the forest. Turning it on loads the finished masks
 * (done/reviewed) of other images as training labels, except the validation images of the
 * project's fixed split (the U-Net's), which are kept out to score a saved version. Each ended
 * stroke sends the image's current mask (painted foreground) and the pixels painted as
 * background; unpainted pixels are unknown, not background. Strokes coalesce per image: while
 * one retrains, only the latest waits. The prediction becomes the image's proposal
 * (store.predictions, model version null), so accepting it is the editor's usual accept (human
 * pixels never overwritten, one undo step); live.onDidUpdate says it is there.
 *
 * Instances come from the seeded watershed of core/ml/live/live-instances.ts (touching objects
 * split at the low-probability neck between them). An image whose features cannot be computed
 * (unreadable file, or a feature stack larger than the worker's cache budget) gets an error
 * event and Live stays off for that image only; its strokes are in its mask anyway.
 */
import type { ServiceImpl } from '../api/contract';
import { AppError } from '../api/errors';
import type { Emit } from '../api/events';
import type { LiveStatusInfo, ModelVersionInfo } from '../api/types';
import { DEFAULT_MIN_OBJECT_PX } from '../api/types';
import { decodeImage } from '../imaging/decode-image';
import { LabelMap } from '../mask/label-map';
import { IouAccumulator, meanFinite } from '../ml/iou-metrics';
import { featureNames } from '../ml/live/compute-feature-stack';
import type { FeatureImage } from '../ml/live/feature-types';
import { liveInstances } from '../ml/live/live-instances';
import { LIVE_MODEL_ARCH } from '../ml/live/live-model-file';
import { PredictionJob } from '../ml/infer/prediction-job';
import { prepareModelImage } from '../ml/model-image';
import { modelConfigOf } from '../ml/models/model-config';
import { LIVE_FEATURES, liveModelConfig, parseLiveModelConfig } from '../ml/live/live-segmenter';
import { fixedSplit } from '../ml/train/fixed-split';
import { LiveSession, type LiveUpdate } from '../ml/worker/live-session';
import type { ModelRepo, ModelVersionRecord } from '../store/model-repo';
import { resolveImageFile } from '../store/project-paths';
import type { ProjectStore } from '../store/project-store';
import type { ProjectRegistry } from './project-registry';

/** the worker's feature cache (live-worker.ts reads the same variable) */
const CACHE_BYTES = Number(process.env.MASKWRIGHT_LIVE_CACHE_MB ?? 1024) * 2 ** 20;
/** at most this many finished masks of other images train the forest (the newest ones) */
export const MAX_OTHER_IMAGES = 20;

export interface LiveServices {
  live: ServiceImpl['live'];
  /** images were marked done/reviewed: their masks join the training data while Live is on */
  afterImagesFinished(pid: string, imageIds: readonly number[]): void;
  /** the project is closing: Live stops (nothing is saved) */
  closeProject(pid: string): Promise<void>;
  /** waits until the strokes sent so far have their proposals (tests) */
  idle(pid: string): Promise<void>;
  disposeAll(): Promise<void>;
}

interface ImageSlot {
  /** features are computed in the worker (resolves), or cannot be (rejects) */
  ready: Promise<void>;
  /** a retrain is in flight for this image */
  busy: boolean;
  /** the latest stroke that arrived while one was in flight */
  waiting: { seq: number; labels: Uint8Array; at: number } | null;
}

interface LiveProject {
  session: LiveSession;
  classIds: number[];
  /** finished masks of other images loaded into the worker */
  loading: Promise<void>;
  otherImages: number;
  otherImagesTotal: number;
  valIds: number[];
  trainIds: Set<number>;
  images: Map<number, ImageSlot>;
  disabled: Map<number, string>;
  trained: boolean;
  seq: number;
  inFlight: Set<Promise<void>>;
  /** false once Live was turned off (background loading stops) */
  open: boolean;
}

/** The project's classes in display order: forest class k (1..) is classIds[k - 1]. */
function classIdsOf(store: ProjectStore): number[] {
  return store.classes
    .list()
    .sort((a, b) => a.index - b.index)
    .map((c) => c.id);
}

/**
 * Live training labels of a mask: 0 unknown, 1 background, class position + 2 for a labelled
 * pixel. `unlabelled`: what an unlabelled pixel is (a finished mask: background; strokes: unknown).
 * `background`: bit-packed pixels painted as background (a labelled pixel stays labelled).
 */
export function liveLabelsOf(map: LabelMap, classIds: readonly number[], unlabelled: 0 | 1, background?: Uint8Array): Uint8Array {
  const pos = new Map(classIds.map((id, i) => [id, i + 2]));
  const lut = new Map<number, number>();
  for (const inst of map.instances()) lut.set(inst.id, pos.get(inst.classId) ?? unlabelled);
  const n = map.width * map.height;
  const out = new Uint8Array(n);
  const ids = map.ids;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (id) out[i] = lut.get(id) ?? unlabelled;
    else out[i] = background && (background[i >> 3]! >> (i & 7)) & 1 ? 1 : unlabelled;
  }
  return out;
}

/** Truth as class index per pixel (0 background, position + 1) for scoring. */
function truthOf(map: LabelMap, classIds: readonly number[]): Uint8Array {
  const l = liveLabelsOf(map, classIds, 1);
  for (let i = 0; i < l.length; i++) l[i] = l[i]! - 1;
  return l;
}

/** The image as the live forest reads it ('unit' 0..1 RGB), with a readable error when it cannot be. */
async function liveImage(store: ProjectStore, imageId: number): Promise<FeatureImage> {
  const row = store.images.get(imageId);
  if (!row) throw new AppError('not-found', `Image ${imageId} is not in this project.`);
  const need = row.width * row.height * featureNames(3, LIVE_FEATURES).length * 4;
  if (need > CACHE_BYTES) {
    throw new AppError('invalid-argument', `${row.fileName} is too large for Live: its features need ${Math.round(need / 2 ** 20)} MiB, the budget is ${Math.round(CACHE_BYTES / 2 ** 20)} MiB (MASKWRIGHT_LIVE_CACHE_MB).`);
  }
  try {
    return prepareModelImage(await decodeImage(resolveImageFile(store.dir, row), { keepDepth: true }), 3, 'unit');
  } catch (e) {
    throw new AppError('io', `${row.fileName} cannot be read: ${(e as Error).message}`);
  }
}

/** The labelled images split as the U-Net's training splits them (same validation images). */
function projectSplit(store: ProjectStore): { train: number[]; val: number[] } {
  return fixedSplit(
    store.annotations.labelled().map((m) => m.imageId),
    0.2,
  );
}

const FINISHED = new Set(['done', 'reviewed']);

/** The prediction as a proposal label map (seeded-watershed instances) and 8-bit confidence. */
export function proposalOf(u: Pick<LiveUpdate, 'width' | 'height' | 'classes' | 'labels' | 'probs' | 'uncertainty'>, classIds: readonly number[], minAreaPx = DEFAULT_MIN_OBJECT_PX): { labelMap: LabelMap; confidence: Uint8Array; uncertainty: number } {
  const { width, height, classes } = u;
  const inst = liveInstances(u.labels, u.probs, width, height, classes, { minAreaPx });
  const map = new LabelMap(width, height);
  const renumber = new Uint32Array(inst.classOf.length);
  let next = 0;
  for (let id = 1; id < inst.classOf.length; id++) {
    const c = inst.classOf[id];
    const classId = c ? classIds[c - 1] : undefined;
    if (classId === undefined) continue;
    renumber[id] = ++next;
    map.setInstance({ id: next, classId, source: 'model', score: Math.round(Math.min(1, Math.max(0, inst.score[id] ?? 0)) * 1e4) / 1e4 });
  }
  const ids = map.ids;
  for (let i = 0; i < ids.length; i++) ids[i] = renumber[inst.ids[i]!] ?? 0;
  const n = width * height;
  const confidence = new Uint8Array(n);
  let unc = 0;
  for (let i = 0; i < n; i++) {
    confidence[i] = Math.round(u.probs[i * classes + u.labels[i]!]! * 255);
    unc += u.uncertainty[i]!;
  }
  return { labelMap: map, confidence, uncertainty: n ? unc / n : 0 };
}

/** Pooled validation metrics of the live forest, in the shape training stores ({ iou, meanIou, images, iouSe, baselineIou }). */
export function liveValMetrics(perImage: { inter: number[]; union: number[]; truth: Uint8Array }[], classes: number): Record<string, unknown> | null {
  if (!perImage.length) return null;
  const k = Math.max(2, classes);
  const acc = new IouAccumulator(k);
  const perImageIou: number[] = [];
  let total = 0;
  const present = new Float64Array(k);
  for (const r of perImage) {
    const ious: number[] = [];
    for (let c = 0; c < k; c++) {
      const inter = r.inter[c] ?? 0;
      const union = r.union[c] ?? 0;
      acc.tp[c]! += inter;
      // union = tp + fp + fn: the pooled IoU needs only tp and the union
      acc.fp[c]! += union - inter;
      if (c > 0) ious.push(union > 0 ? inter / union : NaN);
    }
    for (let i = 0; i < r.truth.length; i++) present[r.truth[i]!]!++;
    total += r.truth.length;
    const m = meanFinite(ious);
    if (Number.isFinite(m)) perImageIou.push(m);
  }
  const iou = acc.pooled();
  const n = perImageIou.length;
  const mean = n ? perImageIou.reduce((a, b) => a + b, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(perImageIou.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const base: number[] = [];
  for (let c = 1; c < k; c++) if (present[c]! > 0 && total > 0) base.push(present[c]! / total);
  return { iou, meanIou: meanFinite(iou), images: perImage.length, iouSe: n > 1 ? sd / Math.sqrt(n) : null, baselineIou: base.length ? meanFinite(base) : 0 };
}

/**
 * Scores a stored pre-label version (U-Net or live forest) on these images against the person's
 * masks, in the ML worker (the host's thread only counts pixels): the other side of "which model
 * proposes by default" on the same validation images. Null when no image could be scored.
 */
export async function scoreVersionOnImages(store: ProjectStore, v: ModelVersionRecord, imageIds: readonly number[]): Promise<Record<string, unknown> | null> {
  const classIds = classIdsOf(store);
  const items: { id: number; path: string }[] = [];
  const truths = new Map<number, Uint8Array>();
  for (const id of imageIds) {
    const row = store.images.get(id);
    const a = store.annotations.get(id);
    if (!row || !a) continue;
    try {
      truths.set(id, truthOf(LabelMap.decode(a.labelMap), classIds));
      items.push({ id, path: resolveImageFile(store.dir, row) });
    } catch {
      /* an unreadable mask or file is not scored */
    }
  }
  if (!items.length) return null;
  const scored: { inter: number[]; union: number[]; truth: Uint8Array }[] = [];
  const k = classIds.length + 1;
  const job = PredictionJob.start(
    { weights: store.models.getWeights(v.id), config: (v.kind === 'live' ? parseLiveModelConfig(v.config) : modelConfigOf(v)) as never, kind: v.kind, versionId: v.id, items, minAreaPx: 0 },
    {
      onResult: (img) => {
        const truth = truths.get(img.id);
        if (!truth) return;
        const pred = truthOf(LabelMap.decode(img.labelMap), classIds);
        if (pred.length !== truth.length) return;
        const inter = new Array<number>(k).fill(0);
        const union = new Array<number>(k).fill(0);
        for (let i = 0; i < truth.length; i++) {
          const a = pred[i]!;
          const b = truth[i]!;
          union[a]!++;
          if (a === b) inter[a]!++;
          else union[b]!++;
        }
        scored.push({ inter, union, truth });
      },
    },
  );
  await job.done;
  return liveValMetrics(scored, k);
}

const metricIou = (val: Record<string, unknown> | null | undefined): number | null => (typeof val?.meanIou === 'number' && Number.isFinite(val.meanIou) ? val.meanIou : null);

const KIND_NAME: Record<string, string> = { live: 'live forest', segmentation: 'U-Net' };

/**
 * Which of two pre-label models proposes by default: the new one when none is active, or when
 * its validation IoU is at least the active one's, on the same validation images where the
 * active one could be scored on them (else on its own stored figure). The reason in words.
 */
export function decidePrelabelModel(a: { newKind: string; newIou: number | null; active: ModelVersionRecord | null; activeOnSameImages: number | null; valImages: number }): { activate: boolean; activation: string } {
  if (!a.active) return { activate: true, activation: 'no model was active' };
  const them = `the active ${KIND_NAME[a.active.kind] ?? a.active.kind} (${a.active.name})`;
  const me = `this ${KIND_NAME[a.newKind] ?? a.newKind}`;
  if (a.newIou == null) return { activate: false, activation: `kept ${them}: ${me} has no validation score to compare` };
  const same = a.activeOnSameImages != null;
  const old = same ? a.activeOnSameImages : storedValIou(a.active);
  const on = same ? ` on the same ${a.valImages} validation image${a.valImages === 1 ? '' : 's'}` : ' (its own validation images)';
  if (old == null) return { activate: true, activation: `${them} has no validation score` };
  if (a.newIou >= old) return { activate: true, activation: `${me} proposes: validation IoU ${a.newIou.toFixed(3)} >= ${old.toFixed(3)} of ${them}${on}` };
  return { activate: false, activation: `kept ${them}: validation IoU ${old.toFixed(3)} > ${a.newIou.toFixed(3)} of ${me}${on}` };
}

const storedValIou = (v: ModelVersionRecord | null): number | null => {
  const m = (v?.metrics as { val?: { meanIou?: unknown } } | undefined)?.val?.meanIou;
  return typeof m === 'number' && Number.isFinite(m) ? m : null;
};

/**
 * Scores the session's forest on the validation images and stores it as a 'live' version (with
 * a training-run row listing the images it learnt from). It becomes the pre-label model when
 * none is active or when its validation IoU is at least the active one's (on its own
 * validation images; with the fixed split those are the same images while no image was added).
 */
export async function saveLiveVersion(
  store: ProjectStore,
  session: LiveSession,
  opts: { classIds: number[]; trainIds: Iterable<number>; valIds: readonly number[]; name?: string; trainMs?: number; samples?: number },
): Promise<{ versionId: number; activated: boolean; activation: string; val: Record<string, unknown> | null }> {
  const weights = await session.modelBytes();
  if (!weights) throw new AppError('invalid-argument', 'Nothing to save yet: Live has not trained (paint on an image, or finish a mask first).');
  const scored: { inter: number[]; union: number[]; truth: Uint8Array }[] = [];
  const skipped: string[] = [];
  for (const id of opts.valIds) {
    const a = store.annotations.get(id);
    if (!a) continue;
    try {
      const truth = truthOf(LabelMap.decode(a.labelMap), opts.classIds);
      const ev = await session.evaluate(await liveImage(store, id), LIVE_FEATURES, truth);
      scored.push({ ...ev, truth });
    } catch (e) {
      skipped.push(`image ${id}: ${(e as Error).message}`);
    }
  }
  const val = liveValMetrics(scored, opts.classIds.length + 1);
  const repo: ModelRepo = store.models;
  const active = repo.active();
  // the active model on the same validation images (in the ML worker), when its classes are these
  let compared: Record<string, unknown> | null = null;
  const sameClasses = active && JSON.stringify((active.config as { classIds?: unknown }).classIds) === JSON.stringify(opts.classIds);
  if (active && sameClasses && scored.length && metricIou(val) != null) {
    try {
      compared = await scoreVersionOnImages(store, active, opts.valIds);
    } catch (e) {
      skipped.push(`the active model could not be scored on the same images: ${AppError.from(e).message}`);
    }
  }
  const { activate, activation } = decidePrelabelModel({ newKind: 'live', newIou: metricIou(val), active, activeOnSameImages: metricIou(compared), valImages: scored.length });
  const trainIds = [...new Set(opts.trainIds)];
  const config = liveModelConfig(opts.classIds);
  const runId = repo.createRun({
    kind: 'live',
    config: { model: config },
    backend: 'cpu',
    images: [...trainIds.map((imageId) => ({ imageId, split: 'train' as const })), ...opts.valIds.filter((v) => !trainIds.includes(v)).map((imageId) => ({ imageId, split: 'val' as const }))],
  });
  const versionId = store.transaction(() => {
    const id = repo.createVersion(
      {
        name: opts.name ?? `Live forest ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
        arch: LIVE_MODEL_ARCH,
        kind: 'live',
        config,
        weights,
        metrics: { val, ...(compared && active ? { comparedWith: { versionId: active.id, kind: active.kind, name: active.name, val: compared } } : {}), trainImages: trainIds.length, valImages: scored.length, ...(opts.trainMs != null ? { trainMs: opts.trainMs } : {}), ...(opts.samples != null ? { samples: opts.samples } : {}), warnings: skipped, activation, runId },
        backend: 'cpu',
        parentId: null,
      },
      { activate },
    );
    repo.finishRun(runId, { status: 'succeeded', resultVersionId: id });
    return id;
  });
  return { versionId, activated: activate, activation, val };
}

/**
 * `maskwright train --kind live`: a live forest from the project's labelled masks (the U-Net's
 * definition: done/reviewed or with labelled pixels; unlabelled pixels are background), trained
 * on the fixed split's training images and scored on its validation images, stored as a version.
 */
export async function trainLiveProject(
  store: ProjectStore,
  opts: { name?: string; onImage?: (done: number, total: number, imageId: number) => void } = {},
): Promise<{ versionId: number; activated: boolean; activation: string; val: Record<string, unknown> | null; trainImages: number; skipped: string[]; samples: number; trainMs: number }> {
  const classIds = classIdsOf(store);
  if (!classIds.length) throw new AppError('invalid-argument', 'The project has no classes. Add a class before training.');
  const masks = new Map(store.annotations.labelled().map((m) => [m.imageId, m.labelMap]));
  if (!masks.size) throw new AppError('invalid-argument', 'No image has a labelled mask yet. Label at least one image before training.');
  const split = fixedSplit([...masks.keys()], 0.2);
  const session = new LiveSession();
  try {
    const used: number[] = [];
    const skipped: string[] = [];
    for (const [i, id] of split.train.entries()) {
      try {
        const labels = liveLabelsOf(LabelMap.decode(masks.get(id)!), classIds, 1);
        await session.setImage(`done:${id}`, await liveImage(store, id), LIVE_FEATURES);
        await session.labels(`done:${id}`, labels, true);
        used.push(id);
      } catch (e) {
        skipped.push(`image ${id}: ${AppError.from(e).message}`);
      }
      opts.onImage?.(i + 1, split.train.length, id);
    }
    if (!used.length) throw new AppError('invalid-argument', `None of the ${split.train.length} training images could be read (${skipped[0] ?? ''}).`);
    const t = await session.train();
    const r = await saveLiveVersion(store, session, { classIds, trainIds: used, valIds: split.val, trainMs: t.trainMs, samples: t.samples, ...(opts.name ? { name: opts.name } : {}) });
    return { ...r, trainImages: used.length, skipped, samples: t.samples, trainMs: t.trainMs };
  } finally {
    await session.close();
  }
}

export function createLiveServices(registry: ProjectRegistry, emit: Emit, notifyProject: (pid: string) => void, versionInfo: (v: ModelVersionRecord, repo: ModelRepo) => ModelVersionInfo): LiveServices {
  const projects = new Map<string, LiveProject>();

  const statusOf = (pid: string, p: LiveProject | undefined): LiveStatusInfo => ({
    projectId: pid,
    enabled: !!p,
    otherImages: p?.otherImages ?? 0,
    otherImagesTotal: p?.otherImagesTotal ?? 0,
    valImages: p?.valIds.length ?? 0,
    trained: p?.trained ?? false,
    disabledImages: p ? [...p.disabled].map(([imageId, message]) => ({ imageId, message })) : [],
  });

  function need(pid: string): LiveProject {
    registry.get(pid);
    const p = projects.get(pid);
    if (!p) throw new AppError('conflict', 'Live is off for this project; turn it on first.');
    return p;
  }

  /** the image's features in the worker, once (a failure disables Live for this image) */
  function slotOf(store: ProjectStore, p: LiveProject, imageId: number): ImageSlot {
    let s = p.images.get(imageId);
    if (!s) {
      const ready = liveImage(store, imageId).then((img) => p.session.setImage(`img:${imageId}`, img, LIVE_FEATURES));
      s = { ready, busy: false, waiting: null };
      ready.catch(() => undefined);
      p.images.set(imageId, s);
    }
    return s;
  }

  async function loadOthers(store: ProjectStore, p: LiveProject): Promise<void> {
    const rows = store.annotations
      .labelled()
      .filter((m) => p.trainIds.has(m.imageId))
      .slice(-MAX_OTHER_IMAGES);
    p.otherImagesTotal = rows.length;
    for (const m of rows) await loadFinished(store, p, m.imageId, m.labelMap);
  }

  /** a finished mask as training labels (unlabelled = background); an image with strokes keeps its features in the worker */
  async function loadFinished(store: ProjectStore, p: LiveProject, imageId: number, blob: Uint8Array): Promise<void> {
    if (!p.open) return;
    try {
      const labels = liveLabelsOf(LabelMap.decode(blob), p.classIds, 1);
      if (p.images.has(imageId)) {
        await p.images.get(imageId)!.ready;
        await p.session.labels(`img:${imageId}`, labels);
      } else {
        await p.session.setImage(`done:${imageId}`, await liveImage(store, imageId), LIVE_FEATURES);
        await p.session.labels(`done:${imageId}`, labels, true);
        p.otherImages++;
      }
    } catch {
      /* an unreadable finished image does not train; the others do */
    }
  }

  async function runStroke(pid: string, store: ProjectStore, p: LiveProject, imageId: number, slot: ImageSlot, job: { seq: number; labels: Uint8Array; at: number }): Promise<void> {
    slot.busy = true;
    try {
      await p.loading;
      try {
        await slot.ready;
      } catch (e) {
        const message = AppError.from(e).message;
        p.disabled.set(imageId, message);
        emit('live.onDidUpdate', { projectId: pid, imageId, seq: job.seq, ok: false, disabled: true, error: `Live is off for this image: ${message}` });
        return;
      }
      if (projects.get(pid) !== p) return;
      let u: LiveUpdate | null;
      try {
        u = await p.session.stroke(`img:${imageId}`, job.labels);
      } catch (e) {
        emit('live.onDidUpdate', { projectId: pid, imageId, seq: job.seq, ok: false, error: AppError.from(e).message });
        return;
      }
      if (!u) {
        emit('live.onDidUpdate', { projectId: pid, imageId, seq: job.seq, ok: false, superseded: true });
        return;
      }
      p.trained = true;
      if (u.classes < 2) {
        emit('live.onDidUpdate', { projectId: pid, imageId, seq: job.seq, ok: false, error: 'Live needs both: paint on an object and on the background (the eraser paints background while Live is on).' });
        return;
      }
      const prop = proposalOf(u, p.classIds);
      const predictionId = store.predictions.add({ imageId, modelVersionId: null, labelMap: prop.labelMap.encode(), confidence: prop.confidence, uncertainty: prop.uncertainty });
      emit('live.onDidUpdate', { projectId: pid, imageId, seq: job.seq, ok: true, predictionId, samples: u.samples, images: u.images, trainMs: u.trainMs, predictMs: u.predictMs, totalMs: performance.now() - job.at, stride: u.stride ?? 1 });
    } finally {
      slot.busy = false;
      const next = slot.waiting;
      slot.waiting = null;
      if (next && projects.get(pid) === p) track(p, runStroke(pid, store, p, imageId, slot, next));
    }
  }

  const track = (p: LiveProject, run: Promise<void>) => {
    p.inFlight.add(run);
    void run.finally(() => p.inFlight.delete(run));
  };

  async function turnOff(pid: string, save: boolean): Promise<number | null> {
    const p = projects.get(pid);
    if (!p) return null;
    projects.delete(pid);
    p.open = false;
    let saved: number | null = null;
    try {
      if (save && p.trained) {
        await Promise.allSettled([...p.inFlight]);
        const store = registry.get(pid);
        saved = (await saveLiveVersion(store, p.session, { classIds: p.classIds, trainIds: [...p.trainIds, ...p.images.keys()], valIds: p.valIds })).versionId;
      }
    } finally {
      await p.session.close();
    }
    return saved;
  }

  return {
    live: {
      status(pid) {
        registry.get(pid);
        return statusOf(pid, projects.get(pid));
      },
      async setEnabled(pid, { enabled, save }) {
        const store = registry.get(pid);
        if (!enabled) {
          const savedVersionId = await turnOff(pid, save !== false);
          if (savedVersionId != null) notifyProject(pid);
          return { ...statusOf(pid, undefined), savedVersionId };
        }
        let p = projects.get(pid);
        if (!p) {
          const classIds = classIdsOf(store);
          if (!classIds.length) throw new AppError('invalid-argument', 'The project has no classes. Add a class before turning Live on.');
          const split = projectSplit(store);
          const finished = (id: number) => FINISHED.has(store.images.get(id)?.status ?? '');
          p = {
            session: new LiveSession(),
            classIds,
            loading: Promise.resolve(),
            otherImages: 0,
            otherImagesTotal: 0,
            valIds: split.val,
            trainIds: new Set(split.train.filter(finished)),
            images: new Map(),
            disabled: new Map(),
            trained: false,
            seq: 0,
            inFlight: new Set(),
            open: true,
          };
          projects.set(pid, p);
          p.loading = loadOthers(store, p);
        }
        return statusOf(pid, p);
      },
      strokeEnded(pid, imageId, { labelMap, background }) {
        const store = registry.get(pid);
        const p = need(pid);
        const row = store.images.get(imageId);
        if (!row) throw new AppError('not-found', `Image ${imageId} is not in this project.`);
        let map: LabelMap;
        try {
          map = LabelMap.decode(labelMap);
        } catch (e) {
          throw new AppError('invalid-argument', `The mask could not be decoded: ${(e as Error).message}`);
        }
        if (map.width !== row.width || map.height !== row.height) throw new AppError('invalid-argument', `The mask is ${map.width}x${map.height} but the image is ${row.width}x${row.height}.`);
        if (background && background.length !== Math.ceil((row.width * row.height) / 8)) {
          throw new AppError('invalid-argument', `The background pixels are ${background.length} bytes; a ${row.width}x${row.height} image needs ${Math.ceil((row.width * row.height) / 8)} (one bit per pixel).`);
        }
        const seq = ++p.seq;
        const disabled = p.disabled.get(imageId);
        if (disabled) {
          emit('live.onDidUpdate', { projectId: pid, imageId, seq, ok: false, disabled: true, error: `Live is off for this image: ${disabled}` });
          return { seq };
        }
        const job = { seq, labels: liveLabelsOf(map, p.classIds, 0, background), at: performance.now() };
        // a finished image stroked again is trained from its strokes from now on
        if (p.trainIds.delete(imageId)) p.session.forget(`done:${imageId}`);
        const slot = slotOf(store, p, imageId);
        if (slot.busy) {
          // coalesce: the latest stroke waits, the one it replaces is reported as superseded
          if (slot.waiting) emit('live.onDidUpdate', { projectId: pid, imageId, seq: slot.waiting.seq, ok: false, superseded: true });
          slot.waiting = job;
        } else track(p, runStroke(pid, store, p, imageId, slot, job));
        return { seq };
      },
      async save(pid, { name }) {
        const store = registry.get(pid);
        const p = need(pid);
        await Promise.allSettled([...p.inFlight]);
        const r = await saveLiveVersion(store, p.session, { classIds: p.classIds, trainIds: [...p.trainIds, ...p.images.keys()], valIds: p.valIds, ...(name ? { name } : {}) });
        notifyProject(pid);
        return versionInfo(store.models.getVersion(r.versionId), store.models);
      },
    },
    afterImagesFinished(pid, imageIds) {
      const p = projects.get(pid);
      if (!p) return;
      let store: ProjectStore;
      try {
        store = registry.get(pid);
      } catch {
        return;
      }
      const val = new Set(p.valIds);
      for (const id of imageIds) {
        const a = store.annotations.get(id);
        if (val.has(id) || !a || (p.trainIds.has(id) && !p.images.has(id))) continue;
        p.trainIds.add(id);
        p.loading = p.loading.then(() => loadFinished(store, p, id, a.labelMap));
      }
    },
    async closeProject(pid) {
      await turnOff(pid, false);
    },
    async idle(pid) {
      const p = projects.get(pid);
      while (p && p.inFlight.size) await Promise.allSettled([...p.inFlight]);
    },
    async disposeAll() {
      const all = [...projects.values()];
      projects.clear();
      for (const p of all) p.open = false;
      await Promise.allSettled(all.map((p) => p.session.close()));
    },
  };
}
