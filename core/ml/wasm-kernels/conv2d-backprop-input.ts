/**
 * Conv2DBackpropInput for the wasm backend, replacing the stock kernel (a naive scalar loop).
 * Also the forward pass of conv2dTranspose.
 *
 * dx is a stride-1 correlation of dy with the spatially flipped filter, its channel axes
 * swapped ([kh, kw, Cout, Cin]). For a strided conv the zero-dilated dy would waste
 * (1 - 1/(sh*sw)) of the work, so dx is computed per output phase (h mod sh, w mod sw): each
 * phase is a small 'valid' convolution of the undilated dy with the taps that reach it, and the
 * phases are interleaved (see transposedConvByPhases).
 *
 * That composite is the fallback (NCHW data, a backend our module cannot bind to). The kernel
 * registered runs our own SIMD kernel (c/conv-grad.c, `conv2d_input_grad`) on the backend's
 * heap: the same phase decomposition, but each phase reads the undilated dy in place and
 * writes its columns of dx directly, with no padded, stacked or interleaved copies.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmOutputBackend } from './conv2d-backprop-filter';
import { conv2dPadded, convAttrs, fromNHWC, runComposite, shapeToNHWC, toNHWC, transposedConvByPhases } from './kernel-helpers';
import { nativeKernelsFor, type NativeKernels } from './native-kernels';

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

/**
 * dx channels per pass (and per packed block of the flipped filter): the block's weights stay
 * within ~128 KiB; a multiple of 4 (of 12 where it can be) so that the vector tiles fill up.
 */
function channelChunk(kh: number, kw: number, cout: number, cin: number): number {
  const c = Math.floor(32768 / Math.max(1, kh * kw * cout));
  if (c >= cin) return cin;
  return c >= 12 ? c - (c % 12) : Math.max(4, c - (c % 4));
}

/** dx with our SIMD kernel; dy and filter NHWC / [kh, kw, Cin, Cout] float32 on the wasm heap. */
export function nativeConv2dInputGrad(k: NativeKernels, backend: WasmOutputBackend, dy: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const [n, h, w, cin] = info.inShape;
  const { outHeight: oh, outWidth: ow, outChannels: cout, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const chunk = channelChunk(kh, kw, cout, cin);
  const ft = backend.makeOutput([kh, kw, cout, cin], 'float32');
  const dx = backend.makeOutput([n, h, w, cin], 'float32');
  k.exports.filter_flip_swap(k.offset(filter), k.offset(ft), kh, kw, cin, cout, chunk);
  k.exports.conv2d_input_grad(k.offset(dy), k.offset(ft), k.offset(dx), n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, info.padInfo.top, info.padInfo.left, chunk);
  backend.disposeData(ft.dataId);
  return dx;
}

export const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, pad, dimRoundingMode, channelsFirst } = convAttrs(attrs);
  const inShape = shapeToNHWC(attrs?.['inputShape'] as number[], channelsFirst);
  const native = channelsFirst ? null : nativeKernelsFor(backend as KernelBackend);
  const { dy, filter } = inputs as { dy?: TensorInfo; filter?: TensorInfo };
  if (native && dy && filter && dy.dtype === 'float32' && filter.dtype === 'float32' && dy.shape.length === 4 && filter.shape.length === 4) {
    const info = tf.backend_util.computeConv2DInfo(inShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    // under 4 dx channels (an RGB input layer) our vector tiles do not apply: the composite is faster
    if (inShape[3] >= 4 && info.outShape.every((d, i) => d === dy.shape[i])) return nativeConv2dInputGrad(native, backend as WasmOutputBackend, dy, filter, info);
  }
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
