/**
 * Group normalisation (Wu & He 2018) for NHWC tensors: channels split into `groups` groups,
 * each normalised over (H, W, channels of the group) per sample, then a per-channel scale and
 * shift. Unlike batch norm it behaves the same in training and inference and does not depend
 * on the batch size (our batches are 1-8 crops).
 */
import * as tf from '@tensorflow/tfjs';

export interface GroupNormArgs {
  groups?: number;
  epsilon?: number;
  name?: string;
  trainable?: boolean;
}

/** Largest divisor of `channels` that is <= `groups` (so any width works). */
export function effectiveGroups(channels: number, groups: number): number {
  let g = Math.max(1, Math.min(groups, channels));
  while (channels % g !== 0) g--;
  return g;
}

/** The normalisation itself, usable outside a layer. gamma/beta: [C]. */
export function groupNorm(x: tf.Tensor4D, groups: number, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon = 1e-5): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const g = effectiveGroups(c, groups);
    const xg = tf.reshape(x, [n, h, w, g, c / g]);
    const { mean, variance } = tf.moments(xg, [1, 2, 4], true);
    const xn = tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(tf.reshape(xn, [n, h, w, c]), gamma), beta) as tf.Tensor4D;
  });
}

export class GroupNorm extends tf.layers.Layer {
  static readonly className = 'MwGroupNorm';
  readonly groups: number;
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(args: GroupNormArgs = {}) {
    super(args);
    this.groups = args.groups ?? 8;
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const c = shape[shape.length - 1];
    if (c == null) throw new Error(`${this.name}: the channel dimension must be known`);
    this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return groupNorm(x, this.groups, this.gamma.read() as tf.Tensor1D, this.beta.read() as tf.Tensor1D, this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(GroupNorm);
