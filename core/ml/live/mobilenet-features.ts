/**
 * Pretrained MobileNetV2 (nsfwjs, the same encoder and loader as the MobileNetV2 U-Net)
 * activations as extra live features: the stride-4, -8 and -16 taps (block_3/6/13_expand_relu,
 * 144/192/576 channels), each projected to `dimsPerStride` channels by a fixed seeded Gaussian
 * matrix (the same for every image, so features stay comparable across images) and bilinearly
 * upsampled to full resolution. Runs on whatever tfjs backend is active; tensors are disposed.
 */
import * as tf from '@tensorflow/tfjs';
import { findNsfwjsMobileNet, loadMobileNetEncoder } from '../models/mobilenet-unet';
import { createRng } from '../train/rng';
import type { FeatureImage, FeatureStack } from './feature-types';
import { FeatureInputError } from './compute-feature-stack';

export const MOBILENET_FEATURE_STRIDES = [4, 8, 16] as const;

export class MobileNetFeatures {
  private readonly projections = new Map<number, tf.Tensor2D>();

  private constructor(private readonly encoder: tf.LayersModel) {}

  /** Loads the encoder (default: the nsfwjs package's MobileNetV2); EncoderUnavailableError when missing. */
  static async load(modelPath: string | null = findNsfwjsMobileNet()): Promise<MobileNetFeatures> {
    if (!modelPath) throw new FeatureInputError('the MobileNetV2 features need the nsfwjs package (npm install nsfwjs)');
    return new MobileNetFeatures(await loadMobileNetEncoder(modelPath, 0));
  }

  private projection(c: number, d: number): tf.Tensor2D {
    const key = c * 1000 + d;
    let p = this.projections.get(key);
    if (!p) {
      const rng = createRng(c * 31 + d);
      p = tf.keep(tf.tensor2d(Float32Array.from({ length: c * d }, () => rng.normal() / Math.sqrt(c)), [c, d]));
      this.projections.set(key, p);
    }
    return p;
  }

  /** Features of one RGB (or grey) image: 3 x dimsPerStride channels, HWC. */
  compute(image: FeatureImage, dimsPerStride = 8): FeatureStack {
    const { width: w, height: h, channels: c, data } = image;
    if (data.length !== w * h * c) throw new FeatureInputError(`image data has ${data.length} values; ${w} x ${h} x ${c} needs ${w * h * c}`);
    const scale = data instanceof Uint8Array || data instanceof Uint8ClampedArray ? 1 / 255 : data instanceof Uint16Array ? 1 / 65535 : 1;
    const rgb = new Float32Array(w * h * 3);
    for (let i = 0; i < w * h; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = data[i * c + Math.min(k, c - 1)]! * scale;
    const H = Math.ceil(h / 32) * 32;
    const W = Math.ceil(w / 32) * 32;
    const nf = MOBILENET_FEATURE_STRIDES.length * dimsPerStride;
    const out = new Float32Array(w * h * nf);
    const planes = tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(rgb, [1, h, w, 3]);
      if (H !== h || W !== w) x = tf.pad(x, [[0, 0], [0, H - h], [0, W - w], [0, 0]]);
      const taps = this.encoder.predict(x) as tf.Tensor4D[];
      return [1, 2, 3].map((t) => {
        const f = taps[t]!;
        const [, fh, fw, fc] = f.shape;
        const proj = tf.matMul(f.reshape([fh * fw, fc]), this.projection(fc, dimsPerStride)).reshape([1, fh, fw, dimsPerStride]) as tf.Tensor4D;
        return tf.image.resizeBilinear(proj, [H, W]).slice([0, 0, 0, 0], [1, h, w, dimsPerStride]);
      });
    });
    planes.forEach((p, t) => {
      const v = p.dataSync();
      p.dispose();
      for (let i = 0; i < w * h; i++) for (let k = 0; k < dimsPerStride; k++) out[i * nf + t * dimsPerStride + k] = v[i * dimsPerStride + k]!;
    });
    const names = MOBILENET_FEATURE_STRIDES.flatMap((s) => Array.from({ length: dimsPerStride }, (_, k) => `mobilenet:s${s}.${k}`));
    return { width: w, height: h, channels: nf, data: out, names };
  }

  dispose(): void {
    this.encoder.dispose();
    for (const p of this.projections.values()) p.dispose();
    this.projections.clear();
  }
}

/** Two stacks of the same image side by side (a's channels first). */
export function concatStacks(a: FeatureStack, b: FeatureStack): FeatureStack {
  if (a.width !== b.width || a.height !== b.height) throw new FeatureInputError(`stacks of different sizes (${a.width} x ${a.height} vs ${b.width} x ${b.height})`);
  const n = a.width * a.height;
  const nf = a.channels + b.channels;
  const data = new Float32Array(n * nf);
  for (let i = 0; i < n; i++) {
    data.set(a.data.subarray(i * a.channels, (i + 1) * a.channels), i * nf);
    data.set(b.data.subarray(i * b.channels, (i + 1) * b.channels), i * nf + a.channels);
  }
  return { width: a.width, height: a.height, channels: nf, data, names: [...a.names, ...b.names] };
}
