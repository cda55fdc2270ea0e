/**
 * A convolution over the channel-concatenation of several inputs, computed as the sum of one
 * convolution per input with its slice of the kernel: conv(concat(a, b), W) =
 * conv(a, W[:, :, :Ca]) + conv(b, W[:, :, Ca:]). Same result and weights as concatenate +
 * conv2d, without materialising the concatenation (on wasm the concat costs a full copy and
 * its gradient, SplitV, several).
 */
import * as tf from '@tensorflow/tfjs';

export interface ConcatConv2DArgs {
  filters: number;
  kernelSize?: number;
  useBias?: boolean;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export class ConcatConv2D extends tf.layers.Layer {
  static readonly className = 'MwConcatConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly useBias: boolean;
  readonly seed: number;
  private kernel!: tf.LayerVariable;
  private bias: tf.LayerVariable | null = null;
  private splits: number[] = [];

  constructor(args: ConcatConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize ?? 3;
    this.useBias = args.useBias ?? false;
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tf.Shape[];
    this.splits = shapes.map((s, i) => {
      const c = s[3];
      if (c == null) throw new Error(`${this.name}: input ${i} has an unknown channel count`);
      return c;
    });
    const cin = this.splits.reduce((a, b) => a + b, 0);
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, cin, this.filters], 'float32', tf.initializers.heNormal({ seed: this.seed }));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0]!, s[1]!, s[2]!, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const xs = (Array.isArray(inputs) ? inputs : [inputs]) as tf.Tensor4D[];
      const w = this.kernel.read() as tf.Tensor4D;
      const k = this.kernelSize;
      let out: tf.Tensor4D | null = null;
      let c0 = 0;
      xs.forEach((x, i) => {
        const c = this.splits[i]!;
        const wi = xs.length === 1 ? w : tf.slice(w, [0, 0, c0, 0], [k, k, c, this.filters]);
        c0 += c;
        const y = tf.conv2d(x, wi, 1, 'same');
        out = out ? (tf.add(out, y) as tf.Tensor4D) : y;
      });
      return this.bias ? tf.add(out!, this.bias.read()) : out!;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, useBias: this.useBias, seed: this.seed };
  }
}

tf.serialization.registerClass(ConcatConv2D);
