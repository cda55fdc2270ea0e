/**
 * Training batches as flat arrays (the loop turns them into tensors inside its tidy):
 *   - segmentation: random augmented crops of the samples;
 *   - interactive: one object per example, zoom-in window around it (as at inference), image
 *     + positive clicks + negative clicks + previous mask as input, the object as target.
 */
import { encodeClicks, interleaveGuidance, CLICK_RADIUS_PX } from '../clicks/click-maps';
import { simulateInteraction } from '../clicks/click-simulator';
import { boxWindow, freshWindow, maskBox } from '../clicks/zoom-window';
import { resampleWindow, type Patch } from '../patch';
import { augmentPatch, NO_AUGMENT, randomPatch, type AugmentOptions } from './augment';
import type { Rng } from './rng';
import { encodeTargets } from './segmentation-loss';

export interface Batch {
  n: number;
  size: number;
  /** input channels per pixel */
  channels: number;
  /** logit channels (1 binary, K multi-class) */
  k: number;
  x: Float32Array;
  target: Float32Array;
  weights: Float32Array;
}

export interface BatchOptions {
  batchSize: number;
  cropSize: number;
  augment: AugmentOptions;
}

export function makeSegmentationBatch(samples: readonly Patch[], opts: BatchOptions, k: number, rng: Rng): Batch {
  if (!samples.length) throw new RangeError('no training samples');
  const { batchSize: n, cropSize: s } = opts;
  const c = samples[0]!.channels;
  const x = new Float32Array(n * s * s * c);
  const target = new Float32Array(n * s * s * k);
  const weights = new Float32Array(n * s * s);
  for (let b = 0; b < n; b++) {
    const p = randomPatch(samples[rng.int(samples.length)]!, s, rng, opts.augment);
    x.set(p.image, b * s * s * c);
    const t = encodeTargets(p.labels, p.weights, k);
    target.set(t.target, b * s * s * k);
    weights.set(t.weights, b * s * s);
  }
  return { n, size: s, channels: c, k, x, target, weights };
}

export interface ObjectRef {
  sample: number;
  id: number;
  area: number;
  box: { x0: number; y0: number; x1: number; y1: number };
}

/** Every instance of every sample with at least `minAreaPx` pixels. */
export function indexObjects(samples: readonly Patch[], minAreaPx = 9): ObjectRef[] {
  const out: ObjectRef[] = [];
  samples.forEach((s, si) => {
    if (!s.instances) return;
    const acc = new Map<number, ObjectRef>();
    const w = s.width;
    for (let i = 0; i < s.instances.length; i++) {
      const id = s.instances[i]!;
      if (!id) continue;
      const x = i % w;
      const y = (i - x) / w;
      const r = acc.get(id);
      if (!r) acc.set(id, { sample: si, id, area: 1, box: { x0: x, y0: y, x1: x, y1: y } });
      else {
        r.area++;
        if (x < r.box.x0) r.box.x0 = x;
        if (x > r.box.x1) r.box.x1 = x;
        if (y < r.box.y0) r.box.y0 = y;
        if (y > r.box.y1) r.box.y1 = y;
      }
    }
    for (const r of acc.values()) if (r.area >= minAreaPx) out.push(r);
  });
  return out;
}

/** Median of max(box width, box height) over the objects (the zoom-in's reference size). */
export function typicalObjectSize(objects: readonly ObjectRef[]): number {
  if (!objects.length) return 32;
  const sides = objects.map((o) => Math.max(o.box.x1 - o.box.x0 + 1, o.box.y1 - o.box.y0 + 1)).sort((a, b) => a - b);
  return sides[Math.floor(sides.length / 2)]!;
}

export function makeInteractiveBatch(samples: readonly Patch[], objects: readonly ObjectRef[], opts: BatchOptions, typicalObjectPx: number, rng: Rng): Batch {
  if (!objects.length) throw new RangeError('no labelled objects to train click refinement on');
  const { batchSize: n, cropSize: s } = opts;
  const c = samples[0]!.channels;
  const cc = c + 3;
  const x = new Float32Array(n * s * s * cc);
  const target = new Float32Array(n * s * s);
  const weights = new Float32Array(n * s * s);
  for (let b = 0; b < n; b++) {
    const obj = objects[rng.int(objects.length)]!;
    const src = samples[obj.sample]!;
    // simulate on the whole object first (window choice depends on it)
    const full = new Uint8Array(src.width * src.height);
    for (let i = 0; i < full.length; i++) full[i] = src.instances![i] === obj.id ? 1 : 0;
    // the window: click-centred on a fresh start, box-centred otherwise (as at inference)
    const fresh = rng.next() < 0.5;
    const jitter = () => rng.uniform(-0.1, 0.1);
    let win;
    if (fresh) {
      const cx = rng.uniform(obj.box.x0, obj.box.x1 + 1);
      const cy = rng.uniform(obj.box.y0, obj.box.y1 + 1);
      win = freshWindow({ x: cx, y: cy, positive: true }, typicalObjectPx, rng.uniform(2, 3.5));
    } else {
      win = boxWindow(obj.box, typicalObjectPx, rng.uniform(0.3, 0.8));
    }
    win = { ...win, x0: Math.round(win.x0 + jitter() * win.side), y0: Math.round(win.y0 + jitter() * win.side) };
    const crop = resampleWindow({ ...src, labels: full }, win.x0, win.y0, win.side, win.side, s, s);
    let p = augmentPatch(crop, rng, { ...opts.augment, noise: opts.augment.noise });
    if (!maskBox(p.labels, s, s)) p = augmentPatch(crop, rng, NO_AUGMENT);
    const gt = p.labels;
    const sim = fresh ? simulateInteraction(gt, s, s, rng, 1) : simulateInteraction(gt, s, s, rng, 3);
    const prev = fresh ? new Uint8Array(s * s) : sim.prev;
    const { pos, neg } = encodeClicks(sim.clicks, s, s, CLICK_RADIUS_PX);
    interleaveGuidance(p.image, c, pos, neg, prev, x, b * s * s * cc);
    for (let i = 0; i < s * s; i++) {
      target[b * s * s + i] = gt[i] ? 1 : 0;
      weights[b * s * s + i] = p.weights ? p.weights[i]! : 1;
    }
  }
  return { n, size: s, channels: cc, k: 1, x, target, weights };
}
