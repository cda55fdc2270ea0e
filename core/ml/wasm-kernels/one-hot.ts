/**
 * OneHot for the wasm backend, replacing the stock kernel, which writes int32 bit patterns
 * whatever the requested dtype: tf.oneHot(i, n, 1, 0, 'float32') comes back as all zeros
 * (denormals). Built from equal + where, so every dtype is right; indices outside [0, depth)
 * give an all-off row, as in TensorFlow.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { runComposite } from './kernel-helpers';

export function oneHotImpl(indices: tf.Tensor, depth: number, onValue: number, offValue: number, dtype: DataType): tf.Tensor {
  const hit = tf.equal(tf.expandDims(tf.cast(indices, 'int32'), -1), tf.range(0, depth, 1, 'int32'));
  if (dtype === 'bool') return onValue ? (offValue ? tf.onesLike(hit) : hit) : offValue ? tf.logicalNot(hit) : tf.zerosLike(hit);
  return tf.where(hit, tf.fill(hit.shape, onValue, dtype), tf.fill(hit.shape, offValue, dtype));
}

export const oneHot: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = (attrs ?? {}) as Record<string, unknown>;
  return runComposite(inputs, backend as KernelBackend, ['indices'], ({ indices }) =>
    oneHotImpl(indices, a['depth'] as number, (a['onValue'] ?? 1) as number, (a['offValue'] ?? 0) as number, (a['dtype'] ?? 'int32') as DataType),
  );
};

export const oneHotConfig: KernelConfig = {
  kernelName: 'OneHot',
  backendName: 'wasm',
  kernelFunc: oneHot,
};
