/**
 * What an image file is, and whether it is readable at all: format, size after EXIF orientation,
 * bit depth, channels, and a content hash. The pixels are decoded once (into a 16-pixel
 * thumbnail that is thrown away) so that a damaged or cut-off file is caught at import, not when
 * someone opens it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { AppError } from '../api/errors';
import type { ImageFormat } from './formats';
import { fsError } from './image-errors';
import { openImageSource, type OpenImageOptions, type SampleFormat } from './image-source';

export interface ImageProbe {
  /** detected from the content, not the extension */
  format: ImageFormat;
  /** pixels as displayed, i.e. after EXIF orientation (5..8 swap width and height) */
  width: number;
  height: number;
  /** bits per sample as stored: 8 or 16 (1/2/4-bit files count as 8); 32 for float or 32-bit TIFFs */
  bitDepth: 8 | 16 | 32 | 64;
  sampleFormat: SampleFormat;
  /**
   * Channels INCLUDING alpha, as `decodeImage` returns them: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
   * Palette images count as RGB(A) (grey palettes in BMP as grey); CMYK counts as RGB.
   */
  channels: 1 | 2 | 3 | 4;
  hasAlpha: boolean;
  /** EXIF orientation 1..8; 1 when absent */
  orientation: number;
  sizeBytes: number;
  /** SHA-256 of the file bytes, lower-case hex */
  hash: string;
  /** pages in a multi-page TIFF; only the first is used */
  pages: number;
}

export interface ProbeImageOptions extends OpenImageOptions {
  /** decode every pixel to catch damaged or cut-off data (default true); false reads headers only */
  verifyPixels?: boolean;
}

/** SHA-256 of a file's bytes (streamed), lower-case hex. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  try {
    const stream = createReadStream(path, { highWaterMark: 1 << 20, signal });
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch (e) {
    throw fsError(path, e);
  }
  return hash.digest('hex');
}

/**
 * Probes an image file. Throws AppError: 'not-found', 'empty-file', 'unsupported-format',
 * 'corrupt-image', 'truncated-image', 'too-large' (more than `maxPixels`, default 400 MP), 'io'.
 */
export async function probeImage(path: string, opts: ProbeImageOptions = {}): Promise<ImageProbe> {
  const abort = new AbortController();
  const hashing = hashFile(path, abort.signal);
  hashing.catch(() => undefined); // awaited below; a failure before then is reported by the decode
  try {
    const src = await openImageSource(path, opts);
    if (opts.verifyPixels !== false && src.bmpPixels === null) {
      // Decode every pixel into a tiny image: shrinking reads all input pixels (JPEG
      // shrink-on-load still entropy-decodes the whole scan), and is ~3x cheaper than .stats(),
      // which also runs a Laplacian and a colour histogram. Orientation is irrelevant here.
      await src.run((s) => s.resize(16, 16, { fit: 'inside', withoutEnlargement: true }).raw().toBuffer(), { orient: false });
    }
    const hash = await hashing;
    return {
      format: src.format,
      width: src.width,
      height: src.height,
      bitDepth: src.bitDepth,
      sampleFormat: src.sampleFormat,
      channels: src.channels,
      hasAlpha: src.hasAlpha,
      orientation: src.orientation,
      sizeBytes: src.sizeBytes,
      hash,
      pages: src.pages,
    };
  } catch (e) {
    abort.abort();
    throw AppError.from(e);
  }
}
