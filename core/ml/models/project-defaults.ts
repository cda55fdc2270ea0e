/**
 * The model and training recipe a new project starts with, read from
 * resources/models/defaults.json, which the benchmark (test/bench/ml-model.bench.ts) decides.
 */
import defaults from '../../../resources/models/defaults.json';
import type { AttentionUNetOptions, SegModelConfig } from './model-config';

export interface ProjectModelDefaults {
  model: Partial<Omit<SegModelConfig, 'unet'>> & { unet?: Partial<AttentionUNetOptions> };
  train: { cropSize?: number; batchSize?: number; lr?: number; minLr?: number; warmup?: number; workers?: number };
}

export function projectModelDefaults(kind: 'segmentation' | 'clicks'): ProjectModelDefaults {
  const d = (defaults as unknown as Record<string, ProjectModelDefaults>)[kind]!;
  return structuredClone(d);
}

export const PROJECT_DEFAULTS_DECIDED_BY: string = (defaults as { decidedBy?: string }).decidedBy ?? 'unknown';
