/**
 * Conv2DBackpropFilter for the wasm backend (stock tfjs-backend-wasm 4.22 has none).
 *
 * The weight gradient of a convolution is itself a convolution:
 *   dW[a, b, ci, co] = sum_{n,i,j} xPadded[n, a*dh + i*sh, b*dw + j*sw, ci] * dy[n, i, j, co]
 * which is a 'valid' convolution of x laid out as [Cin, H, W, N] ("batch" Cin, channels N) with
 * dy laid out as [oh, ow, N, Cout] as the filter, at stride = the forward dilation and
 * dilation = the forward stride, giving [Cin, kh, kw, Cout].
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { conv2dPadded, convAttrs, runComposite, shapeToNHWC, toNHWC } from './kernel-helpers';

type Pair = [number, number];
type Shape4 = [number, number, number, number];

/** dW for an NHWC conv; padTop/padLeft are the forward padding. */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4,
  strides: Pair,
  dilations: Pair,
  padTop: number,
  padLeft: number,
): tf.Tensor4D {
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const [kh, kw] = filterShape;
  const [sh, sw] = strides;
  const [dh, dw] = dilations;
  // exactly the rows/cols the forward conv read, so the result is kh x kw with no waste
  const hn = (kh - 1) * dh + (oh - 1) * sh + 1;
  const wn = (kw - 1) * dw + (ow - 1) * sw + 1;
  const xt = tf.transpose(x, [3, 1, 2, 0]); // [Cin, H, W, N]
  const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, N, Cout]
  // the conv pads (or crops) x to hn x wn itself: no padded copy
  const g = conv2dPadded(xt, dyt, [dh, dw], [sh, sw], [padTop, hn - h - padTop, padLeft, wn - w - padLeft]); // [Cin, kh, kw, Cout]
  return tf.transpose(g, [1, 2, 0, 3]);
}

export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, pad, dimRoundingMode, channelsFirst } = convAttrs(attrs);
  const filterShape = (attrs?.['filterShape'] as number[]).slice() as Shape4;
  return runComposite(inputs, backend as KernelBackend, ['x', 'dy'], ({ x, dy }) => {
    const xs = shapeToNHWC(x.shape, channelsFirst);
    const info = tf.backend_util.computeConv2DInfo(xs, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    return conv2dFilterGrad(
      toNHWC(x as tf.Tensor4D, channelsFirst),
      toNHWC(dy as tf.Tensor4D, channelsFirst),
      filterShape,
      strides,
      [1, 1],
      info.padInfo.top,
      info.padInfo.left,
    );
  });
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
