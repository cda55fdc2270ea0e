/**
 * Click refinement inside the ML worker: loads the click model once (or, with no click model,
 * the zero-training graph cut of core/ml/interactive), then answers refine calls one at a time
 * (the image is decoded on its first call and kept while the same image comes again). Tests can
 * drive it in-process.
 */
import { AppError } from '../../api/errors';
import { decodeImage } from '../../imaging/decode-image';
import { selectBackend } from '../backend';
import { ZeroShotSegmenter } from '../interactive/zero-shot-object';
import { prepareModelImage } from '../model-image';
import { loadClickSegmenter } from '../segmenter-kinds';
import type { ClickSegmenter } from '../segmenter';
import type { RefineCall, RefineSessionRequest } from '../worker/training-protocol';

export interface RefineSessionResult {
  mask: Uint8Array;
  score: number;
  ms: number;
  width: number;
  height: number;
  sources?: string[];
}

type Engine = { kind: 'model'; refiner: ClickSegmenter } | { kind: 'zero-shot'; seg: ZeroShotSegmenter; width: number; height: number };

export class RefineSession {
  private imageId: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly engine: Engine) {}

  static async open(request: RefineSessionRequest, onBackend?: (name: string, summary: string) => void): Promise<RefineSession> {
    if (request.kind === 'zero-shot') return new RefineSession({ kind: 'zero-shot', seg: new ZeroShotSegmenter(), width: 0, height: 0 });
    const report = await selectBackend(request.backend ? { force: request.backend } : {});
    onBackend?.(report.name, report.summary);
    return new RefineSession({ kind: 'model', refiner: await loadClickSegmenter(request.kind, request.version, request.weights) });
  }

  /** Refines one object; calls run in the order they came. */
  refine(call: RefineCall): Promise<RefineSessionResult> {
    const run = async (): Promise<RefineSessionResult> => {
      const engine = this.engine;
      if (this.imageId !== call.imageId) {
        let decoded;
        try {
          decoded = await decodeImage(call.path, engine.kind === 'model' ? { keepDepth: true } : {});
        } catch (e) {
          throw e instanceof AppError ? e : new AppError('io', `Cannot read image ${call.imageId} (${call.path}): ${(e as Error).message}`);
        }
        if (engine.kind === 'model') {
          const { channels, norm } = engine.refiner.input;
          engine.refiner.setImage(prepareModelImage(decoded, channels, norm));
        } else {
          engine.seg.setImage({ data: decoded.data, width: decoded.width, height: decoded.height, channels: decoded.channels });
          engine.width = decoded.width;
          engine.height = decoded.height;
        }
        this.imageId = call.imageId;
      }
      if (engine.kind === 'zero-shot') {
        for (const c of call.clicks) {
          if (c.x < 0 || c.y < 0 || c.x >= engine.width || c.y >= engine.height) throw new AppError('invalid-argument', `Click ${c.x},${c.y} is outside the ${engine.width}x${engine.height} image.`);
        }
        const r = engine.seg.segment({ clicks: call.clicks, prevMask: call.prevMask });
        return { mask: r.mask, score: r.score, ms: r.ms, width: engine.width, height: engine.height, sources: r.sources };
      }
      const img = engine.refiner.currentImage!;
      const r = await engine.refiner.refine({ clicks: call.clicks, prevMask: call.prevMask });
      return { ...r, width: img.width, height: img.height };
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  dispose(): void {
    if (this.engine.kind === 'model') this.engine.refiner.dispose();
  }
}
