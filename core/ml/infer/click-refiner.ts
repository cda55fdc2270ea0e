/**
 * Click refinement of one object (RITM style): the interactive model reads the image plus
 * positive clicks, negative clicks and the previous mask, inside a zoom-in window around the
 * object (the same windows as in training, core/ml/clicks/zoom-window.ts), and its output is
 * mapped back to the image. If the object reaches the window's edge, the window grows once.
 *
 * The per-image work (the prepared, normalised image and an empty mask) is done once in
 * setImage; each click costs one forward pass of the model on a cropSize x cropSize window.
 * (The model fuses clicks with the image at its input, so image features cannot be reused
 * across clicks as in SAM's encoder/decoder split; the zoom-in keeps each pass small instead.)
 */
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../api/errors';
import { CLICK_RADIUS_PX, encodeClicks, interleaveGuidance, type Click } from '../clicks/click-maps';
import { nextClick } from '../clicks/click-simulator';
import { interactionWindow, maskBox, boxWindow, type ZoomWindow } from '../clicks/zoom-window';
import { binaryIou } from '../iou-metrics';
import type { ModelImage } from '../model-image';
import type { SegModelConfig } from '../models/model-config';
import { resampleWindow } from '../patch';
import type { ClickSegmenter } from '../segmenter';

export interface RefineRequest {
  /** the image (prepared with the model's normalisation); may be omitted after setImage */
  image?: ModelImage;
  clicks: readonly Click[];
  /** the object's current mask (0/1, image size), or none */
  prevMask?: Uint8Array | null;
}

export interface RefineResult {
  /** the refined object (0/1, image size) */
  mask: Uint8Array;
  /** mean probability over the mask's pixels */
  score: number;
  /** image-size object probability (0.5 outside the window: the model did not see it) */
  prob: Float32Array;
  window: ZoomWindow;
  ms: number;
}

/** The click model (RITM-style U-Net on clicks and the previous mask) as a ClickSegmenter. */
export class ClickRefiner implements ClickSegmenter {
  readonly kind = 'clicks' as const;
  private image: ModelImage | null = null;
  private empty: Uint8Array | null = null;
  readonly cropSize: number;
  readonly typicalObjectPx: number;
  readonly input: ClickSegmenter['input'];

  constructor(
    private readonly model: tf.LayersModel,
    readonly config: SegModelConfig,
  ) {
    const cfg = config;
    if (!cfg.interactive) throw new AppError('invalid-argument', 'This model is not a click-refinement model.');
    this.cropSize = cfg.refine?.cropSize ?? 128;
    this.typicalObjectPx = cfg.refine?.typicalObjectPx ?? 32;
    this.input = { channels: cfg.imageChannels, norm: cfg.inputNorm };
  }

  /** Frees the model's weights (the refiner owns the model it was given). */
  dispose(): void {
    this.model.dispose();
    this.image = null;
    this.empty = null;
  }

  get currentImage(): ModelImage | null {
    return this.image;
  }

  /** Prepares an image for a series of clicks. */
  setImage(image: ModelImage): void {
    if (image.channels !== this.config.imageChannels) throw new AppError('invalid-argument', `The click model reads ${this.config.imageChannels}-channel images; this one has ${image.channels}.`);
    this.image = image;
    this.empty = new Uint8Array(image.width * image.height);
  }

  private forward(win: ZoomWindow, clicks: readonly Click[], prev: Uint8Array): Float32Array {
    const img = this.image!;
    const s = this.cropSize;
    const c = img.channels;
    const crop = resampleWindow({ width: img.width, height: img.height, channels: c, image: img.data, labels: prev, weights: null, instances: null }, win.x0, win.y0, win.side, win.side, s, s);
    const scale = s / win.side;
    const local = clicks.map((k) => ({ x: (k.x - win.x0 + 0.5) * scale - 0.5, y: (k.y - win.y0 + 0.5) * scale - 0.5, positive: k.positive }));
    const { pos, neg } = encodeClicks(local, s, s, CLICK_RADIUS_PX);
    const x = new Float32Array(s * s * (c + 3));
    interleaveGuidance(crop.image, c, pos, neg, crop.labels, x, 0);
    return tf.tidy(() => tf.sigmoid(this.model.predict(tf.tensor4d(x, [1, s, s, c + 3])) as tf.Tensor).dataSync() as Float32Array);
  }

  /** Window probabilities -> image-size mask (bilinear sampling), and whether it touches the window edge. */
  private toImage(prob: Float32Array, win: ZoomWindow): { mask: Uint8Array; prob: Float32Array; score: number; touches: boolean } {
    const img = this.image!;
    const s = this.cropSize;
    const W = img.width;
    const mask = new Uint8Array(W * img.height);
    const full = new Float32Array(W * img.height).fill(0.5);
    const scale = s / win.side;
    let sum = 0;
    let n = 0;
    const x0 = Math.max(0, win.x0);
    const y0 = Math.max(0, win.y0);
    const x1 = Math.min(W, win.x0 + win.side);
    const y1 = Math.min(img.height, win.y0 + win.side);
    for (let y = y0; y < y1; y++) {
      const fy = (y - win.y0 + 0.5) * scale - 0.5;
      const ya = Math.floor(fy);
      const wy = fy - ya;
      const r0 = Math.min(Math.max(ya, 0), s - 1);
      const r1 = Math.min(Math.max(ya + 1, 0), s - 1);
      for (let x = x0; x < x1; x++) {
        const fx = (x - win.x0 + 0.5) * scale - 0.5;
        const xa = Math.floor(fx);
        const wx = fx - xa;
        const c0 = Math.min(Math.max(xa, 0), s - 1);
        const c1 = Math.min(Math.max(xa + 1, 0), s - 1);
        const p = (prob[r0 * s + c0]! * (1 - wx) + prob[r0 * s + c1]! * wx) * (1 - wy) + (prob[r1 * s + c0]! * (1 - wx) + prob[r1 * s + c1]! * wx) * wy;
        full[y * W + x] = p;
        if (p > 0.5) {
          mask[y * W + x] = 1;
          sum += p;
          n++;
        }
      }
    }
    // touching the window edge where the window is inside the image: the object may continue
    let touches = false;
    const edge = (i: number) => prob[i]! > 0.5;
    for (let i = 0; i < s && !touches; i++) {
      if ((win.y0 > 0 && edge(i)) || (win.y0 + win.side < img.height && edge((s - 1) * s + i)) || (win.x0 > 0 && edge(i * s)) || (win.x0 + win.side < W && edge(i * s + s - 1))) touches = true;
    }
    return { mask, prob: full, score: n ? sum / n : 0, touches };
  }

  /** Refines the object around the clicks (see the module comment). */
  async refine(req: RefineRequest): Promise<RefineResult> {
    const t0 = performance.now();
    if (req.image && req.image !== this.image) this.setImage(req.image);
    if (!this.image) throw new AppError('invalid-argument', 'No image: pass one or call setImage first.');
    const img = this.image;
    if (!req.clicks.length) throw new AppError('invalid-argument', 'Click refinement needs at least one click.');
    for (const c of req.clicks) {
      if (!(c.x >= 0 && c.y >= 0 && c.x < img.width && c.y < img.height)) throw new AppError('invalid-argument', `Click ${c.x},${c.y} is outside the ${img.width}x${img.height} image.`);
    }
    const prev = req.prevMask ?? this.empty!;
    if (prev.length !== img.width * img.height) throw new AppError('invalid-argument', 'The previous mask does not match the image size.');
    let win = interactionWindow(req.clicks, req.prevMask ? prev : null, img.width, img.height, this.typicalObjectPx);
    let out = this.toImage(this.forward(win, req.clicks, prev), win);
    if (out.touches) {
      const box = maskBox(out.mask, img.width, img.height);
      if (box) {
        const grown = boxWindow(box, this.typicalObjectPx);
        if (grown.side > win.side) {
          win = grown;
          out = this.toImage(this.forward(win, req.clicks, prev), win);
        }
      }
    }
    return { mask: out.mask, score: out.score, prob: out.prob, window: win, ms: performance.now() - t0 };
  }
}

/** One-shot refinement (prepares the image each call; use ClickRefiner for a click series). */
export function refine(model: tf.LayersModel, cfg: SegModelConfig, req: RefineRequest & { image: ModelImage }): Promise<RefineResult> {
  return new ClickRefiner(model, cfg).refine(req);
}

export interface NocResult {
  /** clicks needed per threshold (maxClicks when never reached) */
  noc: number[];
  /** IoU after each click */
  ious: number[];
}

/**
 * Number of clicks to reach each IoU threshold on one object with simulated clicks (first deep
 * inside, then at the largest error), capped at maxClicks.
 */
export async function clicksToReach(refiner: ClickRefiner, gt: Uint8Array, thresholds: readonly number[], maxClicks = 20): Promise<NocResult> {
  const img = refiner.currentImage;
  if (!img) throw new AppError('invalid-argument', 'call setImage first');
  const clicks: Click[] = [];
  let pred: Uint8Array | null = null;
  const ious: number[] = [];
  const noc = thresholds.map(() => maxClicks);
  const reached = thresholds.map(() => false);
  for (let k = 1; k <= maxClicks; k++) {
    const c = nextClick(pred ?? new Uint8Array(gt.length), gt, img.width, img.height);
    if (!c) break;
    clicks.push(c);
    pred = (await refiner.refine({ clicks, prevMask: pred })).mask;
    const iou = binaryIou(pred, gt);
    ious.push(iou);
    thresholds.forEach((t, i) => {
      if (!reached[i] && iou >= t) {
        reached[i] = true;
        noc[i] = k;
      }
    });
    if (reached.every(Boolean)) break;
  }
  return { noc, ious };
}
