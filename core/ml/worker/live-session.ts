/**
 * Main-side handle of the live classifier worker (live-worker.ts): send an image once, then a
 * stroke's label map; the promise resolves with the updated prediction of that image. A stroke
 * superseded by a newer one before the worker started it resolves with `null`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../api/errors';
import type { FeatureImage, FeatureStackOptions } from '../live/feature-types';
import type { FromLiveWorker, ToLiveWorker } from './live-protocol';

export type LiveUpdate = Extract<FromLiveWorker, { type: 'prediction' }>;

function resolveLiveWorker(base: string = import.meta.url): { file: URL | string; eval: boolean } {
  const js = new URL('./live-worker.js', base);
  if (fs.existsSync(fileURLToPath(js))) return { file: js, eval: false };
  const ts = new URL('./live-worker.ts', base);
  if (fs.existsSync(fileURLToPath(ts))) {
    const api = pathToFileURL(path.join(path.dirname(createRequire(base).resolve('tsx')), 'esm', 'api', 'index.mjs')).href;
    return { file: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`, eval: true };
  }
  throw new AppError('not-available', `The live classifier worker script is missing (looked for ${fileURLToPath(js)}); rebuild the app.`);
}

export class LiveSession {
  private readonly worker: Worker;
  private seq = 0;
  private readonly strokes = new Map<number, { resolve: (u: LiveUpdate | null) => void; reject: (e: Error) => void; id: string }>();
  private readonly images = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly models = new Map<number, (b: Uint8Array | null) => void>();
  private readonly replies = new Map<number, (m: FromLiveWorker) => void>();

  constructor() {
    const entry = resolveLiveWorker();
    this.worker = new Worker(entry.file, { eval: entry.eval });
    this.worker.on('message', (m: FromLiveWorker) => this.onMessage(m));
    this.worker.on('error', (err) => {
      for (const s of this.strokes.values()) s.reject(err);
      for (const i of this.images.values()) i.reject(err);
      this.strokes.clear();
      this.images.clear();
    });
  }

  private onMessage(m: FromLiveWorker): void {
    if (m.type === 'features-ready' || m.type === 'features-failed') {
      const w = this.images.get(m.id);
      this.images.delete(m.id);
      if (m.type === 'features-ready') w?.resolve();
      else w?.reject(new AppError('invalid-argument', `Live is off for this image: its features could not be computed (${m.message}).`));
    } else if (m.type === 'superseded') {
      this.strokes.get(m.seq)?.resolve(null);
      this.strokes.delete(m.seq);
    } else if (m.type === 'prediction' || m.type === 'stroke-failed') {
      const s = this.strokes.get(m.seq);
      this.strokes.delete(m.seq);
      if (m.type === 'prediction') s?.resolve(m);
      else s?.reject(new AppError('invalid-argument', m.message));
    } else if (m.type === 'labels-done' || m.type === 'evaluated' || m.type === 'trained') {
      this.replies.get(m.seq)?.(m);
      this.replies.delete(m.seq);
    } else if (m.type === 'model') {
      this.models.get(m.seq)?.(m.bytes);
      this.models.delete(m.seq);
    }
  }

  private send(m: ToLiveWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  /** Computes (and caches in the worker) the features of an image; rejects with a readable message when they cannot be computed. */
  setImage(id: string, image: FeatureImage, features: FeatureStackOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.images.set(id, { resolve, reject });
      this.send({ type: 'image', id, image, features });
    });
  }

  /** The image's full current label map (0 unknown, 1 background, class + 1) after a stroke ended. */
  stroke(id: string, labels: Uint8Array): Promise<LiveUpdate | null> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.strokes.set(seq, { resolve, reject, id });
      this.send({ type: 'stroke', seq, id, labels: labels.slice() });
    });
  }

  /** Training labels of an image that is not predicted (a finished mask); `drop` frees its pixels and features afterwards. Resolves with its samples. */
  labels(id: string, labels: Uint8Array, drop = false): Promise<number> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.replies.set(seq, (m) => {
        if (m.type !== 'labels-done') return;
        if (m.error) reject(new AppError('invalid-argument', m.error));
        else resolve(m.samples);
      });
      this.send({ type: 'labels', seq, id, labels: labels.slice(), drop });
    });
  }

  /** Scores the current model on an image (truth: class index per pixel): per class intersection and union. */
  evaluate(image: FeatureImage, features: FeatureStackOptions, truth: Uint8Array): Promise<{ inter: number[]; union: number[] }> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.replies.set(seq, (m) => {
        if (m.type !== 'evaluated') return;
        if (m.error) reject(new AppError('invalid-argument', m.error));
        else resolve({ inter: m.inter, union: m.union });
      });
      this.send({ type: 'evaluate', seq, image, features, truth });
    });
  }

  /** Trains on every image's labels so far (nothing is predicted). */
  train(): Promise<{ samples: number; images: number; trainMs: number; perClass: number[] }> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.replies.set(seq, (m) => {
        if (m.type !== 'trained') return;
        if (m.error) reject(new AppError('invalid-argument', m.error));
        else resolve({ samples: m.samples, images: m.images, trainMs: m.trainMs, perClass: m.perClass });
      });
      this.send({ type: 'train', seq });
    });
  }

  forget(id: string): void {
    this.send({ type: 'forget', id });
  }

  /** The current model as bytes (live-model-file.ts), or null before the first stroke. */
  modelBytes(): Promise<Uint8Array | null> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.models.set(seq, resolve);
      this.send({ type: 'model', seq });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
