/** Loads a stored model version (the active one by default) ready for prediction. */
import type * as tf from '@tensorflow/tfjs';
import { AppError } from '../api/errors';
import type { ModelRepo, ModelVersionRecord } from './model-repo';
import { validateModelConfig, type SegModelConfig } from './models/model-config';
import { deserializeModel } from './models/serialize-model';

export interface LoadedModel {
  version: ModelVersionRecord;
  config: SegModelConfig;
  model: tf.LayersModel;
}

export async function loadModelVersion(repo: ModelRepo, id: number | 'active' = 'active'): Promise<LoadedModel> {
  const version = id === 'active' ? repo.active() : repo.getVersion(id);
  if (!version) throw new AppError('not-found', 'No model is active yet. Train a model or select a version first.');
  const config = version.config as unknown as SegModelConfig;
  try {
    validateModelConfig(config);
  } catch (e) {
    throw new AppError('corrupt-data', `Model version ${version.id} has an unusable config: ${(e as Error).message}`);
  }
  let model: tf.LayersModel;
  try {
    model = await deserializeModel(repo.getWeights(version.id));
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('corrupt-data', `The weights of model version ${version.id} cannot be loaded: ${(e as Error).message}`);
  }
  return { version, config, model };
}
