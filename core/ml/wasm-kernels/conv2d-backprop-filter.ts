/**
 * Conv2DBackpropFilter for the wasm backend (stock tfjs-backend-wasm 4.22 has none).
 *
 * The weight gradient of a convolution is itself a convolution:
 *   dW[a, b, ci, co] = sum_{n,i,j} xPadded[n, a*dh + i*sh, b*dw + j*sw, ci] * dy[n, i, j, co]
 * which is a 'valid' convolution of x laid out as [Cin, H, W, N] ("batch" Cin, channels N) with
 * dy laid out as [oh, ow, N, Cout] as the filter, at stride = the forward dilation and
 * dilation = the forward stride, giving [Cin, kh, kw, Cout].
 *
 * That composite is the fallback. XNNPACK sees only N = batch input channels per filter tap in
 * it and runs 2-3x slower than the forward conv; the kernel registered runs our own SIMD
 * reduction over batch x H x W instead (c/conv-grad.c, `conv2d_filter_grad`), in place on the
 * backend's heap, for every NHWC float32 case (any filter size, stride and padding).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { conv2dPadded, convAttrs, runComposite, shapeToNHWC, toNHWC } from './kernel-helpers';
import { nativeKernelsFor, type NativeKernels } from './native-kernels';

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

/** The wasm backend allocates kernel outputs on its heap with makeOutput. */
export type WasmOutputBackend = KernelBackend & { makeOutput(shape: number[], dtype: 'float32'): TensorInfo };

/** Output rows per pass over dw: about 128 KiB of x and dy between passes (barely matters). */
function rowBlock(ow: number, cin: number, cout: number): number {
  return Math.max(1, Math.floor(32768 / Math.max(1, ow * (cin + cout))));
}

/** dW with our SIMD kernel; x and dy NHWC float32 on the wasm heap. */
export function nativeConv2dFilterGrad(
  k: NativeKernels,
  backend: WasmOutputBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const [n, h, w, cin] = x.shape as Shape4;
  const [, oh, ow, cout] = dy.shape as Shape4;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const out = backend.makeOutput([kh, kw, cin, cout], 'float32');
  // offsets after the allocation: it may grow the heap (the offsets of live tensors stay put)
  k.exports.conv2d_filter_grad(k.offset(x), k.offset(dy), k.offset(out), n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, dh, dw, info.padInfo.top, info.padInfo.left, rowBlock(ow, cin, cout));
  return out;
}

export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { strides, pad, dimRoundingMode, channelsFirst } = convAttrs(attrs);
  const filterShape = (attrs?.['filterShape'] as number[]).slice() as Shape4;
  const native = channelsFirst ? null : nativeKernelsFor(backend as KernelBackend);
  const { x, dy } = inputs as { x?: TensorInfo; dy?: TensorInfo };
  if (native && x && dy && x.dtype === 'float32' && dy.dtype === 'float32' && x.shape.length === 4) {
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    if (info.outShape.every((d, i) => d === dy.shape[i]) && info.inChannels === filterShape[2]) {
      return nativeConv2dFilterGrad(native, backend as WasmOutputBackend, x, dy, info);
    }
  }
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
