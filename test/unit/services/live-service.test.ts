/**
 * live.* end to end through the services on a tiny project: finished masks of other images train
 * the forest, strokes on a fresh image (painted foreground + background, the rest unknown) give a
 * proposal through predictions.latest that overlaps the object, strokes coalesce (latest wins),
 * an unreadable image disables Live for that image only, and the forest is saved as a 'live'
 * version with validation metrics (on live.save and when Live is turned off).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { EventHub, type AppEvent } from '../../../core/api/events';
import type { LiveUpdateEvent } from '../../../core/api/types';
import { LabelMap } from '../../../core/mask/label-map';
import { createServices, type AppServices } from '../../../core/services/create-services';
import { liveLabelsOf, liveValMetrics } from '../../../core/services/live-service';

let tmp: string;
let svc: AppServices;
let pid: string;
let classId: number;
let ids: number[];
const events: AppEvent[] = [];
const hub = new EventHub();
hub.subscribe((e) => events.push(e));

const W = 80;
const disc = (k: number) => ({ cx: 24 + k * 6, cy: 40, r: 13 });
const inDisc = (k: number, x: number, y: number) => (x - disc(k).cx) ** 2 + (y - disc(k).cy) ** 2 < disc(k).r ** 2;

function discMap(k: number): LabelMap {
  const m = new LabelMap(W, W);
  const inst = m.addInstance({ classId });
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) if (inDisc(k, x, y)) m.ids[y * W + x] = inst.id;
  return m;
}

/** a short horizontal stroke inside the disc of image k, and a background stroke far from it (bit-packed) */
function strokes(k: number): { labelMap: Uint8Array; background: Uint8Array } {
  const m = new LabelMap(W, W);
  const inst = m.addInstance({ classId });
  const { cx, cy } = disc(k);
  for (let y = cy - 1; y <= cy + 1; y++) for (let x = cx - 6; x <= cx + 6; x++) m.ids[y * W + x] = inst.id;
  const bg = new Uint8Array(Math.ceil((W * W) / 8));
  const set = (x: number, y: number) => (bg[(y * W + x) >> 3]! |= 1 << ((y * W + x) & 7));
  for (let x = 2; x < W - 2; x++) for (const y of [4, 5, 74, 75]) set(x, y);
  for (let y = 10; y < 70; y++) set(76, y);
  return { labelMap: m.encode(), background: bg };
}

async function label(iid: number, k: number) {
  const cur = await svc.impl.masks.load(pid, iid);
  await svc.impl.masks.save(pid, iid, { labelMap: discMap(k).encode(), expectedVersion: cur.version });
}

async function updateOf(seq: number, imageId: number, timeoutMs = 60_000): Promise<LiveUpdateEvent> {
  const t0 = Date.now();
  for (;;) {
    const e = events.find((x) => x.name === 'live.onDidUpdate' && (x.payload as LiveUpdateEvent).seq === seq && (x.payload as LiveUpdateEvent).imageId === imageId);
    if (e) return e.payload as LiveUpdateEvent;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no live update for stroke ${seq}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function iouWithDisc(blob: Uint8Array, k: number): number {
  const m = LabelMap.decode(blob);
  let inter = 0;
  let union = 0;
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) {
      const a = m.ids[y * W + x] !== 0;
      const b = inDisc(k, x, y);
      if (a && b) inter++;
      if (a || b) union++;
    }
  }
  return union ? inter / union : 0;
}

let corruptFile: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-live-'));
  svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: hub.emit });
  const p = await svc.impl.projects.create({ dir: path.join(tmp, 'p'), name: 'discs', classes: [{ name: 'disc' }] });
  pid = p.id;
  classId = p.classes[0]!.id;
  const imgs = path.join(tmp, 'imgs');
  fs.mkdirSync(imgs);
  for (let k = 0; k < 6; k++) {
    const px = new Uint8Array(W * W * 3);
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const v = (inDisc(k, x, y) ? 200 : 60) + ((x * 7 + y * 13 + k) % 23);
        px.fill(v, (y * W + x) * 3, (y * W + x) * 3 + 3);
      }
    }
    await sharp(px, { raw: { width: W, height: W, channels: 3 } })
      .png()
      .toFile(path.join(imgs, `d${k}.png`));
  }
  await svc.waitForImport((await svc.impl.imports.start(pid, { paths: [imgs] })).jobId);
  ids = (await svc.impl.images.list(pid, { sort: 'name' })).items.map((r) => r.id);
  // d5 becomes unreadable after the import (a damaged file on disk)
  corruptFile = path.join(imgs, 'd5.png');
  fs.writeFileSync(corruptFile, Buffer.from('not a png at all, just bytes'));
}, 60_000);
afterAll(() => {
  svc.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('live labels', () => {
  it('painted pixels are their class, background strokes background, the rest unknown (finished masks: background)', () => {
    const m = new LabelMap(4, 2);
    const a = m.addInstance({ classId: 9 });
    const b = m.addInstance({ classId: 5 });
    m.ids.set([a.id, 0, b.id, 0, 0, 0, 0, b.id]);
    const bg = new Uint8Array([0b0000_1010]); // pixels 1 and 3
    expect([...liveLabelsOf(m, [5, 9], 0, bg)]).toEqual([3, 1, 2, 1, 0, 0, 0, 2]);
    expect([...liveLabelsOf(m, [5, 9], 1)]).toEqual([3, 1, 2, 1, 1, 1, 1, 2]);
  });

  it('validation metrics pool intersections and unions, with the per-image spread and the trivial baseline', () => {
    const truth = new Uint8Array([0, 0, 1, 1]);
    const v = liveValMetrics(
      [
        { inter: [2, 2], union: [2, 2], truth },
        { inter: [1, 1], union: [2, 2], truth },
      ],
      2,
    )!;
    expect(v.iou).toEqual([3 / 4]);
    expect(v.meanIou).toBeCloseTo(0.75);
    expect(v.images).toBe(2);
    expect(v.iouSe).toBeCloseTo(Math.sqrt(0.125) / Math.sqrt(2));
    expect(v.baselineIou).toBeCloseTo(0.5);
    expect(liveValMetrics([], 2)).toBeNull();
  });
});

describe('live service', () => {
  it('refuses strokes while Live is off, and bad arguments at the contract', async () => {
    const e = await Promise.resolve()
      .then(() => svc.impl.live.strokeEnded(pid, ids[0]!, strokes(0)))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('conflict');
    expect((await svc.impl.live.status(pid)).enabled).toBe(false);
  });

  it('strokes on a fresh image give a proposal that overlaps the object; finished masks of other images train too', async () => {
    for (const k of [1, 2, 3, 4]) await label(ids[k]!, k);
    await svc.impl.images.setStatus(pid, [ids[1]!, ids[2]!, ids[3]!, ids[4]!], 'done');
    const st = await svc.impl.live.setEnabled(pid, { enabled: true });
    expect(st.enabled).toBe(true);
    expect(st.otherImagesTotal + st.valImages).toBe(4);
    expect(st.valImages).toBeGreaterThanOrEqual(1);

    // three strokes in a row: the first runs, the second is replaced by the third (latest wins)
    const s = strokes(0);
    const a = await svc.impl.live.strokeEnded(pid, ids[0]!, s);
    const b = await svc.impl.live.strokeEnded(pid, ids[0]!, s);
    const c = await svc.impl.live.strokeEnded(pid, ids[0]!, s);
    const ua = await updateOf(a.seq, ids[0]!);
    const ub = await updateOf(b.seq, ids[0]!);
    const uc = await updateOf(c.seq, ids[0]!);
    expect(ua.ok, ua.error).toBe(true);
    expect(ub.superseded).toBe(true);
    expect(uc.ok, uc.error).toBe(true);
    expect(uc.images).toBeGreaterThanOrEqual(2); // this image's strokes + the finished masks
    expect(uc.totalMs).toBeGreaterThan(0);
    const latest = await svc.impl.predictions.latest(pid, ids[0]!);
    expect(latest?.id).toBe(uc.predictionId);
    expect(latest?.modelVersionId).toBeNull();
    expect(latest?.confidence?.length).toBe(W * W);
    expect(iouWithDisc(latest!.labelMap, 0)).toBeGreaterThan(0.8);
    const inst = LabelMap.decode(latest!.labelMap).instances();
    expect(inst.length).toBeGreaterThanOrEqual(1);
    expect(inst.every((i) => i.source === 'model' && i.classId === classId)).toBe(true);
  }, 120_000);

  it('an unreadable image turns Live off for that image only, with a clear message', async () => {
    const r = await svc.impl.live.strokeEnded(pid, ids[5]!, strokes(5));
    const u = await updateOf(r.seq, ids[5]!);
    expect(u.ok).toBe(false);
    expect(u.disabled).toBe(true);
    expect(u.error).toMatch(/Live is off for this image: d5\.png cannot be read/);
    expect((await svc.impl.live.status(pid)).disabledImages.map((d) => d.imageId)).toEqual([ids[5]]);
    // the other images still work
    const ok = await svc.impl.live.strokeEnded(pid, ids[0]!, strokes(0));
    expect((await updateOf(ok.seq, ids[0]!)).ok).toBe(true);
    // a wrong-size background is refused at the call
    await expect(Promise.resolve().then(() => svc.impl.live.strokeEnded(pid, ids[0]!, { labelMap: strokes(0).labelMap, background: new Uint8Array(3) }))).rejects.toThrow(/one bit per pixel/);
  }, 60_000);

  it('saves the forest as a live version with validation metrics; turning Live off saves another', async () => {
    const v = await svc.impl.live.save(pid, { name: 'my live' });
    expect(v.kind).toBe('live');
    expect(v.name).toBe('my live');
    const val = v.metrics.val as { meanIou: number; images: number };
    expect(val.images).toBeGreaterThanOrEqual(1);
    expect(val.meanIou).toBeGreaterThan(0.7);
    expect(v.isActive).toBe(true); // no model was active
    expect(v.images?.train).toBeGreaterThanOrEqual(1);
    const off = await svc.impl.live.setEnabled(pid, { enabled: false });
    expect(off.enabled).toBe(false);
    expect(off.savedVersionId).toBeGreaterThan(v.id);
    const list = await svc.impl.models.list(pid);
    expect(list.filter((x) => x.kind === 'live')).toHaveLength(2);
    // and the saved version pre-labels like any other
    const { jobId } = await svc.impl.predictions.prelabel(pid, { imageIds: [ids[0]!] });
    await svc.waitForJob(jobId);
    const p = await svc.impl.predictions.latest(pid, ids[0]!);
    const active = list.find((x) => x.isActive)!;
    expect(active.kind).toBe('live'); // the second is at least as good on the same validation images
    expect(p?.modelVersionId).toBe(active.id);
    expect(iouWithDisc(p!.labelMap, 0)).toBeGreaterThan(0.7);
  }, 120_000);

  it('batch pre-label skips an image whose file leads outside the project, with its reason, and labels the rest', async () => {
    // d4 (referenced where it was imported from) becomes a symbolic link to a file outside that folder
    const copy = path.join(tmp, 'imgs', 'd4.png');
    const outsideFile = path.join(tmp, 'outside.png');
    fs.copyFileSync(copy, outsideFile);
    fs.rmSync(copy);
    fs.symlinkSync(outsideFile, copy);
    try {
      const { jobId } = await svc.impl.predictions.prelabel(pid, { imageIds: [ids[1]!, ids[4]!] });
      await svc.waitForJob(jobId);
      const fin = events.find((e) => e.name === 'predictions.onDidFinish' && (e.payload as { jobId: string }).jobId === jobId)!.payload as { done: number; failed: number; error?: string; errors: { imageId: number; message: string }[] };
      expect(fin.error).toBeUndefined();
      expect(fin.done).toBe(1);
      expect(fin.failed).toBe(1);
      expect(fin.errors).toEqual([{ imageId: ids[4], message: expect.stringMatching(/outside/) }]);
      expect((await svc.impl.predictions.latest(pid, ids[1]!))?.labelMap).toBeTruthy();
      // only that image: alone, the job says why nothing ran
      const only = await svc.impl.predictions.prelabel(pid, { imageIds: [ids[4]!] });
      await svc.waitForJob(only.jobId);
      const fin2 = events.find((e) => e.name === 'predictions.onDidFinish' && (e.payload as { jobId: string }).jobId === only.jobId)!.payload as { done: number; error?: string };
      expect(fin2.done).toBe(0);
      expect(fin2.error).toMatch(/None of the 1 image\(s\) could be read: .*outside/);
    } finally {
      fs.rmSync(copy);
      fs.copyFileSync(outsideFile, copy);
    }
  }, 120_000);

  it('live forest vs U-Net on the same validation images: the better one proposes by default, and the version says why', async () => {
    const finishOf = (jobId: string) => events.find((e) => e.name === 'training.onDidFinish' && (e.payload as { jobId: string }).jobId === jobId)?.payload as { ok: boolean; versionId?: number; activated?: boolean; activation?: string; error?: string } | undefined;
    const liveActive = (await svc.impl.models.list(pid)).find((x) => x.isActive)!;
    expect(liveActive.kind).toBe('live');
    // a U-Net after two steps is far worse than the forest: scored against the forest on the run's own validation images, it is kept inactive
    const { jobId } = await svc.impl.training.start(pid, { maxSteps: 2, base: 'active' });
    await svc.waitForJob(jobId);
    const f = finishOf(jobId)!;
    expect(f.ok, f.error).toBe(true);
    expect(f.activated).toBe(false);
    expect(f.activation).toMatch(/kept the active model: validation IoU [\d.]+ < active [\d.]+ on this run's \d validation images?/);
    const unet = (await svc.impl.models.list(pid)).find((x) => x.id === f.versionId)!;
    expect(unet.kind).toBe('segmentation');
    const cw = unet.metrics.comparedWith as { versionId: number; kind: string; val: { meanIou: number } };
    expect(cw).toMatchObject({ versionId: liveActive.id, kind: 'live' });
    expect(cw.val.meanIou).toBeGreaterThan((unet.metrics.val as { meanIou: number }).meanIou);
    expect(unet.metrics.activation).toBe(f.activation);

    // the person activates the U-Net by hand; a live forest saved later is compared with it on the same images and takes over
    await svc.impl.models.activate(pid, unet.id);
    await svc.impl.live.setEnabled(pid, { enabled: true });
    const r = await svc.impl.live.strokeEnded(pid, ids[0]!, strokes(0));
    expect((await updateOf(r.seq, ids[0]!)).ok).toBe(true);
    const v = await svc.impl.live.save(pid, {});
    expect(v.isActive).toBe(true);
    const m = v.metrics as { activation: string; comparedWith: { versionId: number; kind: string; val: { meanIou: number; images: number } }; val: { meanIou: number; images: number } };
    expect(m.comparedWith).toMatchObject({ versionId: unet.id, kind: 'segmentation' });
    expect(m.comparedWith.val.images).toBe(m.val.images);
    expect(m.activation).toMatch(/^this live forest proposes: validation IoU [\d.]+ >= [\d.]+ of the active U-Net .* on the same \d validation images?$/);
    await svc.impl.live.setEnabled(pid, { enabled: false, save: false });
    expect((await svc.impl.models.list(pid)).filter((x) => x.kind === 'live')).toHaveLength(3);
  }, 240_000);
});
