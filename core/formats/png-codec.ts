/**
 * A small, exact PNG codec for mask files (index and colour PNGs). sharp decodes palette PNGs to
 * RGB and quantises palettes when encoding, so the values a mask format depends on (palette
 * indices, 16-bit instance ids) are read and written here directly: zlib from node:zlib, CRC-32
 * from core/mask.
 *
 * Writes: 8-bit grey, 16-bit grey, 8-bit palette (every row uses the Up filter, which suits masks).
 * Reads: every standard PNG (colour types 0, 2, 3, 4, 6; bit depths 1..16; Adam7 interlacing),
 * returning samples as stored (palette indices for palette images, no gamma, no colour management).
 */
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { crc32 } from '../mask/label-map';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export type PngColorType = 0 | 2 | 3 | 4 | 6;

export interface DecodedPng {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA */
  colorType: PngColorType;
  /** bits per sample as stored (1, 2, 4, 8 or 16) */
  bitDepth: number;
  /** samples per pixel in `data`: 1 (grey, palette index), 2, 3 or 4 */
  channels: number;
  /** row-major interleaved samples: Uint16Array for 16-bit files, else Uint8Array (palette: indices) */
  data: Uint8Array | Uint16Array;
  /** RGB triplets of the PLTE chunk (palette images; may also be present as a hint in others) */
  palette: Uint8Array | null;
}

export interface EncodePngInput {
  width: number;
  height: number;
  /** 8 (grey or palette) or 16 (grey) */
  bitDepth: 8 | 16;
  /** 'grey' or 'palette' (8-bit only) */
  kind: 'grey' | 'palette';
  /** one sample per pixel, row-major */
  data: Uint8Array | Uint16Array;
  /** RGB triplets, at most 256 entries; required for 'palette' */
  palette?: Uint8Array;
  /** zlib level 0..9 (default 6; with the RLE strategy used here, levels barely differ) */
  level?: number;
}

/** Thrown for files that are not PNGs or are damaged; the message says what is wrong. */
export class PngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngError';
  }
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Encodes a grey (8/16-bit) or palette (8-bit) PNG. */
export function encodePng(input: EncodePngInput): Uint8Array {
  const { width, height, bitDepth, kind, data } = input;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`PNG size must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height) throw new RangeError(`PNG data has ${data.length} samples, expected ${width * height}`);
  if (kind === 'palette' && bitDepth !== 8) throw new RangeError('palette PNGs are written with 8 bits per index');
  if (kind === 'palette' && (!input.palette || input.palette.length % 3 !== 0 || input.palette.length > 768)) {
    throw new RangeError('a palette PNG needs a palette of at most 256 RGB triplets');
  }
  const stride = width * (bitDepth / 8);
  const raw = new Uint8Array((stride + 1) * height);
  if (bitDepth === 8) filterUp8(data instanceof Uint8Array ? data : Uint8Array.from(data), width, height, raw);
  else filterUp16(data instanceof Uint16Array ? data : Uint16Array.from(data), width, height, raw);
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = kind === 'palette' ? 3 : 0;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  const parts: Uint8Array[] = [SIGNATURE, chunk('IHDR', ihdr)];
  if (kind === 'palette') parts.push(chunk('PLTE', input.palette!));
  // Z_RLE (matches of distance 1 only) suits filtered masks: faster than the default and smaller.
  parts.push(chunk('IDAT', deflateSync(raw, { level: input.level ?? 6, strategy: constants.Z_RLE })));
  parts.push(chunk('IEND', new Uint8Array(0)));
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Filter type 0 (None) for the first row, 2 (Up: byte minus the byte above) for the others: rows
// of a mask mostly repeat the row above, so they become zeros. 16-bit samples are big-endian.
// (One function per array type keeps the loops monomorphic.)
function filterUp8(data: Uint8Array, width: number, height: number, raw: Uint8Array): void {
  raw.set(data.subarray(0, width), 1);
  if ((width & 3) === 0 && (data.byteOffset & 3) === 0 && LITTLE_ENDIAN) {
    // Four pixels at a time; `raw` starts zeroed, so equal words need no write at all.
    const words = new Uint32Array(data.buffer, data.byteOffset, (width * height) >>> 2);
    const ww = width >>> 2;
    for (let y = 1; y < height; y++) {
      const o = y * (width + 1) + 1;
      raw[o - 1] = 2;
      const base = y * ww;
      for (let k = 0; k < ww; k++) {
        const a = words[base + k]!;
        const b = words[base - ww + k]!;
        if (a === b) continue;
        // byte-wise a - b (mod 256) in one 32-bit word
        const d = ((a | 0x80808080) - (b & 0x7f7f7f7f)) ^ ((a ^ ~b) & 0x80808080);
        const p = o + 4 * k;
        raw[p] = d;
        raw[p + 1] = d >>> 8;
        raw[p + 2] = d >>> 16;
        raw[p + 3] = d >>> 24;
      }
    }
    return;
  }
  for (let y = 1; y < height; y++) {
    const o = y * (width + 1) + 1;
    raw[o - 1] = 2;
    const base = y * width;
    const up = base - width;
    for (let x = 0; x < width; x++) raw[o + x] = data[base + x]! - data[up + x]!;
  }
}

function filterUp16(data: Uint16Array, width: number, height: number, raw: Uint8Array): void {
  const stride = 2 * width;
  for (let x = 0; x < width; x++) {
    raw[1 + 2 * x] = data[x]! >>> 8;
    raw[2 + 2 * x] = data[x]!;
  }
  if ((width & 1) === 0 && (data.byteOffset & 3) === 0) {
    // Two pixels at a time; `raw` starts zeroed, so equal pairs need no write.
    const words = new Uint32Array(data.buffer, data.byteOffset, (width * height) >>> 1);
    const ww = width >>> 1;
    for (let y = 1; y < height; y++) {
      const o = y * (stride + 1) + 1;
      raw[o - 1] = 2;
      const base = y * ww;
      for (let k = 0; k < ww; k++) {
        if (words[base + k] === words[base - ww + k]) continue;
        const i = 2 * (base + k);
        const p = o + 4 * k;
        const v0 = data[i]!;
        const p0 = data[i - width]!;
        const v1 = data[i + 1]!;
        const p1 = data[i + 1 - width]!;
        raw[p] = (v0 >>> 8) - (p0 >>> 8);
        raw[p + 1] = v0 - p0;
        raw[p + 2] = (v1 >>> 8) - (p1 >>> 8);
        raw[p + 3] = v1 - p1;
      }
    }
    return;
  }
  for (let y = 1; y < height; y++) {
    const o = y * (stride + 1) + 1;
    raw[o - 1] = 2;
    const base = y * width;
    const up = base - width;
    for (let x = 0; x < width; x++) {
      const v = data[base + x]!;
      const p = data[up + x]!;
      raw[o + 2 * x] = (v >>> 8) - (p >>> 8);
      raw[o + 2 * x + 1] = v - p;
    }
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

// Adam7 passes: x0, y0, dx, dy
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Decodes a PNG file's bytes. Throws PngError on anything malformed (bad signature, CRC, truncation). */
export function decodePng(bytes: Uint8Array): DecodedPng {
  if (bytes.length < 8 || !SIGNATURE.every((b, i) => bytes[i] === b)) throw new PngError('not a PNG file (bad signature)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = -1;
  let interlace = 0;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (p < bytes.length) {
    if (p + 12 > bytes.length) throw new PngError('truncated PNG (a chunk header is cut off)');
    const len = dv.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    if (p + 12 + len > bytes.length) throw new PngError(`truncated PNG (chunk ${type} is cut off)`);
    if (crc32(bytes, p + 4, p + 8 + len) !== dv.getUint32(p + 8 + len)) throw new PngError(`damaged PNG (CRC mismatch in chunk ${type})`);
    const body = bytes.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      if (len !== 13) throw new PngError('damaged PNG (IHDR has the wrong length)');
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      bitDepth = body[8]!;
      colorType = body[9]!;
      interlace = body[12]!;
      if (!(colorType in CHANNELS) || !ALLOWED_DEPTHS[colorType]!.includes(bitDepth)) {
        throw new PngError(`unsupported PNG colour type ${colorType} with bit depth ${bitDepth}`);
      }
      if (body[10] !== 0 || body[11] !== 0 || interlace > 1) throw new PngError('unsupported PNG compression, filter or interlace method');
      if (width < 1 || height < 1 || width * height > 2 ** 31) throw new PngError(`implausible PNG size ${width}x${height}`);
    } else if (type === 'PLTE') {
      palette = new Uint8Array(body);
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    p += 12 + len;
  }
  if (colorType < 0) throw new PngError('damaged PNG (no IHDR chunk)');
  if (idat.length === 0) throw new PngError('truncated PNG (no image data)');
  if (!sawEnd) throw new PngError('truncated PNG (no IEND chunk)');
  if (colorType === 3 && !palette) throw new PngError('damaged PNG (palette image without a PLTE chunk)');
  let zsize = 0;
  for (const c of idat) zsize += c.length;
  const z = new Uint8Array(zsize);
  zsize = 0;
  for (const c of idat) {
    z.set(c, zsize);
    zsize += c.length;
  }
  let raw: Uint8Array;
  try {
    raw = inflateSync(z);
  } catch (e) {
    throw new PngError(`damaged PNG (image data does not inflate: ${(e as Error).message})`);
  }
  const channels = CHANNELS[colorType]!;
  const out = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  const passes = interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let rp = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const n = pw * channels;
    const samples = bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
    rp = unfilterPass(raw, rp, pw, ph, channels, bitDepth, (py, row) => {
      // row bytes -> samples of this pass row
      if (bitDepth === 8) samples.set(row.subarray(0, n));
      else if (bitDepth === 16) for (let k = 0; k < n; k++) samples[k] = (row[2 * k]! << 8) | row[2 * k + 1]!;
      else {
        const perByte = 8 / bitDepth;
        const mask = (1 << bitDepth) - 1;
        for (let x = 0; x < pw; x++) samples[x] = (row[(x / perByte) | 0]! >> (8 - bitDepth * ((x % perByte) + 1))) & mask;
      }
      const y = y0 + py * dy;
      if (dx === 1) {
        out.set(samples, y * width * channels);
        return;
      }
      for (let x = 0; x < pw; x++) {
        const o = (y * width + x0 + x * dx) * channels;
        for (let c = 0; c < channels; c++) out[o + c] = samples[x * channels + c]!;
      }
    });
  }
  return { width, height, colorType: colorType as PngColorType, bitDepth, channels, data: out, palette };
}

/** Unfilters one (sub)image starting at raw[rp]; calls `row` with every unfiltered row; returns the next offset. */
function unfilterPass(
  raw: Uint8Array,
  rp: number,
  pw: number,
  ph: number,
  channels: number,
  bitDepth: number,
  row: (y: number, bytes: Uint8Array) => void,
): number {
  const bitsPerPixel = channels * bitDepth;
  const stride = Math.ceil((pw * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (rp + (stride + 1) * ph > raw.length) throw new PngError('truncated PNG (image data ends early)');
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  for (let y = 0; y < ph; y++) {
    const f = raw[rp++]!;
    switch (f) {
      case 0:
        cur.set(raw.subarray(rp, rp + stride));
        break;
      case 1:
        for (let i = 0; i < stride; i++) cur[i] = raw[rp + i]! + (i >= bpp ? cur[i - bpp]! : 0);
        break;
      case 2:
        for (let i = 0; i < stride; i++) cur[i] = raw[rp + i]! + prev[i]!;
        break;
      case 3:
        for (let i = 0; i < stride; i++) cur[i] = raw[rp + i]! + (((i >= bpp ? cur[i - bpp]! : 0) + prev[i]!) >> 1);
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? cur[i - bpp]! : 0;
          const b = prev[i]!;
          const c = i >= bpp ? prev[i - bpp]! : 0;
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          cur[i] = raw[rp + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        throw new PngError(`damaged PNG (unknown row filter ${f})`);
    }
    rp += stride;
    row(y, cur);
    const t = prev;
    prev = cur;
    cur = t;
  }
  return rp;
}
