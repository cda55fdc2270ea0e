/**
 * Images as the models read them: row-major HWC float32, `channels` (3) colour channels.
 *
 * From a decoded image (core/imaging): alpha is dropped, grey is replicated to RGB, 8-bit
 * samples are divided by 255 and 16-bit samples are stretched so that the 0.5th..99.5th
 * percentiles map to 0..1 (microscopy often stores 12-bit data in 16-bit containers, where
 * /65535 would give a nearly black image). Optionally each channel is then standardised per
 * image (zero mean, unit variance), which makes the model less sensitive to staining and
 * exposure differences between images.
 */
import { percentileRange } from '../imaging/percentile-stretch';

export interface ModelImage {
  width: number;
  height: number;
  channels: number;
  /** row-major HWC */
  data: Float32Array;
}

/** What core/imaging's decodeImage returns (structurally). */
export interface DecodedPixels {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

export type InputNorm = 'unit' | 'standardize';

export class ImageInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageInputError';
  }
}

/** Decoded pixels -> a ModelImage with `channels` channels in [0,1] (before `normalizeInput`). */
export function toModelImage(img: DecodedPixels, channels = 3): ModelImage {
  const { width, height } = img;
  if (!(width > 0 && height > 0)) throw new ImageInputError(`the image has no pixels (${width}x${height})`);
  if (img.data.length !== width * height * img.channels) throw new ImageInputError(`the pixel buffer holds ${img.data.length} samples, expected ${width}x${height}x${img.channels}`);
  const src = img.channels;
  const colour = src === 2 || src === 4 ? src - 1 : src;
  let lo = 0;
  let scale = 1 / 255;
  if (img.bitDepth === 16) {
    const r = percentileRange(img.data as Uint16Array, src, { lowPercent: 0.5, highPercent: 99.5 });
    lo = r.low;
    scale = r.high > r.low ? 1 / (r.high - r.low) : 1 / 65535;
  } else if (img.bitDepth !== 8) {
    throw new ImageInputError(`bit depth ${String(img.bitDepth)} is not supported (8 or 16)`);
  }
  const n = width * height;
  const out = new Float32Array(n * channels);
  const d = img.data;
  for (let p = 0; p < n; p++) {
    const i = p * src;
    for (let c = 0; c < channels; c++) {
      const v = (d[i + (colour === 1 ? 0 : Math.min(c, colour - 1))]! - lo) * scale;
      out[p * channels + c] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return { width, height, channels, data: out };
}

/** Applies the model's input normalisation in place and returns the image. */
export function normalizeInput(img: ModelImage, norm: InputNorm): ModelImage {
  if (norm === 'unit') return img;
  const { channels: ch, data } = img;
  const n = img.width * img.height;
  for (let c = 0; c < ch; c++) {
    let s = 0;
    let s2 = 0;
    for (let p = 0; p < n; p++) {
      const v = data[p * ch + c]!;
      s += v;
      s2 += v * v;
    }
    const mean = s / n;
    const std = Math.sqrt(Math.max(s2 / n - mean * mean, 0));
    const inv = 1 / Math.max(std, 1e-3);
    for (let p = 0; p < n; p++) data[p * ch + c] = (data[p * ch + c]! - mean) * inv;
  }
  return img;
}

/** Decoded pixels -> normalised model input. */
export function prepareModelImage(img: DecodedPixels, channels: number, norm: InputNorm): ModelImage {
  return normalizeInput(toModelImage(img, channels), norm);
}
