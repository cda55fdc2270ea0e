/**
 * Pre-labels many images with progress and cancellation: images are loaded one at a time,
 * predicted, turned into a LabelMap proposal and handed to `onResult` (so nothing but the
 * current image is held in memory).
 */
import type { LabelMap } from '../../mask/label-map';
import type { ModelImage } from '../model-image';
import type { Segmenter } from '../segmenter';
import { cancelledError, type PredictOptions, type SegPrediction } from './predict-image';
import { predictionToLabelMap } from './prediction-to-label-map';

export interface BatchItem<Id> {
  id: Id;
  load(): Promise<ModelImage>;
}

export interface BatchProgress<Id> {
  done: number;
  total: number;
  id: Id;
  ms: number;
}

export interface BatchPredictOptions<Id> extends Omit<PredictOptions, 'signal'> {
  signal?: AbortSignal;
  onProgress?: (p: BatchProgress<Id>) => void;
  /** receives each result; a failure to load or predict one image is reported as `error` */
  onResult: (id: Id, result: { prediction: SegPrediction; labelMap: LabelMap } | { error: Error }) => void | Promise<void>;
  minAreaPx?: number;
}

export interface BatchSummary {
  done: number;
  failed: number;
  ms: number;
}

export async function predictBatch<Id>(segmenter: Segmenter, items: readonly BatchItem<Id>[], opts: BatchPredictOptions<Id>): Promise<BatchSummary> {
  const t0 = performance.now();
  let done = 0;
  let failed = 0;
  for (const item of items) {
    if (opts.signal?.aborted) throw cancelledError('Batch prediction');
    const t1 = performance.now();
    let result: { prediction: SegPrediction; labelMap: LabelMap } | { error: Error };
    try {
      const image = await item.load();
      const prediction = await segmenter.predict(image, opts);
      result = { prediction, labelMap: predictionToLabelMap(prediction, { classIds: [...segmenter.classIds], ...(opts.minAreaPx != null ? { minAreaPx: opts.minAreaPx } : {}) }) };
    } catch (e) {
      if ((e as { code?: string }).code === 'cancelled') throw e;
      result = { error: e instanceof Error ? e : new Error(String(e)) };
      failed++;
    }
    await opts.onResult(item.id, result);
    done++;
    opts.onProgress?.({ done, total: items.length, id: item.id, ms: performance.now() - t1 });
  }
  return { done, failed, ms: performance.now() - t0 };
}
