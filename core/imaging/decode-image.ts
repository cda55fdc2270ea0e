/**
 * Decoding image files to interleaved pixel arrays (EXIF orientation applied), and turning
 * decoded pixels into display-ready 8-bit RGB.
 */
import type { Sharp } from 'sharp';
import {
  DEFAULT_BACKGROUND,
  flattenToRgb8,
  floatToUint16,
  percentileRange,
  scaleTo8,
  stretchTo8,
  type PercentileOptions,
  type StretchRange,
} from './percentile-stretch';
import { openImageSource, type ImageSource, type OpenImageOptions } from './image-source';

interface DecodedBase {
  width: number;
  height: number;
  /** interleaved channels, alpha included: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (CMYK comes as RGB) */
  channels: 1 | 2 | 3 | 4;
}
export interface DecodedImage8 extends DecodedBase {
  bitDepth: 8;
  data: Uint8Array;
}
export interface DecodedImage16 extends DecodedBase {
  bitDepth: 16;
  data: Uint16Array;
}
/** Top-down rows of interleaved samples. */
export type DecodedImage = DecodedImage8 | DecodedImage16;

export interface DecodeImageOptions extends OpenImageOptions, PercentileOptions {
  /**
   * Return 16-bit samples for 16-bit sources (and 32-bit/float sources rescaled min..max to
   * 0..65535). Default false: everything comes back as 8-bit.
   */
  keepDepth?: boolean;
  /**
   * How 16-bit samples become 8-bit when `keepDepth` is false: 'stretch' (default) maps the
   * 0.1..99.9th percentiles to 0..255, 'scale' divides by 257 (exact for true 16-bit data, nearly
   * black for 12-bit data in a 16-bit container).
   */
  depthTo8?: 'stretch' | 'scale';
}

type RawPlan = {
  space: 'b-w' | 'srgb' | 'grey16' | 'rgb16';
  depth: 'uchar' | 'ushort' | 'float';
  /** sharp gives grey+alpha only as RGBA (its raw output drops alpha of 'b-w'): keep bands 0 and 3 */
  greyAlphaFromRgba: boolean;
};

function rawPlan(src: ImageSource): RawPlan {
  if (src.depthClass === 16) return { space: src.isGrey ? 'grey16' : 'rgb16', depth: 'ushort', greyAlphaFromRgba: false };
  const depth = src.depthClass === 8 ? 'uchar' : 'float';
  if (src.isGrey && !src.hasAlpha) return { space: 'b-w', depth, greyAlphaFromRgba: false };
  return { space: 'srgb', depth, greyAlphaFromRgba: src.isGrey };
}

function pickBands<T extends Uint8Array | Uint16Array | Float32Array>(data: T, from: number, bands: readonly number[], make: (n: number) => T): T {
  const pixels = data.length / from;
  const out = make(pixels * bands.length);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += from) {
    for (const b of bands) out[o++] = data[i + b]!;
  }
  return out;
}

/** A view of sharp's output bytes as `bytesPer`-byte samples (copied if misaligned). */
function aligned(buf: Buffer, bytesPer: number): { buffer: ArrayBufferLike; byteOffset: number; length: number } {
  const b = buf.byteOffset % bytesPer === 0 ? buf : new Uint8Array(buf);
  return { buffer: b.buffer, byteOffset: b.byteOffset, length: b.length / bytesPer };
}

/**
 * Reads the pixels of an opened source through sharp (after `transform`, e.g. a resize), as
 * 8-bit for 8-bit sources and 16-bit otherwise (float/32-bit rescaled min..max).
 * Internal to core/imaging.
 */
export async function readPixels(src: ImageSource, transform?: (s: Sharp) => Sharp): Promise<DecodedImage> {
  if (src.bmpPixels && !transform) {
    return { width: src.width, height: src.height, channels: src.channels, bitDepth: 8, data: src.bmpPixels };
  }
  const plan = rawPlan(src);
  const { data, info } = await src.run((s) =>
    (transform ? transform(s) : s).toColourspace(plan.space).raw({ depth: plan.depth }).toBuffer({ resolveWithObject: true }),
  );
  const { width, height } = info;
  let channels = info.channels as number;
  const bands = plan.greyAlphaFromRgba && channels === 4 ? [0, 3] : null;
  if (plan.depth === 'uchar') {
    let arr: Uint8Array = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (bands) {
      arr = pickBands(arr, channels, bands, (n) => new Uint8Array(n));
      channels = 2;
    }
    return { width, height, channels: channels as 1 | 2 | 3 | 4, bitDepth: 8, data: arr };
  }
  if (plan.depth === 'ushort') {
    const a = aligned(data, 2);
    const arr = new Uint16Array(a.buffer, a.byteOffset, a.length);
    return { width, height, channels: channels as 1 | 2 | 3 | 4, bitDepth: 16, data: arr };
  }
  const a = aligned(data, 4);
  let f = new Float32Array(a.buffer, a.byteOffset, a.length);
  if (bands) {
    f = pickBands(f, channels, bands, (n) => new Float32Array(n));
    channels = 2;
  }
  return { width, height, channels: channels as 1 | 2 | 3 | 4, bitDepth: 16, data: floatToUint16(f, channels).data };
}

/** 16-bit to 8-bit by the given policy; 8-bit images are returned unchanged. */
export function toBitDepth8(img: DecodedImage, mode: 'stretch' | 'scale' = 'stretch', opts: PercentileOptions = {}): DecodedImage8 {
  if (img.bitDepth === 8) return img;
  const data = mode === 'scale' ? scaleTo8(img.data) : stretchTo8(img.data, img.channels, percentileRange(img.data, img.channels, opts));
  return { width: img.width, height: img.height, channels: img.channels, bitDepth: 8, data };
}

/**
 * Decodes an image file to pixels with EXIF orientation applied. Throws AppError ('not-found',
 * 'empty-file', 'unsupported-format', 'corrupt-image', 'truncated-image', 'too-large', 'io').
 */
export async function decodeImage(path: string, opts: DecodeImageOptions = {}): Promise<DecodedImage> {
  const src = await openImageSource(path, opts);
  const img = await readPixels(src);
  if (img.bitDepth === 16 && !opts.keepDepth) return toBitDepth8(img, opts.depthTo8 ?? 'stretch', opts);
  return img;
}

export interface DisplayRgb8 {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
  /** the black and white points used, for 16-bit input; null for 8-bit input (shown as is) */
  range: StretchRange | null;
}

export interface DisplayOptions extends PercentileOptions {
  /** RGB that transparent pixels are flattened onto; default mid-grey */
  background?: readonly [number, number, number];
}

/**
 * Display-ready opaque 8-bit RGB: 16-bit samples contrast-stretched from their 0.1th..99.9th
 * percentiles (so 12-bit data in a 16-bit container is not black), 8-bit samples unchanged,
 * grey replicated to RGB, alpha composited over `background`.
 */
export function toDisplayRgb8(img: DecodedImage, opts: DisplayOptions = {}): DisplayRgb8 {
  let data8: Uint8Array;
  let range: StretchRange | null = null;
  if (img.bitDepth === 16) {
    range = percentileRange(img.data, img.channels, opts);
    data8 = stretchTo8(img.data, img.channels, range);
  } else {
    data8 = img.data;
  }
  const data = flattenToRgb8(data8, img.channels, opts.background ?? DEFAULT_BACKGROUND);
  return { width: img.width, height: img.height, channels: 3, data, range };
}

/**
 * The pixels of an opened source, downscaled to fit `maxSizePx` × `maxSizePx` (never enlarged;
 * no limit when `maxSizePx` is undefined), as display-ready RGB. The stretch of 16-bit data is
 * computed on the downscaled pixels. Internal to core/imaging.
 */
export async function readDisplayRgb8(src: ImageSource, maxSizePx: number | undefined, opts: DisplayOptions = {}): Promise<DisplayRgb8> {
  const needsResize = maxSizePx !== undefined && (src.width > maxSizePx || src.height > maxSizePx);
  const img = await readPixels(
    src,
    needsResize ? (s) => s.resize({ width: maxSizePx, height: maxSizePx, fit: 'inside', withoutEnlargement: true }) : undefined,
  );
  return toDisplayRgb8(img, opts);
}
