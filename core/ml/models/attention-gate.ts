/**
 * Additive attention gate on a U-Net skip connection (Oktay et al. 2018, "Attention U-Net"),
 * with the gating signal already at the skip's resolution:
 *
 *   alpha = sigmoid(psi(relu(Wx x + Wg g + bg)) + bpsi),   out = x * alpha
 *
 * Inputs: [x (the skip, [N,H,W,Cx]), g (the decoder's gate, [N,H,W,Cg])]. Output: like x.
 * All three projections are 1x1 convolutions.
 */
import * as tf from '@tensorflow/tfjs';

export interface AttentionGateArgs {
  /** channels of the intermediate (default: max(1, Cx / 2)) */
  interChannels?: number;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export class AttentionGate extends tf.layers.Layer {
  static readonly className = 'MwAttentionGate';
  readonly interChannels: number | null;
  readonly seed: number;
  private wx!: tf.LayerVariable;
  private wg!: tf.LayerVariable;
  private bg!: tf.LayerVariable;
  private psi!: tf.LayerVariable;
  private bpsi!: tf.LayerVariable;

  constructor(args: AttentionGateArgs = {}) {
    super(args);
    this.interChannels = args.interChannels ?? null;
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    if (!Array.isArray(inputShape[0]) || inputShape.length !== 2) throw new Error(`${this.name}: expects two inputs [skip, gate]`);
    const [xs, gs] = inputShape as tf.Shape[];
    const cx = xs![3];
    const cg = gs![3];
    if (cx == null || cg == null) throw new Error(`${this.name}: channel dimensions must be known`);
    const ci = this.interChannels ?? Math.max(1, Math.floor(cx / 2));
    const init = (s: number) => tf.initializers.heUniform({ seed: this.seed * 7919 + s });
    this.wx = this.addWeight('wx', [1, 1, cx, ci], 'float32', init(1));
    this.wg = this.addWeight('wg', [1, 1, cg, ci], 'float32', init(2));
    this.bg = this.addWeight('bg', [ci], 'float32', tf.initializers.zeros());
    this.psi = this.addWeight('psi', [1, 1, ci, 1], 'float32', tf.initializers.glorotUniform({ seed: this.seed * 7919 + 3 }));
    this.bpsi = this.addWeight('bpsi', [1], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return (inputShape as tf.Shape[])[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, g] = inputs as tf.Tensor4D[];
      const pre = tf.relu(tf.add(tf.add(tf.conv2d(x!, this.wx.read() as tf.Tensor4D, 1, 'valid'), tf.conv2d(g!, this.wg.read() as tf.Tensor4D, 1, 'valid')), this.bg.read())) as tf.Tensor4D;
      const alpha = tf.sigmoid(tf.add(tf.conv2d(pre, this.psi.read() as tf.Tensor4D, 1, 'valid'), this.bpsi.read()));
      return tf.mul(x!, alpha);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), interChannels: this.interChannels, seed: this.seed };
  }
}

tf.serialization.registerClass(AttentionGate);
