/**
 * Attention U-Net built from scratch as a tfjs layers model (savable, backend-independent),
 * mirroring the PyTorch reference (peers/attn_unet_torch.py):
 *
 *   encoder  level l: ConvBlock(w_l) -> maxPool 2      (w_l = baseWidth * 2^l, l < levels)
 *   bottleneck: ConvBlock(w_levels) -> multi-head self-attention with spatial reduction
 *   decoder  level l: 1x1 conv (-> w_l) -> bilinear x2 (the reference's order reversed: equal) ->
 *            attention gate on the skip ->
 *            concat [gated skip, up] -> ConvBlock(w_l)
 *   head: 1x1 conv to the logits (1 for binary, classes + 1 for multi-class)
 *
 * ConvBlock = (3x3 conv, no bias -> GroupNorm -> ReLU) x 2 (with groups = 0: conv with bias ->
 * ReLU); the decoder's concat [skip, up] is folded into the block's first conv (ConcatConv2D). The decoder is shared with the MobileNetV2-encoder variant (`unetDecoder`).
 */
import * as tf from '@tensorflow/tfjs';
import { AttentionGate } from './attention-gate';
import { ConcatConv2D } from './concat-conv2d';
import { GroupNorm } from './group-norm';
import { MaxPool2x2 } from './max-pool2x2';
import { inputChannels, outputChannels, validateModelConfig, type SegModelConfig } from './model-config';
import { SpatialReductionAttention } from './spatial-reduction-attention';
import { UpsampleBilinear } from './upsample-bilinear';

type SymT = tf.SymbolicTensor;

/** Deterministic seeds per layer, from the model seed. */
class Seeds {
  private n = 0;
  constructor(private readonly base: number) {}
  next(): number {
    return (this.base * 1000003 + ++this.n * 7919) % 2147483647;
  }
}

/**
 * (3x3 conv -> GroupNorm + ReLU) x 2, or (3x3 conv with bias + ReLU) x 2 without norm. Several
 * inputs are concatenated on the channel axis by the first conv (without a copy).
 */
export function convBlock(x: SymT | SymT[], width: number, groups: number, name: string, seeds: Seeds): SymT {
  let y: SymT = Array.isArray(x) && x.length === 1 ? x[0]! : (x as SymT);
  for (const i of [1, 2]) {
    // the first conv is a ConcatConv2D (plain conv2d ops): it concatenates several inputs without a
    // copy, and on the image input autodiff skips the unused input gradient (a fused conv computes it)
    const conv =
      i === 1
        ? new ConcatConv2D({ filters: width, kernelSize: 3, useBias: groups === 0, seed: seeds.next(), name: `${name}_conv${i}` }).apply(x)
        : tf.layers
            .conv2d({ filters: width, kernelSize: 3, padding: 'same', useBias: groups === 0, kernelInitializer: tf.initializers.heNormal({ seed: seeds.next() }), name: `${name}_conv${i}` })
            .apply(y);
    y = conv as SymT;
    y = (groups > 0 ? new GroupNorm({ groups, activation: 'relu', name: `${name}_gn${i}` }) : tf.layers.reLU({ name: `${name}_relu${i}` })).apply(y) as SymT;
  }
  return y;
}

export interface DecoderSpec {
  /** skip features, finest first; skips[l] has stride 2^l relative to the output */
  skips: SymT[];
  /** decoder width per skip level (same length as skips) */
  widths: number[];
}

/**
 * The U-Net decoder: from `bottom` (stride 2^skips.length) up through every skip to stride 1,
 * then the logits head. Returns the logits.
 */
export function unetDecoder(bottom: SymT, spec: DecoderSpec, cfg: SegModelConfig, seeds: Seeds, finalUpsample = 0): SymT {
  let y = bottom;
  const { groups, attentionGates } = cfg.unet;
  for (let l = spec.skips.length - 1; l >= 0; l--) {
    const w = spec.widths[l]!;
    // 1x1 conv, then bilinear x2: the same function as the reference's resize-then-conv (both are
    // linear and bilinear weights sum to 1, so they commute), at a quarter of the conv's cost
    y = tf.layers.conv2d({ filters: w, kernelSize: 1, kernelInitializer: tf.initializers.heUniform({ seed: seeds.next() }), name: `up${l + 1}_reduce` }).apply(y) as SymT;
    y = new UpsampleBilinear({ factor: 2, name: `up${l + 1}_resize` }).apply(y) as SymT;
    let skip = spec.skips[l]!;
    if (attentionGates) {
      skip = new AttentionGate({ interChannels: Math.max(1, Math.floor(w / 2)), seed: seeds.next(), name: `up${l + 1}_gate` }).apply([skip, y]) as SymT;
    }
    y = convBlock([skip, y], w, groups, `up${l + 1}`, seeds);
  }
  for (let i = 0; i < finalUpsample; i++) {
    y = new UpsampleBilinear({ factor: 2, name: `head_resize${i + 1}` }).apply(y) as SymT;
  }
  return tf.layers
    .conv2d({ filters: outputChannels(cfg), kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }), name: 'head' })
    .apply(y) as SymT;
}

export function bottleneckAttention(x: SymT, cfg: SegModelConfig, seeds: Seeds): SymT {
  if (cfg.unet.heads <= 0) return x;
  return new SpatialReductionAttention({ heads: cfg.unet.heads, reduction: cfg.unet.reduction, seed: seeds.next(), name: 'bottleneck_attention' }).apply(x) as SymT;
}

export { Seeds as LayerSeeds };

/** Builds the Attention U-Net for `cfg` (arch 'attention-unet'). Input [N,H,W,C] in [0,1]. */
export function buildAttentionUNet(cfg: SegModelConfig): tf.LayersModel {
  validateModelConfig(cfg);
  if (cfg.arch !== 'attention-unet') throw new RangeError(`buildAttentionUNet: arch is '${cfg.arch}'`);
  const seeds = new Seeds(cfg.seed);
  const { baseWidth, levels, groups } = cfg.unet;
  const input = tf.input({ shape: [null, null, inputChannels(cfg)], name: 'image' });
  const skips: SymT[] = [];
  const widths: number[] = [];
  let x: SymT = input;
  for (let l = 0; l < levels; l++) {
    const w = baseWidth * 2 ** l;
    x = convBlock(x, w, groups, `enc${l + 1}`, seeds);
    skips.push(x);
    widths.push(w);
    x = new MaxPool2x2({ name: `enc${l + 1}_pool` }).apply(x) as SymT;
  }
  x = convBlock(x, baseWidth * 2 ** levels, groups, 'bottleneck', seeds);
  x = bottleneckAttention(x, cfg, seeds);
  const logits = unetDecoder(x, { skips, widths }, cfg, seeds);
  return tf.model({ inputs: input, outputs: logits, name: cfg.interactive ? 'attention_unet_interactive' : 'attention_unet' });
}
