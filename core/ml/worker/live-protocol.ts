/** Messages between LiveSession (main side) and live-worker.ts (worker thread). */
import type { FeatureImage, FeatureStackOptions } from '../live/feature-types';

export type ToLiveWorker =
  | { type: 'image'; id: string; image: FeatureImage; features: FeatureStackOptions }
  /** labels: 0 unknown, 1 background, class + 1; retrains and predicts `id` (strokes coalesce: the latest wins) */
  | { type: 'stroke'; seq: number; id: string; labels: Uint8Array }
  | { type: 'forget'; id: string }
  | { type: 'model'; seq: number };

export type FromLiveWorker =
  | { type: 'features-ready'; id: string; ms: number; bytes: number }
  | { type: 'features-failed'; id: string; message: string }
  | { type: 'prediction'; seq: number; id: string; width: number; height: number; classes: number; labels: Uint8Array; uncertainty: Float32Array; trainMs: number; predictMs: number; samples: number }
  /** a newer stroke replaced this one before it ran (its labels were still used or replaced by the newer full label map) */
  | { type: 'superseded'; seq: number; id: string }
  | { type: 'stroke-failed'; seq: number; id: string; message: string }
  | { type: 'model'; seq: number; bytes: Uint8Array | null };
