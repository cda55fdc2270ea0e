/** Messages between LiveSession (main side) and live-worker.ts (worker thread). */
import type { FeatureImage, FeatureStackOptions } from '../live/feature-types';

export type ToLiveWorker =
  | { type: 'image'; id: string; image: FeatureImage; features: FeatureStackOptions }
  /** labels: 0 unknown, 1 background, class + 1; retrains and predicts `id` (strokes coalesce: the latest wins) */
  | { type: 'stroke'; seq: number; id: string; labels: Uint8Array }
  /** training labels of an image without predicting it (finished masks of other images); `drop`: free its pixels and features after sampling */
  | { type: 'labels'; seq: number; id: string; labels: Uint8Array; drop?: boolean }
  /** scores the current model on an image against its truth (class index per pixel, 0 background); the image is not kept */
  | { type: 'evaluate'; seq: number; image: FeatureImage; features: FeatureStackOptions; truth: Uint8Array }
  /** (re)trains the forest on every image's labels so far, predicting nothing (the CLI's `train --kind live`) */
  | { type: 'train'; seq: number }
  | { type: 'forget'; id: string }
  | { type: 'model'; seq: number };

export type FromLiveWorker =
  | { type: 'features-ready'; id: string; ms: number; bytes: number }
  | { type: 'features-failed'; id: string; message: string }
  | { type: 'prediction'; seq: number; id: string; width: number; height: number; classes: number; labels: Uint8Array; uncertainty: Float32Array; probs: Float32Array; trainMs: number; predictMs: number; samples: number; images: number; stride?: number }
  | { type: 'trained'; seq: number; samples: number; images: number; trainMs: number; perClass: number[]; error?: string }
  | { type: 'labels-done'; seq: number; id: string; samples: number; error?: string }
  /** per class (index 0 background): intersection and union pixel counts */
  | { type: 'evaluated'; seq: number; inter: number[]; union: number[]; error?: string }
  /** a newer stroke replaced this one before it ran (its labels were still used or replaced by the newer full label map) */
  | { type: 'superseded'; seq: number; id: string }
  | { type: 'stroke-failed'; seq: number; id: string; message: string }
  | { type: 'model'; seq: number; bytes: Uint8Array | null };
