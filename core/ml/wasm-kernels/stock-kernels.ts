/**
 * The stock wasm kernels we replaced, kept so that replacements can delegate the cases the
 * stock kernel gets right (and fast), and so that they can be put back.
 */
import type { KernelConfig } from '@tensorflow/tfjs';

const stock = new Map<string, KernelConfig>();

export function rememberStockKernel(config: KernelConfig): void {
  stock.set(config.kernelName, config);
}

export function stockKernel(kernelName: string): KernelConfig | undefined {
  return stock.get(kernelName);
}
