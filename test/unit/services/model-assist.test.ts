/**
 * The model-assisted labeling services end to end on a tiny project (wasm, small models, a few
 * training steps): proposals scored against the final masks ("what the model saves you"),
 * automatic fine-tuning after N done images, one run at a time, cancelling keeps the active model
 * and the masks, model files (export -> import elsewhere; damaged files refused, nothing written),
 * deleting versions, click refinement through the service, and the uncertainty queue.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { EventHub, type AppEvent } from '../../../core/api/events';
import { LabelMap } from '../../../core/mask/label-map';
import { createServices, type AppServices } from '../../../core/services/create-services';

let tmp: string;
let svc: AppServices;
let pid: string;
let classId: number;
const events: AppEvent[] = [];
const hub = new EventHub();
hub.subscribe((e) => events.push(e));

const W = 64;
const disc = (k: number) => ({ cx: 18 + k * 7, cy: 32, r: 10 });
const inDisc = (k: number, x: number, y: number) => (x - disc(k).cx) ** 2 + (y - disc(k).cy) ** 2 < disc(k).r ** 2;

function discMap(k: number, klass = classId): LabelMap {
  const m = new LabelMap(W, W);
  const inst = m.addInstance({ classId: klass });
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) if (inDisc(k, x, y)) m.ids[y * W + x] = inst.id;
  return m;
}

async function imageIds(p = pid): Promise<number[]> {
  return (await svc.impl.images.list(p, { sort: 'name' })).items.map((r) => r.id);
}

async function label(iid: number, k: number, p = pid) {
  const cur = await svc.impl.masks.load(p, iid);
  await svc.impl.masks.save(p, iid, { labelMap: discMap(k).encode(), expectedVersion: cur.version, addTimeMs: 1000 * (k + 1), addEdits: k + 1 });
}

async function errorOf(call: () => unknown): Promise<AppError> {
  const e = await Promise.resolve().then(call).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'should fail').toBeInstanceOf(AppError);
  return e as AppError;
}

const finishOf = (jobId: string) => events.find((e) => e.name === 'training.onDidFinish' && (e.payload as { jobId: string }).jobId === jobId)?.payload as
  | { ok: boolean; cancelled: boolean; versionId?: number; activated?: boolean; error?: string }
  | undefined;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-assist-'));
  svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: hub.emit });
  const p = await svc.impl.projects.create({ dir: path.join(tmp, 'p'), name: 'discs', classes: [{ name: 'disc' }] });
  pid = p.id;
  classId = p.classes[0]!.id;
  const imgs = path.join(tmp, 'imgs');
  fs.mkdirSync(imgs);
  for (let k = 0; k < 5; k++) {
    const px = new Uint8Array(W * W * 3).fill(30);
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) if (inDisc(k, x, y)) px.fill(220, (y * W + x) * 3, (y * W + x) * 3 + 3);
    await sharp(px, { raw: { width: W, height: W, channels: 3 } }).png().toFile(path.join(imgs, `d${k}.png`));
  }
  await svc.waitForImport((await svc.impl.imports.start(pid, { paths: [imgs] })).jobId);
}, 60_000);
afterAll(() => {
  svc.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('model-assisted labeling services', () => {
  it('auto mode fine-tunes after N done images, one run at a time, and records a version', async () => {
    const ids = await imageIds();
    expect(await svc.impl.training.getAuto(pid)).toEqual({ enabled: false, everyN: 5, doneSinceLastRun: 0 });
    await svc.impl.training.setAuto(pid, { enabled: true, everyN: 2 });
    await label(ids[0]!, 0);
    await svc.impl.images.setStatus(pid, [ids[0]!], 'done');
    expect(svc.impl.training.status(pid)).toBeNull(); // 1 < 2: not yet
    expect((await svc.impl.training.getAuto(pid)).doneSinceLastRun).toBe(1);
    await label(ids[1]!, 1);
    await svc.impl.images.setStatus(pid, [ids[1]!], 'done');
    const st = await svc.impl.training.status(pid);
    expect(st, 'the second done image starts a run').not.toBeNull();
    expect(st!.auto).toBe(true);
    expect(events.some((e) => e.name === 'training.onDidStart' && (e.payload as { auto: boolean }).auto)).toBe(true);
    // a second run while one is in progress is refused with a clear message
    const e = await errorOf(() => svc.impl.training.start(pid, { maxSteps: 1 }));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/already in progress/);
    // stop the automatic run early: cancel, then train a short run ourselves
    svc.impl.training.cancel(st!.jobId);
    await svc.waitForJob(st!.jobId);
    expect(finishOf(st!.jobId)).toMatchObject({ ok: false, cancelled: true });
    expect(await svc.impl.models.list(pid)).toEqual([]);
    await svc.impl.training.setAuto(pid, { enabled: false, everyN: 2 });
    const { jobId } = await svc.impl.training.start(pid, { maxSteps: 2, name: 'first' });
    await svc.waitForJob(jobId);
    expect(finishOf(jobId)).toMatchObject({ ok: true, activated: true });
    const [v] = await svc.impl.models.list(pid);
    expect(v).toMatchObject({ name: 'first', isActive: true, kind: 'segmentation', images: { train: 1, val: 1 } });
    expect(v!.durationMs).toBeGreaterThan(0);
    const pts = await svc.impl.training.metrics(pid, (await svc.impl.models.runs(pid)).find((r) => r.resultVersionId === v!.id)!.id);
    expect(pts.map((p) => p.step)).toEqual([1, 2]);
    expect((await svc.impl.training.getAuto(pid)).doneSinceLastRun).toBe(0);
  }, 240_000);

  it('cancelling a fine-tune leaves the active model and every mask intact', async () => {
    const before = (await svc.impl.models.list(pid)).find((v) => v.isActive)!;
    const ids = await imageIds();
    const masks = await Promise.all(ids.slice(0, 2).map((i) => svc.impl.masks.load(pid, i)));
    const { jobId } = await svc.impl.training.start(pid, { maxSteps: 10_000 });
    await new Promise<void>((resolve) => {
      const off = hub.subscribe((e) => {
        if (e.name === 'training.onDidProgress') {
          off();
          resolve();
        }
      });
    });
    expect(svc.impl.training.cancel(jobId)).toBe(true);
    await svc.waitForJob(jobId);
    expect(finishOf(jobId)).toMatchObject({ ok: false, cancelled: true });
    const after = await svc.impl.models.list(pid);
    expect(after.find((v) => v.isActive)!.id).toBe(before.id);
    expect(after).toHaveLength(1);
    const again = await Promise.all(ids.slice(0, 2).map((i) => svc.impl.masks.load(pid, i)));
    expect(again.map((m) => m.labelMap)).toEqual(masks.map((m) => m.labelMap));
    expect(svc.impl.training.status(pid)).toBeNull();
  }, 240_000);

  it('scores a proposal against the final mask when the image is marked done ("what the model saves you")', async () => {
    const ids = await imageIds();
    const iid = ids[2]!;
    const active = (await svc.impl.models.list(pid)).find((v) => v.isActive)!;
    const store = svc.registry.get(pid);
    // the model proposed disc 3, the person drew disc 2 (they overlap partly)
    const predId = store.predictions.add({ imageId: iid, modelVersionId: active.id, labelMap: discMap(3).encode(), uncertainty: 0.4 });
    await svc.impl.predictions.setState(pid, predId, 'partial');
    await label(iid, 2);
    await svc.impl.images.setStatus(pid, [iid], 'done');
    const a = discMap(3).ids;
    const b = discMap(2).ids;
    let inter = 0;
    let union = 0;
    let changed = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] && b[i]) inter++;
      if (a[i] || b[i]) union++;
      if (Boolean(a[i]) !== Boolean(b[i])) changed++;
    }
    const rep = await svc.impl.models.savings(pid);
    expect(rep.images).toHaveLength(1);
    expect(rep.images[0]).toMatchObject({ imageId: iid, modelVersionId: active.id, editMs: 3000, edits: 3 });
    expect(rep.images[0]!.iou).toBeCloseTo(inter / union, 10);
    expect(rep.images[0]!.changedFraction).toBeCloseTo(changed / (W * W), 10);
    expect(rep.versions).toEqual([expect.objectContaining({ modelVersionId: active.id, images: 1, meanEditMs: 3000 })]);
    // the two images labelled without a proposal are the comparison
    expect(rep.unassisted).toEqual({ images: 2, meanEditMs: 1500, meanEdits: 1.5 });
  });

  it('the next-image queue offers the least certain unlabeled image first', async () => {
    const ids = await imageIds();
    const store = svc.registry.get(pid);
    const unl = ids.slice(3); // d3, d4 are unlabeled
    store.predictions.add({ imageId: unl[0]!, modelVersionId: null, labelMap: new LabelMap(W, W).encode(), uncertainty: 0.1 });
    store.predictions.add({ imageId: unl[1]!, modelVersionId: null, labelMap: new LabelMap(W, W).encode(), uncertainty: 0.9 });
    expect((await svc.impl.images.queue(pid, { order: 'uncertainty', limit: 5 })).map((r) => r.id)).toEqual([unl[1], unl[0]]);
    expect((await svc.impl.images.queue(pid, { order: 'sequential', limit: 5 })).map((r) => r.id)).toEqual([unl[0], unl[1]]);
    expect((await svc.impl.images.queue(pid, { order: 'uncertainty', limit: 5, excludeIds: [unl[1]!] })).map((r) => r.id)).toEqual([unl[0]]);
  });

  it('exports a version to a file and imports it into another project (classes by name); damaged files are refused', async () => {
    const v = (await svc.impl.models.list(pid)).find((x) => x.isActive)!;
    const file = path.join(tmp, 'm.mwmodel');
    const r = await svc.impl.models.exportFile(pid, v.id, file);
    expect(r).toEqual({ path: file, bytes: fs.statSync(file).size });
    // another project, the same class under another id
    const q = await svc.impl.projects.create({ dir: path.join(tmp, 'q'), name: 'other', classes: [{ name: 'unrelated' }, { name: 'disc' }] });
    const imported = await svc.impl.models.importFile(q.id, file);
    expect(imported).toMatchObject({ name: v.name, arch: v.arch, isActive: false, kind: 'segmentation', images: null });
    const repoA = svc.registry.get(pid).models;
    const repoB = svc.registry.get(q.id).models;
    expect(Buffer.from(repoB.getWeights(imported.id)).equals(Buffer.from(repoA.getWeights(v.id)))).toBe(true);
    expect((repoB.getVersion(imported.id).config as { classIds: number[] }).classIds).toEqual([q.classes.find((c) => c.name === 'disc')!.id]);

    const bytes = fs.readFileSync(file);
    const bad = (name: string, b: Uint8Array) => {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, b);
      return f;
    };
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 10]! ^= 0xff;
    for (const [f, re] of [
      [bad('trunc.mwmodel', bytes.subarray(0, bytes.length - 100)), /truncated/],
      [bad('flip.mwmodel', flipped), /checksum/],
      [bad('text.mwmodel', Buffer.from('hello')), /signature/],
      [path.join(tmp, 'missing.mwmodel'), /Cannot read/],
    ] as const) {
      const e = await errorOf(() => svc.impl.models.importFile(q.id, f));
      expect(e.message).toMatch(re);
    }
    const none = await svc.impl.projects.create({ dir: path.join(tmp, 'r'), name: 'no disc', classes: [{ name: 'cat' }] });
    const e = await errorOf(() => svc.impl.models.importFile(none.id, file));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/"disc".*does not have/);
    expect(await svc.impl.models.list(none.id)).toEqual([]);
    expect(await svc.impl.models.list(q.id)).toHaveLength(1);
    // delete: not the active one; an inactive one goes
    expect((await errorOf(() => svc.impl.models.remove(pid, v.id))).code).toBe('conflict');
    expect(await svc.impl.models.remove(q.id, imported.id)).toBe(true);
    expect(await svc.impl.models.list(q.id)).toEqual([]);
  }, 60_000);

  it('refines an object from clicks with the newest click model (zero-training graph cut when there is none)', async () => {
    expect(await svc.impl.predictions.clickModel(pid)).toBeNull();
    const ids = await imageIds();
    // no click model yet: zero-training click-to-object answers (issue 12)
    const z = await svc.impl.predictions.refine(pid, ids[3]!, { clicks: [{ x: 39, y: 32, positive: true }] });
    expect(z).toMatchObject({ modelVersionId: null, sources: ['zero-shot'] });
    expect(z.mask.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // a box alone (the refine tool's drag) gives the object inside it; a box past the image is refused
    const zb = await svc.impl.predictions.refine(pid, ids[3]!, { clicks: [], box: { x0: 20, y0: 14, x1: 58, y1: 50 } });
    expect(zb.mask.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect([zb.x >= 20, zb.y >= 14, zb.x + zb.width <= 59, zb.y + zb.height <= 51]).toEqual([true, true, true, true]);
    expect((await errorOf(() => svc.impl.predictions.refine(pid, ids[3]!, { clicks: [], box: { x0: 0, y0: 0, x1: W, y1: 5 } }))).message).toMatch(/box .* outside/);
    const { jobId } = await svc.impl.training.start(pid, { maxSteps: 2, interactive: true, name: 'clicks' });
    await svc.waitForJob(jobId);
    expect(finishOf(jobId), finishOf(jobId)?.error).toMatchObject({ ok: true, activated: false });
    const cm = await svc.impl.predictions.clickModel(pid);
    expect(cm).toMatchObject({ name: 'clicks', kind: 'clicks', isActive: false });
    // a click model never becomes the pre-label model
    expect((await errorOf(() => svc.impl.models.activate(pid, cm!.id))).message).toMatch(/click-refinement model/);
    const r = await svc.impl.predictions.refine(pid, ids[3]!, { clicks: [{ x: 39, y: 32, positive: true }] });
    expect(r.modelVersionId).toBe(cm!.id);
    // combined mode: the click model's probabilities are a term of the cut
    expect(r.sources).toEqual(['zero-shot', 'click-model']);
    expect(r.mask.length).toBe(r.width * r.height);
    expect(r.x + r.width).toBeLessThanOrEqual(W);
    // a second click with the previous mask; clicks outside the image are refused
    const r2 = await svc.impl.predictions.refine(pid, ids[3]!, {
      clicks: [
        { x: 39, y: 32, positive: true },
        { x: 5, y: 5, positive: false },
      ],
      prev: r.width ? { x: r.x, y: r.y, width: r.width, height: r.height, mask: r.mask } : null,
    });
    expect(r2.ms).toBeGreaterThan(0);
    expect((await errorOf(() => svc.impl.predictions.refine(pid, ids[3]!, { clicks: [{ x: 64, y: 1, positive: true }] }))).message).toMatch(/outside/);
    expect((await errorOf(() => svc.impl.predictions.refine(pid, ids[3]!, { clicks: [{ x: 1, y: 1, positive: true }], prev: { x: 60, y: 0, width: 10, height: 1, mask: new Uint8Array(10) } }))).message).toMatch(/does not fit/);
  }, 240_000);

  it('after a class is added, a fine-tune starts fresh instead of failing, and the click model still fine-tunes', async () => {
    await svc.impl.classes.create(pid, { name: 'second' });
    const before = await svc.impl.models.list(pid);
    const seg = await svc.impl.training.start(pid, { maxSteps: 1, name: 'after new class' });
    await svc.waitForJob(seg.jobId);
    expect(finishOf(seg.jobId), finishOf(seg.jobId)?.error).toMatchObject({ ok: true });
    const clicks = await svc.impl.training.start(pid, { maxSteps: 1, interactive: true, name: 'clicks 2' });
    await svc.waitForJob(clicks.jobId);
    expect(finishOf(clicks.jobId), finishOf(clicks.jobId)?.error).toMatchObject({ ok: true });
    const after = await svc.impl.models.list(pid);
    expect(after.length).toBe(before.length + 2);
    const newSeg = after.find((v) => v.name === 'after new class')!;
    expect(newSeg.parentId).toBeNull(); // trained fresh
    expect(after.find((v) => v.name === 'clicks 2')!.parentId).toBe(before.find((v) => v.kind === 'clicks')!.id);
  }, 240_000);
});
