/** The U-Nets (attention U-Net, MobileNetV2-encoder U-Net) as a Segmenter. */
import type * as tf from '@tensorflow/tfjs';
import { predictImage, type PredictOptions, type SegPrediction } from '../infer/predict-image';
import type { ModelImage } from '../model-image';
import type { Segmenter } from '../segmenter';
import type { SegModelConfig } from './model-config';

export class UNetSegmenter implements Segmenter {
  readonly kind = 'segmentation' as const;
  readonly classIds: readonly number[];
  readonly input: Segmenter['input'];

  constructor(
    private readonly model: tf.LayersModel,
    readonly config: SegModelConfig,
  ) {
    this.classIds = config.classIds;
    this.input = { channels: config.imageChannels, norm: config.inputNorm };
  }

  predict(image: ModelImage, opts: PredictOptions = {}): Promise<SegPrediction> {
    return predictImage(this.model, this.config, image, opts);
  }

  dispose(): void {
    this.model.dispose();
  }
}
