/**
 * Small previews for image lists: EXIF-rotated, 16-bit images contrast-stretched, alpha
 * flattened onto a neutral background, encoded as WebP (default) or JPEG.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { AppError } from '../api/errors';
import { readDisplayRgb8, type DisplayOptions } from './decode-image';
import { fsError } from './image-errors';
import { openImageSource, type OpenImageOptions } from './image-source';

export type ThumbnailFormat = 'webp' | 'jpeg';

export interface ThumbnailOptions extends OpenImageOptions, DisplayOptions {
  /** the longer side, in pixels; default 256; smaller images are not enlarged */
  sizePx?: number;
  /** default 'webp' */
  format?: ThumbnailFormat;
  /** encoder quality 1..100; default 80 */
  quality?: number;
}

export interface EncodedThumbnail {
  data: Buffer;
  format: ThumbnailFormat;
  width: number;
  height: number;
}

export interface ThumbnailResult {
  format: ThumbnailFormat;
  width: number;
  height: number;
  /** size of the written file */
  bytes: number;
}

export const DEFAULT_THUMBNAIL_SIZE_PX = 256;

function checkSize(name: string, sizePx: number): void {
  if (!Number.isInteger(sizePx) || sizePx < 1) throw new AppError('invalid-argument', `${name} must be a positive whole number of pixels, got ${sizePx}.`);
}

/** Encodes a thumbnail of an image file in memory. Throws the same AppErrors as `probeImage`. */
export async function renderThumbnail(path: string, opts: ThumbnailOptions = {}): Promise<EncodedThumbnail> {
  const sizePx = opts.sizePx ?? DEFAULT_THUMBNAIL_SIZE_PX;
  checkSize('sizePx', sizePx);
  const format = opts.format ?? 'webp';
  const quality = opts.quality ?? 80;
  const src = await openImageSource(path, opts);
  const rgb = await readDisplayRgb8(src, sizePx, opts);
  const encoder = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  const data = await (format === 'webp' ? encoder.webp({ quality }) : encoder.jpeg({ quality })).toBuffer();
  return { data, format, width: rgb.width, height: rgb.height };
}

/**
 * Writes a thumbnail of `path` to `outPath` (parent folders are created; the file appears
 * complete or not at all). Returns its pixel size and byte size.
 */
export async function writeThumbnail(path: string, outPath: string, opts: ThumbnailOptions = {}): Promise<ThumbnailResult> {
  const thumb = await renderThumbnail(path, opts);
  const tmp = `${outPath}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(dirname(outPath), { recursive: true });
    await writeFile(tmp, thumb.data);
    await rename(tmp, outPath);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fsError(outPath, e);
  }
  return { format: thumb.format, width: thumb.width, height: thumb.height, bytes: thumb.data.length };
}
