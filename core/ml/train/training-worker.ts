/**
 * Worker-thread entry of the ML engine (worker_threads): training, and batch prediction.
 *   - 'start' (training): posts 'backend', 'loaded', 'progress' events and finally 'done' (with
 *     the serialized weights, transferred) or 'error';
 *   - 'predict' (pre-labelling): posts 'predicted' / 'predict-failed' per image, then
 *     'predict-done' or 'error';
 *   - 'cancel' aborts either between steps / images.
 *
 * Bundled as its own esbuild entry (out/host/training-worker.js); in tests TrainingJob runs
 * this .ts file through tsx.
 */
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../api/errors';
import { runPrediction } from '../infer/run-prediction';
import { runTraining } from './run-training';
import type { FromWorker, ToWorker } from './training-protocol';

const port = parentPort;
if (!port) throw new Error('training-worker.ts must run in a worker thread');

const controller = new AbortController();
let started = false;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel') {
    controller.abort();
    return;
  }
  if (started) return;
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
