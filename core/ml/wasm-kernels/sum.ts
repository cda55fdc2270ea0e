/**
 * Sum for the wasm backend, replacing the stock kernel for float32. The stock kernel first
 * transposes its input whenever the summed axes are not the innermost ones, which is what the
 * training step asks for most: bias gradients sum NHWC tensors over N, H, W, GroupNorm's
 * forward and backward sum [N, H, W, G, C/G] over H, W and C/G. Ours (c/reduce.c, `sum_runs`)
 * reads the input in place: the shape is collapsed into at most four alternating runs of kept
 * and summed axes, and the innermost run is either added row-wise into the output (kept) or
 * summed with vectors (summed). Other dtypes, empty tensors, empty axis lists and shapes with
 * more runs go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmOutputBackend } from './conv2d-backprop-filter';
import { nativeKernelsFor } from './native-kernels';
import { stockKernel } from './stock-kernels';

/** The shape as runs [size, summed] (size-1 axes dropped, neighbours of a kind merged), or null for more than four. */
export function sumRuns(shape: readonly number[], axes: readonly number[]): [number, boolean][] | null {
  const set = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const runs: [number, boolean][] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const red = set.has(i);
    const last = runs.at(-1);
    if (last && last[1] === red) last[0] *= d;
    else runs.push([d, red]);
  });
  if (runs.length > 4) return null;
  while (runs.length < 4) runs.unshift([1, false]);
  return runs;
}

export const sum: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const x = inputs['x'] as TensorInfo | undefined;
  const a = (attrs ?? {}) as Record<string, unknown>;
  const axis = a['axis'] as number | number[] | undefined;
  const keepDims = Boolean(a['keepDims']);
  const native = nativeKernelsFor(backend as KernelBackend);
  if (native && x && x.dtype === 'float32' && x.shape.length > 0 && x.shape.every((d) => d > 0)) {
    const axes = tf.util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape);
    const runs = axes.length > 0 ? sumRuns(x.shape, axes) : null;
    if (runs) {
      const set = new Set(axes);
      const outShape = keepDims ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i));
      const out = (backend as WasmOutputBackend).makeOutput(outShape, 'float32');
      const mask = runs.reduce((m, [, red], i) => m | (red ? 1 << i : 0), 0);
      native.exports.sum_runs(native.offset(x), native.offset(out), runs[0]![0], runs[1]![0], runs[2]![0], runs[3]![0], mask);
      return out;
    }
  }
  const stock = stockKernel('Sum');
  if (!stock) throw new Error('Sum: the stock wasm kernel is not registered');
  return stock.kernelFunc(args);
};

export const sumConfig: KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  kernelFunc: sum,
};
