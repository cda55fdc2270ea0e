/** Loads a stored model version (its config and weights) ready for prediction. */
import type * as tf from '@tensorflow/tfjs';
import { AppError } from '../api/errors';
import { modelConfigOf, type SegModelConfig, type StoredModel } from './models/model-config';
import { deserializeModel } from './models/serialize-model';

export interface LoadedModel {
  config: SegModelConfig;
  model: tf.LayersModel;
}

export async function loadModelVersion(version: StoredModel, weights: Uint8Array): Promise<LoadedModel> {
  const config = modelConfigOf(version);
  let model: tf.LayersModel;
  try {
    model = await deserializeModel(weights);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('corrupt-data', `The weights of model version ${version.id} cannot be loaded: ${(e as Error).message}`);
  }
  return { config, model };
}
