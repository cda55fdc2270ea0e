/**
 * Pretrained MobileNetV2 (nsfwjs, the same encoder and loader as the MobileNetV2 U-Net)
 * activations as extra live features: the stride-4, -8 and -16 taps (block_3/6/13_expand_relu,
 * 144/192/576 channels), each projected to `dimsPerStride` channels by a fixed seeded Gaussian
 * matrix (the same for every image, so features stay comparable across images) and bilinearly
 * upsampled to full resolution. Runs on whatever tfjs backend is active; tensors are disposed.
 *
 * `maxSide` runs the encoder on a copy whose longer side is at most that many pixels (area
 * average; the taps are then upsampled to the full image): the stride-16 tap of a 512-px copy
 * still sees objects of 50-100 px, at about a fifth of the cost of an 800 x 600 photo.
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

  /** Features of one RGB (or grey) image: 3 x dimsPerStride channels, HWC (maxSide: see the header). */
  compute(image: FeatureImage, dimsPerStride = 8, maxSide = Infinity): FeatureStack {
    const { width: fw, height: fh, channels: c, data } = image;
    if (data.length !== fw * fh * c) throw new FeatureInputError(`image data has ${data.length} values; ${fw} x ${fh} x ${c} needs ${fw * fh * c}`);
    if (!(maxSide >= 32)) throw new FeatureInputError(`maxSide must be at least 32 px (got ${maxSide})`);
    const scale = data instanceof Uint8Array || data instanceof Uint8ClampedArray ? 1 / 255 : data instanceof Uint16Array ? 1 / 65535 : 1;
    const full = new Float32Array(fw * fh * 3);
    for (let i = 0; i < fw * fh; i++) for (let k = 0; k < 3; k++) full[i * 3 + k] = data[i * c + Math.min(k, c - 1)]! * scale;
    const f = Math.min(1, maxSide / Math.max(fw, fh));
    const w = Math.max(1, Math.round(fw * f));
    const h = Math.max(1, Math.round(fh * f));
    const rgb = f < 1 ? areaDownscale(full, fw, fh, w, h) : full;
    const H = Math.ceil(h / 32) * 32;
    const W = Math.ceil(w / 32) * 32;
    const nf = MOBILENET_FEATURE_STRIDES.length * dimsPerStride;
    const out = new Float32Array(fw * fh * nf);
    const planes = tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(rgb, [1, h, w, 3]);
      if (H !== h || W !== w) x = tf.pad(x, [[0, 0], [0, H - h], [0, W - w], [0, 0]]);
      const taps = this.encoder.predict(x) as tf.Tensor4D[];
      return [1, 2, 3].map((t) => {
        const tap = taps[t]!;
        const [, th, tw, tc] = tap.shape;
        const proj = tf.matMul(tap.reshape([th * tw, tc]), this.projection(tc, dimsPerStride)).reshape([1, th, tw, dimsPerStride]) as tf.Tensor4D;
        const own = tf.image.resizeBilinear(proj, [H, W]).slice([0, 0, 0, 0], [1, h, w, dimsPerStride]);
        return f < 1 ? tf.image.resizeBilinear(own, [fh, fw]) : own;
      });
    });
    planes.forEach((p, t) => {
      const v = p.dataSync();
      p.dispose();
      for (let i = 0; i < fw * fh; i++) for (let k = 0; k < dimsPerStride; k++) out[i * nf + t * dimsPerStride + k] = v[i * dimsPerStride + k]!;
    });
    const names = MOBILENET_FEATURE_STRIDES.flatMap((s) => Array.from({ length: dimsPerStride }, (_, k) => `mobilenet:s${s}.${k}`));
    return { width: fw, height: fh, channels: nf, data: out, names };
  }

  dispose(): void {
    this.encoder.dispose();
    for (const p of this.projections.values()) p.dispose();
    this.projections.clear();
  }
}

/** Area-average resize of an RGB float image to w x h (w <= sw, h <= sh). */
export function areaDownscale(src: Float32Array, sw: number, sh: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * sh) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * sh) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * sw) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * sw) / w));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const o = (yy * sw + xx) * 3;
          r += src[o]!;
          g += src[o + 1]!;
          b += src[o + 2]!;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * w + x) * 3;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
    }
  }
  return out;
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
