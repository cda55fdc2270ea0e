/**
 * The image the editor shows: display-ready 8-bit RGB (16-bit contrast-stretched, alpha
 * flattened), downscaled when larger than the editor needs, encoded losslessly as PNG (default)
 * or WebP.
 */
import sharp from 'sharp';
import { AppError } from '../api/errors';
import { readDisplayRgb8, type DisplayOptions, type DisplayRgb8 } from './decode-image';
import { openImageSource, type OpenImageOptions } from './image-source';
import type { StretchRange } from './percentile-stretch';

export type PreviewFormat = 'png' | 'webp';

export interface PreviewOptions extends OpenImageOptions, DisplayOptions {
  /** default 'png' */
  format?: PreviewFormat;
}

export interface ImagePreview {
  data: Buffer;
  format: PreviewFormat;
  mimeType: 'image/png' | 'image/webp';
  /** size of the preview */
  width: number;
  height: number;
  /** size of the image as displayed (after EXIF orientation); masks live in these coordinates */
  sourceWidth: number;
  sourceHeight: number;
  /** preview pixels per source pixel (1 when not downscaled) */
  scale: number;
  /** black/white points used for 16-bit images, else null */
  range: StretchRange | null;
}

export const DEFAULT_PREVIEW_SIZE_PX = 4096;

/**
 * Renders `path` for display as an encoded PNG (or WebP) buffer, fitting `maxSizePx` ×
 * `maxSizePx` (never enlarged). Throws the same AppErrors as `probeImage`.
 */
export async function renderPreview(path: string, maxSizePx: number = DEFAULT_PREVIEW_SIZE_PX, opts: PreviewOptions = {}): Promise<Buffer> {
  return (await renderPreviewWithInfo(path, maxSizePx, opts)).data;
}

/** `renderPreview` with the preview's size, the source size and the stretch used. */
export async function renderPreviewWithInfo(
  path: string,
  maxSizePx: number = DEFAULT_PREVIEW_SIZE_PX,
  opts: PreviewOptions = {},
): Promise<ImagePreview> {
  if (!Number.isInteger(maxSizePx) || maxSizePx < 1) {
    throw new AppError('invalid-argument', `maxSizePx must be a positive whole number of pixels, got ${maxSizePx}.`);
  }
  const format = opts.format ?? 'png';
  const src = await openImageSource(path, opts);
  const rgb: DisplayRgb8 = await readDisplayRgb8(src, maxSizePx, opts);
  const encoder = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  const data = await (format === 'png' ? encoder.png({ compressionLevel: 3 }) : encoder.webp({ lossless: true, effort: 2 })).toBuffer();
  return {
    data,
    format,
    mimeType: format === 'png' ? 'image/png' : 'image/webp',
    width: rgb.width,
    height: rgb.height,
    sourceWidth: src.width,
    sourceHeight: src.height,
    scale: rgb.width / src.width,
    range: rgb.range,
  };
}
