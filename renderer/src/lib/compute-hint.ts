/**
 * What a native or GPU TensorFlow backend would add, and how to get it, for the status bar: shown
 * where the model runs on wasm or plain JS because @tensorflow/tfjs-node(-gpu) is not installed
 * (npm skips these optional dependencies silently where their libtensorflow download fails).
 */
import type { ComputeInfo } from '../../../core/api/types';

export interface ComputeHint {
  /** a few words beside "Compute: wasm CPU" */
  label: string;
  /** the tooltip: what it would add and how to install it */
  title: string;
}

const NOT_INSTALLED = /is not installed|Cannot find module|MODULE_NOT_FOUND/i;

export function computeHint(c: Pick<ComputeInfo, 'kind' | 'tried'> | null): ComputeHint | null {
  if (!c || (c.kind !== 'wasm-cpu' && c.kind !== 'js-cpu')) return null;
  const missing = (name: string) => {
    const t = c.tried.find((x) => x.name === name);
    return !t || (!t.ok && NOT_INSTALLED.test(t.reason));
  };
  const native = missing('tensorflow');
  const gpu = missing('tensorflow-gpu');
  if (!native && !gpu) return null; // installed but failed: the reason is in the tooltip already
  const lines = [
    `Training and pre-labelling run on ${c.kind === 'wasm-cpu' ? 'the wasm backend (CPU)' : 'plain JavaScript (one CPU thread)'} here.`,
    native
      ? '@tensorflow/tfjs-node (native CPU: libtensorflow, multi-threaded) is not installed. Get it with `npm install @tensorflow/tfjs-node@4.22.0` on a machine that can download libtensorflow (its install script fetches it from storage.googleapis.com).'
      : '',
    gpu
      ? '@tensorflow/tfjs-node-gpu (NVIDIA GPU, Linux x64, needs CUDA 11.2 + cuDNN 8.1) is not installed: `npm install @tensorflow/tfjs-node-gpu@4.22.0`. It would move training and pre-labelling onto the GPU.'
      : '',
    'Restart Maskwright afterwards; the status bar shows which backend was picked.',
  ].filter(Boolean);
  return { label: native ? 'no native backend' : 'no GPU backend', title: lines.join('\n') };
}
