/**
 * Which image files Maskwright reads, by extension and by content.
 *
 * Pure TypeScript (no Node built-ins) so that anything may use it. The extension decides which
 * files an import looks at; the content (magic bytes) decides how a file is decoded, so a JPEG
 * saved as `.png` still opens and a text file renamed `.png` is reported as unsupported.
 */

/** Formats Maskwright decodes. BMP is decoded by our own reader (libvips in sharp has none). */
export const SUPPORTED_FORMATS = ['png', 'jpeg', 'tiff', 'webp', 'bmp'] as const;
export type ImageFormat = (typeof SUPPORTED_FORMATS)[number];

/** Lower-case extensions, with the dot. */
export const SUPPORTED_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.bmp'] as const;

const EXTENSION_FORMATS: Readonly<Record<string, ImageFormat>> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.webp': 'webp',
  '.bmp': 'bmp',
};

/** Image formats we recognise by content but do not read (named in error messages). */
export type KnownUnsupportedFormat = 'gif' | 'heif' | 'avif' | 'jpeg2000' | 'jpeg-xl' | 'svg' | 'pdf' | 'psd' | 'ico';

export const FORMAT_NAMES: Readonly<Record<ImageFormat | KnownUnsupportedFormat, string>> = {
  png: 'PNG',
  jpeg: 'JPEG',
  tiff: 'TIFF',
  webp: 'WebP',
  bmp: 'BMP',
  gif: 'GIF',
  heif: 'HEIF/HEIC',
  avif: 'AVIF',
  jpeg2000: 'JPEG 2000',
  'jpeg-xl': 'JPEG XL',
  svg: 'SVG',
  pdf: 'PDF',
  psd: 'Photoshop (PSD)',
  ico: 'ICO',
};

/** "PNG, JPEG, TIFF, WebP and BMP" — for messages. */
export const SUPPORTED_FORMATS_TEXT = `${SUPPORTED_FORMATS.slice(0, -1)
  .map((f) => FORMAT_NAMES[f])
  .join(', ')} and ${FORMAT_NAMES[SUPPORTED_FORMATS[SUPPORTED_FORMATS.length - 1]!]}`;

/** The lower-case extension of a path or file name including the dot, or '' if none. */
export function extensionOf(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const base = path.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

/** True for .png, .jpg, .jpeg, .tif, .tiff, .webp and .bmp (any letter case). */
export function isSupportedExtension(path: string): boolean {
  return extensionOf(path) in EXTENSION_FORMATS;
}

/** The format an extension promises, or null when the extension is not supported. */
export function formatFromExtension(path: string): ImageFormat | null {
  return EXTENSION_FORMATS[extensionOf(path)] ?? null;
}

export type DetectedFormat =
  | { supported: true; format: ImageFormat }
  | { supported: false; format: KnownUnsupportedFormat | null };

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (head.length < offset + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[offset + i] !== bytes[i]) return false;
  return true;
}

function ascii(head: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, head.length); i++) s += String.fromCharCode(head[i]!);
  return s;
}

/** Bytes of the file start that `detectFormat` needs. */
export const SNIFF_BYTES = 64;

/**
 * The format of a file from its first bytes (pass at least `SNIFF_BYTES`). Returns
 * `{ supported: false, format: null }` for anything that is not a recognised image.
 */
export function detectFormat(head: Uint8Array): DetectedFormat {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { supported: true, format: 'png' };
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { supported: true, format: 'jpeg' };
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { supported: true, format: 'tiff' };
  }
  // BigTIFF: libvips reads it too.
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) {
    return { supported: true, format: 'tiff' };
  }
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return { supported: true, format: 'webp' };
  if (ascii(head, 0, 2) === 'BM' && head.length >= 18) return { supported: true, format: 'bmp' };

  if (ascii(head, 0, 4) === 'GIF8') return { supported: false, format: 'gif' };
  if (ascii(head, 4, 8) === 'ftyp') {
    const brand = ascii(head, 8, 12);
    return { supported: false, format: brand.startsWith('avi') ? 'avif' : 'heif' };
  }
  if (startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(head, [0xff, 0x4f, 0xff, 0x51])) {
    return { supported: false, format: 'jpeg2000' };
  }
  if (startsWith(head, [0xff, 0x0a]) || startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) {
    return { supported: false, format: 'jpeg-xl' };
  }
  if (ascii(head, 0, 5) === '%PDF-') return { supported: false, format: 'pdf' };
  if (ascii(head, 0, 4) === '8BPS') return { supported: false, format: 'psd' };
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00])) return { supported: false, format: 'ico' };
  const text = ascii(head, 0, head.length).trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return { supported: false, format: 'svg' };
  return { supported: false, format: null };
}
