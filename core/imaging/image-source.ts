/**
 * Opens an image file once: checks it exists and is not empty, sniffs its format from the
 * content, reads its header (or decodes BMPs with our own reader), enforces the pixel limit, and
 * hands out sharp pipelines on its pixels whose failures come back as AppErrors.
 * Internal to core/imaging.
 */
import { open, readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { AppError } from '../api/errors';
import { decodeBmp } from './bmp-decoder';
import { detectFormat, SNIFF_BYTES, type ImageFormat } from './formats';
import {
  decodeFailure,
  emptyFileError,
  fileNameOf,
  fsError,
  tooLargeError,
  unsupportedContentError,
} from './image-errors';

/** Same default as the import API (400 megapixels). */
export const DEFAULT_MAX_PIXELS = 400_000_000;

/**
 * How strict libvips is with damaged pixel data. 'error' (our default) fails on truncated and
 * undecodable data but accepts files that only raise warnings, such as the "extraneous bytes
 * before marker" that many camera JPEGs carry. 'warning' refuses those too.
 */
export type FailOn = 'truncated' | 'error' | 'warning';

export interface OpenImageOptions {
  /** refuse images with more pixels than this ('too-large'); default 400 megapixels; Infinity for no limit */
  maxPixels?: number;
  failOn?: FailOn;
}

export type SampleFormat = 'uint' | 'int' | 'float';

/** The pixel layout we hand out: 8-bit, 16-bit, or anything else read as float and rescaled. */
export type DepthClass = 8 | 16 | 'float';

export interface ImageSource {
  path: string;
  fileName: string;
  sizeBytes: number;
  format: ImageFormat;
  /** as stored, before EXIF orientation */
  storedWidth: number;
  storedHeight: number;
  /** as displayed, after EXIF orientation */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent) */
  orientation: number;
  /** channels of decoded pixels, alpha included: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
  channels: 1 | 2 | 3 | 4;
  hasAlpha: boolean;
  isGrey: boolean;
  /** bits per sample as stored (8, 16, 32 or 64) */
  bitDepth: 8 | 16 | 32 | 64;
  sampleFormat: SampleFormat;
  depthClass: DepthClass;
  /** pages in a multi-page TIFF (only the first is read) */
  pages: number;
  /** the already decoded pixels of a BMP (libvips has no BMP loader) */
  bmpPixels: Uint8Array | null;
  /** a fresh sharp pipeline on the first page; EXIF orientation applied unless `orient` is false */
  pipeline(opts?: { orient?: boolean }): Sharp;
  /** runs `fn` on a fresh pipeline and maps any failure to an AppError */
  run<T>(fn: (s: Sharp) => Promise<T>, opts?: { orient?: boolean }): Promise<T>;
}

const DEPTH_BITS: Record<string, { bits: 8 | 16 | 32 | 64; sample: SampleFormat }> = {
  uchar: { bits: 8, sample: 'uint' },
  char: { bits: 8, sample: 'int' },
  ushort: { bits: 16, sample: 'uint' },
  short: { bits: 16, sample: 'int' },
  uint: { bits: 32, sample: 'uint' },
  int: { bits: 32, sample: 'int' },
  float: { bits: 32, sample: 'float' },
  complex: { bits: 64, sample: 'float' },
  double: { bits: 64, sample: 'float' },
  dpcomplex: { bits: 64, sample: 'float' },
};

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function resolveMaxPixels(maxPixels: number | undefined): number {
  if (maxPixels === undefined) return DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new AppError('invalid-argument', `maxPixels must be a positive number, got ${maxPixels}.`);
  return maxPixels;
}

export async function openImageSource(path: string, opts: OpenImageOptions = {}): Promise<ImageSource> {
  const maxPixels = resolveMaxPixels(opts.maxPixels);
  const failOn = opts.failOn ?? 'error';
  const fileName = fileNameOf(path);

  let sizeBytes: number;
  let head: Uint8Array;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    sizeBytes = st.size;
    if (sizeBytes === 0) throw emptyFileError(path);
    head = await readHead(path);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw fsError(path, e);
  }
  if (head.length === 0) throw emptyFileError(path);

  const detected = detectFormat(head);
  if (!detected.supported) throw unsupportedContentError(path, head);
  const format = detected.format;

  if (format === 'bmp') {
    let buf: Uint8Array;
    try {
      buf = await readFile(path);
    } catch (e) {
      throw fsError(path, e);
    }
    const bmp = decodeBmp(buf, { fileName, maxPixels });
    const raw = { width: bmp.width, height: bmp.height, channels: bmp.channels };
    const pipeline = (): Sharp => sharp(bmp.data, { raw });
    return {
      path,
      fileName,
      sizeBytes,
      format,
      storedWidth: bmp.width,
      storedHeight: bmp.height,
      width: bmp.width,
      height: bmp.height,
      orientation: 1,
      channels: bmp.channels,
      hasAlpha: bmp.channels === 4,
      isGrey: bmp.channels === 1,
      bitDepth: 8,
      sampleFormat: 'uint',
      depthClass: 8,
      pages: 1,
      bmpPixels: bmp.data,
      pipeline,
      async run<T>(fn: (s: Sharp) => Promise<T>): Promise<T> {
        try {
          return await fn(pipeline());
        } catch (e) {
          throw AppError.from(e);
        }
      },
    };
  }

  // Header only: no pixel limit here, we check it ourselves with a clearer message.
  let meta: Metadata;
  try {
    meta = await sharp(path, { failOn, limitInputPixels: false }).metadata();
  } catch (e) {
    throw await decodeFailure(e, path, format, maxPixels);
  }
  const storedWidth = meta.width;
  const storedHeight = meta.height;
  if (storedWidth * storedHeight > maxPixels) throw tooLargeError(path, storedWidth, storedHeight, maxPixels);

  const orientation = meta.orientation !== undefined && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1;
  const swap = orientation >= 5;
  const width = meta.autoOrient?.width ?? (swap ? storedHeight : storedWidth);
  const height = meta.autoOrient?.height ?? (swap ? storedWidth : storedHeight);

  const hasAlpha = meta.hasAlpha;
  let colourBands = hasAlpha ? meta.channels - 1 : meta.channels;
  if (meta.space === 'cmyk' && colourBands === 4) colourBands = 3; // converted to sRGB on decode
  if (colourBands !== 1 && colourBands !== 3) {
    throw new AppError(
      'unsupported-format',
      `"${fileName}" has ${meta.channels} channels (${meta.space}); Maskwright reads grey, RGB and CMYK images, with or without alpha.`,
      { path, channels: meta.channels, space: meta.space },
    );
  }
  const isGrey = colourBands === 1;
  const channels = (colourBands + (hasAlpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  const depthInfo = DEPTH_BITS[meta.depth] ?? { bits: 8, sample: 'uint' as const };
  const depthClass: DepthClass =
    meta.depth === 'uchar' ? 8 : meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 'float';

  const pipeline = (p: { orient?: boolean } = {}): Sharp => {
    const options: SharpOptions = {
      failOn,
      limitInputPixels: Number.isFinite(maxPixels) ? Math.floor(maxPixels) : false,
      autoOrient: p.orient !== false,
    };
    return sharp(path, options);
  };
  return {
    path,
    fileName,
    sizeBytes,
    format,
    storedWidth,
    storedHeight,
    width,
    height,
    orientation,
    channels,
    hasAlpha,
    isGrey,
    bitDepth: depthInfo.bits,
    sampleFormat: depthInfo.sample,
    depthClass,
    pages: meta.pages ?? 1,
    bmpPixels: null,
    pipeline,
    async run<T>(fn: (s: Sharp) => Promise<T>, p?: { orient?: boolean }): Promise<T> {
      try {
        return await fn(pipeline(p));
      } catch (e) {
        throw await decodeFailure(e, path, format, maxPixels);
      }
    },
  };
}
