/**
 * Our wasm training kernels against the reference cpu backend, directly (runKernel, every
 * attribute combination tfjs allows) and through tf.grads of the ops that use them; the
 * relative error is max|wasm - cpu| / max|cpu| and must stay <= 1e-4. Also: no tensor leaks,
 * and the backend chain's choice and explanations.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, parseBackendEnv, selectBackend } from '../../../core/ml/backend';
import type { CudaProbe } from '../../../core/ml/cuda-probe';
import { describeMissingCuda } from '../../../core/ml/cuda-probe';
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernelNames,
  wasmTrainingKernelsRegistered,
} from '../../../core/ml/wasm-kernels/register';
import { conv2dFilterGrad } from '../../../core/ml/wasm-kernels/conv2d-backprop-filter';
import { conv2dInputGrad } from '../../../core/ml/wasm-kernels/conv2d-backprop-input';
import { on, onWasmNoLeak, rand, relErr, T, TOL, type Shape4 } from './backend-compare';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Same computation on wasm and cpu; every output within TOL. Checks wasm leaks nothing. */
async function expectSameOnBoth(fn: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<number> {
  const ref = await on('cpu', fn);
  const got = await onWasmNoLeak(fn);
  expect(got.length).toBe(ref.length);
  let worst = 0;
  got.forEach((g, i) => {
    worst = Math.max(worst, relErr(g, ref[i]!));
  });
  expect(worst).toBeLessThanOrEqual(tol);
  return worst;
}

function outShape(x: Shape4, f: Shape4, strides: number | [number, number], pad: Pad, dil: number | [number, number] = 1, depthwise = false, rounding?: 'floor' | 'round' | 'ceil'): Shape4 {
  return tf.backend_util.computeConv2DInfo(x, f, strides, dil, pad, rounding, depthwise).outShape as Shape4;
}

interface ConvCase {
  x: Shape4;
  f: Shape4;
  s: number | [number, number];
  pad: Pad;
  rounding?: 'floor' | 'round' | 'ceil';
}
const convCases: ConvCase[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'valid' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], s: 2, pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], s: 2, pad: 'valid' },
  { x: [3, 8, 8, 2], f: [2, 2, 2, 5], s: 2, pad: 'valid' },
  { x: [1, 11, 6, 4], f: [5, 3, 4, 2], s: [2, 1], pad: 'same' },
  { x: [2, 10, 10, 3], f: [4, 4, 3, 2], s: 3, pad: 'same' },
  { x: [2, 6, 7, 1], f: [1, 1, 1, 3], s: 2, pad: 'valid' },
  { x: [2, 9, 8, 3], f: [3, 2, 3, 2], s: [1, 2], pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  { x: [1, 9, 10, 2], f: [3, 3, 2, 2], s: 2, pad: 1, rounding: 'floor' },
  // stride 1, dilation 1: the weight gradient's rows form (1xN filters, maps up to 32x32)
  { x: [2, 6, 7, 5], f: [1, 1, 5, 3], s: 1, pad: 'valid' },
  { x: [2, 7, 6, 3], f: [2, 4, 3, 2], s: 1, pad: 'same' },
  { x: [2, 9, 8, 3], f: [3, 2, 3, 2], s: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  { x: [1, 5, 12, 2], f: [1, 5, 2, 3], s: 1, pad: [[0, 0], [0, 0], [4, 0], [0, 0]] },
  // ... and the general form past 32x32
  { x: [1, 40, 36, 2], f: [3, 3, 2, 3], s: 1, pad: 'same' },
];
const name = (c: { x: Shape4; f: Shape4; s: unknown; pad: unknown }) => `x${c.x.join('x')} f${c.f.join('x')} s${JSON.stringify(c.s)} ${JSON.stringify(c.pad)}`;

interface DwCase extends ConvCase {
  d: number | [number, number];
}
const dwCases: DwCase[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 1], s: 1, d: 1, pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 2], s: 2, d: 1, pad: 'valid' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 2], s: 2, d: 1, pad: 'same' },
  { x: [1, 10, 8, 2], f: [3, 3, 2, 1], s: 1, d: 2, pad: 'same' },
  { x: [2, 11, 9, 4], f: [2, 3, 4, 3], s: 1, d: [2, 3], pad: 'valid' },
  { x: [3, 8, 8, 2], f: [5, 5, 2, 1], s: [2, 1], d: 1, pad: 'same' },
  { x: [2, 9, 10, 3], f: [3, 3, 3, 1], s: 1, d: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  // both above one: tf.depthwiseConv2d refuses it, but the kernels accept it
  { x: [2, 13, 12, 3], f: [3, 3, 3, 2], s: 2, d: 2, pad: 'valid' },
];

beforeAll(async () => {
  const report = await selectBackend({ force: 'wasm', env: {} });
  expect(report.name).toBe('wasm');
});

describe('kernel registration', () => {
  it('adds the missing training kernels to wasm and replaces the broken ones, idempotently', () => {
    expect(wasmTrainingKernelNames).toEqual([
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
      'MaxPoolGrad',
      'AvgPoolGrad',
      'ResizeBilinearGrad',
      'ResizeNearestNeighborGrad',
      'OneHot',
      'Sum',
      'Conv2D',
      'FusedConv2D',
      'Add',
      'Sub',
      'Multiply',
    ]);
    expect(wasmTrainingKernelsRegistered()).toBe(true);
    expect(registerWasmTrainingKernels()).toEqual({ registered: [], replaced: [] });
    for (const k of wasmTrainingKernelNames) expect(tf.getKernel(k, 'wasm')).toBeTruthy();
  });

  it('restores the stock kernels when unregistered (they are what we replace: still broken in 4.22), and re-registers', async () => {
    await tf.setBackend('wasm');
    unregisterWasmTrainingKernels();
    try {
      expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeFalsy();
      expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBeTruthy(); // the stock one
      expect(wasmTrainingKernelsRegistered()).toBe(false);
      // If a tfjs upgrade fixes these, the replacement can go: this test will say so.
      const stock = tf.tidy(() => {
        const x = T([2, 8, 8, 16], 1) as tf.Tensor4D;
        const maxPoolGrad = tf.grad((t: tf.Tensor) => tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), T([2, 4, 4, 16], 2)).sum())(x);
        const oneHot = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3, 1, 0, 'float32');
        return { maxPoolGrad: maxPoolGrad.dataSync().slice(), oneHotSum: oneHot.sum().dataSync()[0] };
      });
      const ref = await on('cpu', () =>
        tf.grad((t: tf.Tensor) => tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), T([2, 4, 4, 16], 2)).sum())(T([2, 8, 8, 16], 1)),
      );
      expect(relErr({ shape: ref[0]!.shape, data: stock.maxPoolGrad }, ref[0]!)).toBeGreaterThan(0.1);
      expect(stock.oneHotSum).toBeLessThan(1e-30); // int bits read as floats
    } finally {
      await tf.setBackend('wasm');
      const again = registerWasmTrainingKernels();
      expect(again.registered).toEqual([...wasmTrainingKernelNames]);
      expect(again.replaced).toEqual(['Conv2DBackpropInput', 'MaxPoolGrad', 'AvgPoolGrad', 'ResizeBilinearGrad', 'ResizeNearestNeighborGrad', 'OneHot', 'Sum', 'Conv2D', 'FusedConv2D', 'Add', 'Sub', 'Multiply']);
    }
    expect(wasmTrainingKernelsRegistered()).toBe(true);
  });
});

describe('Conv2DBackpropFilter / Conv2DBackpropInput', () => {
  for (const c of convCases) {
    it(`kernels match cpu: ${name(c)}`, async () => {
      const y = outShape(c.x, c.f, c.s, c.pad, 1, false, c.rounding);
      const strides = typeof c.s === 'number' ? [c.s, c.s] : c.s;
      await expectSameOnBoth(() => [
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: T(c.x, 1), dy: T(y, 2) },
          { strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.rounding, filterShape: c.f } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
        tf.engine().runKernel(
          'Conv2DBackpropInput',
          { dy: T(y, 2), filter: T(c.f, 3) },
          { strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.rounding, inputShape: c.x } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
      ]);
    });
  }

  for (const c of convCases.filter((k) => typeof k.pad === 'string')) {
    it(`tf.grads of conv2d and conv2dTranspose match cpu: ${name(c)}`, async () => {
      const y = outShape(c.x, c.f, c.s, c.pad);
      const s = c.s;
      const pad = c.pad as 'same' | 'valid';
      await expectSameOnBoth(() => {
        const r = T(y, 4);
        const conv = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad), r).sum());
        const rx = T(c.x, 5);
        // conv2dTranspose's filter is [kh, kw, outChannels, inChannels]: the forward filter
        const convT = tf.grads((dy: tf.Tensor, w: tf.Tensor) => tf.mul(tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, c.x, s, pad), rx).sum());
        return [...conv([T(c.x, 1), T(c.f, 3)]), ...convT([T(y, 2), T(c.f, 3)])];
      });
    });
  }

  it('kernels match cpu with NCHW data', async () => {
    const x: Shape4 = [2, 7, 9, 3];
    const f: Shape4 = [3, 3, 3, 4];
    const y = outShape(x, f, 2, 'same'); // NHWC
    const yNCHW = [y[0], y[3], y[1], y[2]];
    const xNCHW = [x[0], x[3], x[1], x[2]];
    await expectSameOnBoth(() => [
      tf.engine().runKernel('Conv2DBackpropFilter', { x: T(xNCHW, 1), dy: T(yNCHW, 2) }, {
        strides: [2, 2],
        pad: 'same',
        dataFormat: 'NCHW',
        filterShape: f,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropInput', { dy: T(yNCHW, 2), filter: T(f, 3) }, {
        strides: [2, 2],
        pad: 'same',
        dataFormat: 'NCHW',
        inputShape: xNCHW,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ]);
  });

  // The Conv2D backprop kernels carry no dilations (tfjs refuses gradients of dilated conv2d),
  // but our helpers handle them: check against cpu with the equivalent zero-upsampled filter.
  for (const [s, d] of [
    [1, 2],
    [2, 2],
    [1, 3],
  ] as const) {
    it(`helpers handle dilation ${d} with stride ${s}`, async () => {
      const x: Shape4 = [2, 11, 10, 3];
      const f: Shape4 = [3, 2, 3, 2];
      for (const pad of ['same', 'valid'] as const) {
        const info = tf.backend_util.computeConv2DInfo(x, f, s, d, pad);
        const y = info.outShape as Shape4;
        const ref = await on('cpu', () => {
          const fUp = upsampleFilter(f, 3, [d, d]);
          const gradUp = tf.engine().runKernel('Conv2DBackpropFilter', { x: T(x, 1), dy: T(y, 2) }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: fUp.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
          return [tf.stridedSlice(gradUp, [0, 0, 0, 0], fUp.shape, [d, d, 1, 1]), tf.conv2dTranspose(T(y, 2) as tf.Tensor4D, fUp, x, s, pad)];
        });
        const got = await on('wasm', () => [
          conv2dFilterGrad(T(x, 1) as tf.Tensor4D, T(y, 2) as tf.Tensor4D, f, [s, s], [d, d], info.padInfo.top, info.padInfo.left),
          conv2dInputGrad(T(y, 2) as tf.Tensor4D, T(f, 3) as tf.Tensor4D, x, [s, s], [d, d], info.padInfo.top, info.padInfo.left),
        ]);
        expect(relErr(got[0]!, ref[0]!)).toBeLessThanOrEqual(TOL);
        expect(relErr(got[1]!, ref[1]!)).toBeLessThanOrEqual(TOL);
      }
    });
  }
});

/** A filter with (d - 1) zeros between taps: a conv with it equals the dilated conv. */
function upsampleFilter(f: Shape4, seed: number, [dh, dw]: [number, number]): tf.Tensor4D {
  const up = tf.buffer([(f[0] - 1) * dh + 1, (f[1] - 1) * dw + 1, f[2], f[3]]);
  const v = rand(f.reduce((a, b) => a * b, 1), seed);
  for (let a = 0; a < f[0]; a++)
    for (let b = 0; b < f[1]; b++)
      for (let i = 0; i < f[2]; i++) for (let o = 0; o < f[3]; o++) up.set(v[((a * f[1] + b) * f[2] + i) * f[3] + o]!, a * dh, b * dw, i, o);
  return up.toTensor() as tf.Tensor4D;
}

describe('DepthwiseConv2dNativeBackpropFilter / DepthwiseConv2dNativeBackpropInput', () => {
  const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
  for (const c of dwCases) {
    // The cpu backend's depthwise backprop kernels ignore dilations (a tfjs bug: its loops
    // index x by tap, not tap * dilation), so the reference runs them at dilation 1 with the
    // zero-upsampled filter, which is the same convolution.
    it(`kernels match cpu: ${name(c)} d${JSON.stringify(c.d)}`, async () => {
      const y = outShape(c.x, c.f, c.s, c.pad, c.d, true);
      const [dh, dw] = pair(c.d);
      const attrs = { strides: pair(c.s), pad: c.pad, dimRoundingMode: undefined };
      const ref = await on('cpu', () => {
        const fUp = upsampleFilter(c.f, 3, [dh, dw]);
        const dFilterUp = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: T(c.x, 1), dy: T(y, 2) }, {
          ...attrs,
          dilations: [1, 1],
          filterShape: fUp.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
        return [
          tf.stridedSlice(dFilterUp, [0, 0, 0, 0], fUp.shape, [dh, dw, 1, 1]),
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: T(y, 2), filter: fUp }, {
            ...attrs,
            dilations: [1, 1],
            inputShape: c.x,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        ];
      });
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const got = await on('wasm', () => [
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: T(c.x, 1), dy: T(y, 2) }, {
          ...attrs,
          dilations: [dh, dw],
          filterShape: c.f,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: T(y, 2), filter: T(c.f, 3) }, {
          ...attrs,
          dilations: [dh, dw],
          inputShape: c.x,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      ]);
      expect(tf.memory().numTensors).toBe(before);
      expect(relErr(got[0]!, ref[0]!)).toBeLessThanOrEqual(TOL);
      expect(relErr(got[1]!, ref[1]!)).toBeLessThanOrEqual(TOL);
    });
  }

  for (const c of dwCases.filter((k) => k.d === 1 && typeof k.pad === 'string')) {
    it(`tf.grads of depthwiseConv2d and separableConv2d match cpu: ${name(c)}`, async () => {
      const y = outShape(c.x, c.f, c.s, c.pad, 1, true);
      const pad = c.pad as 'same' | 'valid';
      const pw: Shape4 = [1, 1, c.f[2] * c.f[3], 3];
      await expectSameOnBoth(() => {
        const r = T(y, 4);
        const dw = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.mul(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, pad), r).sum());
        const r2 = T([y[0], y[1], y[2], 3], 6);
        const sep = tf.grads((x: tf.Tensor, w: tf.Tensor, p: tf.Tensor) =>
          tf.mul(tf.separableConv2d(x as tf.Tensor4D, w as tf.Tensor4D, p as tf.Tensor4D, c.s, pad), r2).sum(),
        );
        return [...dw([T(c.x, 1), T(c.f, 3)]), ...sep([T(c.x, 1), T(c.f, 3), T(pw, 5)])];
      });
    });
  }
});

describe('UnsortedSegmentSum (the gradient of gather)', () => {
  it('matches cpu, drops out-of-range ids, sums duplicates', async () => {
    await expectSameOnBoth(() => [
      tf.unsortedSegmentSum(T([6, 3, 2], 1), tf.tensor1d([0, 2, 2, -1, 5, 1], 'int32'), 4),
      tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2),
      tf.unsortedSegmentSum(T([5], 2), tf.tensor1d([3, 3, 3, 0, 1], 'int32'), 5),
    ]);
  });

  it('tf.grads of gather (axis 0 and 1) match cpu', async () => {
    await expectSameOnBoth(() => {
      const idx = tf.tensor1d([3, 0, 3, 1, 3, 4], 'int32');
      const g0 = tf.grad((t: tf.Tensor) => tf.mul(tf.gather(t, idx, 0), T([6, 4], 2)).sum())(T([5, 4], 1));
      const g1 = tf.grad((t: tf.Tensor) => tf.mul(tf.gather(t, idx, 1), T([2, 6, 3], 4)).sum())(T([2, 5, 3], 3));
      return [g0, g1];
    });
  });
});

describe('gradients of a small segmentation-style net', () => {
  // Ops whose *cpu* gradient is itself wrong are left to their own tests below: avgPool with
  // 'same' padding, resizes with halfPixelCenters, resizeNearestNeighbor with batch > 1,
  // resizeBilinear of non-square images.
  it('match cpu: convs, pooling, resize, normalisation, attention, gather, activations, losses', async () => {
    const worst = await expectSameOnBoth(() => {
      const x = T([2, 12, 10, 4], 1) as tf.Tensor4D;
      const w1 = T([3, 3, 4, 8], 2) as tf.Tensor4D;
      const w2 = T([3, 3, 4, 1], 3) as tf.Tensor4D;
      const wq = T([8, 8], 4) as tf.Tensor2D;
      const wt = T([2, 2, 4, 8], 5) as tf.Tensor4D;
      const emb = T([3, 8], 6);
      const target = tf.cast(tf.greater(T([2, 12, 10, 1], 7), 0), 'float32');
      const f = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, wq: tf.Tensor, wt: tf.Tensor, emb: tf.Tensor) => {
        let h: tf.Tensor4D = tf.leakyRelu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same'), 0.1); // [2,6,5,8]
        // group-norm style: per-sample, per-group moments
        const g = h.reshape([2, 6, 5, 2, 4]);
        const { mean, variance } = tf.moments(g, [1, 2, 4], true);
        h = tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, 1e-5))).reshape([2, 6, 5, 8]) as tf.Tensor4D;
        h = tf.elu(tf.add(h, tf.gather(emb, tf.tensor1d([0, 2], 'int32')).reshape([2, 1, 1, 8]))) as tf.Tensor4D;
        // self-attention over the 30 positions
        const seq = h.reshape([2, 30, 8]);
        const q = tf.matMul(seq, tf.tile(wq.expandDims(0), [2, 1, 1]));
        const att = tf.softmax(tf.div(tf.matMul(q, seq, false, true), Math.sqrt(8)));
        h = tf.add(h, tf.matMul(att, seq).reshape([2, 6, 5, 8])) as tf.Tensor4D;
        const pooled = tf.add(tf.maxPool(h, 2, 2, 'same'), tf.avgPool(h, 3, 1, 'valid').slice([0, 0, 0, 0], [2, 3, 3, 8])) as tf.Tensor4D;
        const up1 = tf.image.resizeBilinear(pooled, [6, 5], true);
        const up2 = tf.image.resizeBilinear(pooled, [6, 5]);
        const up3 = tf.image.resizeBilinear(pooled.slice([0, 0, 0, 0], [2, 3, 3, 4]).tile([1, 1, 1, 2]) as tf.Tensor4D, [6, 5]);
        h = tf.concat([tf.tanh(tf.add(h, up1)), tf.sigmoid(tf.add(up2, up3))], 3) as tf.Tensor4D; // [2,6,5,16]
        h = tf.conv2dTranspose(h.slice([0, 0, 0, 0], [2, 6, 5, 8]) as tf.Tensor4D, wt as tf.Tensor4D, [2, 12, 10, 4], 2, 'same');
        h = tf.relu6(tf.mul(tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]]).slice([0, 1, 1, 0], [2, 12, 10, 4]), 3)) as tf.Tensor4D;
        const logits = tf.depthwiseConv2d(tf.concat([h, h], 3) as tf.Tensor4D, tf.concat([w2, w2], 2) as tf.Tensor4D, 1, 'same');
        const logit = tf.mean(logits, 3, true);
        return tf.add(tf.losses.sigmoidCrossEntropy(target, logit), tf.mul(tf.logSoftmax(logits.reshape([240, 8])).mean(), -0.1)) as tf.Scalar;
      };
      return tf.grads(f)([x, w1, w2, wq, wt, emb]);
    });
    expect(worst).toBeLessThan(TOL);
  });
});

describe('MaxPoolGrad (replaces the stock kernel)', () => {
  const cases: [Shape4, number, number, 'same' | 'valid'][] = [
    [[2, 8, 8, 16], 2, 2, 'valid'],
    [[2, 6, 5, 3], 2, 2, 'same'],
    [[1, 7, 7, 2], 2, 2, 'same'],
    [[2, 6, 6, 3], 3, 1, 'same'],
    [[2, 7, 9, 3], 3, 2, 'same'],
    [[2, 7, 7, 3], 3, 2, 'valid'],
  ];
  for (const [x, k, s, pad] of cases) {
    it(`tf.grad of maxPool matches cpu, ties included: x${x.join('x')} k${k} s${s} ${pad}`, async () => {
      const y = tf.backend_util.computePool2DInfo(x, k, s, 1, pad).outShape;
      await expectSameOnBoth(() => {
        const r = T(y, 2);
        const pool = (t: tf.Tensor) => tf.mul(tf.maxPool(t as tf.Tensor4D, k, s, pad), r).sum();
        // relu makes whole windows of equal zeros: the first one takes the gradient
        return [tf.grad(pool)(T(x, 1)), tf.grad(pool)(tf.relu(tf.sub(T(x, 1), 0.5)))];
      });
    });
  }
});

describe('AvgPoolGrad (replaces the stock kernel)', () => {
  // stock wasm and cpu both divide border gradients by the full window size although the
  // forward pass averages only the real pixels; the reference is the gradient, on cpu, of the
  // same average written as a depthwise sum over the window divided by the pixel count
  for (const [x, k, s, pad] of [
    [[2, 6, 5, 3], 2, 2, 'same'],
    [[1, 7, 7, 2], 3, 1, 'same'],
    [[2, 8, 8, 4], 3, 2, 'same'],
    [[2, 7, 7, 3], 3, 2, 'valid'],
    [[2, 8, 8, 4], 2, 2, 'valid'],
  ] as [Shape4, number, number, 'same' | 'valid'][]) {
    it(`tf.grad of avgPool is the exact adjoint: x${x.join('x')} k${k} s${s} ${pad}`, async () => {
      const y = tf.backend_util.computePool2DInfo(x, k, s, 1, pad).outShape;
      const ref = await on('cpu', () => {
        const ones = tf.ones([k, k, x[3], 1]) as tf.Tensor4D;
        const count = tf.depthwiseConv2d(tf.ones([1, x[1], x[2], x[3]]) as tf.Tensor4D, ones, s, pad);
        const avg = (t: tf.Tensor) => tf.div(tf.depthwiseConv2d(t as tf.Tensor4D, ones, s, pad), count);
        const fwd = avg(T(x, 1));
        const direct = tf.avgPool(T(x, 1) as tf.Tensor4D, k, s, pad);
        expect(relErr({ shape: fwd.shape, data: fwd.dataSync() }, { shape: direct.shape, data: direct.dataSync() })).toBeLessThan(1e-6);
        return tf.grad((t: tf.Tensor) => tf.mul(avg(t), T(y, 2)).sum())(T(x, 1));
      });
      const got = await on('wasm', () => tf.grad((t: tf.Tensor) => tf.mul(tf.avgPool(t as tf.Tensor4D, k, s, pad), T(y, 2)).sum())(T(x, 1)));
      expect(relErr(got[0]!, ref[0]!)).toBeLessThanOrEqual(TOL);
    });
  }
});

describe('ResizeBilinearGrad / ResizeNearestNeighborGrad (replace the stock kernels)', () => {
  /**
   * The exact adjoint of the cpu forward resize (which the wasm forward matches): the resize's
   * matrix is read off by resizing every basis image, then transposed onto dy.
   */
  function adjointReference(resize: (t: tf.Tensor4D) => tf.Tensor4D, x: Shape4, dy: tf.Tensor4D): tf.Tensor {
    const [n, ih, iw, c] = x;
    const [, oh, ow] = dy.shape;
    const basis = tf.eye(ih * iw).reshape([ih * iw, ih, iw, 1]) as tf.Tensor4D;
    const matrix = resize(basis).reshape([ih * iw, oh * ow]); // row p: the output of input pixel p
    const dyRows = tf.transpose(dy, [0, 3, 1, 2]).reshape([n * c, oh * ow]);
    return tf.transpose(tf.matMul(dyRows, matrix, false, true).reshape([n, c, ih, iw]), [0, 2, 3, 1]);
  }
  for (const [x, size] of [
    [[2, 4, 3, 3], [6, 5]],
    [[2, 4, 3, 3], [8, 8]],
    [[1, 5, 3, 2], [10, 6]],
    [[2, 4, 4, 2], [3, 2]],
  ] as [Shape4, [number, number]][]) {
    for (const [align, half] of [
      [false, false],
      [true, false],
      [false, true],
    ] as const) {
      it(`tf.grad of resizes is the exact adjoint: x${x.join('x')} -> ${size.join('x')} alignCorners=${align} halfPixelCenters=${half}`, async () => {
        const dyShape: Shape4 = [x[0], size[0], size[1], x[3]];
        const bilinear = (t: tf.Tensor4D) => tf.image.resizeBilinear(t, size, align, half);
        const nearest = (t: tf.Tensor4D) => tf.image.resizeNearestNeighbor(t, size, align, half);
        const ref = await on('cpu', () => [adjointReference(bilinear, x, T(dyShape, 2) as tf.Tensor4D), adjointReference(nearest, x, T(dyShape, 2) as tf.Tensor4D)]);
        await tf.setBackend('wasm');
        const before = tf.memory().numTensors;
        const got = await on('wasm', () => [
          tf.grad((t: tf.Tensor) => tf.mul(bilinear(t as tf.Tensor4D), T(dyShape, 2)).sum())(T(x, 1)),
          tf.grad((t: tf.Tensor) => tf.mul(nearest(t as tf.Tensor4D), T(dyShape, 2)).sum())(T(x, 1)),
        ]);
        expect(tf.memory().numTensors).toBe(before);
        expect(relErr(got[0]!, ref[0]!)).toBeLessThanOrEqual(TOL);
        expect(relErr(got[1]!, ref[1]!)).toBeLessThanOrEqual(TOL);
      });
    }
  }
});

describe('OneHot (replaces the stock kernel)', () => {
  it('gives every dtype the right values, like cpu', async () => {
    await expectSameOnBoth(() => {
      const i = tf.tensor2d([[0, 3], [5, -1], [2, 2]], [3, 2], 'int32');
      return [
        tf.oneHot(i, 4),
        tf.oneHot(i, 4, 1, 0, 'float32'),
        tf.oneHot(i, 4, 0.9, 0.1 / 3, 'float32'),
        tf.oneHot(i, 4, 7, -2, 'int32'),
        tf.cast(tf.oneHot(i, 4, 1, 0, 'bool'), 'int32'),
      ];
    });
  });
});

describe('memory', () => {
  it('each kernel leaves exactly its output behind, in the engine and in the wasm heap', async () => {
    await tf.setBackend('wasm');
    const x = T([2, 7, 9, 3], 1);
    const dy = T([2, 4, 5, 4], 2);
    const f = T([3, 3, 3, 4], 3);
    const dyDw = T([2, 4, 5, 6], 4);
    const fDw = T([3, 3, 3, 2], 5);
    const dyPool = T([2, 4, 5, 3], 6);
    const ids1 = tf.tensor1d([1, 0], 'int32');
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    const a = { strides: [2, 2], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC' };
    const outs = [
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...a, filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...a, inputShape: [2, 7, 9, 3] } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dyDw }, { ...a, filterShape: [3, 3, 3, 2] } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyDw, filter: fDw }, { ...a, inputShape: [2, 7, 9, 3] } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.unsortedSegmentSum(x, ids1, 3),
      tf.engine().runKernel('MaxPoolGrad', { dy: dyPool, input: x, output: dyPool }, { filterSize: 3, strides: 2, pad: 'same' } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('AvgPoolGrad', { dy: dyPool, input: x }, { filterSize: 3, strides: 2, pad: 'same' } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('ResizeBilinearGrad', { images: x, dy: dyPool }, { alignCorners: false, halfPixelCenters: true } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('ResizeNearestNeighborGrad', { images: x, dy: dyPool }, { alignCorners: true, halfPixelCenters: false } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.oneHot(ids1, 4, 1, 0, 'float32'),
      tf.oneHot(ids1, 4),
    ];
    expect(tf.memory().numTensors).toBe(before + outs.length);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds + outs.length);
    tf.dispose(outs);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    tf.dispose([x, dy, f, dyDw, fDw, dyPool, ids1]);
  });

  it('kernels called with bare TensorInfos (not Tensors) neither free nor leak their inputs', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const ids = tf.tensor1d([1, 1, 0], 'int32');
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    const kernel = tf.getKernel('UnsortedSegmentSum', 'wasm')!;
    const info = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    const out = kernel.kernelFunc({ inputs: { x: info(x), segmentIds: info(ids) }, backend: tf.backend(), attrs: { numSegments: 2 } }) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([5, 6, 4, 6]);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3, 4, 5, 6]); // still alive
    tf.dispose([x, ids]);
  });

  it('a training step with an optimizer leaks nothing', () => {
    const w = tf.variable(T([3, 3, 2, 4], 1));
    const wd = tf.variable(T([3, 3, 4, 1], 2));
    const opt = tf.train.adam(0.01);
    const x = T([2, 9, 9, 2], 3) as tf.Tensor4D;
    const step = () =>
      opt.minimize(() => tf.depthwiseConv2d(tf.conv2d(x, w as unknown as tf.Tensor4D, 2, 'same'), wd as unknown as tf.Tensor4D, 1, 'same').square().mean() as tf.Scalar);
    step(); // creates the optimizer's slot variables
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose([w, wd, x]);
  });
});

describe('selectBackend', () => {
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('reports tfjs-node-gpu and tfjs-node as unavailable, with a reason, and picks wasm', async () => {
    const r = await selectBackend({ env: {} });
    expect(r.name).toBe('wasm');
    expect(r.kind).toBe('wasm-cpu');
    expect(tf.getBackend()).toBe('wasm');
    expect(r.threads).toBe(1);
    expect(r.trainingKernels).toEqual([...wasmTrainingKernelNames]);
    expect(r.tried.map((t) => [t.name, t.ok])).toEqual([
      ['tensorflow-gpu', false],
      ['tensorflow', false],
      ['wasm', true],
    ]);
    expect(r.tried[0]!.reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed.*libtensorflow/);
    expect(r.tried[1]!.reason).toMatch(/@tensorflow\/tfjs-node is not installed/);
    expect(r.summary).toMatch(/WebAssembly.*not tensorflow-gpu: .*not installed/);
  });

  it("force: 'cpu' uses the cpu backend and says why the others were skipped", async () => {
    const r = await selectBackend({ force: 'cpu', env: {} });
    expect(r.name).toBe('cpu');
    expect(r.kind).toBe('js-cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(r.forcedBy).toBe('option');
    expect(r.tried.map((t) => t.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect(r.tried.slice(0, 3).every((t) => !t.ok && t.reason.startsWith('skipped'))).toBe(true);
  });

  it('honours MASKWRIGHT_BACKEND, and ignores a value it does not know with a note', async () => {
    const r = await selectBackend({ env: { MASKWRIGHT_BACKEND: 'cpu' } });
    expect(r.name).toBe('cpu');
    expect(r.forcedBy).toBe('env');
    const r2 = await selectBackend({ env: { MASKWRIGHT_BACKEND: 'tpu' } });
    expect(r2.name).toBe('wasm');
    expect(r2.notes.join()).toMatch(/MASKWRIGHT_BACKEND='tpu'.*ignored/);
    expect(parseBackendEnv('GPU')).toEqual({ force: 'tensorflow-gpu' });
    expect(parseBackendEnv('auto')).toEqual({});
  });

  it('a forced backend that cannot start is an error, not a silent fallback', async () => {
    await expect(selectBackend({ force: 'tensorflow', env: {} })).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(selectBackend({ env: { MASKWRIGHT_BACKEND: 'tensorflow-gpu' } })).rejects.toThrow(/tfjs-node-gpu is not installed/);
  });

  it('tells an installed-but-broken native package from a missing one', async () => {
    const r = await selectBackend({
      env: {},
      loadModule: (s) => {
        if (s.endsWith('tfjs-node-gpu')) throw Object.assign(new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory'), { code: 'ERR_DLOPEN_FAILED' });
        throw Object.assign(new Error(`Cannot find module '${s}'\nRequire stack: ...`), { code: 'MODULE_NOT_FOUND' });
      },
    });
    expect(r.name).toBe('wasm');
    expect(r.tried[0]!.reason).toBe('@tensorflow/tfjs-node-gpu is installed but failed to load: libtensorflow.so.2: cannot open shared object file: No such file or directory');
    expect(r.tried[1]!.reason).toMatch(/tfjs-node is not installed/);
  });

  it("detects tfjs-node-gpu silently running on the CPU and reports it as native CPU with what's missing", async () => {
    // a stand-in for tfjs-node-gpu without CUDA: registers 'tensorflow' (the cpu backend's
    // kernels under that name) whose binding saw no GPU device
    const cpuCtor = (tf.findBackend('cpu') as object).constructor as new () => tf.KernelBackend;
    const cpuKernels = tf.getKernelsForBackend('cpu');
    const fakeGpuPackage = () => {
      for (const k of cpuKernels) tf.registerKernel({ ...k, backendName: 'tensorflow' });
      tf.registerBackend('tensorflow', () => Object.assign(new cpuCtor(), { isGPUPackage: true, isUsingGpuDevice: false }), 0);
      return {};
    };
    const probe = (): CudaProbe => ({ platform: 'linux', driver: 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15', cudart: null, cudnn: null });
    try {
      const r = await selectBackend({
        env: {},
        probeCuda: probe,
        matmulProbeSize: 32,
        loadModule: (s) => {
          if (s.endsWith('tfjs-node-gpu')) return fakeGpuPackage();
          throw new Error('tfjs-node must not be loaded next to tfjs-node-gpu');
        },
      });
      expect(r.name).toBe('tensorflow');
      expect(r.kind).toBe('native-cpu');
      expect(r.tfBackend).toBe('tensorflow');
      expect(r.matmulGflops).toBeGreaterThan(0);
      expect(r.tried.map((t) => [t.name, t.ok])).toEqual([
        ['tensorflow-gpu', false],
        ['tensorflow', true],
      ]);
      expect(r.tried[0]!.reason).toMatch(/sees no GPU .*CUDA 11\.2 \+ cuDNN 8\.1.*libcudart\.so\.11\.0.*libcudnn\.so\.8.*silently runs on the CPU/);
      await expect(selectBackend({ env: {}, force: 'tensorflow-gpu', probeCuda: probe, matmulProbeSize: 32, loadModule: () => ({}) })).rejects.toThrow(/sees no GPU/);
    } finally {
      await tf.setBackend('wasm');
      tf.removeBackend('tensorflow');
      for (const k of cpuKernels) tf.unregisterKernel(k.kernelName, 'tensorflow');
    }
  });

  it('describes missing CUDA pieces', () => {
    expect(describeMissingCuda({ platform: 'linux', driver: null, cudart: null, cudnn: '/x/libcudnn.so.8' })).toBe(
      'no NVIDIA driver is loaded; libcudart.so.11.0 (CUDA 11.2 runtime) is not on the library path',
    );
    expect(describeMissingCuda({ platform: 'linux', driver: 'v', cudart: 'a', cudnn: 'b' })).toBeNull();
    expect(describeMissingCuda({ platform: 'darwin', driver: null, cudart: null, cudnn: null })).toMatch(/no GPU build for darwin/);
  });
});

afterAll(() => {
  // leave the process as other test files expect to find it
  registerWasmTrainingKernels();
});
