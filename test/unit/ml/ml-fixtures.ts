/** Shared fixtures of the ML tests: synthetic blob images and a tiny model config. */
import { defaultModelConfig, type SegModelConfig } from '../../../core/ml/models/model-config';
import { createRng } from '../../../core/ml/train/rng';
import type { TrainingSample } from '../../../core/ml/train/training-sample';

/** A tiny Attention U-Net (2 levels, width 4): a few thousand parameters. */
export function tinyConfig(patch: Partial<SegModelConfig> = {}): SegModelConfig {
  return defaultModelConfig({ unet: { baseWidth: 4, levels: 2, groups: 2, heads: 2, reduction: 2 }, inputNorm: 'unit', ...patch });
}

/**
 * Bright disks (class 1, or alternating classes 1/2 with `classes: 2`) on a noisy dark
 * background; instance ids per disk.
 */
export function blobSample(seed: number, w = 96, h = 80, opts: { classes?: number; blobs?: number } = {}): TrainingSample {
  const r = createRng(seed);
  const image = new Float32Array(w * h * 3);
  const labels = new Uint8Array(w * h);
  const instances = new Uint32Array(w * h);
  for (let i = 0; i < image.length; i++) image[i] = 0.2 + 0.08 * r.normal();
  const n = opts.blobs ?? 5;
  for (let b = 1; b <= n; b++) {
    const cx = r.uniform(8, w - 8);
    const cy = r.uniform(8, h - 8);
    const rad = r.uniform(4, 9);
    const cls = opts.classes === 2 ? 1 + (b % 2) : 1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 < rad * rad) {
          const i = y * w + x;
          labels[i] = cls;
          instances[i] = b;
          image[i * 3]! += 0.5;
          image[i * 3 + 1]! += cls === 1 ? 0.5 : 0;
          image[i * 3 + 2]! += cls === 2 ? 0.5 : 0.1;
        }
      }
    }
  }
  return { id: seed, width: w, height: h, channels: 3, image, labels, weights: null, instances };
}
