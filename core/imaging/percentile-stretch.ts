/**
 * Pixel arithmetic for showing images: percentile contrast stretch of 16-bit samples to 8-bit,
 * float to 16-bit rescaling, and flattening grey/alpha pixels to opaque RGB. Pure TypeScript.
 *
 * Why a stretch: microscopy cameras often write 12-bit values (0..4095) into 16-bit containers;
 * a plain `>> 8` maps them to 0..15, i.e. a black image. Taking the 0.1th and 99.9th percentiles
 * of the colour samples as black and white is robust to a few hot pixels and to a mostly empty
 * background.
 */

export interface StretchRange {
  /** sample value shown as black */
  low: number;
  /** sample value shown as white */
  high: number;
}

export interface PercentileOptions {
  /** percent of samples allowed below black; default 0.1 */
  lowPercent?: number;
  /** percentile shown as white; default 99.9 */
  highPercent?: number;
}

export const DEFAULT_LOW_PERCENT = 0.1;
export const DEFAULT_HIGH_PERCENT = 99.9;

/** Neutral mid-grey that transparent pixels are flattened onto. */
export const DEFAULT_BACKGROUND: readonly [number, number, number] = [128, 128, 128];

/** True when the last of `channels` is alpha (2 = grey+alpha, 4 = RGBA). */
export function hasAlphaChannel(channels: number): boolean {
  return channels === 2 || channels === 4;
}

/**
 * Black and white points of 16-bit samples, over all colour channels together (alpha excluded),
 * from a 65536-bin histogram. Falls back to min..max when the percentiles coincide (e.g. an image
 * that is 99.95 % background), and to 0..65535 for a constant image.
 */
export function percentileRange(data: Uint16Array, channels: number, opts: PercentileOptions = {}): StretchRange {
  const lowPercent = opts.lowPercent ?? DEFAULT_LOW_PERCENT;
  const highPercent = opts.highPercent ?? DEFAULT_HIGH_PERCENT;
  const colour = hasAlphaChannel(channels) ? channels - 1 : channels;
  const hist = new Uint32Array(65536);
  let n = 0;
  let min = 65535;
  let max = 0;
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < colour; c++) {
      const v = data[i + c]!;
      hist[v]!++;
      if (v < min) min = v;
      if (v > max) max = v;
      n++;
    }
  }
  if (n === 0) return { low: 0, high: 65535 };
  const lowRank = Math.min(n - 1, Math.max(0, Math.floor((n * lowPercent) / 100)));
  const highRank = Math.min(n - 1, Math.max(0, Math.ceil((n * highPercent) / 100) - 1));
  let low = -1;
  let high = -1;
  let seen = 0;
  for (let v = 0; v < 65536; v++) {
    seen += hist[v]!;
    if (low < 0 && seen > lowRank) low = v;
    if (seen > highRank) {
      high = v;
      break;
    }
  }
  if (high <= low) {
    low = min;
    high = max;
  }
  if (high <= low) return { low: 0, high: 65535 };
  return { low, high };
}

/**
 * Maps 16-bit samples to 8-bit: colour channels linearly from `range` (clamped), alpha by /257.
 * Without a range, uses `percentileRange` of the data.
 */
export function stretchTo8(
  data: Uint16Array,
  channels: number,
  range: StretchRange = percentileRange(data, channels),
): Uint8Array {
  const lut = new Uint8Array(65536);
  const span = range.high - range.low;
  for (let v = 0; v < 65536; v++) {
    const t = span > 0 ? ((v - range.low) * 255) / span : v / 257;
    lut[v] = t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t);
  }
  const out = new Uint8Array(data.length);
  const alpha = hasAlphaChannel(channels) ? channels - 1 : -1;
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = data[i + c]!;
      out[i + c] = c === alpha ? Math.round(v / 257) : lut[v]!;
    }
  }
  return out;
}

/** 16-bit to 8-bit by value (v / 257), the conversion libvips uses; dark for 12-bit data. */
export function scaleTo8(data: Uint16Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round(data[i]! / 257);
  return out;
}

/**
 * Float (or 32-bit integer) samples to 16-bit: colour channels linearly from their finite
 * min..max to 0..65535 (non-finite values become 0); alpha from 0..1 or 0..255 or 0..65535,
 * whichever holds its maximum.
 */
export function floatToUint16(data: Float32Array, channels: number): { data: Uint16Array; min: number; max: number } {
  const alpha = hasAlphaChannel(channels) ? channels - 1 : -1;
  let min = Infinity;
  let max = -Infinity;
  let alphaMax = 0;
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = data[i + c]!;
      if (!Number.isFinite(v)) continue;
      if (c === alpha) {
        if (v > alphaMax) alphaMax = v;
      } else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  if (!Number.isFinite(min)) {
    min = 0;
    max = 0;
  }
  const span = max - min;
  const alphaScale = alphaMax <= 1 ? 65535 : alphaMax <= 255 ? 257 : 1;
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = data[i + c]!;
      let t: number;
      if (!Number.isFinite(v)) t = 0;
      else if (c === alpha) t = v * alphaScale;
      else t = span > 0 ? ((v - min) * 65535) / span : 0;
      out[i + c] = t <= 0 ? 0 : t >= 65535 ? 65535 : Math.round(t);
    }
  }
  return { data: out, min, max };
}

/**
 * 8-bit grey / grey+alpha / RGB / RGBA to opaque RGB, compositing alpha over `background`.
 * Returns the input itself when it is already RGB.
 */
export function flattenToRgb8(
  data: Uint8Array,
  channels: number,
  background: readonly [number, number, number] = DEFAULT_BACKGROUND,
): Uint8Array {
  if (channels === 3) return data;
  const pixels = data.length / channels;
  const out = new Uint8Array(pixels * 3);
  const [br, bg, bb] = background;
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += channels, o += 3) {
    if (channels === 1) {
      const v = data[i]!;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      continue;
    }
    const grey = channels === 2;
    const r = data[i]!;
    const g = grey ? r : data[i + 1]!;
    const b = grey ? r : data[i + 2]!;
    const a = data[i + channels - 1]!;
    if (a === 255) {
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    } else {
      const t = a / 255;
      out[o] = Math.round(r * t + br * (1 - t));
      out[o + 1] = Math.round(g * t + bg * (1 - t));
      out[o + 2] = Math.round(b * t + bb * (1 - t));
    }
  }
  return out;
}
