/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (missing in stock 4.22).
 *
 *   dW[a, b, ci, m] = sum_{n,i,j} xPadded[n, a*dh + i*sh, b*dw + j*sw, ci] * dy[n, i, j, ci*M + m]
 *
 * Channels never mix, so a regular convolution would waste a factor Cin. Instead this is one
 * depthwise convolution: x laid out as [1, H, W, N*Cin] (every (n, ci) its own channel), dy as
 * the filter [oh, ow, N*Cin, M], at stride = the forward dilation and dilation = the forward
 * stride, gives [1, kh, kw, N*Cin*M]; summing over n leaves [kh, kw, Cin, M]. (Measured here:
 * 3-30x faster than reducing one strided slice of x per tap.)
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { convAttrs, depthwiseConv2dPadded, runComposite } from './kernel-helpers';

type Pair = [number, number];
type Shape4 = [number, number, number, number];

/** dW for an NHWC depthwise conv; padTop/padLeft are the forward padding. */
export function depthwiseFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4,
  strides: Pair,
  dilations: Pair,
  padTop: number,
  padLeft: number,
): tf.Tensor4D {
  const [n, h, w, cin] = x.shape;
  const [, oh, ow] = dy.shape;
  const [kh, kw, , m] = filterShape;
  const [sh, sw] = strides;
  const [dh, dw] = dilations;
  // exactly the rows/cols the forward conv read
  const hn = (kh - 1) * dh + (oh - 1) * sh + 1;
  const wn = (kw - 1) * dw + (ow - 1) * sw + 1;
  const xt = (n === 1 ? x : tf.transpose(x, [1, 2, 0, 3])).reshape([1, h, w, n * cin]) as tf.Tensor4D;
  const dy5 = dy.reshape([n, oh, ow, cin, m]);
  const f = (n === 1 ? dy5 : tf.transpose(dy5, [1, 2, 0, 3, 4])).reshape([oh, ow, n * cin, m]) as tf.Tensor4D;
  const g = depthwiseConv2dPadded(xt, f, [dh, dw], [sh, sw], [padTop, hn - h - padTop, padLeft, wn - w - padLeft]);
  const perBatch = g.reshape([kh, kw, n, cin, m]);
  return (n === 1 ? perBatch.reshape([kh, kw, cin, m]) : tf.sum(perBatch, 2)) as tf.Tensor4D;
}

export const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, dilations, pad, dimRoundingMode, channelsFirst } = convAttrs(attrs);
  if (channelsFirst) throw new Error('DepthwiseConv2dNativeBackpropFilter on wasm supports NHWC only');
  const filterShape = (attrs?.['filterShape'] as number[]).slice() as Shape4;
  return runComposite(inputs, backend as KernelBackend, ['x', 'dy'], ({ x, dy }) => {
    const x4 = x as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(x4.shape, filterShape, strides, dilations, pad, dimRoundingMode, true, 'channelsLast');
    return depthwiseFilterGrad(x4, dy as tf.Tensor4D, filterShape, strides, dilations, info.padInfo.top, info.padInfo.left);
  });
};

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
