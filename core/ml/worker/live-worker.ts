/**
 * Worker-thread entry of the live classifier: holds the feature cache, the per-image painted
 * samples and the current forest; the main / UI thread never computes a feature or a tree.
 * Strokes coalesce: a stroke that arrives while another waits replaces it (the latest labels
 * of an image win; every image's labels are kept, so no stroke is lost).
 */
import { parentPort } from 'node:worker_threads';
import { computeFeatureStack } from '../live/compute-feature-stack';
import { FeatureCache } from '../live/feature-cache';
import type { FeatureStackOptions } from '../live/feature-types';
import { mergeTrainingSets, predictImage, sampleImage, trainFromSet, type LiveModel, type TrainingSet } from '../live/live-classifier';
import { encodeLiveModel } from '../live/live-model-file';
import { liveStride, predictStackCoarse } from '../live/coarse-predict';
import type { FromLiveWorker, ToLiveWorker } from './live-protocol';

const port = parentPort;
if (!port) throw new Error('live-worker.ts must run in a worker thread');

const cache = new FeatureCache(Number(process.env.MASKWRIGHT_LIVE_CACHE_MB ?? 1024) * 2 ** 20);
const featureOpts = new Map<string, FeatureStackOptions>();
const sets = new Map<string, TrainingSet>();
/** feature names per image (kept when an image's pixels are dropped after sampling) */
const featureNamesOf = new Map<string, string[]>();
let model: LiveModel | null = null;
/** the latest waiting stroke per image */
const pending = new Map<string, Extract<ToLiveWorker, { type: 'stroke' }>>();
let scheduled = false;
const post = (m: FromLiveWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const images = new Map<string, Extract<ToLiveWorker, { type: 'image' }>['image']>();

function stackOf(id: string) {
  const img = images.get(id);
  if (!img) throw new Error(`image ${id} was not sent to the live worker`);
  const st = cache.get(id, () => computeFeatureStack(img, featureOpts.get(id)));
  featureNamesOf.set(id, st.names);
  return st;
}

function runStroke(): void {
  scheduled = false;
  const waiting = [...pending.values()].sort((a, b) => a.seq - b.seq);
  pending.clear();
  const s = waiting.pop();
  if (!s) return;
  // strokes on other images: their labels count, only the latest image is predicted
  for (const o of waiting) {
    try {
      sets.set(o.id, sampleImage({ stack: stackOf(o.id), labels: o.labels }, { seed: o.seq }));
      post({ type: 'superseded', seq: o.seq, id: o.id });
    } catch (err) {
      post({ type: 'stroke-failed', seq: o.seq, id: o.id, message: err instanceof Error ? err.message : String(err) });
    }
  }
  try {
    const stack = stackOf(s.id);
    sets.set(s.id, sampleImage({ stack, labels: s.labels }, { seed: s.seq }));
    const t0 = performance.now();
    const merged = mergeTrainingSets([...sets.values()]);
    model = trainFromSet(merged, featureOpts.get(s.id) ?? {}, stack.names, sets.size);
    const t1 = performance.now();
    // large images: the forest predicts every other pixel, probabilities interpolated (coarse-predict.ts)
    const stride = liveStride(stack.width, stack.height);
    const p = predictStackCoarse(model, stack, stride);
    const t2 = performance.now();
    post({ type: 'prediction', seq: s.seq, id: s.id, width: p.width, height: p.height, classes: p.classes, labels: p.labels, uncertainty: p.uncertainty, probs: p.probs, trainMs: t1 - t0, predictMs: t2 - t1, samples: merged.y.length, images: sets.size, stride }, [p.labels.buffer as ArrayBuffer, p.uncertainty.buffer as ArrayBuffer, p.probs.buffer as ArrayBuffer]);
  } catch (err) {
    post({ type: 'stroke-failed', seq: s.seq, id: s.id, message: err instanceof Error ? err.message : String(err) });
  }
}

port.on('message', (msg: ToLiveWorker) => {
  if (msg.type === 'image') {
    images.set(msg.id, msg.image);
    featureOpts.set(msg.id, msg.features);
    cache.delete(msg.id);
    try {
      const t0 = performance.now();
      const st = stackOf(msg.id);
      post({ type: 'features-ready', id: msg.id, ms: performance.now() - t0, bytes: st.data.byteLength });
    } catch (err) {
      images.delete(msg.id);
      post({ type: 'features-failed', id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  } else if (msg.type === 'stroke') {
    const old = pending.get(msg.id);
    if (old) post({ type: 'superseded', seq: old.seq, id: old.id });
    pending.set(msg.id, msg);
    if (!scheduled) {
      scheduled = true;
      setImmediate(runStroke);
    }
  } else if (msg.type === 'labels') {
    try {
      const set = sampleImage({ stack: stackOf(msg.id), labels: msg.labels }, { seed: msg.seq });
      sets.set(msg.id, set);
      post({ type: 'labels-done', seq: msg.seq, id: msg.id, samples: set.y.length });
    } catch (err) {
      post({ type: 'labels-done', seq: msg.seq, id: msg.id, samples: 0, error: err instanceof Error ? err.message : String(err) });
    }
    if (msg.drop) {
      images.delete(msg.id);
      cache.delete(msg.id);
    }
  } else if (msg.type === 'train') {
    try {
      const t0 = performance.now();
      const merged = mergeTrainingSets([...sets.values()]);
      const anyId = [...sets.keys()][0]!;
      model = trainFromSet(merged, featureOpts.get(anyId) ?? {}, featureNamesOf.get(anyId) ?? [], sets.size);
      post({ type: 'trained', seq: msg.seq, samples: merged.y.length, images: sets.size, trainMs: performance.now() - t0, perClass: merged.perClass });
    } catch (err) {
      post({ type: 'trained', seq: msg.seq, samples: 0, images: 0, trainMs: 0, perClass: [], error: err instanceof Error ? err.message : String(err) });
    }
  } else if (msg.type === 'evaluate') {
    try {
      if (!model) throw new Error('nothing is trained yet');
      const p = predictImage(model, msg.image);
      const K = Math.max(model.classes, 1 + Math.max(0, ...msg.truth));
      const inter = new Array<number>(K).fill(0);
      const union = new Array<number>(K).fill(0);
      for (let i = 0; i < msg.truth.length; i++) {
        const a = p.labels[i]!;
        const b = msg.truth[i]!;
        if (a === b) {
          inter[a]!++;
          union[a]!++;
        } else {
          union[a]!++;
          union[b]!++;
        }
      }
      post({ type: 'evaluated', seq: msg.seq, inter, union });
    } catch (err) {
      post({ type: 'evaluated', seq: msg.seq, inter: [], union: [], error: err instanceof Error ? err.message : String(err) });
    }
  } else if (msg.type === 'forget') {
    images.delete(msg.id);
    cache.delete(msg.id);
    sets.delete(msg.id);
    featureNamesOf.delete(msg.id);
  } else if (msg.type === 'model') {
    post({ type: 'model', seq: msg.seq, bytes: model ? encodeLiveModel(model) : null });
  }
});
