/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (missing in stock 4.22).
 *
 * With filter [kh, kw, Cin, M] and dy channels ci*M + m, dx[.., ci] sums over m and over the
 * taps. Each stride phase (see transposedConvByPhases) is a multiplier-1 depthwise correlation
 * of dy (Cin*M channels) with the flipped filter reshaped to [kh, kw, Cin*M, 1]; the M partial
 * results of a channel are summed per phase.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { convAttrs, depthwiseConv2dPadded, runComposite, transposedConvByPhases } from './kernel-helpers';

type Pair = [number, number];
type Shape4 = [number, number, number, number];

/** dx for an NHWC depthwise conv with forward input shape `inShape`. */
export function depthwiseInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inShape: Shape4,
  strides: Pair,
  dilations: Pair,
  padTop: number,
  padLeft: number,
): tf.Tensor4D {
  const [kh, kw, cin, m] = filter.shape;
  const [n, h, w] = inShape;
  const flipped = tf.reverse(filter, [0, 1]).reshape([kh, kw, cin * m, 1]) as tf.Tensor4D;
  // sum the M partial results of a channel inside each phase, before phases are interleaved
  return transposedConvByPhases(dy, flipped, [n, h, w, cin], strides, dilations, padTop, padLeft, (x, f, d, pads) => {
    const perMultiplier = depthwiseConv2dPadded(x, f, [1, 1], d, pads);
    if (m === 1) return perMultiplier;
    const [pn, ph, pw] = perMultiplier.shape;
    return tf.sum(perMultiplier.reshape([pn, ph, pw, cin, m]), 4) as tf.Tensor4D;
  });
}

export const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, dilations, pad, dimRoundingMode, channelsFirst } = convAttrs(attrs);
  if (channelsFirst) throw new Error('DepthwiseConv2dNativeBackpropInput on wasm supports NHWC only');
  const inShape = (attrs?.['inputShape'] as number[]).slice() as Shape4;
  return runComposite(inputs, backend as KernelBackend, ['dy', 'filter'], ({ dy, filter }) => {
    const f = filter as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(inShape, f.shape, strides, dilations, pad, dimRoundingMode, true, 'channelsLast');
    return depthwiseInputGrad(dy as tf.Tensor4D, f, inShape, strides, dilations, info.padInfo.top, info.padInfo.left);
  });
};

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
