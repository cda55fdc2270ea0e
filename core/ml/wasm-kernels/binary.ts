/**
 * Add, Sub and Multiply for the wasm backend, replacing the stock kernels for float32: with
 * one side broadcast (GroupNorm's per-sample, per-channel scale and shift over NHWC maps, bias
 * adds) the stock kernels fall back to a per-element index computation and cost 2-4x a
 * same-shape op. Ours (c/binary.c, `binary_runs`) collapses the broadcast shape into at most
 * four runs in each of which each operand is full or broadcast, and runs the innermost one
 * with vectors. Other dtypes, and shapes with more runs, go to the stock kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmOutputBackend } from './conv2d-backprop-filter';
import { nativeKernelsFor } from './native-kernels';
import { stockKernel } from './stock-kernels';

/** Runs [size, aFull, bFull] of the broadcast of a and b (size-1 output axes dropped), or null for more than four. */
export function binaryRuns(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): [number, boolean, boolean][] | null {
  const r = outShape.length;
  const pa = [...Array<number>(r - aShape.length).fill(1), ...aShape];
  const pb = [...Array<number>(r - bShape.length).fill(1), ...bShape];
  const runs: [number, boolean, boolean][] = [];
  for (let i = 0; i < r; i++) {
    const d = outShape[i]!;
    if (d === 1) continue;
    const af = pa[i] === d;
    const bf = pb[i] === d;
    const last = runs.at(-1);
    if (last && last[1] === af && last[2] === bf) last[0] *= d;
    else runs.push([d, af, bf]);
  }
  if (runs.length > 4) return null;
  while (runs.length < 4) runs.unshift([1, true, true]);
  return runs;
}

const OPS = { Add: 0, Sub: 1, Multiply: 2 } as const;

function binary(name: keyof typeof OPS): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a?: TensorInfo; b?: TensorInfo };
    const backend = args.backend as KernelBackend;
    const native = a && b && a.dtype === 'float32' && b.dtype === 'float32' ? nativeKernelsFor(backend) : null;
    if (native && a && b) {
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const runs = outShape.every((d) => d > 0) ? binaryRuns(a.shape, b.shape, outShape) : null;
      if (runs) {
        const out = (backend as WasmOutputBackend).makeOutput(outShape, 'float32');
        const aMask = runs.reduce((m, r, i) => m | (r[1] ? 1 << i : 0), 0);
        const bMask = runs.reduce((m, r, i) => m | (r[2] ? 1 << i : 0), 0);
        native.exports.binary_runs(native.offset(a), native.offset(b), native.offset(out), runs[0]![0], runs[1]![0], runs[2]![0], runs[3]![0], aMask, bMask, OPS[name]);
        return out;
      }
    }
    const stock = stockKernel(name);
    if (!stock) throw new Error(`${name}: the stock wasm kernel is not registered`);
    return stock.kernelFunc(args);
  };
}

export const addConfig: KernelConfig = { kernelName: 'Add', backendName: 'wasm', kernelFunc: binary('Add') };
export const subConfig: KernelConfig = { kernelName: 'Sub', backendName: 'wasm', kernelFunc: binary('Sub') };
export const multiplyConfig: KernelConfig = { kernelName: 'Multiply', backendName: 'wasm', kernelFunc: binary('Multiply') };
