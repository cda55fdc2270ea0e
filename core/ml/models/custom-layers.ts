/**
 * Maskwright's custom layers. Each registers itself with tf.serialization when its module
 * loads; importing this module (or calling registerCustomLayers) guarantees all of them are
 * known before tf.loadLayersModel reads a topology that uses them.
 */
import { AttentionGate } from './attention-gate';
import { ConcatConv2D } from './concat-conv2d';
import { GroupNorm } from './group-norm';
import { MaxPool2x2 } from './max-pool2x2';
import { SpatialReductionAttention } from './spatial-reduction-attention';
import { UpsampleBilinear } from './upsample-bilinear';

export const CUSTOM_LAYER_CLASSES = [GroupNorm, AttentionGate, SpatialReductionAttention, UpsampleBilinear, ConcatConv2D, MaxPool2x2] as const;

/** Class names as they appear in saved topologies. */
export function registerCustomLayers(): string[] {
  // registration happens at module load; referencing the classes keeps the imports alive
  return CUSTOM_LAYER_CLASSES.map((c) => c.className);
}
