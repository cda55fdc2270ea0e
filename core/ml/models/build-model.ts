/** One entry point for every architecture (the config decides). */
import type * as tf from '@tensorflow/tfjs';
import { buildAttentionUNet } from './attention-unet';
import { buildMobileNetUNet } from './mobilenet-unet';
import { validateModelConfig, type SegModelConfig } from './model-config';

export async function buildModel(cfg: SegModelConfig): Promise<tf.LayersModel> {
  validateModelConfig(cfg);
  return cfg.arch === 'mobilenet-unet' ? buildMobileNetUNet(cfg) : buildAttentionUNet(cfg);
}
