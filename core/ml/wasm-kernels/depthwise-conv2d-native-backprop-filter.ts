/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (missing in stock 4.22).
 *
 *   dW[a, b, ci, m] = sum_{n,i,j} xPadded[n, a*dh + i*sh, b*dw + j*sw, ci] * dy[n, i, j, ci*M + m]
 *
 * Channels never mix, so a regular convolution would waste a factor Cin. Each tap (a, b) is a
 * strided slice of the padded input times dy, reduced over batch and space.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { convAttrs, padOrCrop, runComposite } from './kernel-helpers';

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
  const hn = (kh - 1) * dh + (oh - 1) * sh + 1;
  const wn = (kw - 1) * dw + (ow - 1) * sw + 1;
  const xp = padOrCrop(x, padTop, hn - h - padTop, padLeft, wn - w - padLeft);
  const dy5 = dy.reshape([n, oh, ow, cin, m]);
  const taps: tf.Tensor[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const xs =
        sh === 1 && sw === 1
          ? tf.slice(xp, [0, a * dh, b * dw, 0], [n, oh, ow, cin])
          : tf.stridedSlice(xp, [0, a * dh, b * dw, 0], [n, a * dh + (oh - 1) * sh + 1, b * dw + (ow - 1) * sw + 1, cin], [1, sh, sw, 1]);
      const prod = m === 1 ? tf.mul(xs, dy) : tf.mul(xs.reshape([n, oh, ow, cin, 1]), dy5);
      taps.push(tf.sum(prod, [0, 1, 2]).reshape([cin, m]));
    }
  }
  return tf.stack(taps).reshape([kh, kw, cin, m]);
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
