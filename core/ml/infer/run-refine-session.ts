/**
 * Click refinement inside the ML worker: loads the click model once (or, with no click model,
 * the zero-training graph cut of core/ml/interactive), then answers refine calls one at a time
 * (the image is decoded on its first call and kept while the same image comes again). Tests can
 * drive it in-process.
 *
 * Combined mode (`{ kind: 'zero-shot', clickModel }`): each call first runs the click model on
 * the clicks, and its probability map becomes one more unary term (-w log p) of the cut, beside
 * any prior the host sends (the pre-label proposal); `sources` lists every term used.
 */
import { AppError } from '../../api/errors';
import { decodeImage } from '../../imaging/decode-image';
import { selectBackend } from '../backend';
import { ZeroShotSegmenter, type ObjectPrior } from '../interactive/zero-shot-object';
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

/** weight of the click model's -log p term in combined mode (the cut's colour terms are capped at 30 nats) */
export const CLICK_MODEL_PRIOR_WEIGHT = 1.5;

type Engine = { kind: 'model'; refiner: ClickSegmenter } | { kind: 'zero-shot'; seg: ZeroShotSegmenter; width: number; height: number; refiner: ClickSegmenter | null };

export class RefineSession {
  private imageId: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly engine: Engine) {}

  static async open(request: RefineSessionRequest, onBackend?: (name: string, summary: string) => void): Promise<RefineSession> {
    const model = request.kind === 'zero-shot' ? (request.clickModel ?? null) : request;
    let refiner: ClickSegmenter | null = null;
    if (model) {
      const report = await selectBackend(model.backend ? { force: model.backend } : {});
      onBackend?.(report.name, report.summary);
      refiner = await loadClickSegmenter(model.kind, model.version, model.weights);
    }
    if (request.kind === 'zero-shot') return new RefineSession({ kind: 'zero-shot', seg: new ZeroShotSegmenter(), width: 0, height: 0, refiner });
    return new RefineSession({ kind: 'model', refiner: refiner! });
  }

  /** Refines one object; calls run in the order they came. */
  refine(call: RefineCall): Promise<RefineSessionResult> {
    const run = async (): Promise<RefineSessionResult> => {
      const engine = this.engine;
      if (this.imageId !== call.imageId) {
        let decoded;
        try {
          decoded = await decodeImage(call.path, engine.refiner ? { keepDepth: true } : {});
        } catch (e) {
          throw e instanceof AppError ? e : new AppError('io', `Cannot read image ${call.imageId} (${call.path}): ${(e as Error).message}`);
        }
        if (engine.refiner) {
          const { channels, norm } = engine.refiner.input;
          engine.refiner.setImage(prepareModelImage(decoded, channels, norm));
        }
        if (engine.kind === 'zero-shot') {
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
        const t0 = performance.now();
        const priors: ObjectPrior[] = [];
        for (const p of call.priors ?? []) priors.push({ prob: p.prob, source: p.source, ...(p.weight !== undefined ? { weight: p.weight } : {}) });
        if (engine.refiner && call.clicks.some((c) => c.positive)) {
          const m = await engine.refiner.refine({ clicks: call.clicks, prevMask: call.prevMask });
          if (m.prob) priors.push({ prob: m.prob, source: 'click-model', weight: CLICK_MODEL_PRIOR_WEIGHT });
        }
        const r = engine.seg.segment({ clicks: call.clicks, box: call.box ?? null, prevMask: call.prevMask, priors });
        return { mask: r.mask, score: r.score, ms: performance.now() - t0, width: engine.width, height: engine.height, sources: r.sources };
      }
      if (call.box) throw new AppError('invalid-argument', 'The click model alone does not take a box; open a zero-shot session.');
      const img = engine.refiner.currentImage!;
      const r = await engine.refiner.refine({ clicks: call.clicks, prevMask: call.prevMask });
      return { ...r, width: img.width, height: img.height };
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  dispose(): void {
    this.engine.refiner?.dispose();
  }
}
