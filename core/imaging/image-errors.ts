/**
 * Turns file-system and libvips failures into AppErrors with messages a person understands.
 *
 * libvips' messages do not always say *why* a file failed: a PNG cut in half and a PNG with
 * damaged compressed data both come back as "vipspng: libpng read error", and a TIFF whose
 * directory was cut off comes back as "unsupported image format". So when decoding fails we look
 * at the file's structure (PNG chunks, TIFF strip offsets, RIFF size, JPEG end marker) to tell a
 * truncated file from a damaged one.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AppError } from '../api/errors';
import {
  detectFormat,
  FORMAT_NAMES,
  SUPPORTED_FORMATS_TEXT,
  extensionOf,
  formatFromExtension,
  type ImageFormat,
} from './formats';

export function fileNameOf(path: string): string {
  return basename(path);
}

function megapixels(n: number): string {
  return `${(n / 1e6).toFixed(1)} megapixels`;
}

export function notFoundError(path: string): AppError {
  return new AppError('not-found', `"${fileNameOf(path)}" was not found (${path}).`, { path });
}

export function emptyFileError(path: string): AppError {
  return new AppError('empty-file', `"${fileNameOf(path)}" is empty (0 bytes), so there is no image in it.`, { path });
}

export function tooLargeError(path: string, width: number, height: number, maxPixels: number): AppError {
  return new AppError(
    'too-large',
    `"${fileNameOf(path)}" is too large: ${width} × ${height} pixels (${megapixels(width * height)}) is more than the limit of ${megapixels(maxPixels)}.`,
    { path, width, height, maxPixels },
  );
}

/** Maps an fs error (from stat/open/read) to 'not-found' or 'io'. */
export function fsError(path: string, err: unknown): AppError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const name = fileNameOf(path);
  if (code === 'ENOENT' || code === 'ENOTDIR') return notFoundError(path);
  if (code === 'EACCES' || code === 'EPERM') {
    return new AppError('io', `"${name}" cannot be read: permission denied.`, { path, cause: code });
  }
  if (code === 'EISDIR') return new AppError('io', `"${name}" is a folder, not an image file.`, { path, cause: code });
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('io', `"${name}" could not be read: ${message}`, { path, cause: code ?? message });
}

/** For a file whose content is not one of the formats we read. */
export function unsupportedContentError(path: string, head: Uint8Array): AppError {
  const name = fileNameOf(path);
  const detected = detectFormat(head);
  if (detected.supported) {
    // Not expected: callers only use this for unsupported content.
    return new AppError('unsupported-format', `"${name}" is a ${FORMAT_NAMES[detected.format]} image that could not be opened.`, { path });
  }
  if (detected.format !== null) {
    return new AppError(
      'unsupported-format',
      `"${name}" is a ${FORMAT_NAMES[detected.format]} file; Maskwright reads ${SUPPORTED_FORMATS_TEXT} images.`,
      { path, detectedFormat: detected.format },
    );
  }
  const ext = extensionOf(path);
  const promised = formatFromExtension(path);
  const suffix = promised
    ? ` Its name ends in "${ext}" but its content is not a ${FORMAT_NAMES[promised]} image (perhaps another kind of file was renamed).`
    : '';
  return new AppError(
    'unsupported-format',
    `"${name}" is not an image file Maskwright can read (${SUPPORTED_FORMATS_TEXT}).${suffix}`,
    { path },
  );
}

/** Reasons a file of a known format is shorter than its own structure says, or null. */
export function findTruncation(buf: Uint8Array, format: ImageFormat): string | null {
  switch (format) {
    case 'png':
      return pngTruncation(buf);
    case 'jpeg':
      return jpegTruncation(buf);
    case 'tiff':
      return tiffTruncation(buf);
    case 'webp':
      return webpTruncation(buf);
    case 'bmp':
      return null; // our own decoder reports truncation itself
  }
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function pngTruncation(buf: Uint8Array): string | null {
  const dv = view(buf);
  let off = 8;
  let sawIdat = false;
  while (off + 8 <= buf.length) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(buf[off + 4]!, buf[off + 5]!, buf[off + 6]!, buf[off + 7]!);
    if (off + 12 + len > buf.length) {
      return `the ${type} chunk at byte ${off} needs ${len} bytes but the file ends after ${buf.length} bytes`;
    }
    if (type === 'IDAT') sawIdat = true;
    if (type === 'IEND') return null;
    off += 12 + len;
  }
  return sawIdat ? `the file ends after ${buf.length} bytes, before the end-of-image (IEND) chunk` : `the file ends after ${buf.length} bytes, before any image data`;
}

function jpegTruncation(buf: Uint8Array): string | null {
  // Trailing padding after EOI is common; look for FF D9 near the end.
  let end = buf.length;
  while (end > 2 && (buf[end - 1] === 0x00 || buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
  if (end >= 2 && buf[end - 2] === 0xff && buf[end - 1] === 0xd9) return null;
  return `the file ends after ${buf.length} bytes, without the JPEG end-of-image marker`;
}

function webpTruncation(buf: Uint8Array): string | null {
  if (buf.length < 12) return `the file ends after ${buf.length} bytes, inside the header`;
  const declared = view(buf).getUint32(4, true) + 8;
  return declared > buf.length ? `its header declares ${declared} bytes but the file has only ${buf.length}` : null;
}

const TIFF_TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8, 17: 8, 18: 8 };

function tiffTruncation(buf: Uint8Array): string | null {
  if (buf.length < 8) return `the file ends after ${buf.length} bytes, inside the header`;
  const dv = view(buf);
  const le = buf[0] === 0x49;
  const big = (le ? dv.getUint16(2, true) : dv.getUint16(2, false)) === 43;
  if (big) {
    if (buf.length < 16) return `the file ends after ${buf.length} bytes, inside the header`;
    const ifd = Number(dv.getBigUint64(8, le));
    return ifd + 8 > buf.length ? `the image directory at byte ${ifd} lies beyond the end of the file (${buf.length} bytes)` : null;
  }
  const ifd = dv.getUint32(4, le);
  if (ifd + 2 > buf.length) return `the image directory at byte ${ifd} lies beyond the end of the file (${buf.length} bytes)`;
  const n = dv.getUint16(ifd, le);
  if (ifd + 2 + n * 12 > buf.length) return `the file ends after ${buf.length} bytes, inside the image directory`;
  const readValues = (entry: number): number[] | null => {
    const type = dv.getUint16(entry + 2, le);
    const count = dv.getUint32(entry + 4, le);
    const size = TIFF_TYPE_SIZES[type];
    if (size === undefined || (type !== 3 && type !== 4 && type !== 16)) return null;
    const total = size * count;
    const at = total <= 4 ? entry + 8 : dv.getUint32(entry + 8, le);
    if (at + total > buf.length) return null;
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const o = at + i * size;
      out.push(type === 3 ? dv.getUint16(o, le) : type === 4 ? dv.getUint32(o, le) : Number(dv.getBigUint64(o, le)));
    }
    return out;
  };
  let offsets: number[] | null = null;
  let counts: number[] | null = null;
  for (let i = 0; i < n; i++) {
    const entry = ifd + 2 + i * 12;
    const tag = dv.getUint16(entry, le);
    const count = dv.getUint32(entry + 4, le);
    const type = dv.getUint16(entry + 2, le);
    const size = TIFF_TYPE_SIZES[type] ?? 1;
    if (size * count > 4 && dv.getUint32(entry + 8, le) + size * count > buf.length) {
      return `the file ends after ${buf.length} bytes, before the data of TIFF tag ${tag}`;
    }
    if (tag === 273 || tag === 324) offsets = readValues(entry);
    if (tag === 279 || tag === 325) counts = readValues(entry);
  }
  if (offsets && counts) {
    let end = 0;
    for (let i = 0; i < Math.min(offsets.length, counts.length); i++) end = Math.max(end, offsets[i]! + counts[i]!);
    if (end > buf.length) return `its pixel data should run to byte ${end} but the file has only ${buf.length} bytes`;
  }
  return null;
}

const TRUNCATION_PATTERNS = [/premature end/i, /truncated/i, /unexpected end/i, /end of (file|stream|data)/i, /\beof\b/i, /not enough data/i, /short read/i];

/**
 * Maps an error thrown by sharp for a file whose magic bytes say `format`. Reads the file again
 * (only on this failure path) to tell truncated from damaged data.
 */
export async function decodeFailure(err: unknown, path: string, format: ImageFormat, maxPixels: number): Promise<AppError> {
  if (err instanceof AppError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const libvipsMessage = raw.split('\n').filter((l) => l.trim() !== '').join('; ');
  const name = fileNameOf(path);
  const kind = FORMAT_NAMES[format];
  if (/Input (file|buffer) is missing/i.test(raw)) return notFoundError(path);
  if (/exceeds pixel limit/i.test(raw)) {
    return new AppError('too-large', `"${name}" is too large: it has more than the limit of ${megapixels(maxPixels)}.`, { path, maxPixels });
  }
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    return fsError(path, e);
  }
  if (buf.length === 0) return emptyFileError(path);
  const truncation = findTruncation(buf, format);
  if (truncation !== null || TRUNCATION_PATTERNS.some((re) => re.test(raw))) {
    const why = truncation ?? libvipsMessage;
    return new AppError(
      'truncated-image',
      `"${name}" is truncated: ${why}. The copy or download was probably interrupted.`,
      { path, format, libvips: libvipsMessage },
    );
  }
  return new AppError(
    'corrupt-image',
    `"${name}" is damaged: its ${kind} data cannot be decoded (${libvipsMessage}).`,
    { path, format, libvips: libvipsMessage },
  );
}
