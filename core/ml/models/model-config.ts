/**
 * Configuration of Maskwright's segmentation models (stored as JSON in model_version.config).
 *
 * Heads: `classes` counts the foreground classes. classes = 1 is the binary head (one logit,
 * sigmoid); classes >= 2 is the multi-class head (classes + 1 logits incl. background, softmax).
 * Interactive models take 3 more input channels after the image: positive clicks, negative
 * clicks and the previous mask (RITM style).
 */
import { AppError } from '../../api/errors';
import type { ModelKind } from '../../api/types';

export type ModelArch = 'attention-unet' | 'mobilenet-unet';

export interface AttentionUNetOptions {
  /** width of the first level; level l has baseWidth * 2^l channels (reference: 16) */
  baseWidth: number;
  /** number of 2x downsamplings (reference: 4) */
  levels: number;
  /** GroupNorm groups; 0 = no normalisation */
  groups: number;
  /** self-attention heads at the bottleneck; 0 = no self-attention block */
  heads: number;
  /** spatial reduction of K/V in the bottleneck self-attention (reference: 2) */
  reduction: number;
  /** additive attention gates on the skip connections */
  attentionGates: boolean;
}

export interface MobileNetEncoderOptions {
  /**
   * model.json of a Keras MobileNetV2 (alpha 1.0) tfjs layers model, e.g. the one inside the
   * `nsfwjs` npm package. Weight shards are read from beside it.
   */
  modelJsonPath: string;
  /** how many of the last inverted-residual blocks (of 17) train on a GPU backend (on CPU backends the encoder is always frozen: runTraining sets 0) */
  trainableBlocks: number;
  /** the encoder's expected input: pixel01 * scale + offset (nsfwjs: 1, 0; Keras: 2, -1) */
  inputScale: number;
  inputOffset: number;
}

export interface SegModelConfig {
  arch: ModelArch;
  /** foreground classes; 1 = binary (sigmoid) head */
  classes: number;
  /** image channels the model reads (3: RGB; grey images are replicated) */
  imageChannels: number;
  /** RITM-style click refinement model: +3 input channels (pos clicks, neg clicks, prev mask) */
  interactive: boolean;
  /** decoder widths follow the U-Net: level l has baseWidth * 2^l channels */
  unet: AttentionUNetOptions;
  /** only for arch 'mobilenet-unet' */
  encoder?: MobileNetEncoderOptions;
  /** per-image input normalisation applied before the model (see core/ml/model-image.ts) */
  inputNorm: 'unit' | 'standardize';
  /** project class id of each foreground class index 1..classes (for label maps) */
  classIds: number[];
  /** seed of the weight initialisers */
  seed: number;
  /** interactive models: the zoom-in reference size and input size (set by training) */
  refine?: { typicalObjectPx: number; cropSize: number };
}

/** The PyTorch reference's architecture (peers/attn_unet_torch.py): 2.36 M parameters. */
export const REFERENCE_UNET: AttentionUNetOptions = {
  baseWidth: 16,
  levels: 4,
  groups: 8,
  heads: 4,
  reduction: 2,
  attentionGates: true,
};

export function defaultModelConfig(patch: Partial<Omit<SegModelConfig, 'unet'>> & { unet?: Partial<AttentionUNetOptions> } = {}): SegModelConfig {
  return {
    arch: patch.arch ?? 'attention-unet',
    classes: patch.classes ?? 1,
    imageChannels: patch.imageChannels ?? 3,
    interactive: patch.interactive ?? false,
    unet: { ...REFERENCE_UNET, ...patch.unet },
    ...(patch.encoder ? { encoder: patch.encoder } : {}),
    inputNorm: patch.inputNorm ?? 'standardize',
    classIds: patch.classIds ?? Array.from({ length: patch.classes ?? 1 }, (_, i) => i + 1),
    seed: patch.seed ?? 1,
  };
}

/** Logit channels of the head. */
export function outputChannels(cfg: SegModelConfig): number {
  return cfg.classes === 1 ? 1 : cfg.classes + 1;
}

/** Channels of the model's single input tensor. */
export function inputChannels(cfg: SegModelConfig): number {
  return cfg.imageChannels + (cfg.interactive ? 3 : 0);
}

/** Input sides must be multiples of this (pooling levels x attention reduction). */
export function sizeMultiple(cfg: SegModelConfig): number {
  if (cfg.arch === 'mobilenet-unet') return 32;
  return 2 ** cfg.unet.levels * (cfg.unet.heads > 0 ? cfg.unet.reduction : 1);
}

/** Throws a readable error for an impossible configuration. */
/** A stored model version as far as core/ml needs it: its id (for messages) and its config JSON. */
export interface StoredModel {
  id: number;
  /** the config JSON as stored (or a config already typed) */
  config: object;
}

/** Config JSON, validated and typed: the one place stored JSON becomes a SegModelConfig (RangeError if invalid). */
export function parseModelConfig(json: object): SegModelConfig {
  const cfg = json as unknown as SegModelConfig;
  validateModelConfig(cfg);
  return cfg;
}

/** A stored version's config, validated and typed (corrupt-data error if unusable). */
export function modelConfigOf(v: StoredModel): SegModelConfig {
  try {
    return parseModelConfig(v.config);
  } catch (e) {
    throw new AppError('corrupt-data', `Model version ${v.id} has an unusable config: ${(e as Error).message}`);
  }
}

/** The kind of model a config builds: the interactive variant refines one object from clicks. */
export function modelKindOf(cfg: Pick<SegModelConfig, 'interactive'>): ModelKind {
  return cfg.interactive ? 'clicks' : 'segmentation';
}

export function validateModelConfig(cfg: SegModelConfig): void {
  const bad = (m: string) => {
    throw new RangeError(`model config: ${m}`);
  };
  if (cfg.arch !== 'attention-unet' && cfg.arch !== 'mobilenet-unet') bad(`unknown arch '${String(cfg.arch)}'`);
  if (!Number.isInteger(cfg.classes) || cfg.classes < 1 || cfg.classes > 255) bad(`classes must be 1..255, got ${cfg.classes}`);
  if (!Number.isInteger(cfg.imageChannels) || cfg.imageChannels < 1 || cfg.imageChannels > 4) bad(`imageChannels must be 1..4, got ${cfg.imageChannels}`);
  if (!Array.isArray(cfg.classIds) || cfg.classIds.length !== cfg.classes) bad(`classIds must list ${cfg.classes} class id(s), got ${JSON.stringify(cfg.classIds)}`);
  if (cfg.inputNorm !== 'unit' && cfg.inputNorm !== 'standardize') bad(`inputNorm must be 'unit' or 'standardize', got ${String(cfg.inputNorm)}`);
  const u = cfg.unet;
  if (!Number.isInteger(u.baseWidth) || u.baseWidth < 1) bad(`baseWidth must be a positive integer, got ${u.baseWidth}`);
  if (!Number.isInteger(u.levels) || u.levels < 1 || u.levels > 6) bad(`levels must be 1..6, got ${u.levels}`);
  if (!Number.isInteger(u.groups) || u.groups < 0) bad(`groups must be >= 0, got ${u.groups}`);
  if (!Number.isInteger(u.heads) || u.heads < 0) bad(`heads must be >= 0, got ${u.heads}`);
  if (u.heads > 0 && (u.baseWidth * 2 ** u.levels) % u.heads !== 0) bad(`the bottleneck width ${u.baseWidth * 2 ** u.levels} does not split into ${u.heads} heads`);
  if (!Number.isInteger(u.reduction) || u.reduction < 1) bad(`reduction must be a positive integer, got ${u.reduction}`);
  if (cfg.arch === 'mobilenet-unet') {
    if (!cfg.encoder?.modelJsonPath) bad(`arch 'mobilenet-unet' needs encoder.modelJsonPath (a MobileNetV2 layers model, e.g. from the nsfwjs package)`);
    if (cfg.imageChannels !== 3) bad('the MobileNetV2 encoder reads 3-channel images');
    if (cfg.interactive) bad('the interactive (click) variant is an attention-unet; the pretrained encoder reads only 3 channels');
  }
}
