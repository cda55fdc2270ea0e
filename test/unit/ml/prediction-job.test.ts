/** Batch pre-labelling in the worker thread: per-image proposals, a bad file, cancellation. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelMap } from '../../../core/mask/label-map';
import { selectBackend } from '../../../core/ml/backend';
import { PredictionJob } from '../../../core/ml/infer/prediction-job';
import { buildAttentionUNet } from '../../../core/ml/models/attention-unet';
import { serializeModel } from '../../../core/ml/models/serialize-model';
import type { PredictedImage } from '../../../core/ml/worker/training-protocol';
import { tinyConfig } from './ml-fixtures';

let tmp: string;
let weights: Uint8Array;
const cfg = tinyConfig({ classIds: [42] });
beforeAll(async () => {
  await selectBackend({ force: 'wasm', env: {} });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-ml-predjob-'));
  const m = buildAttentionUNet(cfg);
  weights = await serializeModel(m);
  m.dispose();
  const px = Buffer.alloc(50 * 40 * 3, 90);
  await sharp(px, { raw: { width: 50, height: 40, channels: 3 } }).png().toFile(path.join(tmp, 'a.png'));
  await sharp(Buffer.alloc(30 * 30, 200), { raw: { width: 30, height: 30, channels: 1 } }).png().toFile(path.join(tmp, 'grey.png'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('PredictionJob', () => {
  it('pre-labels images in a worker and reports a bad file without stopping', async () => {
    const got: PredictedImage[] = [];
    const errors: string[] = [];
    const job = PredictionJob.start(
      { weights, config: cfg, backend: 'wasm', items: [{ id: 1, path: path.join(tmp, 'a.png') }, { id: 2, path: path.join(tmp, 'missing.png') }, { id: 3, path: path.join(tmp, 'grey.png') }] },
      { onResult: (img) => got.push(img), onError: (id, e) => errors.push(`${id}:${e.code}`) },
    );
    const summary = await job.done;
    expect(summary).toMatchObject({ done: 3, failed: 1 });
    expect(got.map((g) => [g.id, g.width, g.height])).toEqual([
      [1, 50, 40],
      [3, 30, 30],
    ]);
    expect(errors).toEqual(['2:not-found']);
    const map = LabelMap.decode(got[0]!.labelMap);
    expect([map.width, map.height]).toEqual([50, 40]);
    expect(map.instances().every((i) => i.source === 'model' && i.classId === 42)).toBe(true);
    expect(got[0]!.confidence.length).toBe(2000);
  }, 60_000);

  it('stops when cancelled', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ id: i, path: path.join(tmp, 'a.png') }));
    const job = PredictionJob.start({ weights, config: cfg, backend: 'wasm', items }, { onResult: (_img, done) => done === 2 && job.cancel() });
    await expect(job.done).rejects.toMatchObject({ code: 'cancelled' });
  }, 60_000);
});
