/**
 * MaxPoolGrad for the wasm backend, replacing the stock kernel, which routes gradients to the
 * wrong elements whenever there is more than one channel (found here: tf.grad of a 2x2/2
 * max-pool over [2, 8, 8, 16] on wasm differs from the cpu backend and from a plain
 * reference by 60%; the stock MaxPoolWithArgmax shares the bug).
 *
 * As in TensorFlow, each window's gradient goes to its first maximum (row-major within the
 * window); padding is never a candidate. The window elements are gathered with one depthwise
 * convolution whose filter picks tap m into output channel c*M + m (exact: each output is one
 * element times 1 plus zeros), the first maximum is an argMax, and the routed gradients go back
 * to their pixels through the depthwise input gradient of that same picking convolution.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { depthwiseInputGrad } from './depthwise-conv2d-native-backprop-input';
import { depthwiseConv2dPadded, padOrCrop, runComposite, type PadAttr, type RoundingAttr } from './kernel-helpers';

/** The lowest finite float32: padding filled with it never wins a window, and 0 * it is 0. */
const LOWEST = -3.4028234663852886e38;

/** [kh, kw, c, kh*kw] with f[a, b, ch, m] = 1 iff m == a*kw + b. */
export function tapPicker(kh: number, kw: number, c: number): tf.Tensor4D {
  const m = kh * kw;
  const eye = tf.eye(m).reshape([kh, kw, 1, m]);
  return (c === 1 ? eye : tf.tile(eye, [1, 1, c, 1])) as tf.Tensor4D;
}

export function maxPoolGradImpl(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: PadAttr,
  dimRoundingMode: RoundingAttr,
): tf.Tensor4D {
  const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad as 'same' | 'valid' | number, dimRoundingMode);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, padInfo } = info;
  const [n, h, w, c] = x.shape;
  const m = kh * kw;
  // exactly the rows/cols the windows cover, padding filled with LOWEST
  const hn = (oh - 1) * sh + kh;
  const wn = (ow - 1) * sw + kw;
  const xp = padOrCrop(x, padInfo.top, hn - h - padInfo.top, padInfo.left, wn - w - padInfo.left, LOWEST);
  const picker = tapPicker(kh, kw, c);
  const windows = depthwiseConv2dPadded(xp, picker, [sh, sw], [1, 1], [0, 0, 0, 0]).reshape([n, oh, ow, c, m]);
  // int32 one-hot (a broadcast Equal is 30x slower on wasm)
  const isFirst = tf.cast(tf.oneHot(tf.argMax(windows, 4), m), 'float32');
  const routed = tf.mul(isFirst, dy.reshape([n, oh, ow, c, 1])).reshape([n, oh, ow, c * m]) as tf.Tensor4D;
  return depthwiseInputGrad(routed, picker, [n, h, w, c], [sh, sw], [1, 1], padInfo.top, padInfo.left);
}

export const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = (attrs ?? {}) as Record<string, unknown>;
  return runComposite(inputs, backend as KernelBackend, ['dy', 'input'], ({ dy, input }) =>
    maxPoolGradImpl(
      dy as tf.Tensor4D,
      input as tf.Tensor4D,
      a['filterSize'] as number | [number, number],
      a['strides'] as number | [number, number],
      a['pad'] as PadAttr,
      (a['dimRoundingMode'] ?? undefined) as RoundingAttr,
    ),
  );
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
