/**
 * Worker-thread entry of the ML engine (worker_threads): training, and batch prediction.
 *   - 'start' (training): posts 'backend', 'loaded', 'progress' events and finally 'done' (with
 *     the serialized weights, transferred) or 'error';
 *   - 'predict' (pre-labelling): posts 'predicted' / 'predict-failed' per image, then
 *     'predict-done' or 'error';
 *   - 'refine-open' (click refinement): loads the click model, posts 'refine-ready' (or 'error'),
 *     then answers each 'refine' call with 'refined' or 'refine-failed' until the worker is ended;
 *   - 'cancel' aborts training or prediction between steps / images.
 *
 * Bundled as its own esbuild entry (out/host/training-worker.js); in tests TrainingJob runs
 * this .ts file through tsx.
 */
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../api/errors';
import { runPrediction } from '../infer/run-prediction';
import { RefineSession } from '../infer/run-refine-session';
import { runTraining } from '../train/run-training';
import type { FromWorker, ToWorker } from './training-protocol';

const port = parentPort;
if (!port) throw new Error('training-worker.ts must run in a worker thread');

const controller = new AbortController();
let started = false;
let refineSession: Promise<RefineSession> | null = null;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel') {
    controller.abort();
    return;
  }
  if (msg.type === 'refine') {
    const { callId } = msg;
    if (!refineSession) {
      post({ type: 'refine-failed', callId, error: new AppError('internal', 'No click model is loaded in this worker.').toJSON() });
      return;
    }
    refineSession
      .then((s) => s.refine(msg))
      .then((r) => post({ type: 'refined', callId, mask: r.mask, width: r.width, height: r.height, score: r.score, ms: r.ms, ...(r.sources ? { sources: r.sources } : {}) }, [r.mask.buffer as ArrayBuffer]))
      .catch((e: unknown) => post({ type: 'refine-failed', callId, error: AppError.from(e).toJSON() }));
    return;
  }
  if (started) return;
  if (msg.type === 'refine-open') {
    started = true;
    refineSession = RefineSession.open(msg.request, (name, summary) => post({ type: 'backend', name, summary }));
    refineSession.then(
      () => post({ type: 'refine-ready' }),
      (e: unknown) => {
        post({ type: 'error', error: AppError.from(e).toJSON(), cancelled: false });
        port.close();
      },
    );
    return;
  }
  if (msg.type === 'predict') {
    started = true;
    runPrediction(msg.request, {
      signal: controller.signal,
      onBackend: (name, summary) => post({ type: 'backend', name, summary }),
      onResult: (r, done, total) => {
        if ('image' in r) post({ type: 'predicted', image: r.image, done, total }, [r.image.labelMap.buffer as ArrayBuffer, r.image.confidence.buffer as ArrayBuffer]);
        else post({ type: 'predict-failed', id: r.id, error: r.error.toJSON(), done, total });
      },
    })
      .then((s) => post({ type: 'predict-done', ...s }))
      .catch((e: unknown) => {
        const err = AppError.from(e);
        post({ type: 'error', error: err.toJSON(), cancelled: err.code === 'cancelled' || controller.signal.aborted });
      })
      .finally(() => port.close());
    return;
  }
  if (msg.type !== 'start') return;
  started = true;
  runTraining(msg.request, {
    signal: controller.signal,
    onBackend: (name, summary) => post({ type: 'backend', name, summary }),
    onLoaded: (train, val) => post({ type: 'loaded', train, val }),
    onExchange: (buffer) => post({ type: 'exchange', buffer }),
    onProgress: (progress) => post({ type: 'progress', progress }),
  })
    .then((outcome) => {
      post({ type: 'done', outcome }, [outcome.weights.buffer as ArrayBuffer]);
    })
    .catch((e: unknown) => {
      const err = AppError.from(e);
      post({ type: 'error', error: err.toJSON(), cancelled: err.code === 'cancelled' || controller.signal.aborted });
    })
    .finally(() => {
      port.close();
    });
});
