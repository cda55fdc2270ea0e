/**
 * UnsortedSegmentSum for the wasm backend (missing in stock 4.22). It is the gradient of
 * tf.gather (GatherV2), so without it nothing that gathers (embeddings, learned position
 * tables, index lookups) can be trained on wasm.
 *
 * out[s, ...] = sum over i with segmentIds[i] == s of x[i, ...]; ids outside [0, numSegments)
 * are dropped, as in TensorFlow. Built on ScatterNd, which accumulates duplicate indices.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { runComposite } from './kernel-helpers';

export function unsortedSegmentSumImpl(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  const idsRank = segmentIds.rank;
  const rest = x.shape.slice(idsRank);
  const outShape = [numSegments, ...rest];
  const count = segmentIds.size;
  const width = rest.reduce((p, v) => p * v, 1);
  if (count === 0 || width === 0 || numSegments === 0) return tf.zeros(outShape, x.dtype);
  const ids = tf.cast(segmentIds.reshape([count]), 'int32');
  const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
  const safeIds = tf.where(valid, ids, tf.zerosLike(ids));
  const updates = tf.mul(x.reshape([count, width]), tf.cast(valid, x.dtype).reshape([count, 1]));
  return tf.scatterND(safeIds.reshape([count, 1]), updates, [numSegments, width]).reshape(outShape);
}

export const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const numSegments = attrs?.['numSegments'] as number;
  return runComposite(inputs, backend as KernelBackend, ['x', 'segmentIds'], ({ x, segmentIds }) =>
    unsortedSegmentSumImpl(x, segmentIds, numSegments),
  );
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
