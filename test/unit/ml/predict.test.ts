/**
 * Inference: tiling covers every pixel with blending weights that normalise to 1; stitched
 * sliding-window output equals whole-image output for a translation-equivariant model;
 * confidence/uncertainty; per-instance split into a LabelMap; batch prediction with progress,
 * per-image failures and cancellation; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../core/ml/backend';
import { UNetSegmenter } from '../../../core/ml/models/unet-segmenter';
import { predictBatch } from '../../../core/ml/infer/predict-batch';
import { predictImage, predictProbabilities, summarizeProbabilities } from '../../../core/ml/infer/predict-image';
import { predictionToLabelMap } from '../../../core/ml/infer/prediction-to-label-map';
import { axisPositions, extractTile, rampWeights, TileBlender, tileGrid } from '../../../core/ml/infer/sliding-window';
import { buildAttentionUNet } from '../../../core/ml/models/attention-unet';
import type { ModelImage } from '../../../core/ml/model-image';
import { tinyConfig } from './ml-fixtures';

beforeAll(async () => {
  await selectBackend({ force: 'wasm', env: {} });
});

function randomImage(w: number, h: number, c = 3, seed = 1): ModelImage {
  let s = seed;
  const data = Float32Array.from({ length: w * h * c }, () => ((s = (s * 16807) % 2147483647) / 2147483647));
  return { width: w, height: h, channels: c, data };
}

/** A translation-equivariant "model": a per-pixel (1x1) conv of the input, as a layers model. */
function pointwiseModel(k: number): tf.LayersModel {
  const inp = tf.input({ shape: [null, null, 3] });
  const out = tf.layers.conv2d({ filters: k, kernelSize: 1, kernelInitializer: tf.initializers.randomNormal({ seed: 3 }), biasInitializer: 'ones' }).apply(inp) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

describe('tiling', () => {
  it('positions start at 0, end flush, and keep at least the overlap', () => {
    expect(axisPositions(100, 128, 16)).toEqual([0]);
    expect(axisPositions(512, 256, 64)).toEqual([0, 128, 256]);
    const p = axisPositions(1000, 256, 32);
    expect(p[0]).toBe(0);
    expect(p[p.length - 1]).toBe(1000 - 256);
    for (let i = 1; i < p.length; i++) expect(p[i]! - p[i - 1]!).toBeLessThanOrEqual(256 - 32);
  });

  it('tiles are multiples of the model size; small images get one padded tile', () => {
    expect(tileGrid(50, 30, 256, 32, 16)).toEqual([{ x: 0, y: 0, width: 64, height: 32 }]);
    const t = tileGrid(300, 200, 128, 32, 32);
    expect(t.every((x) => x.width === 128 && x.height === 128)).toBe(true);
  });

  it('ramps are flat at image borders and the blend of constant tiles is that constant', () => {
    expect([...rampWeights(0, 6, 10, 2)].map((v) => +v.toFixed(3))).toEqual([1, 1, 1, 1, 0.667, 0.333]);
    const W = 70;
    const H = 45;
    const b = new TileBlender(W, H, 2, 16);
    for (const tile of tileGrid(W, H, 32, 16, 1)) {
      b.add(tile, new Float32Array(tile.width * tile.height * 2).fill(0.25));
    }
    const r = b.result();
    expect(Math.max(...r.map((v) => Math.abs(v - 0.25)))).toBeLessThan(1e-6);
  });

  it('extracts tiles with reflection past the border', () => {
    const img: ModelImage = { width: 3, height: 2, channels: 1, data: Float32Array.from([0, 1, 2, 3, 4, 5]) };
    expect([...extractTile(img, { x: 0, y: 0, width: 4, height: 3 })]).toEqual([0, 1, 2, 1, 3, 4, 5, 4, 0, 1, 2, 1]);
  });
});

describe('predictImage', () => {
  it('sliding-window stitching equals the whole-image prediction for a translation-equivariant model', async () => {
    const m = pointwiseModel(3);
    const cfg = tinyConfig({ classes: 2, classIds: [1, 2] });
    const img = randomImage(150, 97);
    const whole = await predictProbabilities(m, cfg, img, { tileSize: 1024 });
    const tiled = await predictProbabilities(m, cfg, img, { tileSize: 64, overlap: 24 });
    let d = 0;
    for (let i = 0; i < whole.probs.length; i++) d = Math.max(d, Math.abs(whole.probs[i]! - tiled.probs[i]!));
    expect(d).toBeLessThan(1e-5);
    m.dispose();
  });

  it('gives class, confidence and uncertainty for any size, without leaking tensors', async () => {
    const cfg = tinyConfig();
    const m = buildAttentionUNet(cfg);
    const before = tf.memory().numTensors;
    for (const [w, h] of [[1, 1], [17, 33], [130, 70]] as [number, number][]) {
      const p = await predictImage(m, cfg, randomImage(w, h), { tileSize: 64, overlap: 16, keepProbabilities: true });
      expect([p.width, p.height, p.k, p.classMap.length, p.confidence.length]).toEqual([w, h, 2, w * h, w * h]);
      expect(p.probabilities!.length).toBe(w * h * 2);
      for (let i = 0; i < w * h; i++) {
        expect(p.probabilities![2 * i]! + p.probabilities![2 * i + 1]!).toBeCloseTo(1, 5);
        expect(p.confidence[i]).toBeGreaterThanOrEqual(0.5);
      }
      expect(p.meanUncertainty).toBeGreaterThanOrEqual(0);
      expect(p.meanUncertainty).toBeLessThanOrEqual(1);
    }
    expect(tf.memory().numTensors).toBe(before);
    await expect(predictImage(m, cfg, randomImage(8, 8, 1))).rejects.toThrow(/3-channel/);
    m.dispose();
  });

  it('entropy and margin uncertainty (hand-computed)', () => {
    const s = summarizeProbabilities(Float32Array.from([0.5, 0.5, 0.9, 0.1, 0.2, 0.8]), 3, 1, 2, 'entropy');
    expect([...s.classMap]).toEqual([0, 0, 1]);
    expect(s.uncertainty[0]).toBeCloseTo(1, 6);
    expect(s.uncertainty[1]).toBeCloseTo(-(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1)) / Math.log(2), 5);
    const m = summarizeProbabilities(Float32Array.from([0.5, 0.3, 0.2]), 1, 1, 3, 'margin');
    expect(m.uncertainty[0]).toBeCloseTo(0.8, 6);
    expect(m.confidence[0]).toBeCloseTo(0.5, 6);
  });
});

describe('label maps and batches', () => {
  it('splits a prediction into instances by connected components with model source and score', () => {
    const W = 6;
    const classMap = Uint8Array.from([1, 1, 0, 0, 2, 2, 1, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    const confidence = Float32Array.from(classMap, (v, i) => (v ? 0.5 + (i % 2) * 0.25 : 0.9));
    const map = predictionToLabelMap({ width: W, height: 4, classMap, confidence }, { classIds: [10, 20], minAreaPx: 1 });
    const inst = map.instances();
    expect(inst.map((i) => [i.classId, i.source])).toEqual([
      [10, 'model'],
      [20, 'model'],
      [10, 'model'],
    ]);
    expect(inst[0]!.score).toBeCloseTo((0.5 + 0.75 + 0.5) / 3, 4);
    expect(map.ids[0]).toBe(inst[0]!.id);
    const small = predictionToLabelMap({ width: W, height: 4, classMap, confidence }, { classIds: [10, 20], minAreaPx: 3 });
    expect(small.instanceCount).toBe(2);
  });

  it('predicts a batch with progress, reports a bad image and honours cancellation', async () => {
    const cfg = tinyConfig();
    const m = new UNetSegmenter(buildAttentionUNet(cfg), cfg);
    const seen: number[] = [];
    const results: (string | number)[] = [];
    const summary = await predictBatch(
      m,
      [
        { id: 1, load: async () => randomImage(40, 30) },
        { id: 2, load: async () => Promise.reject(new Error('corrupt file')) },
        { id: 3, load: async () => randomImage(20, 20) },
      ],
      {
        tileSize: 64,
        onProgress: (p) => seen.push(p.done),
        onResult: (id, r) => {
          results.push('error' in r ? `${id}:${r.error.message}` : id);
          if (!('error' in r)) expect(r.labelMap.width).toBeGreaterThan(0);
        },
      },
    );
    expect(summary).toMatchObject({ done: 3, failed: 1 });
    expect(seen).toEqual([1, 2, 3]);
    expect(results).toEqual([1, '2:corrupt file', 3]);
    const ac = new AbortController();
    const run = predictBatch(m, [1, 2, 3].map((id) => ({ id, load: async () => randomImage(32, 32) })), {
      signal: ac.signal,
      onResult: () => ac.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    m.dispose();
  });
});
