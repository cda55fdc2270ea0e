/**
 * Conv2DBackpropInput for the wasm backend, replacing the stock kernel (a naive scalar loop).
 * Also the forward pass of conv2dTranspose.
 *
 * dx is a stride-1 correlation of dy with the spatially flipped filter, its channel axes
 * swapped ([kh, kw, Cout, Cin]). For a strided conv the zero-dilated dy would waste
 * (1 - 1/(sh*sw)) of the work, so dx is computed per output phase (h mod sh, w mod sw): each
 * phase is a small 'valid' convolution of the undilated dy with the taps that reach it, and the
 * phases are interleaved (see transposedConvByPhases).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { conv2dPadded, convAttrs, fromNHWC, runComposite, shapeToNHWC, toNHWC, transposedConvByPhases } from './kernel-helpers';

type Pair = [number, number];
type Shape4 = [number, number, number, number];

/** dx for an NHWC conv with forward input shape `inShape`; padTop/padLeft are the forward padding. */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inShape: Shape4,
  strides: Pair,
  dilations: Pair,
  padTop: number,
  padLeft: number,
): tf.Tensor4D {
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, Cout, Cin]
  return transposedConvByPhases(dy, flipped, inShape, strides, dilations, padTop, padLeft, (x, f, d, pads) =>
    conv2dPadded(x, f, [1, 1], d, pads),
  );
}

export const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, pad, dimRoundingMode, channelsFirst } = convAttrs(attrs);
  const inShape = shapeToNHWC(attrs?.['inputShape'] as number[], channelsFirst);
  return runComposite(inputs, backend as KernelBackend, ['dy', 'filter'], ({ dy, filter }) => {
    const f = filter as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(inShape, f.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const dx = conv2dInputGrad(toNHWC(dy as tf.Tensor4D, channelsFirst), f, inShape, strides, [1, 1], info.padInfo.top, info.padInfo.left);
    return fromNHWC(dx, channelsFirst);
  });
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
