/**
 * Model layers and architectures: hand-written gradients against autodiff/exact references,
 * the reference architecture's parameter count, save -> load -> identical predictions, the
 * interactive variant and the MobileNetV2-encoder variant (a synthetic Keras-like encoder
 * always; nsfwjs's real MobileNetV2 where the package is installed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../core/ml/backend';
import { buildAttentionUNet } from '../../../core/ml/models/attention-unet';
import { buildModel } from '../../../core/ml/models/build-model';
import { ConcatConv2D } from '../../../core/ml/models/concat-conv2d';
import { groupNorm } from '../../../core/ml/models/group-norm';
import { maxPool2x2 } from '../../../core/ml/models/max-pool2x2';
import { findNsfwjsMobileNet } from '../../../core/ml/models/mobilenet-unet';
import { defaultModelConfig, REFERENCE_UNET, type SegModelConfig } from '../../../core/ml/models/model-config';
import { deserializeModel, ModelFormatError, serializeModel } from '../../../core/ml/models/serialize-model';
import { SpatialReductionAttention } from '../../../core/ml/models/spatial-reduction-attention';
import { REPO_ROOT } from '../../helpers/paths';
import { tinyConfig } from './ml-fixtures';

let tmp: string;
beforeAll(async () => {
  await selectBackend({ force: 'wasm', env: {} });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-ml-models-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('custom layers', () => {
  it('GroupNorm(+ReLU) forward and fused gradient match autodiff of the textbook formula', () => {
    tf.tidy(() => {
      const naive = (z: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor, groups: number, relu: boolean) => {
        const [n, h, w, c] = z.shape;
        const xg = tf.reshape(z, [n, h, w, groups, c / groups]);
        const { mean, variance } = tf.moments(xg, [1, 2, 4], true);
        const y = tf.add(tf.mul(tf.reshape(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, 1e-5))), [n, h, w, c]), g), b);
        return relu ? tf.relu(y) : y;
      };
      for (const relu of [false, true]) {
        for (const groups of [1, 2, 4]) {
          const z = tf.randomNormal([2, 5, 6, 8], 0.5, 2, 'float32', 3) as tf.Tensor4D;
          const gamma = tf.randomNormal([8], 1, 0.3, 'float32', 4);
          const beta = tf.randomNormal([8], 0, 0.3, 'float32', 5);
          const up = tf.randomNormal([2, 5, 6, 8], 0, 1, 'float32', 6);
          const f1 = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(groupNorm(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, groups, 1e-5, relu ? 'relu' : 'linear'), up));
          const f2 = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(naive(a as tf.Tensor4D, g, b, groups, relu), up));
          expect(maxAbs(f1(z, gamma, beta), f2(z, gamma, beta))).toBeLessThan(1e-3);
          const g1 = tf.grads(f1)([z, gamma, beta]);
          const g2 = tf.grads(f2)([z, gamma, beta]);
          g1.forEach((g, i) => expect(maxAbs(g, g2[i]!)).toBeLessThan(1e-4));
        }
      }
    });
  });

  it('MaxPool2x2 gradient equals the exact one without ties (odd sizes too)', () => {
    tf.tidy(() => {
      for (const [h, w] of [[8, 6], [7, 9]] as [number, number][]) {
        const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
        const dy = tf.randomNormal([2, Math.floor(h / 2), Math.floor(w / 2), 3], 0, 1, 'float32', 8);
        const ours = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPool2x2(a as tf.Tensor4D), dy)))(x);
        const exact = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), dy)))(x);
        expect(ours.shape).toEqual(x.shape);
        expect(maxAbs(ours, exact)).toBeLessThan(1e-6);
        expect(maxAbs(maxPool2x2(x), tf.maxPool(x, 2, 2, 'valid'))).toBe(0);
      }
    });
  });

  it('ConcatConv2D equals concatenate + conv2d with the same kernel', () => {
    tf.tidy(() => {
      const a = tf.randomNormal([1, 6, 5, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
      const b = tf.randomNormal([1, 6, 5, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const layer = new ConcatConv2D({ filters: 4, kernelSize: 3 });
      const y = layer.apply([a, b]) as tf.Tensor;
      const k = layer.getWeights()[0] as tf.Tensor4D;
      expect(maxAbs(y, tf.conv2d(tf.concat([a, b], 3), k, 1, 'same'))).toBeLessThan(1e-5);
    });
  });

  it('1x1 conv then bilinear x2 equals bilinear x2 then 1x1 conv (the decoder order is free)', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 7, 6], 0, 1, 'float32', 9) as tf.Tensor4D;
      const w = tf.randomNormal([1, 1, 6, 3], 0, 1, 'float32', 10) as tf.Tensor4D;
      const b = tf.randomNormal([3], 0, 1, 'float32', 11);
      const up = (t: tf.Tensor4D) => tf.image.resizeBilinear(t, [t.shape[1] * 2, t.shape[2] * 2], false, true);
      const a = up(tf.add(tf.conv2d(x, w, 1, 'valid'), b) as tf.Tensor4D);
      const c = tf.add(tf.conv2d(up(x), w, 1, 'valid'), b);
      expect(maxAbs(a, c)).toBeLessThan(1e-5);
    });
  });

  it('spatial-reduction self-attention keeps the shape and trains on wasm (no stridedSlice / broadcast matMul)', () => {
    tf.tidy(() => {
      const layer = new SpatialReductionAttention({ heads: 2, reduction: 2 });
      const x = tf.randomNormal([2, 4, 6, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
      expect((layer.apply(x) as tf.Tensor).shape).toEqual([2, 4, 6, 8]);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar, vars);
      expect(Object.keys(grads).length).toBe(vars.length);
      // the output projection starts at zero, so its gradient is the only nonzero one at first
      for (const g of Object.values(grads)) expect(Number.isFinite(tf.sum(g).dataSync()[0]!)).toBe(true);
      layer.dispose?.();
    });
  });
});

describe('Attention U-Net', () => {
  it('the reference configuration has the PyTorch reference\'s 2,360,613 parameters', () => {
    const m = buildAttentionUNet(defaultModelConfig({ unet: REFERENCE_UNET }));
    expect(m.countParams()).toBe(2360613);
    m.dispose();
  });

  it('binary, multi-class and interactive heads: shapes and input channels', () => {
    for (const [cfg, inC, outC] of [
      [tinyConfig(), 3, 1],
      [tinyConfig({ classes: 3, classIds: [5, 6, 7] }), 3, 4],
      [tinyConfig({ interactive: true }), 6, 1],
      [tinyConfig({ unet: { ...tinyConfig().unet, groups: 0, heads: 0, attentionGates: false } }), 3, 1],
    ] as [SegModelConfig, number, number][]) {
      const m = buildAttentionUNet(cfg);
      expect(m.inputs[0]!.shape).toEqual([null, null, null, inC]);
      const y = tf.tidy(() => (m.predict(tf.zeros([1, 32, 40, inC])) as tf.Tensor).shape);
      expect(y).toEqual([1, 32, 40, outC]);
      m.dispose();
    }
  });

  it('rejects impossible configurations with a readable message', () => {
    expect(() => buildAttentionUNet(tinyConfig({ classes: 0 }))).toThrow(/classes/);
    expect(() => buildAttentionUNet(tinyConfig({ unet: { ...tinyConfig().unet, heads: 3 } }))).toThrow(/heads/);
    expect(() => buildAttentionUNet(tinyConfig({ arch: 'mobilenet-unet' }))).toThrow(/arch/);
  });

  it('save -> load gives identical predictions (bytes for SQLite), and damaged bytes are refused', async () => {
    const before = tf.memory().numTensors;
    const cfg = tinyConfig({ classes: 2, classIds: [1, 2] });
    const m = buildAttentionUNet(cfg);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 11);
    const bytes = await serializeModel(m);
    const loaded = await deserializeModel(bytes);
    const a = tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync());
    const b = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync());
    expect([...b]).toEqual([...a]);
    expect(loaded.countParams()).toBe(m.countParams());
    await expect(deserializeModel(bytes.slice(0, 100))).rejects.toThrow(ModelFormatError);
    await expect(deserializeModel(new Uint8Array(20))).rejects.toThrow(/not a Maskwright model/);
    m.dispose();
    loaded.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** A tiny stand-in with Keras MobileNetV2's layer names, strides and a fixed 224x224 input. */
async function writeFakeMobileNet(dir: string): Promise<string> {
  const inp = tf.input({ batchShape: [null, 224, 224, 3], name: 'input_1' });
  const conv = (x: tf.SymbolicTensor, f: number, name: string) => tf.layers.conv2d({ filters: f, kernelSize: 3, strides: 2, padding: 'same', name, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor, name: string) => tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;
  let x = relu(tf.layers.batchNormalization({ name: 'bn_Conv1' }).apply(conv(inp, 4, 'Conv1')) as tf.SymbolicTensor, 'block_1_expand_relu');
  x = relu(conv(x, 6, 'block_2_expand'), 'block_3_expand_relu');
  x = relu(conv(x, 8, 'block_5_expand'), 'block_6_expand_relu');
  x = relu(conv(x, 10, 'block_12_expand'), 'block_13_expand_relu');
  x = conv(x, 12, 'block_16_project');
  const head = tf.layers.dense({ units: 5, name: 'dense' }).apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x)) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: head, name: 'mobilenetv2_1.00_224' });
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      const data = new Uint8Array(a.weightData as ArrayBuffer);
      fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), data);
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  m.dispose();
  return path.join(dir, 'model.json');
}

describe('MobileNetV2-encoder U-Net', () => {
  it('loads a Keras-style MobileNetV2 layers model from model.json, frees its input size, freezes it, and round-trips', async () => {
    const json = await writeFakeMobileNet(tmp);
    const cfg: SegModelConfig = defaultModelConfig({ arch: 'mobilenet-unet', unet: { ...REFERENCE_UNET, baseWidth: 4, heads: 2 }, encoder: { modelJsonPath: json, trainableBlocks: 0, inputScale: 1, inputOffset: 0 } });
    const m = await buildModel(cfg);
    const x = tf.randomUniform([1, 64, 96, 3], 0, 1, 'float32', 2);
    const y = tf.tidy(() => (m.predict(x) as tf.Tensor).shape);
    expect(y).toEqual([1, 64, 96, 1]);
    const trainable = new Set(m.trainableWeights.map((w) => w.originalName));
    expect([...trainable].some((n) => n.startsWith('Conv1') || n.startsWith('block_16'))).toBe(false);
    expect([...trainable].some((n) => n.startsWith('up1_'))).toBe(true);
    const m2 = await buildModel({ ...cfg, encoder: { ...cfg.encoder!, trainableBlocks: 1 } });
    expect(m2.trainableWeights.some((w) => w.originalName.startsWith('block_16_project'))).toBe(true);
    expect(m2.trainableWeights.some((w) => w.originalName.startsWith('block_12'))).toBe(false);
    const loaded = await deserializeModel(await serializeModel(m));
    const a = tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync());
    const b = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync());
    expect([...b]).toEqual([...a]);
    tf.dispose([x]);
    m.dispose();
    m2.dispose();
    loaded.dispose();
  });

  it('says how to get the encoder when the file is missing', async () => {
    const cfg = defaultModelConfig({ arch: 'mobilenet-unet', encoder: { modelJsonPath: path.join(tmp, 'nope', 'model.json'), trainableBlocks: 0, inputScale: 1, inputOffset: 0 } });
    await expect(buildModel(cfg)).rejects.toThrow(/npm install nsfwjs/);
  });

  const nsfw = findNsfwjsMobileNet(REPO_ROOT);
  const reason = nsfw ? 'nsfwjs present' : 'skipped: the nsfwjs package is not installed (npm install nsfwjs) — the real MobileNetV2 encoder cannot be tested';
  if (!nsfw) console.log(`[models.test] ${reason}`);
  it.skipIf(!nsfw)(`loads nsfwjs's MobileNetV2 offline (${reason})`, async () => {
    const cfg = defaultModelConfig({ arch: 'mobilenet-unet', encoder: { modelJsonPath: nsfw!, trainableBlocks: 0, inputScale: 1, inputOffset: 0 } });
    const m = await buildModel(cfg);
    const y = tf.tidy(() => (m.predict(tf.zeros([1, 64, 64, 3])) as tf.Tensor).shape);
    expect(y).toEqual([1, 64, 64, 1]);
    m.dispose();
  });
});
