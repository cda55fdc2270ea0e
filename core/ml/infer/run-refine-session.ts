/**
 * Click refinement inside the ML worker: loads the click model once, then answers refine calls
 * one at a time (the image is decoded on its first call and kept while the same image comes
 * again). Tests can drive it in-process.
 */
import { AppError } from '../../api/errors';
import { decodeImage } from '../../imaging/decode-image';
import { selectBackend } from '../backend';
import { prepareModelImage } from '../model-image';
import { loadClickSegmenter } from '../segmenter-kinds';
import type { ClickSegmenter } from '../segmenter';
import type { RefineCall, RefineSessionRequest } from '../worker/training-protocol';

export class RefineSession {
  private imageId: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly refiner: ClickSegmenter) {}

  static async open(request: RefineSessionRequest, onBackend?: (name: string, summary: string) => void): Promise<RefineSession> {
    const report = await selectBackend(request.backend ? { force: request.backend } : {});
    onBackend?.(report.name, report.summary);
    return new RefineSession(await loadClickSegmenter(request.kind, request.version, request.weights));
  }

  /** Refines one object; calls run in the order they came. */
  refine(call: RefineCall): Promise<{ mask: Uint8Array; score: number; ms: number; width: number; height: number }> {
    const run = async () => {
      if (this.imageId !== call.imageId) {
        let decoded;
        try {
          decoded = await decodeImage(call.path, { keepDepth: true });
        } catch (e) {
          throw e instanceof AppError ? e : new AppError('io', `Cannot read image ${call.imageId} (${call.path}): ${(e as Error).message}`);
        }
        const { channels, norm } = this.refiner.input;
        this.refiner.setImage(prepareModelImage(decoded, channels, norm));
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
