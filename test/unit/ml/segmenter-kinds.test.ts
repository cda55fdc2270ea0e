/** The model-kind registry: every kind loads a stored version into its interface; a kind used for the wrong job, or broken weights, is refused clearly. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_KINDS } from '../../../core/api/types';
import { selectBackend } from '../../../core/ml/backend';
import { buildAttentionUNet } from '../../../core/ml/models/attention-unet';
import { serializeModel } from '../../../core/ml/models/serialize-model';
import { SEGMENTER_KINDS, loadClickSegmenter, loadSegmenter } from '../../../core/ml/segmenter-kinds';
import { tinyConfig } from './ml-fixtures';

beforeAll(async () => {
  await selectBackend({ force: 'wasm', env: {} });
});

describe('SEGMENTER_KINDS', () => {
  it('has one entry per model kind of the API', () => {
    expect(Object.keys(SEGMENTER_KINDS).sort()).toEqual([...MODEL_KINDS].sort());
    for (const k of MODEL_KINDS) expect(SEGMENTER_KINDS[k].kind).toBe(k);
  });

  it('loads a segmentation version that predicts a whole image, and a click version that refines; each refuses the other job', async () => {
    const before = tf.memory().numTensors;
    const cfg = tinyConfig({ classIds: [7] });
    const net = buildAttentionUNet(cfg);
    const weights = await serializeModel(net);
    net.dispose();
    const seg = await loadSegmenter('segmentation', { id: 3, config: cfg }, weights);
    expect(seg.classIds).toEqual([7]);
    const img = { width: 20, height: 12, channels: 3, data: new Float32Array(20 * 12 * 3).fill(0.5) };
    const p = await seg.predict(img, { tileSize: 64 });
    expect([p.width, p.height, p.classMap.length]).toEqual([20, 12, 240]);
    seg.dispose();
    await expect(loadClickSegmenter('segmentation', { id: 3, config: cfg }, weights)).rejects.toThrow(/not a click-refinement model/);

    const ccfg = tinyConfig({ interactive: true });
    const cnet = buildAttentionUNet(ccfg);
    const cweights = await serializeModel(cnet);
    cnet.dispose();
    const click = await loadClickSegmenter('clicks', { id: 4, config: ccfg }, cweights);
    click.setImage(img);
    const r = await click.refine({ clicks: [{ x: 10, y: 6, positive: true }] });
    expect(r.mask.length).toBe(240);
    click.dispose();
    await expect(loadSegmenter('clicks', { id: 4, config: ccfg }, cweights)).rejects.toThrow(/cannot pre-label whole images/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses broken weights, a broken config and an unknown kind with clear errors', async () => {
    const cfg = tinyConfig();
    await expect(loadSegmenter('segmentation', { id: 9, config: cfg }, new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'corrupt-data', message: expect.stringMatching(/weights of model version 9/) });
    await expect(loadSegmenter('segmentation', { id: 9, config: { arch: 'nope' } }, new Uint8Array([1]))).rejects.toMatchObject({ code: 'corrupt-data', message: expect.stringMatching(/version 9 has an unusable config/) });
    await expect(loadSegmenter('bogus' as never, { id: 9, config: cfg }, new Uint8Array([1]))).rejects.toThrow(/Unknown model kind "bogus"/);
  });
});
