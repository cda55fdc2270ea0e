/**
 * ResizeNearestNeighborGrad for the wasm backend, replacing the stock kernel, which ignores
 * halfPixelCenters: with it the gradient does not match the forward resize whenever the scale
 * is not an integer. Computed as the exact transpose of the forward map (see resize-adjoint).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { runComposite } from './kernel-helpers';
import { axisAdjoint, nearestTaps } from './resize-adjoint';

export function resizeNearestNeighborGradImpl(dy: tf.Tensor4D, imagesShape: readonly number[], alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor4D {
  const [, ih = 1, iw = 1] = imagesShape;
  const [, oh, ow] = dy.shape;
  const alongW = axisAdjoint(dy, 2, nearestTaps(iw, ow, alignCorners, halfPixelCenters), iw);
  return axisAdjoint(alongW, 1, nearestTaps(ih, oh, alignCorners, halfPixelCenters), ih);
}

export const resizeNearestNeighborGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = (attrs ?? {}) as Record<string, unknown>;
  return runComposite(inputs, backend as KernelBackend, ['images', 'dy'], ({ images, dy }) =>
    resizeNearestNeighborGradImpl(tf.cast(dy, 'float32') as tf.Tensor4D, images.shape, Boolean(a['alignCorners']), Boolean(a['halfPixelCenters'])),
  );
};

export const resizeNearestNeighborGradConfig: KernelConfig = {
  kernelName: 'ResizeNearestNeighborGrad',
  backendName: 'wasm',
  kernelFunc: resizeNearestNeighborGrad,
};
