/**
 * COCO run-length encoding, bit-compatible with pycocotools (cocoapi `maskApi.c`).
 *
 * COCO counts run over the mask in COLUMN-major order (x outer, y inner) and start with a run of
 * zeros (possibly of length 0). Our masks are row-major (`mask[y * width + x]`), so the encoder
 * does not walk columns: it finds vertical transitions by comparing each row with the previous one
 * (32 bits at a time), buckets them by column and turns them into counts. Decoding writes each run
 * of ones straight into the row-major output.
 *
 * The compressed string form is pycocotools' `rleToString` / `rleFrString` (LEB128-like, 6 bits per
 * character, characters 48..111, counts after the third delta-coded against the count two before).
 */
import { MaskDecodeError } from './mask-decode-error';
import { assertDims, type IdMapLike } from './types';

/** RLE of one binary mask: `counts` alternate 0-runs and 1-runs in column-major order, first run is 0s. */
export interface Rle {
  readonly width: number;
  readonly height: number;
  readonly counts: Uint32Array;
}

/** COCO JSON form with compressed counts (`{"size": [h, w], "counts": "..."}`). */
export interface CocoRle {
  size: [number, number];
  counts: string;
}

/** COCO JSON form with uncompressed counts (what COCO uses for iscrowd annotations). */
export interface CocoRleUncompressed {
  size: [number, number];
  counts: number[];
}

/** COCO bbox [x, y, width, height]. */
export type CocoBbox = [number, number, number, number];

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Scratch space reused between calls (transition positions); grown on demand.
let scratch: Uint32Array = new Uint32Array(1 << 14);

function growScratch(used: number): Uint32Array {
  const next = new Uint32Array(Math.max(scratch.length * 2, used + 1024));
  next.set(scratch.subarray(0, used));
  scratch = next;
  return next;
}

/**
 * Turns transitions (row-major pixel indices where the column-major sequence changes value, listed
 * in row-major order) into COCO counts. Counting sort by column keeps y ascending within a column.
 */
function countsFromRowMajorTransitions(trans: Uint32Array, t: number, width: number, height: number): Uint32Array {
  const n = width * height;
  if (t === 0) return Uint32Array.of(n);
  const colStart = new Uint32Array(width + 1);
  for (let k = 0; k < t; k++) colStart[(trans[k]! % width) + 1]!++;
  for (let x = 0; x < width; x++) colStart[x + 1]! += colStart[x]!;
  const pos = new Uint32Array(t);
  for (let k = 0; k < t; k++) {
    const i = trans[k]!;
    const y = (i / width) | 0;
    const x = i - y * width;
    pos[colStart[x]!++] = x * height + y;
  }
  const counts = new Uint32Array(t + 1);
  let prev = 0;
  for (let k = 0; k < t; k++) {
    const p = pos[k]!;
    counts[k] = p - prev;
    prev = p;
  }
  counts[t] = n - prev;
  return counts;
}

/**
 * Encodes a row-major binary mask (any nonzero byte is foreground) into COCO counts.
 * Equivalent to `pycocotools.mask.encode(np.asfortranarray(mask))`.
 */
export function encodeMask(mask: Uint8Array, width: number, height: number): Rle {
  assertDims(width, height, mask.length, 'mask');
  const n = width * height;
  if (n === 0) return { width, height, counts: Uint32Array.of(0) };
  let trans: Uint32Array = scratch;
  let t = 0;
  // Row 0: pixel (x, 0) follows (x-1, h-1) in column-major order; (0, 0) follows an implicit 0.
  const last = (height - 1) * width;
  for (let x = 0; x < width; x++) {
    const v = mask[x] !== 0;
    const p = x === 0 ? false : mask[last + x - 1] !== 0;
    if (v !== p) {
      if (t === trans.length) trans = growScratch(t);
      trans[t++] = x;
    }
  }
  if (LITTLE_ENDIAN && (width & 3) === 0 && (mask.byteOffset & 3) === 0) {
    // Compare rows four pixels at a time; only words that differ are looked at byte by byte.
    const words = new Uint32Array(mask.buffer, mask.byteOffset, n >>> 2);
    const ww = width >>> 2;
    const nw = n >>> 2;
    let b = ww;
    // Fast skip of four equal word pairs at a time (the common case away from edges).
    const nw4 = nw - 3;
    for (;;) {
      while (
        b < nw4 &&
        ((words[b]! ^ words[b - ww]!) | (words[b + 1]! ^ words[b + 1 - ww]!) |
          (words[b + 2]! ^ words[b + 2 - ww]!) | (words[b + 3]! ^ words[b + 3 - ww]!)) === 0
      ) {
        b += 4;
      }
      if (b >= nw) break;
      const cur = words[b]!;
      const prv = words[b - ww]!;
      if (cur === prv) {
        b++;
        continue;
      }
      const base = b << 2;
      for (let k = 0; k < 4; k++) {
        const sh = k << 3;
        if ((((cur >>> sh) & 255) === 0) !== (((prv >>> sh) & 255) === 0)) {
          if (t === trans.length) trans = growScratch(t);
          trans[t++] = base + k;
        }
      }
      b++;
    }
  } else {
    for (let i = width; i < n; i++) {
      if ((mask[i] === 0) !== (mask[i - width] === 0)) {
        if (t === trans.length) trans = growScratch(t);
        trans[t++] = i;
      }
    }
  }
  return { width, height, counts: countsFromRowMajorTransitions(trans, t, width, height) };
}

/**
 * Encodes a column-major (Fortran-order) binary mask: the literal pycocotools `rleEncode` loop,
 * except that any nonzero byte counts as 1.
 */
export function encodeMaskColumnMajor(maskF: Uint8Array, width: number, height: number): Rle {
  assertDims(width, height, maskF.length, 'mask');
  const n = width * height;
  const out: number[] = [];
  let p = false;
  let c = 0;
  for (let j = 0; j < n; j++) {
    const v = maskF[j] !== 0;
    if (v !== p) {
      out.push(c);
      c = 0;
      p = v;
    }
    c++;
  }
  out.push(c);
  return { width, height, counts: Uint32Array.from(out) };
}

/**
 * Encodes the pixels of one instance id of an id map (no intermediate binary mask).
 */
export function encodeInstance(map: IdMapLike, id: number): Rle {
  const { width, height, ids } = map;
  assertDims(width, height, ids.length, 'id map');
  const n = width * height;
  if (n === 0) return { width, height, counts: Uint32Array.of(0) };
  let trans: Uint32Array = scratch;
  let t = 0;
  const last = (height - 1) * width;
  for (let x = 0; x < width; x++) {
    const v = ids[x] === id;
    const p = x === 0 ? false : ids[last + x - 1] === id;
    if (v !== p) {
      if (t === trans.length) trans = growScratch(t);
      trans[t++] = x;
    }
  }
  for (let i = width; i < n; i++) {
    const a = ids[i]!;
    const b = ids[i - width]!;
    if (a !== b && (a === id || b === id)) {
      if (t === trans.length) trans = growScratch(t);
      trans[t++] = i;
    }
  }
  return { width, height, counts: countsFromRowMajorTransitions(trans, t, width, height) };
}

/**
 * Encodes every nonzero id of an id map in one pass over the pixels. Returns a Map id -> RLE,
 * ids in ascending order. Pass `only` to restrict the output to some ids (others are skipped).
 */
export function encodeInstances(map: IdMapLike, only?: Iterable<number>): Map<number, Rle> {
  const { width, height, ids } = map;
  assertDims(width, height, ids.length, 'id map');
  const n = width * height;
  const result = new Map<number, Rle>();
  if (n === 0) return result;
  // Each transition is stored as (row-major index, id): a change between two nonzero ids gives two.
  let tIdx: Uint32Array = new Uint32Array(1 << 14);
  let tId: Uint32Array = new Uint32Array(1 << 14);
  let t = 0;
  const push = (i: number, id: number): void => {
    if (t === tIdx.length) {
      const a = new Uint32Array(t * 2);
      a.set(tIdx);
      tIdx = a;
      const b = new Uint32Array(t * 2);
      b.set(tId);
      tId = b;
    }
    tIdx[t] = i;
    tId[t++] = id;
  };
  const last = (height - 1) * width;
  for (let x = 0; x < width; x++) {
    const v = ids[x]!;
    const p = x === 0 ? 0 : ids[last + x - 1]!;
    if (v !== p) {
      if (p !== 0) push(x, p);
      if (v !== 0) push(x, v);
    }
  }
  const n4 = n - 3;
  let i = width;
  for (;;) {
    // skip four unchanged pixels at a time
    while (
      i < n4 &&
      ((ids[i]! ^ ids[i - width]!) | (ids[i + 1]! ^ ids[i + 1 - width]!) |
        (ids[i + 2]! ^ ids[i + 2 - width]!) | (ids[i + 3]! ^ ids[i + 3 - width]!)) === 0
    ) {
      i += 4;
    }
    if (i >= n) break;
    const v = ids[i]!;
    const p = ids[i - width]!;
    if (v !== p) {
      if (p !== 0) push(i, p);
      if (v !== 0) push(i, v);
    }
    i++;
  }
  // Which ids, and how many transitions each.
  const slot = new Map<number, number>();
  const perId: number[] = [];
  const idOf: number[] = [];
  for (let k = 0; k < t; k++) {
    const id = tId[k]!;
    let s = slot.get(id);
    if (s === undefined) {
      s = idOf.length;
      slot.set(id, s);
      idOf.push(id);
      perId.push(0);
    }
    perId[s]!++;
  }
  const wanted = only ? new Set(only) : null;
  // Counting sort of all transitions by column (stable, so y stays ascending), then split by id.
  const colStart = new Uint32Array(width + 1);
  for (let k = 0; k < t; k++) colStart[(tIdx[k]! % width) + 1]!++;
  for (let x = 0; x < width; x++) colStart[x + 1]! += colStart[x]!;
  const sortedPos = new Uint32Array(t);
  const sortedId = new Uint32Array(t);
  for (let k = 0; k < t; k++) {
    const i = tIdx[k]!;
    const y = (i / width) | 0;
    const x = i - y * width;
    const d = colStart[x]!++;
    sortedPos[d] = x * height + y;
    sortedId[d] = tId[k]!;
  }
  const counts: Uint32Array[] = [];
  const fill = new Uint32Array(idOf.length);
  const prev = new Float64Array(idOf.length);
  for (let s = 0; s < idOf.length; s++) counts.push(new Uint32Array(perId[s]! + 1));
  for (let k = 0; k < t; k++) {
    const s = slot.get(sortedId[k]!)!;
    const p = sortedPos[k]!;
    counts[s]![fill[s]!++] = p - prev[s]!;
    prev[s] = p;
  }
  const order = idOf.map((id, s) => [id, s] as const).sort((a, b) => a[0] - b[0]);
  for (const [id, s] of order) {
    if (wanted && !wanted.has(id)) continue;
    const c = counts[s]!;
    c[c.length - 1] = n - prev[s]!;
    result.set(id, { width, height, counts: c });
  }
  if (wanted) {
    for (const id of wanted) if (!result.has(id)) result.set(id, { width, height, counts: Uint32Array.of(n) });
  }
  return result;
}

/** Throws MaskDecodeError unless the counts cover exactly width*height pixels. */
export function checkRle(rle: Rle): void {
  const { width, height, counts } = rle;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new MaskDecodeError(`RLE has an invalid size ${width}x${height}`);
  }
  let sum = 0;
  for (let j = 0; j < counts.length; j++) sum += counts[j]!;
  if (sum !== width * height) {
    throw new MaskDecodeError(
      `RLE counts cover ${sum} pixels but the mask is ${height}x${width} = ${width * height} (corrupt or wrong size)`,
    );
  }
}

/** Decodes into a row-major mask of 0/1 bytes (`out`, when given, is overwritten). */
export function decodeRle(rle: Rle, out?: Uint8Array): Uint8Array {
  checkRle(rle);
  const n = rle.width * rle.height;
  let m: Uint8Array;
  if (out) {
    if (out.length !== n) throw new RangeError(`output has ${out.length} elements, expected ${n}`);
    out.fill(0);
    m = out;
  } else {
    m = new Uint8Array(n);
  }
  paintRle(m, rle, 1);
  return m;
}

/**
 * Writes `value` into every foreground pixel of `rle`, into a row-major buffer of the RLE's size
 * (other pixels untouched): decoding, and painting an annotation into an instance-id map.
 */
export function paintRle(out: Uint8Array | Uint32Array, rle: Rle, value: number): void {
  const stride = rle.width;
  forEachRleColumnRun(rle, (start, end) => {
    for (let idx = start; idx < end; idx += stride) out[idx] = value;
  });
}

/**
 * The foreground of `rle` as vertical runs in a row-major buffer of its size: `fn(start, end)`
 * for each, covering start, start + width, … up to (not including) end. The one column walk
 * behind paintRle and every painter that does more per pixel (e.g. overlap accounting).
 */
export function forEachRleColumnRun(rle: Rle, fn: (start: number, end: number) => void): void {
  const { width, height, counts } = rle;
  let p = 0;
  for (let j = 0; j < counts.length; j++) {
    let c = counts[j]!;
    if ((j & 1) === 0) {
      p += c;
      continue;
    }
    // run of ones from column-major position p: walk it column by column
    let x = (p / height) | 0;
    let y = p - x * height;
    p += c;
    while (c > 0) {
      const k = Math.min(c, height - y);
      const start = y * width + x;
      fn(start, start + k * width);
      c -= k;
      y = 0;
      x++;
    }
  }
}

/** Decodes into a column-major (Fortran-order) mask, what pycocotools `decode` returns. */
export function decodeRleColumnMajor(rle: Rle, out?: Uint8Array): Uint8Array {
  checkRle(rle);
  const n = rle.width * rle.height;
  const m = out ?? new Uint8Array(n);
  if (out) out.fill(0);
  let p = 0;
  const counts = rle.counts;
  for (let j = 0; j < counts.length; j++) {
    const c = counts[j]!;
    if (j & 1) m.fill(1, p, p + c);
    p += c;
  }
  return m;
}

let strBuf = new Uint8Array(1 << 15);

/** pycocotools `rleToString`: compressed counts string. */
export function rleToString(counts: ArrayLike<number>): string {
  // At most 7 characters per count (|delta| < 2^33).
  if (strBuf.length < counts.length * 7) strBuf = new Uint8Array(counts.length * 7);
  const buf = strBuf;
  let p = 0;
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      // Low 5 bits of the two's-complement value, then an arithmetic shift by 5 (exact for |x| < 2^53).
      let c = x & 0x1f;
      x = (x - c) / 32;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      buf[p++] = c + 48;
    }
  }
  let s = '';
  for (let o = 0; o < p; o += 8192) {
    s += String.fromCharCode.apply(null, buf.subarray(o, Math.min(p, o + 8192)) as unknown as number[]);
  }
  return s;
}

/** pycocotools `rleFrString`; throws MaskDecodeError on bad characters, truncation or wrong total. */
export function rleFromString(str: string, width: number, height: number): Rle {
  const len = str.length;
  const out = new Uint32Array(len);
  let m = 0;
  let p = 0;
  while (p < len) {
    let x = 0;
    let mult = 1;
    let more = true;
    while (more) {
      if (p >= len) throw new MaskDecodeError('RLE string is truncated (its last character announces more)');
      const c = str.charCodeAt(p) - 48;
      if (c < 0 || c > 63) {
        throw new MaskDecodeError(`RLE string has an invalid character ${JSON.stringify(str[p])} at offset ${p}`);
      }
      x += (c & 0x1f) * mult;
      mult *= 32;
      more = (c & 0x20) !== 0;
      p++;
      if (!more && c & 0x10) x -= mult; // sign extension
      if (mult > 2 ** 40) throw new MaskDecodeError(`RLE string has an oversized number at offset ${p}`);
    }
    if (m > 2) x += out[m - 2]!;
    if (x < 0 || x > 0xffffffff) throw new MaskDecodeError(`RLE string decodes to an impossible run length ${x}`);
    out[m++] = x;
  }
  const rle = { width, height, counts: out.slice(0, m) };
  checkRle(rle);
  return rle;
}

/** COCO JSON object with compressed counts. */
export function toCocoRle(rle: Rle): CocoRle {
  return { size: [rle.height, rle.width], counts: rleToString(rle.counts) };
}

/** COCO JSON object with plain counts. */
export function toCocoRleUncompressed(rle: Rle): CocoRleUncompressed {
  return { size: [rle.height, rle.width], counts: Array.from(rle.counts) };
}

/** Reads a COCO RLE object (`CocoRle` or `CocoRleUncompressed`); throws MaskDecodeError if malformed. */
export function fromCocoRle(obj: unknown): Rle {
  if (typeof obj !== 'object' || obj === null) throw new MaskDecodeError('COCO RLE must be an object');
  const { size, counts } = obj as { size?: unknown; counts?: unknown };
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((v) => Number.isInteger(v) && (v as number) >= 0)
  ) {
    throw new MaskDecodeError('COCO RLE "size" must be [height, width] of non-negative integers');
  }
  const [height, width] = size as [number, number];
  if (typeof counts === 'string') return rleFromString(counts, width, height);
  if (Array.isArray(counts)) {
    if (!counts.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      throw new MaskDecodeError('COCO RLE "counts" must hold non-negative integers');
    }
    const rle = { width, height, counts: Uint32Array.from(counts as number[]) };
    checkRle(rle);
    return rle;
  }
  throw new MaskDecodeError('COCO RLE "counts" must be a string or an array of integers');
}

/** Foreground pixel count (pycocotools `area`). */
export function rleArea(rle: Rle): number {
  let a = 0;
  const c = rle.counts;
  for (let j = 1; j < c.length; j += 2) a += c[j]!;
  return a;
}

/** pycocotools `toBbox`: [x, y, w, h] from the runs (a run spanning columns widens y to the full height). */
export function rleBbox(rle: Rle): CocoBbox {
  const h = rle.height;
  const cnts = rle.counts;
  const m = (cnts.length >> 1) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = rle.width;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += cnts[j]!;
    const t = cc - (j & 1);
    const y = t % h;
    const x = (t - y) / h;
    if ((j & 1) === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/** pycocotools `merge`: union (default) or intersection of same-size RLEs. */
export function rleMerge(rles: readonly Rle[], intersect = false): Rle {
  if (rles.length === 0) return { width: 0, height: 0, counts: new Uint32Array(0) };
  const first = rles[0]!;
  const { width, height } = first;
  if (rles.length === 1) return { width, height, counts: first.counts.slice() };
  let cur = first.counts;
  for (let i = 1; i < rles.length; i++) {
    const B = rles[i]!;
    if (B.width !== width || B.height !== height) {
      throw new RangeError(`cannot merge RLEs of different sizes (${width}x${height} and ${B.width}x${B.height})`);
    }
    const A = cur;
    const bc = B.counts;
    const out: number[] = [];
    let ca = A[0]!;
    let cb = bc[0]!;
    let v = 0;
    let va = 0;
    let vb = 0;
    let a = 1;
    let b = 1;
    let cc = 0;
    let ct = 1;
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (!ca && a < A.length) {
        ca = A[a++]!;
        va = 1 - va;
      }
      ct += ca;
      cb -= c;
      if (!cb && b < bc.length) {
        cb = bc[b++]!;
        vb = 1 - vb;
      }
      ct += cb;
      const vp = v;
      v = intersect ? va & vb : va | vb;
      if (v !== vp || ct === 0) {
        out.push(cc);
        cc = 0;
      }
    }
    cur = Uint32Array.from(out);
  }
  return { width, height, counts: cur };
}

/** Intersection over union of two same-size RLEs (0 when both are empty). */
export function rleIou(a: Rle, b: Rle): number {
  const inter = rleArea(rleMerge([a, b], true));
  const union = rleArea(a) + rleArea(b) - inter;
  return union === 0 ? 0 : inter / union;
}
