/** Click refinement in the ML worker: the model loads once in another thread, calls come back in order, bad calls fail alone, a bad model fails clearly. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../core/ml/backend';
import { RefineWorker } from '../../../core/ml/infer/refine-worker';
import { serializeModel } from '../../../core/ml/models/serialize-model';
import { defaultTrainConfig, train } from '../../../core/ml/train/train';
import { blobSample, tinyConfig } from './ml-fixtures';

let tmp: string;
let weights: Uint8Array;
let config: Awaited<ReturnType<typeof train>>['modelConfig'];
const s = blobSample(3);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-refine-'));
  await selectBackend({ force: 'wasm', env: {} });
  const res = await train(defaultTrainConfig(tinyConfig({ interactive: true }), { cropSize: 64, batchSize: 4, maxSteps: 150, valEvery: 0, lr: 1e-2 }), { train: [blobSample(1), blobSample(2)], val: [] });
  weights = await serializeModel(res.model);
  config = res.modelConfig;
  res.model.dispose();
  // the blob image as an 8-bit PNG (the fixture is in 0..1)
  const rgb = Buffer.alloc(s.width * s.height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.max(0, Math.min(255, Math.round(s.image[i]! * 255)));
  await sharp(rgb, { raw: { width: s.width, height: s.height, channels: 3 } }).png().toFile(path.join(tmp, 'blobs.png'));
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('RefineWorker', () => {
  it('refines in a worker thread: an object from one click, a bad call fails alone, later calls still work', async () => {
    const w = RefineWorker.open({ kind: 'clicks', version: { id: 7, config }, weights, backend: 'wasm' });
    expect(w.threadId).not.toBe(threadId);
    const gt = Uint8Array.from(s.instances!, (v) => (v === 1 ? 1 : 0));
    let cx = 0;
    let cy = 0;
    let n = 0;
    gt.forEach((v, i) => {
      if (v) {
        cx += i % s.width;
        cy += Math.floor(i / s.width);
        n++;
      }
    });
    const click = { x: Math.round(cx / n), y: Math.round(cy / n), positive: true };
    const file = path.join(tmp, 'blobs.png');
    const r = await w.refine({ imageId: 1, path: file, clicks: [click], prevMask: null });
    expect([r.width, r.height]).toEqual([s.width, s.height]);
    let inter = 0;
    let uni = 0;
    r.mask.forEach((v, i) => {
      if (v && gt[i]) inter++;
      if (v || gt[i]) uni++;
    });
    expect(inter / uni).toBeGreaterThan(0.5);
    await expect(w.refine({ imageId: 2, path: path.join(tmp, 'missing.png'), clicks: [click], prevMask: null })).rejects.toMatchObject({ message: expect.stringMatching(/Cannot read image 2|not found|missing/i) });
    const again = await w.refine({ imageId: 1, path: file, clicks: [click, { x: 1, y: 1, positive: false }], prevMask: r.mask });
    expect(again.mask.length).toBe(s.width * s.height);
    expect(w.alive).toBe(true);
    await w.dispose();
    expect(w.alive).toBe(false);
    await expect(w.refine({ imageId: 1, path: file, clicks: [click], prevMask: null })).rejects.toMatchObject({ code: 'cancelled' });
  }, 60_000);

  it('a model that cannot load, or a version that is not a click model, fails every call with a clear error', async () => {
    const seg = RefineWorker.open({ kind: 'segmentation', version: { id: 7, config }, weights, backend: 'wasm' });
    await expect(seg.refine({ imageId: 1, path: 'x.png', clicks: [{ x: 1, y: 1, positive: true }], prevMask: null })).rejects.toThrow(/not a click-refinement model/);
    const w = RefineWorker.open({ kind: 'clicks', version: { id: 7, config }, weights: new Uint8Array([1, 2, 3]), backend: 'wasm' });
    await expect(w.refine({ imageId: 1, path: 'x.png', clicks: [{ x: 1, y: 1, positive: true }], prevMask: null })).rejects.toMatchObject({ code: expect.stringMatching(/corrupt-data|invalid-argument/) });
    expect(w.alive).toBe(false);
  }, 60_000);
  it('with no click model, the zero-training graph cut runs in the worker: one click gives the object, clicks outside the image are refused', async () => {
    const w = RefineWorker.open({ kind: 'zero-shot' });
    expect(w.threadId).not.toBe(threadId);
    try {
      // a bright textured disc on a darker textured background (what a first click meets)
      const W = 96;
      const H = 80;
      const gt = new Uint8Array(W * H);
      const rgb = Buffer.alloc(W * H * 3);
      let seed = 7;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const inside = (x - 50) ** 2 + (y - 38) ** 2 <= 18 ** 2;
          gt[y * W + x] = inside ? 1 : 0;
          const v = (inside ? 190 : 70) + Math.round((rnd() - 0.5) * 40);
          rgb.fill(v, (y * W + x) * 3, (y * W + x) * 3 + 3);
        }
      }
      const file = path.join(tmp, 'disc.png');
      await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(file);
      const r = await w.refine({ imageId: 1, path: file, clicks: [{ x: 50, y: 38, positive: true }], prevMask: null });
      expect([r.width, r.height]).toEqual([W, H]);
      expect(r.sources).toEqual(['zero-shot']);
      let inter = 0;
      let uni = 0;
      r.mask.forEach((v, i) => {
        if (v && gt[i]) inter++;
        if (v || gt[i]) uni++;
      });
      expect(inter / uni).toBeGreaterThan(0.8);
      await expect(w.refine({ imageId: 1, path: file, clicks: [{ x: W + 5, y: 1, positive: true }], prevMask: null })).rejects.toMatchObject({ code: 'invalid-argument' });
      expect(w.alive).toBe(true);
    } finally {
      await w.dispose();
    }
  });
  it('zero-shot sessions take a box, and a prior (the proposal) moves the cut towards the object it names', async () => {
    // a bright disc with a bright bar of the same colour grown onto it: colour alone cannot split them
    const W = 120;
    const H = 90;
    const disc = (x: number, y: number) => (x - 40) ** 2 + (y - 45) ** 2 <= 20 ** 2;
    const bar = (x: number, y: number) => x >= 50 && x < 66 && y >= 38 && y < 52;
    const gt = new Uint8Array(W * H);
    const union = new Uint8Array(W * H);
    const rgb = Buffer.alloc(W * H * 3);
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const fg = disc(x, y) || bar(x, y);
        gt[y * W + x] = disc(x, y) ? 1 : 0;
        union[y * W + x] = fg ? 1 : 0;
        rgb.fill((fg ? 190 : 70) + Math.round((rnd() - 0.5) * 40), (y * W + x) * 3, (y * W + x) * 3 + 3);
      }
    }
    const file = path.join(tmp, 'disc-bar.png');
    await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(file);
    const iou = (m: Uint8Array, ref: Uint8Array) => {
      let i = 0;
      let u = 0;
      m.forEach((v, k) => {
        if (v && ref[k]) i++;
        if (v || ref[k]) u++;
      });
      return i / u;
    };
    const w = RefineWorker.open({ kind: 'zero-shot' });
    try {
      const click = [{ x: 40, y: 45, positive: true }];
      const plain = await w.refine({ imageId: 1, path: file, clicks: click, prevMask: null });
      expect(plain.sources).toEqual(['zero-shot']);
      // colour alone takes disc and bar as one object
      expect(iou(plain.mask, union)).toBeGreaterThan(0.9);
      const toward = (ref: Uint8Array) => Uint8Array.from(ref, (v) => (v ? 250 : 5));
      const barPixels = (m: Uint8Array) => m.reduce((n, v, k) => n + (v && !gt[k] ? 1 : 0), 0);
      const withDisc = await w.refine({ imageId: 1, path: file, clicks: click, prevMask: null, priors: [{ prob: toward(gt), source: 'prelabel', weight: 1.5 }] });
      expect(withDisc.sources).toEqual(['zero-shot', 'prelabel']);
      // the prior that names the disc brings the cut closer to the disc ...
      expect(iou(withDisc.mask, gt)).toBeGreaterThan(iou(plain.mask, gt) + 0.01);
      expect(barPixels(withDisc.mask)).toBeLessThan(0.8 * barPixels(plain.mask));
      // ... and one that names disc and bar as one object brings it closer to that
      const withUnion = await w.refine({ imageId: 1, path: file, clicks: click, prevMask: null, priors: [{ prob: toward(union), source: 'prelabel', weight: 1.5 }] });
      expect(iou(withUnion.mask, union)).toBeGreaterThan(iou(withDisc.mask, union));
      expect(barPixels(withUnion.mask)).toBeGreaterThan(barPixels(withDisc.mask));
      // a box alone: the object inside it, nothing outside it
      const box = { x0: 15, y0: 20, x1: 65, y1: 70 };
      const boxed = await w.refine({ imageId: 1, path: file, clicks: [], box, prevMask: null });
      expect(iou(boxed.mask, gt)).toBeGreaterThan(0.8);
      boxed.mask.forEach((v, k) => {
        if (v) expect(k % W >= box.x0 && k % W <= box.x1 && Math.floor(k / W) >= box.y0 && Math.floor(k / W) <= box.y1).toBe(true);
      });
      const e = await w.refine({ imageId: 1, path: file, clicks: [], box: { x0: W + 3, y0: 0, x1: W + 9, y1: 5 }, prevMask: null }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/box is outside/) });
    } finally {
      await w.dispose();
    }
  });

  it('combined mode: with a click model the cut takes its probabilities as one more term, and says so', async () => {
    const w = RefineWorker.open({ kind: 'zero-shot', clickModel: { kind: 'clicks', version: { id: 7, config }, weights, backend: 'wasm' } });
    try {
      const file = path.join(tmp, 'blobs.png');
      const gt = Uint8Array.from(s.instances!, (v) => (v === 1 ? 1 : 0));
      let cx = 0;
      let cy = 0;
      let n = 0;
      gt.forEach((v, i) => {
        if (v) {
          cx += i % s.width;
          cy += Math.floor(i / s.width);
          n++;
        }
      });
      const r = await w.refine({ imageId: 1, path: file, clicks: [{ x: Math.round(cx / n), y: Math.round(cy / n), positive: true }], prevMask: null });
      expect(r.sources).toEqual(['zero-shot', 'click-model']);
      expect(r.mask.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      // only negative clicks or a box: the click model has nothing to say, the cut alone answers
      const b = await w.refine({ imageId: 1, path: file, clicks: [], box: { x0: 0, y0: 0, x1: s.width - 1, y1: s.height - 1 }, prevMask: null });
      expect(b.sources).toEqual(['zero-shot']);
    } finally {
      await w.dispose();
    }
  }, 60_000);
});
