/**
 * Bilinear upsampling by an integer factor with half-pixel centres (PyTorch's
 * align_corners=False). tf.layers.upSampling2d's bilinear mode uses the legacy TF1 sampling
 * (no half-pixel centres), which shifts the map by half a pixel per level.
 */
import * as tf from '@tensorflow/tfjs';

export interface UpsampleBilinearArgs {
  factor?: number;
  name?: string;
  trainable?: boolean;
}

export class UpsampleBilinear extends tf.layers.Layer {
  static readonly className = 'MwUpsampleBilinear';
  readonly factor: number;

  constructor(args: UpsampleBilinearArgs = {}) {
    super(args);
    this.factor = args.factor ?? 2;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const f = this.factor;
    return [s[0]!, s[1] == null ? null : s[1] * f, s[2] == null ? null : s[2] * f, s[3]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.image.resizeBilinear(x, [x.shape[1] * this.factor, x.shape[2] * this.factor], false, true);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: this.factor };
  }
}

tf.serialization.registerClass(UpsampleBilinear);
