/**
 * OneHot for the wasm backend, replacing the stock kernel, which writes int32 values whatever
 * the requested dtype: tf.oneHot(i, n, 1, 0, 'float32') comes back as all zeros (the int bit
 * patterns read as denormal floats). int32 requests still go to the stock kernel (correct and
 * fast); other dtypes convert its 0/1 result.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { runComposite } from './kernel-helpers';
import { stockKernel } from './stock-kernels';

/** 0/1 int32 one-hot rows; indices outside [0, depth) give all-zero rows, as in TensorFlow. */
function hot01(indices: tf.Tensor, depth: number): tf.Tensor {
  const stock = stockKernel('OneHot');
  if (stock) {
    const attrs = { depth, onValue: 1, offValue: 0, dtype: 'int32' } as unknown as NamedAttrMap;
    const info = stock.kernelFunc({ inputs: { indices: tf.cast(indices, 'int32') }, backend: tf.backend(), attrs }) as TensorInfo;
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  return tf.cast(tf.equal(tf.expandDims(tf.cast(indices, 'int32'), -1), tf.range(0, depth, 1, 'int32')), 'int32');
}

export function oneHotImpl(indices: tf.Tensor, depth: number, onValue: number, offValue: number, dtype: DataType): tf.Tensor {
  const hot = hot01(indices, depth);
  if (dtype === 'bool') return onValue ? (offValue ? tf.onesLike(tf.cast(hot, 'bool')) : tf.cast(hot, 'bool')) : offValue ? tf.logicalNot(tf.cast(hot, 'bool')) : tf.zerosLike(tf.cast(hot, 'bool'));
  const asType = tf.cast(hot, dtype);
  if (onValue === 1 && offValue === 0) return asType;
  return tf.add(tf.mul(asType, tf.scalar(onValue - offValue, dtype)), tf.scalar(offValue, dtype));
}

export const oneHot: KernelFunc = (args) => {
  const a = (args.attrs ?? {}) as Record<string, unknown>;
  const dtype = (a['dtype'] ?? 'int32') as DataType;
  const stock = stockKernel('OneHot');
  if (dtype === 'int32' && stock) return stock.kernelFunc(args);
  return runComposite(args.inputs, args.backend as KernelBackend, ['indices'], ({ indices }) =>
    oneHotImpl(indices, a['depth'] as number, (a['onValue'] ?? 1) as number, (a['offValue'] ?? 0) as number, dtype),
  );
};

export const oneHotConfig: KernelConfig = {
  kernelName: 'OneHot',
  backendName: 'wasm',
  kernelFunc: oneHot,
};
