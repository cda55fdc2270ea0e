/**
 * Click refinement inside the ML worker: loads the click model once, then answers refine calls
 * one at a time (the image is decoded on its first call and kept while the same image comes
 * again). Tests can drive it in-process.
 */
import { AppError } from '../../api/errors';
import { decodeImage } from '../../imaging/decode-image';
import { selectBackend } from '../backend';
import { prepareModelImage } from '../model-image';
import { deserializeModel } from '../models/serialize-model';
import type { RefineCall, RefineSessionRequest } from '../train/training-protocol';
import { ClickRefiner, type RefineResult } from './click-refiner';

export class RefineSession {
  private imageId: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly refiner: ClickRefiner) {}

  static async open(request: RefineSessionRequest, onBackend?: (name: string, summary: string) => void): Promise<RefineSession> {
    const report = await selectBackend(request.backend ? { force: request.backend } : {});
    onBackend?.(report.name, report.summary);
    if (!request.config.interactive) throw new AppError('invalid-argument', 'This model is not a click-refinement model.');
    let model;
    try {
      model = await deserializeModel(request.weights);
    } catch (e) {
      throw e instanceof AppError ? e : new AppError('corrupt-data', `The click model cannot be loaded: ${(e as Error).message}`);
    }
    return new RefineSession(new ClickRefiner(model, request.config));
  }

  /** Refines one object; calls run in the order they came. */
  refine(call: RefineCall): Promise<RefineResult & { width: number; height: number }> {
    const run = async () => {
      if (this.imageId !== call.imageId) {
        let decoded;
        try {
          decoded = await decodeImage(call.path, { keepDepth: true });
        } catch (e) {
          throw e instanceof AppError ? e : new AppError('io', `Cannot read image ${call.imageId} (${call.path}): ${(e as Error).message}`);
        }
        const cfg = this.refiner.config;
        this.refiner.setImage(prepareModelImage(decoded, cfg.imageChannels, cfg.inputNorm));
        this.imageId = call.imageId;
      }
      const img = this.refiner.currentImage!;
      const r = await this.refiner.refine({ clicks: call.clicks, prevMask: call.prevMask });
      return { ...r, width: img.width, height: img.height };
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  dispose(): void {
    this.refiner.dispose();
  }
}
