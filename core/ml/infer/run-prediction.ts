/**
 * A batch-prediction request from start to proposals: select the backend, load the model from
 * bytes, then for each image decode, normalise, predict, split into instances and encode the
 * label map (plus 8-bit confidence). The ML worker runs this; tests can call it in-process.
 */
import { AppError } from '../../api/errors';
import { decodeImage } from '../../imaging/decode-image';
import { selectBackend } from '../backend';
import { prepareModelImage } from '../model-image';
import { modelKindOf } from '../models/model-config';
import { loadSegmenter } from '../segmenter-kinds';
import type { PredictedImage, PredictionRequest } from '../worker/training-protocol';
import { predictBatch } from './predict-batch';

export interface RunPredictionHooks {
  signal?: AbortSignal;
  onBackend?: (name: string, summary: string) => void;
  onResult: (r: { image: PredictedImage } | { id: number; error: AppError }, done: number, total: number) => void;
}

export async function runPrediction(request: PredictionRequest, hooks: RunPredictionHooks): Promise<{ done: number; failed: number; ms: number }> {
  const report = await selectBackend(request.backend ? { force: request.backend } : {});
  hooks.onBackend?.(report.name, report.summary);
  const segmenter = await loadSegmenter(request.kind ?? modelKindOf(request.config), { id: request.versionId ?? 0, config: request.config }, request.weights);
  const { channels, norm } = segmenter.input;
  let done = 0;
  const total = request.items.length;
  const started = new Map<number, number>();
  try {
    return await predictBatch(
      segmenter,
      request.items.map((it) => ({
        id: it.id,
        load: async () => {
          started.set(it.id, performance.now());
          try {
            return prepareModelImage(await decodeImage(it.path, { keepDepth: true }), channels, norm);
          } catch (e) {
            throw e instanceof AppError ? e : new AppError('io', `Cannot read image ${it.id} (${it.path}): ${(e as Error).message}`);
          }
        },
      })),
      {
        ...(request.tileSize != null ? { tileSize: request.tileSize } : {}),
        ...(request.overlap != null ? { overlap: request.overlap } : {}),
        ...(request.uncertainty ? { uncertainty: request.uncertainty } : {}),
        ...(request.minAreaPx != null ? { minAreaPx: request.minAreaPx } : {}),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onResult: (id, r) => {
          done++;
          if ('error' in r) {
            hooks.onResult({ id, error: AppError.from(r.error) }, done, total);
            return;
          }
          const { prediction: p, labelMap } = r;
          const confidence = new Uint8Array(p.confidence.length);
          for (let i = 0; i < confidence.length; i++) confidence[i] = Math.round(p.confidence[i]! * 255);
          hooks.onResult({ image: { id, width: p.width, height: p.height, labelMap: labelMap.encode(), confidence, uncertainty: p.meanUncertainty, ms: performance.now() - (started.get(id) ?? performance.now()) } }, done, total);
        },
      },
    );
  } finally {
    segmenter.dispose();
  }
}
