/**
 * A small Windows/OS2 BMP reader: the libvips build inside sharp has no BMP loader.
 *
 * Reads BITMAPCOREHEADER (OS/2 1.x), BITMAPINFOHEADER and its V2/V3/V4/V5 extensions and the
 * OS/2 2.x header; 1/2/4/8-bit palette images, 16-bit (5-5-5 by default, any masks with
 * BI_BITFIELDS), 24-bit and 32-bit, bottom-up and top-down rows, BI_RGB, BI_BITFIELDS and
 * BI_ALPHABITFIELDS. RLE, embedded JPEG/PNG, Huffman and CMYK BMPs are refused as
 * 'unsupported-format'. Header fields are checked against the buffer length before anything is
 * allocated, so a cut-off file is 'truncated-image', never a crash.
 *
 * Output is top-down, interleaved 8-bit samples: 1 channel when the palette is all grey,
 * 4 channels (RGBA) when there is an alpha channel that carries information, otherwise 3 (RGB).
 * Pure TypeScript: no Node built-ins, no sharp.
 */
import { AppError } from '../api/errors';

export type BmpCompression =
  | 'rgb'
  | 'rle8'
  | 'rle4'
  | 'bitfields'
  | 'jpeg'
  | 'png'
  | 'alphabitfields'
  | 'huffman'
  | 'rle24'
  | 'cmyk'
  | 'unknown';

export interface BmpMasks {
  r: number;
  g: number;
  b: number;
  a: number;
}

export interface BmpHeader {
  width: number;
  /** always positive; see `topDown` */
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  compression: BmpCompression;
  /** size of the DIB header: 12 (core), 16/64 (OS/2 2.x), 40 (info), 52, 56, 108 (V4), 124 (V5) */
  headerSize: number;
  /** byte offset of the first pixel row in the file */
  pixelOffset: number;
  /** bytes per stored row, padded to 4 */
  rowStride: number;
  /** palette entries, [r, g, b] each; empty for 16/24/32-bit images */
  palette: Uint8Array[];
  /** channel masks for 16/32-bit images (the BI_RGB defaults when the file has none) */
  masks: BmpMasks | null;
}

export interface BmpImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  /** top-down rows of `channels` interleaved 8-bit samples */
  data: Uint8Array;
  header: BmpHeader;
}

export interface DecodeBmpOptions {
  /** used in error messages, e.g. "scan 01.bmp" */
  fileName?: string;
  /** refuse ('too-large') images with more pixels than this before allocating anything */
  maxPixels?: number;
}

const COMPRESSION_NAMES: Record<number, BmpCompression> = {
  0: 'rgb',
  1: 'rle8',
  2: 'rle4',
  3: 'bitfields',
  4: 'jpeg',
  5: 'png',
  6: 'alphabitfields',
  11: 'cmyk',
  12: 'cmyk',
  13: 'cmyk',
};

const UNSUPPORTED_COMPRESSION_TEXT: Partial<Record<BmpCompression, string>> = {
  rle8: 'run-length encoded (RLE8)',
  rle4: 'run-length encoded (RLE4)',
  rle24: 'run-length encoded (RLE24)',
  huffman: 'Huffman 1D compressed',
  jpeg: 'a BMP wrapping JPEG data',
  png: 'a BMP wrapping PNG data',
  cmyk: 'a CMYK BMP',
  unknown: 'compressed with an unknown method',
};

function fail(code: 'unsupported-format' | 'corrupt-image' | 'truncated-image' | 'too-large', fileName: string, what: string): never {
  throw new AppError(code, `"${fileName}" ${what}`, { fileName, format: 'bmp' });
}

function u16(buf: Uint8Array, o: number): number {
  return buf[o]! | (buf[o + 1]! << 8);
}
function u32(buf: Uint8Array, o: number): number {
  return (buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16) | (buf[o + 3]! << 24)) >>> 0;
}
function i32(buf: Uint8Array, o: number): number {
  return buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16) | (buf[o + 3]! << 24);
}

const FILE_HEADER_BYTES = 14;

/** True when the buffer starts like a BMP file ("BM"). */
export function looksLikeBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

/** Parses and validates the headers (and palette) of a BMP file without decoding pixels. */
export function readBmpHeader(buf: Uint8Array, fileName = 'image.bmp'): BmpHeader {
  if (buf.length === 0) throw new AppError('empty-file', `"${fileName}" is empty (0 bytes).`, { fileName });
  if (!looksLikeBmp(buf)) fail('unsupported-format', fileName, 'is not a BMP file (it does not start with "BM").');
  if (buf.length < FILE_HEADER_BYTES + 4) {
    fail('truncated-image', fileName, `is truncated: the file ends after ${buf.length} bytes, inside the BMP header.`);
  }
  const headerSize = u32(buf, FILE_HEADER_BYTES);
  const pixelOffset = u32(buf, 10);
  const KNOWN = [12, 16, 40, 52, 56, 64, 108, 124];
  if (!KNOWN.includes(headerSize)) {
    fail('unsupported-format', fileName, `has a BMP header of ${headerSize} bytes, which is not a BMP variant Maskwright reads.`);
  }
  if (buf.length < FILE_HEADER_BYTES + headerSize) {
    fail('truncated-image', fileName, `is truncated: the file ends after ${buf.length} bytes, inside the BMP header.`);
  }
  const h = FILE_HEADER_BYTES;
  const isCore = headerSize === 12;
  const isOs2v2 = headerSize === 16 || headerSize === 64;
  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compressionCode = 0;
  let colorsUsed = 0;
  if (isCore) {
    width = u16(buf, h + 4);
    rawHeight = u16(buf, h + 6);
    bitsPerPixel = u16(buf, h + 10);
  } else {
    width = i32(buf, h + 4);
    rawHeight = i32(buf, h + 8);
    bitsPerPixel = u16(buf, h + 14);
    if (headerSize >= 40) {
      compressionCode = u32(buf, h + 16);
      colorsUsed = u32(buf, h + 32);
    }
  }
  let compression: BmpCompression = COMPRESSION_NAMES[compressionCode] ?? 'unknown';
  if (isOs2v2 && compressionCode === 3) compression = 'huffman';
  if (isOs2v2 && compressionCode === 4) compression = 'rle24';

  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) {
    fail('corrupt-image', fileName, `has an invalid BMP header: it declares ${width} × ${rawHeight} pixels.`);
  }
  if (compression !== 'rgb' && compression !== 'bitfields' && compression !== 'alphabitfields') {
    fail(
      'unsupported-format',
      fileName,
      `is ${UNSUPPORTED_COMPRESSION_TEXT[compression] ?? 'compressed'}; Maskwright reads only uncompressed BMP files. Re-save it as an uncompressed BMP or as PNG.`,
    );
  }
  if (![1, 2, 4, 8, 16, 24, 32].includes(bitsPerPixel)) {
    fail('unsupported-format', fileName, `has ${bitsPerPixel} bits per pixel, which Maskwright does not read in BMP files.`);
  }
  if (compression !== 'rgb' && bitsPerPixel !== 16 && bitsPerPixel !== 32) {
    fail('corrupt-image', fileName, `has an invalid BMP header: channel masks (BI_BITFIELDS) with ${bitsPerPixel} bits per pixel.`);
  }

  // Channel masks: inside the header from V2 (52 bytes) on, else right after a 40-byte header.
  let masks: BmpMasks | null = null;
  let afterHeader = FILE_HEADER_BYTES + headerSize;
  if (compression === 'bitfields' || compression === 'alphabitfields') {
    if (headerSize >= 52) {
      masks = { r: u32(buf, h + 40), g: u32(buf, h + 44), b: u32(buf, h + 48), a: headerSize >= 56 ? u32(buf, h + 52) : 0 };
    } else {
      const n = compression === 'alphabitfields' ? 4 : 3;
      if (buf.length < afterHeader + 4 * n) {
        fail('truncated-image', fileName, `is truncated: the file ends inside the BMP colour masks.`);
      }
      masks = { r: u32(buf, afterHeader), g: u32(buf, afterHeader + 4), b: u32(buf, afterHeader + 8), a: n === 4 ? u32(buf, afterHeader + 12) : 0 };
      afterHeader += 4 * n;
    }
    if (masks.r === 0 && masks.g === 0 && masks.b === 0) {
      fail('corrupt-image', fileName, 'has an invalid BMP header: all colour masks are zero.');
    }
  } else if (bitsPerPixel === 16) {
    masks = { r: 0x7c00, g: 0x03e0, b: 0x001f, a: 0 };
  } else if (bitsPerPixel === 32) {
    // BI_RGB 32-bit: the fourth byte is nominally unused; like browsers, use it as alpha unless it is all zero.
    masks = { r: 0x00ff0000, g: 0x0000ff00, b: 0x000000ff, a: 0xff000000 };
  }

  const palette: Uint8Array[] = [];
  if (bitsPerPixel <= 8) {
    const max = 1 << bitsPerPixel;
    const count = colorsUsed === 0 || colorsUsed > max ? max : colorsUsed;
    const entry = isCore ? 3 : 4;
    // Some writers store fewer entries than they declare: read what lies before the pixels.
    const room = pixelOffset >= afterHeader ? Math.floor((pixelOffset - afterHeader) / entry) : count;
    const n = Math.min(count, room);
    if (n === 0) fail('corrupt-image', fileName, 'has an invalid BMP header: a palette image without a palette.');
    if (buf.length < afterHeader + n * entry) {
      fail('truncated-image', fileName, 'is truncated: the file ends inside the BMP colour palette.');
    }
    for (let i = 0; i < n; i++) {
      const o = afterHeader + i * entry;
      palette.push(Uint8Array.of(buf[o + 2]!, buf[o + 1]!, buf[o]!));
    }
  }

  if (pixelOffset < afterHeader) {
    fail('corrupt-image', fileName, `has an invalid BMP header: pixel data would start at byte ${pixelOffset}, inside the header.`);
  }
  const rowStride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  return { width, height, topDown, bitsPerPixel, compression, headerSize, pixelOffset, rowStride, palette, masks };
}

interface MaskDecoder {
  shift: number;
  bits: number;
  lut: Uint8Array | null;
}

function maskDecoder(mask: number): MaskDecoder | null {
  if (mask === 0) return null;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  let lut: Uint8Array | null = null;
  if (bits < 8) {
    const max = (1 << bits) - 1;
    lut = new Uint8Array(max + 1);
    for (let v = 0; v <= max; v++) lut[v] = Math.round((v * 255) / max);
  }
  return { shift, bits, lut };
}

function sample(px: number, d: MaskDecoder | null, fallback: number): number {
  if (d === null) return fallback;
  const v = (px >>> d.shift) & (d.bits >= 32 ? 0xffffffff : (1 << d.bits) - 1);
  return d.lut ? d.lut[v]! : (v >>> (d.bits - 8)) & 0xff;
}

/**
 * Decodes a BMP file held in memory. Throws AppError: 'unsupported-format' (RLE, JPEG/PNG-in-BMP,
 * odd bit depths), 'corrupt-image' (impossible header values), 'truncated-image' (header promises
 * more bytes than the file has), 'too-large' (more than `maxPixels`).
 */
export function decodeBmp(buf: Uint8Array, opts: DecodeBmpOptions = {}): BmpImage {
  const fileName = opts.fileName ?? 'image.bmp';
  const header = readBmpHeader(buf, fileName);
  const { width, height, bitsPerPixel, rowStride, pixelOffset, masks } = header;
  const pixels = width * height;
  if (opts.maxPixels !== undefined && opts.maxPixels > 0 && pixels > opts.maxPixels) {
    fail(
      'too-large',
      fileName,
      `is too large: ${width} × ${height} pixels (${(pixels / 1e6).toFixed(1)} megapixels) is more than the limit of ${(opts.maxPixels / 1e6).toFixed(1)} megapixels.`,
    );
  }
  const lastRowBytes = Math.ceil((bitsPerPixel * width) / 8);
  const needed = pixelOffset + rowStride * (height - 1) + lastRowBytes;
  if (buf.length < needed) {
    fail(
      'truncated-image',
      fileName,
      `is truncated: its header promises ${width} × ${height} pixels (${needed} bytes) but the file has only ${buf.length} bytes. The copy or download was probably interrupted.`,
    );
  }

  if (bitsPerPixel <= 8) return decodePalette(buf, header);

  const out4 = new Uint8Array(pixels * 4);
  const m = masks ?? { r: 0, g: 0, b: 0, a: 0 }; // 24-bit has no masks
  const rd = maskDecoder(m.r);
  const gd = maskDecoder(m.g);
  const bd = maskDecoder(m.b);
  const ad = maskDecoder(m.a);
  let anyAlphaNonZero = false;
  let anyAlphaNonOpaque = false;
  for (let y = 0; y < height; y++) {
    const srcRow = pixelOffset + (header.topDown ? y : height - 1 - y) * rowStride;
    let o = y * width * 4;
    if (bitsPerPixel === 24) {
      for (let x = 0, s = srcRow; x < width; x++, s += 3, o += 4) {
        out4[o] = buf[s + 2]!;
        out4[o + 1] = buf[s + 1]!;
        out4[o + 2] = buf[s]!;
        out4[o + 3] = 255;
      }
      continue;
    }
    const bytes = bitsPerPixel >> 3;
    for (let x = 0, s = srcRow; x < width; x++, s += bytes, o += 4) {
      const px = bytes === 2 ? u16(buf, s) : u32(buf, s);
      out4[o] = sample(px, rd, 0);
      out4[o + 1] = sample(px, gd, 0);
      out4[o + 2] = sample(px, bd, 0);
      const a = sample(px, ad, 255);
      out4[o + 3] = a;
      if (a !== 0) anyAlphaNonZero = true;
      if (a !== 255) anyAlphaNonOpaque = true;
    }
  }
  // An alpha channel that is all zero is a writer that left the byte unused: treat as opaque.
  if (ad !== null && anyAlphaNonZero && anyAlphaNonOpaque) return { width, height, channels: 4, data: out4, header };
  const out3 = new Uint8Array(pixels * 3);
  for (let i = 0, j = 0; i < out4.length; i += 4, j += 3) {
    out3[j] = out4[i]!;
    out3[j + 1] = out4[i + 1]!;
    out3[j + 2] = out4[i + 2]!;
  }
  return { width, height, channels: 3, data: out3, header };
}

function decodePalette(buf: Uint8Array, header: BmpHeader): BmpImage {
  const { width, height, bitsPerPixel, rowStride, pixelOffset, palette } = header;
  const grey = palette.every((c) => c[0] === c[1] && c[1] === c[2]);
  const channels = grey ? 1 : 3;
  const data = new Uint8Array(width * height * channels);
  const black = Uint8Array.of(0, 0, 0);
  const perByte = 8 / bitsPerPixel;
  const indexMask = (1 << bitsPerPixel) - 1;
  for (let y = 0; y < height; y++) {
    const srcRow = pixelOffset + (header.topDown ? y : height - 1 - y) * rowStride;
    let o = y * width * channels;
    for (let x = 0; x < width; x++) {
      const byte = buf[srcRow + Math.floor(x / perByte)]!;
      const shift = 8 - bitsPerPixel * ((x % perByte) + 1);
      const index = (byte >> shift) & indexMask;
      // Indices past the end of a short palette show as black, as in other readers.
      const c = palette[index] ?? black;
      if (grey) {
        data[o++] = c[0]!;
      } else {
        data[o++] = c[0]!;
        data[o++] = c[1]!;
        data[o++] = c[2]!;
      }
    }
  }
  return { width, height, channels, data, header };
}
