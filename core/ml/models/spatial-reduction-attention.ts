/**
 * Multi-head self-attention over the pixels of a feature map, with spatial reduction of the
 * keys and values (PVT-style), pre-LayerNorm and a residual connection:
 *
 *   xn = LN(x);  Q = xn Wq;  r = LN'(SR(xn)) with SR a conv k=r stride=r;  K = r Wk;  V = r Wv
 *   y  = x + (softmax(Q K^T / sqrt(d_k)) V) Wo          (per head, d_k = C / heads)
 *
 * With reduction r the attention matrix is (HW) x (HW / r^2) instead of (HW)^2. r = 1 is plain
 * global self-attention. Input/output [N,H,W,C]; any H, W (the reduction conv pads 'same').
 *
 * Written with ops that train on every backend: batched matMuls with equal batch dimensions
 * (no broadcasting), reshapes/transposes, Slice-free projections.
 */
import * as tf from '@tensorflow/tfjs';

export interface SpatialReductionAttentionArgs {
  heads?: number;
  /** spatial reduction of K/V (1 = none) */
  reduction?: number;
  epsilon?: number;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

function layerNormChannels(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta) as tf.Tensor4D;
}

/** [N,H,W,C] (or [N,M,C]) -> [N*heads, H*W, C/heads] */
function splitHeads(t: tf.Tensor, n: number, len: number, heads: number, d: number): tf.Tensor3D {
  return tf.reshape(tf.transpose(tf.reshape(t, [n, len, heads, d]), [0, 2, 1, 3]), [n * heads, len, d]);
}

export class SpatialReductionAttention extends tf.layers.Layer {
  static readonly className = 'MwSpatialReductionAttention';
  readonly heads: number;
  readonly reduction: number;
  readonly epsilon: number;
  readonly seed: number;
  private w: Record<string, tf.LayerVariable> = {};

  constructor(args: SpatialReductionAttentionArgs = {}) {
    super(args);
    this.heads = args.heads ?? 4;
    this.reduction = args.reduction ?? 2;
    this.epsilon = args.epsilon ?? 1e-5;
    this.seed = args.seed ?? 1;
    if (!Number.isInteger(this.heads) || this.heads < 1) throw new Error(`heads must be a positive integer, got ${this.heads}`);
    if (!Number.isInteger(this.reduction) || this.reduction < 1) throw new Error(`reduction must be a positive integer, got ${this.reduction}`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const c = shape[3];
    if (c == null) throw new Error(`${this.name}: the channel dimension must be known`);
    if (c % this.heads !== 0) throw new Error(`${this.name}: ${c} channels do not split into ${this.heads} heads`);
    const r = this.reduction;
    let s = this.seed * 104729;
    const glorot = () => tf.initializers.glorotUniform({ seed: ++s });
    const add = (name: string, shp: number[], init: ReturnType<typeof tf.initializers.zeros>) => {
      this.w[name] = this.addWeight(name, shp, 'float32', init);
    };
    add('ln_gamma', [c], tf.initializers.ones());
    add('ln_beta', [c], tf.initializers.zeros());
    add('wq', [1, 1, c, c], glorot());
    add('bq', [c], tf.initializers.zeros());
    if (r > 1) {
      add('wsr', [r, r, c, c], tf.initializers.heUniform({ seed: ++s }));
      add('bsr', [c], tf.initializers.zeros());
      add('lnsr_gamma', [c], tf.initializers.ones());
      add('lnsr_beta', [c], tf.initializers.zeros());
    }
    add('wk', [1, 1, c, c], glorot());
    add('bk', [c], tf.initializers.zeros());
    add('wv', [1, 1, c, c], glorot());
    add('bv', [c], tf.initializers.zeros());
    // the output projection starts at zero: the block begins as the identity (stable early training)
    add('wo', [1, 1, c, c], tf.initializers.zeros());
    add('bo', [c], tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  private v(name: string): tf.Tensor {
    return this.w[name]!.read();
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [n, h, wd, c] = x.shape;
      const heads = this.heads;
      const d = c / heads;
      const conv1 = (t: tf.Tensor4D, w: string, b: string) => tf.add(tf.conv2d(t, this.v(w) as tf.Tensor4D, 1, 'valid'), this.v(b)) as tf.Tensor4D;
      const xn = layerNormChannels(x, this.v('ln_gamma'), this.v('ln_beta'), this.epsilon);
      let kvSrc = xn;
      if (this.reduction > 1) {
        const red = tf.add(tf.conv2d(xn, this.v('wsr') as tf.Tensor4D, this.reduction, 'same'), this.v('bsr')) as tf.Tensor4D;
        kvSrc = layerNormChannels(red, this.v('lnsr_gamma'), this.v('lnsr_beta'), this.epsilon);
      }
      const m = kvSrc.shape[1] * kvSrc.shape[2];
      const q = splitHeads(conv1(xn, 'wq', 'bq'), n, h * wd, heads, d);
      const k = splitHeads(conv1(kvSrc, 'wk', 'bk'), n, m, heads, d);
      const v = splitHeads(conv1(kvSrc, 'wv', 'bv'), n, m, heads, d);
      const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)));
      const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v), [n, heads, h * wd, d]), [0, 2, 1, 3]), [n, h, wd, c]) as tf.Tensor4D;
      return tf.add(x, conv1(o, 'wo', 'bo'));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, reduction: this.reduction, epsilon: this.epsilon, seed: this.seed };
  }
}

tf.serialization.registerClass(SpatialReductionAttention);
