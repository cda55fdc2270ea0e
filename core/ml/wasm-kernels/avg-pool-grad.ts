/**
 * AvgPoolGrad for the wasm backend, replacing the stock kernel. The forward avgPool divides
 * each window by the number of *real* pixels in it (padding excluded, as in TensorFlow), but
 * the stock gradient (the cpu backend's too) divides by the full window size, so with 'same'
 * or explicit padding the border gradients are wrong. This is the exact adjoint: dy divided
 * by each window's pixel count, spread over the window by the input gradient of a depthwise
 * convolution with an all-ones filter.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { depthwiseInputGrad } from './depthwise-conv2d-native-backprop-input';
import { runComposite, type PadAttr, type RoundingAttr } from './kernel-helpers';

/** How many of the window's taps fall inside [0, len) for each output position. */
function windowCounts(outLen: number, inLen: number, k: number, stride: number, padBefore: number): number[] {
  const counts: number[] = [];
  for (let i = 0; i < outLen; i++) {
    const start = i * stride - padBefore;
    counts.push(Math.max(0, Math.min(inLen, start + k) - Math.max(0, start)));
  }
  return counts;
}

export function avgPoolGradImpl(
  dy: tf.Tensor4D,
  xShape: [number, number, number, number],
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: PadAttr,
  dimRoundingMode: RoundingAttr,
): tf.Tensor4D {
  const info = tf.backend_util.computePool2DInfo(xShape, filterSize, strides, 1, pad as 'same' | 'valid' | number, dimRoundingMode);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, padInfo } = info;
  const [, h, w, c] = xShape;
  const rows = windowCounts(oh, h, kh, sh, padInfo.top);
  const cols = windowCounts(ow, w, kw, sw, padInfo.left);
  const inv = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) inv[i * ow + j] = 1 / Math.max(1, rows[i]! * cols[j]!);
  const scaled = tf.mul(dy, tf.tensor4d(inv, [1, oh, ow, 1])) as tf.Tensor4D;
  return depthwiseInputGrad(scaled, tf.ones([kh, kw, c, 1]), xShape, [sh, sw], [1, 1], padInfo.top, padInfo.left);
}

export const avgPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = (attrs ?? {}) as Record<string, unknown>;
  return runComposite(inputs, backend as KernelBackend, ['dy', 'input'], ({ dy, input }) =>
    avgPoolGradImpl(
      dy as tf.Tensor4D,
      input.shape as [number, number, number, number],
      a['filterSize'] as number | [number, number],
      a['strides'] as number | [number, number],
      a['pad'] as PadAttr,
      (a['dimRoundingMode'] ?? undefined) as RoundingAttr,
    ),
  );
};

export const avgPoolGradConfig: KernelConfig = {
  kernelName: 'AvgPoolGrad',
  backendName: 'wasm',
  kernelFunc: avgPoolGrad,
};
