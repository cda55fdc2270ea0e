/**
 * Registers on the 'wasm' backend the kernels training needs that stock
 * @tensorflow/tfjs-backend-wasm 4.22 lacks, runs slowly, or gets wrong.
 *
 * Missing (the cpu backend's kernel list minus wasm's, restricted to what gradients use):
 *   Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter,
 *   DepthwiseConv2dNativeBackpropInput, UnsortedSegmentSum (the gradient of gather).
 *   Also missing but not registered: Einsum (no gradient in tfjs), FFT/IFFT/Complex/Real/Imag,
 *   Ragged*, StaticRegexReplace, Draw (no place in a segmentation net).
 * Slow: Conv2DBackpropInput (a naive scalar loop; also conv2dTranspose's forward pass), Sum
 *   over axes that are not innermost (transposes first; float32 goes to our kernel).
 * Faster with our SIMD kernels (c/): Conv2D and FusedConv2D (no bias/activation) with filters
 *   that fit in cache; XNNPACK for the rest (conv2d-forward.ts). Add/Sub/Multiply of float32
 *   with broadcasting (binary.ts).
 * Wrong (each checked against an exact reference; see test/unit/ml/wasm-kernels.test.ts):
 *   MaxPoolGrad (misroutes gradients with more than one channel), AvgPoolGrad (border
 *   gradients with 'same'/explicit padding), ResizeBilinearGrad and ResizeNearestNeighborGrad
 *   (ignore halfPixelCenters), OneHot (float dtypes come back as zeros).
 * Checked and correct on stock wasm (gradients equal cpu's to <= 1e-6): conv2d/depthwise
 * forward, fused conv2d/depthwise/matMul, BatchMatMul, Softmax/LogSoftmax, FusedBatchNorm,
 * moments (GroupNorm/LayerNorm style), Relu/Relu6/LeakyRelu/Elu/Selu/Prelu/Sigmoid/Tanh/
 * Softplus/Erf, Sqrt/Rsqrt/Pow, ClipByValue, Max/Min/Sum/Mean reductions, Pad, MirrorPad,
 * Slice, Concat/Split, Pack/Unpack, Tile, Transpose, Reverse, Cumsum, SpaceToBatchND, Gather,
 * sigmoid/softmax cross-entropy. (tfjs-core itself has no gradient for StridedSlice or
 * DepthToSpace, and the gradient of a batch-broadcasting matMul fails on every backend.)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig } from '@tensorflow/tfjs';
import { rememberStockKernel, stockKernel } from './stock-kernels';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-native-backprop-filter';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-native-backprop-input';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';
import { maxPoolGradConfig } from './max-pool-grad';
import { avgPoolGradConfig } from './avg-pool-grad';
import { resizeBilinearGradConfig } from './resize-bilinear-grad';
import { resizeNearestNeighborGradConfig } from './resize-nearest-neighbor-grad';
import { oneHotConfig } from './one-hot';
import { sumConfig } from './sum';
import { conv2DConfig, fusedConv2DConfig } from './conv2d-forward';
import { addConfig, multiplyConfig, subConfig } from './binary';

/** Our kernels, in registration order. */
export const wasmTrainingKernelConfigs: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  resizeBilinearGradConfig,
  resizeNearestNeighborGradConfig,
  oneHotConfig,
  sumConfig,
  conv2DConfig,
  fusedConv2DConfig,
  addConfig,
  subConfig,
  multiplyConfig,
];

/** Names of the kernels we add or replace on 'wasm'. */
export const wasmTrainingKernelNames: readonly string[] = wasmTrainingKernelConfigs.map((c) => c.kernelName);

function lookup(kernelName: string): KernelConfig | undefined {
  return tf.getKernel(kernelName, 'wasm') ?? undefined;
}

export interface WasmKernelRegistration {
  /** kernels this call registered (empty when they were already in place) */
  registered: string[];
  /** of those, stock kernels we replaced */
  replaced: string[];
}

/**
 * Registers the training kernels on 'wasm'. Idempotent: kernels already in place are left
 * alone. Safe before or after the wasm backend is initialised.
 */
export function registerWasmTrainingKernels(): WasmKernelRegistration {
  const registered: string[] = [];
  const replaced: string[] = [];
  for (const config of wasmTrainingKernelConfigs) {
    const existing = lookup(config.kernelName);
    if (existing?.kernelFunc === config.kernelFunc) continue;
    let ours = config;
    if (existing) {
      rememberStockKernel(existing);
      tf.unregisterKernel(config.kernelName, 'wasm');
      replaced.push(config.kernelName);
      // The engine runs setupFuncs when the backend initialises. Carry the stock kernel's, so
      // that the stock kernel still works if it is put back after that.
      if (existing.setupFunc) ours = { ...config, setupFunc: existing.setupFunc };
    }
    tf.registerKernel(ours);
    registered.push(config.kernelName);
  }
  return { registered, replaced };
}

/** Whether all our kernels are the ones registered on 'wasm'. */
export function wasmTrainingKernelsRegistered(): boolean {
  return wasmTrainingKernelConfigs.every((c) => lookup(c.kernelName)?.kernelFunc === c.kernelFunc);
}

/** Removes our kernels and restores the stock ones they replaced (tests, benchmarks). */
export function unregisterWasmTrainingKernels(): void {
  for (const config of wasmTrainingKernelConfigs) {
    if (lookup(config.kernelName)?.kernelFunc !== config.kernelFunc) continue;
    tf.unregisterKernel(config.kernelName, 'wasm');
    const stock = stockKernel(config.kernelName);
    if (stock) tf.registerKernel(stock);
  }
}
