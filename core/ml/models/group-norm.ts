/**
 * Group normalisation (Wu & He 2018) for NHWC tensors, optionally fused with a ReLU: channels
 * split into `groups` groups, each normalised over (H, W, channels of the group) per sample,
 * then a per-channel scale and shift. Unlike batch norm it behaves the same in training and
 * inference and does not depend on the batch size (our batches are 1-8 crops).
 *
 * The op has a hand-written gradient (tf.customGrad): autodiff of moments/normalise/ReLU costs
 * about 20 full-size tensor ops (and transposes for the group reductions) per layer on wasm;
 * this one needs 4 full-size ops forward and 7 backward, with all group statistics computed
 * on per-channel sums. Derivation (per sample n and group g, m = H*W*channels-per-group):
 *   z -> xhat = (z - mu) * s,  s = 1/sqrt(var + eps);  y = act(gamma * xhat + beta)
 *   r = dy * act'(y);  Sr = sum_hw r;  Srz = sum_hw r*z   (per channel)
 *   dgamma = sum_n s (Srz - mu Sr);  dbeta = sum_n Sr
 *   m1 = sum_{c in g} gamma_c Sr_c / m;  m2 = s * sum_{c in g} gamma_c (Srz_c - mu Sr_c) / m
 *   dz = (s gamma) r - (s^2 m2) z + s (mu s m2 - m1)
 */
import * as tf from '@tensorflow/tfjs';

export type NormActivation = 'linear' | 'relu';

export interface GroupNormArgs {
  groups?: number;
  epsilon?: number;
  /** a ReLU fused after the normalisation */
  activation?: NormActivation;
  name?: string;
  trainable?: boolean;
}

/** Largest divisor of `channels` that is <= `groups` (so any width works). */
export function effectiveGroups(channels: number, groups: number): number {
  let g = Math.max(1, Math.min(groups, channels));
  while (channels % g !== 0) g--;
  return g;
}

/** per (n, c) channel statistic [N, C] -> summed within groups and broadcast back to [N, C] */
function groupSum(t: tf.Tensor2D, g: number): tf.Tensor2D {
  const [n, c] = t.shape;
  if (g === c) return t;
  const s = tf.sum(tf.reshape(t, [n, g, c / g]), 2, true); // [N, G, 1]
  return tf.reshape(tf.tile(s, [1, 1, c / g]), [n, c]);
}

interface Stats {
  mu: tf.Tensor2D; // [N, C], the group mean of the channel's group
  s: tf.Tensor2D; // [N, C], 1/sqrt(var + eps)
}

function groupStats(z: tf.Tensor4D, g: number, epsilon: number): Stats {
  const [, h, w, c] = z.shape;
  const m = h * w * (c / g);
  const s1 = tf.sum(z, [1, 2]) as tf.Tensor2D;
  const s2 = tf.sum(tf.square(z), [1, 2]) as tf.Tensor2D;
  const mu = tf.div(groupSum(s1, g), m) as tf.Tensor2D;
  const variance = tf.relu(tf.sub(tf.div(groupSum(s2, g), m), tf.square(mu)));
  return { mu, s: tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor2D };
}

const as4 = (t: tf.Tensor2D) => tf.reshape(t, [t.shape[0], 1, 1, t.shape[1]]) as tf.Tensor4D;

/**
 * act(GroupNorm(z) * gamma + beta) with the fused gradient described above.
 * z: [N,H,W,C]; gamma, beta: [C].
 */
export function groupNorm(z: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, epsilon = 1e-5, activation: NormActivation = 'linear'): tf.Tensor4D {
  const c = z.shape[3];
  const g = effectiveGroups(c, groups);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [zIn, gammaIn, betaIn, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const zz = zIn;
    const { mu, s } = groupStats(zz, g, epsilon);
    const scale = tf.mul(s, gammaIn) as tf.Tensor2D; // [N, C]
    const shift = tf.sub(betaIn, tf.mul(mu, scale)) as tf.Tensor2D;
    const pre = tf.add(tf.mul(zz, as4(scale)), as4(shift));
    const y = activation === 'relu' ? tf.relu(pre) : pre;
    save([zz, gammaIn, mu, s, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
        const [zs, gm, mus, ss, ys] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D, tf.Tensor4D];
        const [, h, w] = zs.shape;
        const m = h * w * (c / g);
        const r = activation === 'relu' ? tf.mul(dy, tf.step(ys)) : dy;
        const sr = tf.sum(r, [1, 2]) as tf.Tensor2D; // [N, C]
        const srz = tf.sum(tf.mul(r, zs), [1, 2]) as tf.Tensor2D;
        const centred = tf.sub(srz, tf.mul(mus, sr)) as tf.Tensor2D; // sum_hw r * (z - mu)
        const dgamma = tf.sum(tf.mul(ss, centred), 0);
        const dbeta = tf.sum(sr, 0);
        const m1 = tf.div(groupSum(tf.mul(sr, gm) as tf.Tensor2D, g), m) as tf.Tensor2D;
        const m2 = tf.mul(ss, tf.div(groupSum(tf.mul(centred, gm) as tf.Tensor2D, g), m)) as tf.Tensor2D;
        const a = tf.mul(ss, gm) as tf.Tensor2D;
        const b = tf.neg(tf.mul(tf.square(ss), m2)) as tf.Tensor2D;
        const k = tf.mul(ss, tf.sub(tf.mul(tf.mul(mus, ss), m2), m1)) as tf.Tensor2D;
        const dz = tf.add(tf.add(tf.mul(r, as4(a)), tf.mul(zs, as4(b))), as4(k));
        return [dz, dgamma, dbeta];
      },
    };
  });
  return op(z, gamma, beta) as tf.Tensor4D;
}

export class GroupNorm extends tf.layers.Layer {
  static readonly className = 'MwGroupNorm';
  readonly groups: number;
  readonly epsilon: number;
  readonly activation: NormActivation;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(args: GroupNormArgs = {}) {
    super(args);
    this.groups = args.groups ?? 8;
    this.epsilon = args.epsilon ?? 1e-5;
    this.activation = args.activation ?? 'linear';
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
    return groupNorm(x, this.gamma.read() as tf.Tensor1D, this.beta.read() as tf.Tensor1D, this.groups, this.epsilon, this.activation);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups, epsilon: this.epsilon, activation: this.activation };
  }
}

tf.serialization.registerClass(GroupNorm);
