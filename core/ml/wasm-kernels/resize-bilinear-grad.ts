/**
 * ResizeBilinearGrad for the wasm backend, replacing the stock kernel, which ignores
 * halfPixelCenters (PyTorch's align_corners=False convention): its gradient then does not
 * match the forward resize (found here: up to 8% of the gradient's norm off). Computed as the
 * exact transpose of the forward map, axis by axis (see resize-adjoint).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { runComposite } from './kernel-helpers';
import { axisAdjoint, bilinearTaps } from './resize-adjoint';

export function resizeBilinearGradImpl(dy: tf.Tensor4D, imagesShape: readonly number[], alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor4D {
  const [, ih = 1, iw = 1] = imagesShape;
  const [, oh, ow] = dy.shape;
  const alongW = axisAdjoint(dy, 2, bilinearTaps(iw, ow, alignCorners, halfPixelCenters), iw);
  return axisAdjoint(alongW, 1, bilinearTaps(ih, oh, alignCorners, halfPixelCenters), ih);
}

export const resizeBilinearGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = (attrs ?? {}) as Record<string, unknown>;
  return runComposite(inputs, backend as KernelBackend, ['images', 'dy'], ({ images, dy }) =>
    resizeBilinearGradImpl(tf.cast(dy, 'float32') as tf.Tensor4D, images.shape, Boolean(a['alignCorners']), Boolean(a['halfPixelCenters'])),
  );
};

export const resizeBilinearGradConfig: KernelConfig = {
  kernelName: 'ResizeBilinearGrad',
  backendName: 'wasm',
  kernelFunc: resizeBilinearGrad,
};
