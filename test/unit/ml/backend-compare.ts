/**
 * Comparing tfjs backends in tests: deterministic inputs identical on every backend, a run on one
 * backend that returns plain copies, the max relative error, and a wasm run that must leak no
 * tensor and no backend data id. Shared by the wasm-kernel tests (registered composites and our
 * own SIMD kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

export const TOL = 1e-4;
export type Shape4 = [number, number, number, number];
export type Out = { shape: number[]; data: Float32Array | Int32Array | Uint8Array };

/** xorshift32 in [-1, 1): n deterministic values */
export function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/** a tensor of this shape filled by rand(…, seed) */
export const T = (shape: readonly number[], seed: number): tf.Tensor => tf.tensor(rand(shape.reduce((a, b) => a * b, 1), seed), [...shape]);

/** Runs fn on a backend inside a tidy and returns plain copies of its outputs. */
export async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Out[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const r = fn();
    return (Array.isArray(r) ? r : [r]).map((t) => ({ shape: t.shape, data: t.dataSync().slice() }));
  });
}

/** max |a - b| over max |b| (the absolute difference where b is all zero); shapes must agree */
export function relErr(a: Out, b: Out): number {
  expect(a.shape).toEqual(b.shape);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < b.data.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(b.data[i]!));
    maxDiff = Math.max(maxDiff, Math.abs(a.data[i]! - b.data[i]!));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** `on('wasm', fn)` that also checks the run left no tensor and no backend data id behind */
export async function onWasmNoLeak(fn: () => tf.Tensor | tf.Tensor[]): Promise<Out[]> {
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  const got = await on('wasm', fn);
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  return got;
}
