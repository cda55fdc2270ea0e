/**
 * The lossless source of truth for one image's masks: a row-major per-pixel instance-id map
 * (Uint32, 0 = background) plus an instance table (id -> class, source, score). Semantic maps,
 * binary masks, RLE and polygons are views derived from it.
 *
 * Serialised form (`encodeLabelMap` / `decodeLabelMap`), all integers little-endian:
 *
 *   offset  size  field
 *   0       4     magic "MWLM"
 *   4       2     format version (1)
 *   6       2     reserved, must be 0
 *   8       4     width
 *   12      4     height
 *   16      4     P = number of palette ids
 *   20      4     R = byte length of the run stream
 *   24      4     J = byte length of the instance-table JSON
 *   28      4     CRC-32 (IEEE) of every byte from offset 32 to the end
 *   32      4*P   palette: the distinct nonzero ids (pixel ids and table ids), strictly ascending
 *   ..      R     runs of the id map in row-major order (runs may wrap rows), each as two unsigned
 *                 LEB128 varints: palette index (0 = background, i = palette[i-1]) and length-1
 *   ..      J     instance table as ASCII JSON: [{"id","classId","source","score"}, ...]
 *
 * Decoding checks every length, the checksum, palette order, run indices, the pixel total and the
 * table schema, and throws MaskDecodeError on the first problem.
 */
import { MaskDecodeError } from './mask-decode-error';
import { encodeInstances, type Rle } from './rle';
import type { IdMapLike, Rect } from './types';
import { assertDims } from './types';

export type InstanceSource = 'human' | 'model' | 'import';

export const INSTANCE_SOURCES: readonly InstanceSource[] = ['human', 'model', 'import'];

/** One row of the instance table. */
export interface Instance {
  readonly id: number;
  readonly classId: number;
  readonly source: InstanceSource;
  /** model confidence in [0, 1], or null for human/imported instances without one */
  readonly score: number | null;
}

/** Area (pixels) and tight bounding box of one id in the pixel map. */
export interface InstanceStats {
  id: number;
  area: number;
  bbox: Rect;
}

export const MAX_INSTANCE_ID = 0xffffffff;
export const LABEL_MAP_MAGIC = 'MWLM';
export const LABEL_MAP_VERSION = 1;
const HEADER_BYTES = 32;

function checkInstance(inst: Instance): void {
  if (!Number.isInteger(inst.id) || inst.id < 1 || inst.id > MAX_INSTANCE_ID) {
    throw new RangeError(`instance id must be an integer in 1..${MAX_INSTANCE_ID}, got ${inst.id}`);
  }
  if (!Number.isInteger(inst.classId) || inst.classId < 0 || inst.classId > 0xffff) {
    throw new RangeError(`classId must be an integer in 0..65535, got ${inst.classId}`);
  }
  if (!INSTANCE_SOURCES.includes(inst.source)) throw new RangeError(`unknown instance source ${String(inst.source)}`);
  if (inst.score !== null && !(typeof inst.score === 'number' && inst.score >= 0 && inst.score <= 1)) {
    throw new RangeError(`score must be null or a number in [0, 1], got ${String(inst.score)}`);
  }
}

export class LabelMap implements IdMapLike {
  readonly width: number;
  readonly height: number;
  /** row-major instance ids, `ids[y * width + x]`; 0 = background. Raster ops write it in place. */
  readonly ids: Uint32Array;
  readonly #table = new Map<number, Instance>();

  constructor(width: number, height: number, ids?: Uint32Array, instances?: Iterable<Instance>) {
    assertDims(width, height, ids?.length, 'id map');
    this.width = width;
    this.height = height;
    this.ids = ids ?? new Uint32Array(width * height);
    if (instances) for (const inst of instances) this.setInstance(inst);
  }

  // ----- instance table -----

  /** Number of rows in the instance table. */
  get instanceCount(): number {
    return this.#table.size;
  }

  /** Instance table rows, by ascending id. */
  instances(): Instance[] {
    return [...this.#table.values()].sort((a, b) => a.id - b.id);
  }

  getInstance(id: number): Instance | undefined {
    return this.#table.get(id);
  }

  hasInstance(id: number): boolean {
    return this.#table.has(id);
  }

  /** Smallest id above every id in the table and in the pixels. */
  nextFreeId(): number {
    let max = 0;
    for (const id of this.#table.keys()) if (id > max) max = id;
    const ids = this.ids;
    for (let i = 0; i < ids.length; i++) if (ids[i]! > max) max = ids[i]!;
    if (max >= MAX_INSTANCE_ID) throw new RangeError('instance ids exhausted');
    return max + 1;
  }

  /** Adds a row (a fresh id unless `id` is given; replacing an existing id is an error). */
  addInstance(init: { classId: number; source?: InstanceSource; score?: number | null; id?: number }): Instance {
    const id = init.id ?? this.nextFreeId();
    if (this.#table.has(id)) throw new RangeError(`instance ${id} already exists`);
    const inst: Instance = { id, classId: init.classId, source: init.source ?? 'human', score: init.score ?? null };
    this.setInstance(inst);
    return inst;
  }

  /** Inserts or replaces a row. */
  setInstance(inst: Instance): void {
    checkInstance(inst);
    this.#table.set(inst.id, { id: inst.id, classId: inst.classId, source: inst.source, score: inst.score });
  }

  /** Changes class, source or score of a row. */
  updateInstance(id: number, patch: Partial<Omit<Instance, 'id'>>): Instance {
    const cur = this.#table.get(id);
    if (!cur) throw new RangeError(`no instance ${id}`);
    const next: Instance = { ...cur, ...patch, id };
    this.setInstance(next);
    return next;
  }

  /** Removes a row; by default also clears its pixels to background. Returns false if absent. */
  removeInstance(id: number, clearPixels = true): boolean {
    const had = this.#table.delete(id);
    if (clearPixels && id !== 0) {
      const ids = this.ids;
      for (let i = 0; i < ids.length; i++) if (ids[i] === id) ids[i] = 0;
    }
    return had;
  }

  // ----- pixels -----

  at(x: number, y: number): number {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return 0;
    return this.ids[y * this.width + x]!;
  }

  setAt(x: number, y: number, id: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.ids[y * this.width + x] = id;
  }

  /** Copies a rectangle of ids out (row-major, rect.width * rect.height), e.g. for an undo patch. */
  readRect(rect: Rect): Uint32Array {
    this.#checkRect(rect);
    const out = new Uint32Array(rect.width * rect.height);
    for (let r = 0; r < rect.height; r++) {
      const s = (rect.y + r) * this.width + rect.x;
      out.set(this.ids.subarray(s, s + rect.width), r * rect.width);
    }
    return out;
  }

  /** Writes a rectangle of ids back (inverse of readRect). */
  writeRect(rect: Rect, data: Uint32Array): void {
    this.#checkRect(rect);
    if (data.length !== rect.width * rect.height) throw new RangeError('patch size does not match its rect');
    for (let r = 0; r < rect.height; r++) {
      this.ids.set(data.subarray(r * rect.width, (r + 1) * rect.width), (rect.y + r) * this.width + rect.x);
    }
  }

  #checkRect(rect: Rect): void {
    const { x, y, width, height } = rect;
    if (
      ![x, y, width, height].every(Number.isInteger) ||
      x < 0 || y < 0 || width < 0 || height < 0 ||
      x + width > this.width || y + height > this.height
    ) {
      throw new RangeError(`rect ${x},${y} ${width}x${height} is outside the ${this.width}x${this.height} map`);
    }
  }

  clone(): LabelMap {
    return new LabelMap(this.width, this.height, this.ids.slice(), this.#table.values());
  }

  // ----- derived views -----

  /** Distinct nonzero ids present in the pixels, ascending. */
  pixelIds(): number[] {
    const seen = new Set<number>();
    const ids = this.ids;
    let last = 0;
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (v !== last) {
        last = v;
        if (v !== 0) seen.add(v);
      }
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** Pixel ids that have no row in the instance table (should be empty). */
  orphanIds(): number[] {
    return this.pixelIds().filter((id) => !this.#table.has(id));
  }

  /** 0/1 mask of one id (row-major). */
  binaryMask(id: number): Uint8Array {
    const ids = this.ids;
    const m = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) if (ids[i] === id) m[i] = 1;
    return m;
  }

  /**
   * Semantic map: per pixel, `classIndex(classId)` of its instance (default: the classId itself),
   * and `background` for id 0 and for ids without a table row. Uint8Array when every value fits in
   * a byte, else Uint16Array.
   */
  semanticMap(options: { classIndex?: (classId: number) => number; background?: number } = {}): Uint8Array | Uint16Array {
    const background = options.background ?? 0;
    const lut = new Map<number, number>();
    let max = background;
    for (const inst of this.#table.values()) {
      const v = options.classIndex ? options.classIndex(inst.classId) : inst.classId;
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`class index ${v} does not fit 0..65535`);
      lut.set(inst.id, v);
      if (v > max) max = v;
    }
    const ids = this.ids;
    const out = max > 255 ? new Uint16Array(ids.length) : new Uint8Array(ids.length);
    if (background !== 0) out.fill(background);
    let lastId = 0;
    let lastVal = background;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id === 0) continue;
      if (id !== lastId) {
        lastId = id;
        lastVal = lut.get(id) ?? background;
      }
      out[i] = lastVal;
    }
    return out;
  }

  /** Area and bbox of every nonzero id present in the pixels (one pass), by ascending id. */
  stats(): Map<number, InstanceStats> {
    const acc = new Map<number, { area: number; x0: number; y0: number; x1: number; y1: number }>();
    const { width, height, ids } = this;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      let x = 0;
      while (x < width) {
        const id = ids[row + x]!;
        let e = x + 1;
        while (e < width && ids[row + e] === id) e++;
        if (id !== 0) {
          const s = acc.get(id);
          if (!s) acc.set(id, { area: e - x, x0: x, y0: y, x1: e - 1, y1: y });
          else {
            s.area += e - x;
            if (x < s.x0) s.x0 = x;
            if (e - 1 > s.x1) s.x1 = e - 1;
            s.y1 = y;
          }
        }
        x = e;
      }
    }
    const out = new Map<number, InstanceStats>();
    for (const id of [...acc.keys()].sort((a, b) => a - b)) {
      const s = acc.get(id)!;
      out.set(id, { id, area: s.area, bbox: { x: s.x0, y: s.y0, width: s.x1 - s.x0 + 1, height: s.y1 - s.y0 + 1 } });
    }
    return out;
  }

  /** Area and bbox of one id (bbox null when it has no pixels). */
  instanceStats(id: number): { area: number; bbox: Rect | null } {
    const s = this.stats().get(id);
    return s ? { area: s.area, bbox: s.bbox } : { area: 0, bbox: null };
  }

  /** COCO RLE of every id present in the pixels (or of `only` those ids), in one pass. */
  toRles(only?: Iterable<number>): Map<number, Rle> {
    return encodeInstances(this, only);
  }

  // ----- serialisation -----

  /** Compact binary blob; see the file comment for the layout. */
  encode(): Uint8Array {
    return encodeLabelMap(this);
  }

  static decode(blob: Uint8Array): LabelMap {
    return decodeLabelMap(blob);
  }
}

// ---------------------------------------------------------------------------------------------
// Binary format

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib) of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

class ByteWriter {
  buf = new Uint8Array(1024);
  len = 0;
  ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
}

/** JSON with every non-ASCII character escaped, so the blob needs no UTF-8 codec. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

export function encodeLabelMap(map: LabelMap): Uint8Array {
  const { width, height, ids } = map;
  const table = map.instances();
  // one pass over the pixels: collect the runs with their raw ids, build the palette from them
  const runIds: number[] = [];
  const runLens: number[] = [];
  const n = ids.length;
  let i = 0;
  while (i < n) {
    const id = ids[i]!;
    let e = i + 1;
    while (e < n && ids[e] === id) e++;
    runIds.push(id);
    runLens.push(e - i);
    i = e;
  }
  const idSet = new Set<number>(runIds);
  for (const t of table) idSet.add(t.id);
  idSet.delete(0);
  const palette = [...idSet].sort((a, b) => a - b);
  const index = new Map<number, number>(palette.map((id, k) => [id, k + 1]));
  index.set(0, 0);

  const runs = new ByteWriter();
  for (let k = 0; k < runIds.length; k++) {
    runs.varint(index.get(runIds[k]!)!);
    runs.varint(runLens[k]! - 1);
  }
  const json = asciiJson(table.map((t) => ({ id: t.id, classId: t.classId, source: t.source, score: t.score })));

  const total = HEADER_BYTES + 4 * palette.length + runs.len + json.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  for (let k = 0; k < 4; k++) out[k] = LABEL_MAP_MAGIC.charCodeAt(k);
  dv.setUint16(4, LABEL_MAP_VERSION, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, width, true);
  dv.setUint32(12, height, true);
  dv.setUint32(16, palette.length, true);
  dv.setUint32(20, runs.len, true);
  dv.setUint32(24, json.length, true);
  let o = HEADER_BYTES;
  for (const id of palette) {
    dv.setUint32(o, id, true);
    o += 4;
  }
  out.set(runs.buf.subarray(0, runs.len), o);
  o += runs.len;
  for (let k = 0; k < json.length; k++) out[o + k] = json.charCodeAt(k);
  dv.setUint32(28, crc32(out, HEADER_BYTES), true);
  return out;
}

function fail(msg: string): never {
  throw new MaskDecodeError(`label map blob: ${msg}`);
}

export function decodeLabelMap(blob: Uint8Array): LabelMap {
  return readLabelMapBlob(blob, true).map!;
}

/**
 * Checks a blob completely (header, checksum, palette, that the runs cover exactly width x height
 * pixels, the instance table) without allocating the pixel map: cheap validation for a server
 * that stores blobs it does not need to look into.
 */
export function checkLabelMapBlob(blob: Uint8Array): { width: number; height: number; instances: Instance[] } {
  const r = readLabelMapBlob(blob, false);
  return { width: r.width, height: r.height, instances: r.instances };
}

function readLabelMapBlob(blob: Uint8Array, fillPixels: boolean): { width: number; height: number; instances: Instance[]; map: LabelMap | null } {
  if (!(blob instanceof Uint8Array)) fail('expected a Uint8Array');
  if (blob.length < HEADER_BYTES) fail(`truncated: ${blob.length} bytes, the header alone needs ${HEADER_BYTES}`);
  for (let k = 0; k < 4; k++) {
    if (blob[k] !== LABEL_MAP_MAGIC.charCodeAt(k)) fail('bad magic, this is not a Maskwright label map');
  }
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const version = dv.getUint16(4, true);
  if (version !== LABEL_MAP_VERSION) fail(`unsupported format version ${version} (this build reads ${LABEL_MAP_VERSION})`);
  if (dv.getUint16(6, true) !== 0) fail('reserved header field is not zero (corrupt, or written by a newer build)');
  const width = dv.getUint32(8, true);
  const height = dv.getUint32(12, true);
  const np = dv.getUint32(16, true);
  const runBytes = dv.getUint32(20, true);
  const jsonBytes = dv.getUint32(24, true);
  const expected = HEADER_BYTES + 4 * np + runBytes + jsonBytes;
  if (blob.length < expected) fail(`truncated: ${blob.length} bytes, the header announces ${expected}`);
  if (blob.length > expected) fail(`${blob.length - expected} unexpected trailing bytes`);
  if (crc32(blob, HEADER_BYTES) !== dv.getUint32(28, true)) fail('checksum mismatch, the data is corrupt');
  const n = width * height;
  if (n > 2 ** 31) fail(`implausible size ${width}x${height}`);

  const palette = new Uint32Array(np + 1);
  let o = HEADER_BYTES;
  for (let k = 1; k <= np; k++, o += 4) {
    const id = dv.getUint32(o, true);
    if (id === 0 || id <= palette[k - 1]!) fail('palette ids must be nonzero and strictly ascending');
    palette[k] = id;
  }

  const ids = fillPixels ? new Uint32Array(n) : null;
  const end = o + runBytes;
  let p = 0;
  const readVarint = (): number => {
    let v = 0;
    let mult = 1;
    for (;;) {
      if (o >= end) fail('run stream ends in the middle of a number');
      const b = blob[o++]!;
      v += (b & 0x7f) * mult;
      if (b < 0x80) return v;
      mult *= 0x80;
      if (mult > 2 ** 35) fail('run stream holds an oversized number');
    }
  };
  while (o < end) {
    const pi = readVarint();
    const len = readVarint() + 1;
    if (pi > np) fail(`run refers to palette entry ${pi}, the palette has ${np}`);
    if (p + len > n) fail(`runs cover more than the ${width}x${height} pixels`);
    if (pi !== 0 && ids) ids.fill(palette[pi]!, p, p + len);
    p += len;
  }
  if (p !== n) fail(`runs cover ${p} of ${n} pixels`);

  let text = '';
  for (let k = 0; k < jsonBytes; k++) {
    const c = blob[o + k]!;
    if (c > 0x7e) fail('instance table is not ASCII JSON');
    text += String.fromCharCode(c);
  }
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    fail('instance table is not valid JSON');
  }
  if (!Array.isArray(rows)) fail('instance table must be a JSON array');
  const map = ids ? new LabelMap(width, height, ids) : null;
  const seen = new Map<number, Instance>();
  const paletteSet = new Set(palette.subarray(1));
  for (const row of rows as unknown[]) {
    if (typeof row !== 'object' || row === null) fail('instance table row is not an object');
    const r = row as Record<string, unknown>;
    const inst = { id: r.id, classId: r.classId, source: r.source, score: r.score } as Instance;
    if (seen.has(inst.id)) fail(`instance ${String(inst.id)} appears twice`);
    try {
      checkInstance(inst);
    } catch (e) {
      fail(`bad instance row: ${(e as Error).message}`);
    }
    if (!paletteSet.has(inst.id)) fail(`instance ${inst.id} is missing from the palette`);
    seen.set(inst.id, inst);
    map?.setInstance(inst);
  }
  return { width, height, instances: [...seen.values()], map };
}
