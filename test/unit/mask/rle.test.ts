import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkRle,
  decodeRle,
  decodeRleColumnMajor,
  encodeInstance,
  encodeInstances,
  encodeMask,
  encodeMaskColumnMajor,
  fromCocoRle,
  MaskDecodeError,
  rleArea,
  rleBbox,
  rleFromString,
  rleIou,
  rleMerge,
  rleToString,
  toCocoRle,
  toCocoRleUncompressed,
  type Rle,
} from '../../../core/mask/index';
import { blobMask, maskFromRows, mulberry32, noiseMask, randomInt, rowsFromMask, sameBytes, transpose } from './helpers';

const VECTORS_PATH = fileURLToPath(new URL('../../../../shared/peers/coco-rle-vectors.json', import.meta.url));
const HAVE_VECTORS = existsSync(VECTORS_PATH);

interface Vector {
  name: string;
  h: number;
  w: number;
  rows?: string[];
  rule?: string;
  counts?: number[];
  compressed: string;
  area: number;
  bbox: number[];
}

function vectorMask(v: Vector): Uint8Array {
  if (v.rows) return maskFromRows(v.rows).mask;
  // the one vector given by rule: "m[5:35,10:50]=1; m[20,55]=1"
  expect(v.rule).toBe('m[5:35,10:50]=1; m[20,55]=1');
  const m = new Uint8Array(v.h * v.w);
  for (let y = 5; y < 35; y++) for (let x = 10; x < 50; x++) m[y * v.w + x] = 1;
  m[20 * v.w + 55] = 1;
  return m;
}

function trueBbox(mask: Uint8Array, w: number, h: number): number[] {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x]) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

describe('COCO RLE against the pycocotools reference vectors', () => {
  if (!HAVE_VECTORS) {
    it.skip(`skipped: ${VECTORS_PATH} not found (shared peers folder absent)`, () => {});
    return;
  }
  const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')).vectors as Vector[];
  it('has vectors to check', () => expect(vectors.length).toBeGreaterThanOrEqual(6));
  for (const v of vectors) {
    it(`matches "${v.name}" byte for byte`, () => {
      const mask = vectorMask(v);
      const rle = encodeMask(mask, v.w, v.h);
      if (v.counts) expect(Array.from(rle.counts)).toEqual(v.counts);
      expect(rleToString(rle.counts)).toBe(v.compressed);
      expect(toCocoRle(rle)).toEqual({ size: [v.h, v.w], counts: v.compressed });
      expect(rleArea(rle)).toBe(v.area);
      expect(rleBbox(rle)).toEqual(v.bbox);
      // the literal column-major encoder agrees
      expect(Array.from(encodeMaskColumnMajor(transpose(mask, v.w, v.h), v.w, v.h).counts)).toEqual(Array.from(rle.counts));
      // decoding the reference string gives the mask back
      const back = rleFromString(v.compressed, v.w, v.h);
      expect(Array.from(back.counts)).toEqual(Array.from(rle.counts));
      expect(rowsFromMask(decodeRle(back), v.w, v.h)).toEqual(rowsFromMask(mask, v.w, v.h));
    });
  }
});

describe('encodeMask / decodeRle', () => {
  it('encodes a hand-made mask column by column, starting with zeros', () => {
    const { mask, width, height } = maskFromRows(['011', '001']);
    // column-major: col0 = 0,0  col1 = 1,0  col2 = 1,1 -> 0 0 1 0 1 1
    expect(Array.from(encodeMask(mask, width, height).counts)).toEqual([2, 1, 1, 2]);
  });

  it('starts with a zero-length run when pixel (0,0) is set', () => {
    const { mask, width, height } = maskFromRows(['10', '00']);
    expect(Array.from(encodeMask(mask, width, height).counts)).toEqual([0, 1, 3]);
  });

  it('treats any nonzero byte as foreground', () => {
    const a = maskFromRows(['0110', '1001', '0110']);
    const b = Uint8Array.from(a.mask, (v, i) => (v ? 1 + (i % 255) : 0));
    expect(encodeMask(b, 4, 3).counts).toEqual(encodeMask(a.mask, 4, 3).counts);
  });

  it('handles empty images', () => {
    expect(Array.from(encodeMask(new Uint8Array(0), 0, 5).counts)).toEqual([0]);
    expect(decodeRle({ width: 0, height: 5, counts: Uint32Array.of(0) }).length).toBe(0);
  });

  it('round-trips 300 seeded random masks bit-exactly (both code paths, both orders)', () => {
    const rnd = mulberry32(42);
    for (let t = 0; t < 300; t++) {
      // widths multiple of 4 take the 32-bit path, others the byte path
      const width = t % 2 ? 4 * randomInt(rnd, 1, 12) : randomInt(rnd, 1, 45);
      const height = randomInt(rnd, 1, 45);
      const mask = t % 3 === 0 ? blobMask(rnd, width, height) : noiseMask(rnd, width, height, rnd());
      const rle = encodeMask(mask, width, height);
      expect(rle.counts).toEqual(encodeMaskColumnMajor(transpose(mask, width, height), width, height).counts);
      const s = rleToString(rle.counts);
      const back = rleFromString(s, width, height);
      expect(sameBytes(decodeRle(back), mask)).toBe(true);
      expect(sameBytes(decodeRleColumnMajor(back), transpose(mask, width, height))).toBe(true);
      expect(rleBbox(rle)).toEqual(trueBbox(mask, width, height));
    }
  });

  it('reads a mask that is an unaligned view into a bigger buffer', () => {
    const rnd = mulberry32(3);
    const mask = blobMask(rnd, 16, 9);
    const buf = new Uint8Array(mask.length + 1);
    buf.set(mask, 1);
    expect(encodeMask(buf.subarray(1), 16, 9).counts).toEqual(encodeMask(mask, 16, 9).counts);
  });

  it('writes into a given output buffer, clearing it first', () => {
    const { mask, width, height } = maskFromRows(['0110', '0010']);
    const out = new Uint8Array(8).fill(7);
    decodeRle(encodeMask(mask, width, height), out);
    expect(Array.from(out)).toEqual(Array.from(mask));
  });
});

describe('compressed strings', () => {
  it('round-trips large and negative deltas', () => {
    const counts = Uint32Array.of(0, 5, 3_000_000, 1, 7, 2_000_000_000, 1, 0x7fffffff, 3);
    const total = counts.reduce((a, b) => a + b, 0);
    // a fake size whose area matches: height 1
    const back = rleFromString(rleToString(counts), total, 1);
    expect(Array.from(back.counts)).toEqual(Array.from(counts));
  });

  it('rejects characters outside 48..111', () => {
    expect(() => rleFromString('0`~', 4, 4)).toThrow(MaskDecodeError);
    expect(() => rleFromString('0 0', 4, 4)).toThrow(/invalid character/);
  });

  it('rejects a truncated string', () => {
    // "`0" is 16 as two characters; "`" alone announces more
    expect(rleFromString('`0', 4, 4).counts).toEqual(Uint32Array.of(16));
    expect(() => rleFromString('`', 4, 4)).toThrow(/truncated/);
  });

  it('rejects counts that do not cover the mask', () => {
    expect(() => rleFromString('`0', 5, 4)).toThrow(/cover 16 pixels/);
    expect(() => rleFromString('', 2, 2)).toThrow(MaskDecodeError);
    expect(() => decodeRle({ width: 2, height: 2, counts: Uint32Array.of(1, 1) })).toThrow(MaskDecodeError);
  });

  it('rejects deltas that decode to negative runs', () => {
    // the fourth count is coded as a delta against the second: 1 + (-6) = -5
    const s = rleToString([1, 1, 1, -5]);
    expect(() => rleFromString(s, 4, 1)).toThrow(/impossible run length/);
  });

  it('reads and writes COCO JSON objects', () => {
    const { mask, width, height } = maskFromRows(['0110', '0111', '0000']);
    const rle = encodeMask(mask, width, height);
    const coco = toCocoRle(rle);
    expect(coco.size).toEqual([3, 4]);
    expect(fromCocoRle(coco).counts).toEqual(rle.counts);
    const plain = toCocoRleUncompressed(rle);
    expect(plain.counts).toEqual(Array.from(rle.counts));
    expect(fromCocoRle(JSON.parse(JSON.stringify(plain))).counts).toEqual(rle.counts);
    expect(() => fromCocoRle({ size: [3], counts: 'x' })).toThrow(MaskDecodeError);
    expect(() => fromCocoRle({ size: [3, 4], counts: [1, -1] })).toThrow(MaskDecodeError);
    expect(() => fromCocoRle({ size: [3, 4], counts: [5] })).toThrow(/cover 5 pixels/);
    expect(() => fromCocoRle(null)).toThrow(MaskDecodeError);
  });
});

describe('instances straight from an id map', () => {
  function randomIdMap(seed: number, width: number, height: number): Uint32Array {
    const rnd = mulberry32(seed);
    const ids = new Uint32Array(width * height);
    for (let k = 1; k <= 5; k++) {
      const m = blobMask(rnd, width, height, 2);
      const id = k === 5 ? 4_000_000_000 : k * 7;
      for (let i = 0; i < ids.length; i++) if (m[i]) ids[i] = id;
    }
    return ids;
  }

  it('encodeInstances gives, for every id, the RLE of its binary mask', () => {
    for (const [seed, width, height] of [
      [1, 17, 13],
      [2, 32, 20],
      [3, 1, 9],
      [4, 9, 1],
    ] as const) {
      const ids = randomIdMap(seed, width, height);
      const map = { width, height, ids };
      const all = encodeInstances(map);
      const present = [...new Set(ids)].filter((v) => v !== 0).sort((a, b) => a - b);
      expect([...all.keys()]).toEqual(present);
      for (const id of present) {
        const bin = Uint8Array.from(ids, (v) => (v === id ? 1 : 0));
        const expected = encodeMask(bin, width, height).counts;
        expect(all.get(id)!.counts).toEqual(expected);
        expect(encodeInstance(map, id).counts).toEqual(expected);
      }
    }
  });

  it('encodeInstances with `only` returns just those ids, empty RLE for absent ones', () => {
    const ids = Uint32Array.of(0, 3, 3, 5);
    const r = encodeInstances({ width: 2, height: 2, ids }, [5, 9]);
    expect([...r.keys()].sort()).toEqual([5, 9]);
    expect(Array.from(r.get(9)!.counts)).toEqual([4]);
    expect(Array.from(r.get(5)!.counts)).toEqual([3, 1]);
  });
});

describe('area, bbox, merge, iou', () => {
  const a = maskFromRows(['1100', '1100', '0000']);
  const b = maskFromRows(['0110', '0110', '0110']);
  const ra = encodeMask(a.mask, 4, 3);
  const rb = encodeMask(b.mask, 4, 3);

  it('computes area and bbox', () => {
    expect(rleArea(ra)).toBe(4);
    expect(rleBbox(ra)).toEqual([0, 0, 2, 2]);
    expect(rleBbox(rb)).toEqual([1, 0, 2, 3]);
    expect(rleBbox({ width: 4, height: 3, counts: Uint32Array.of(12) })).toEqual([0, 0, 0, 0]);
  });

  it('widens the bbox to full height when one run spans two columns (pycocotools rule)', () => {
    const m = maskFromRows(['01', '00', '10']); // (0,2) then (1,0): one run across the column break
    const r = encodeMask(m.mask, 2, 3);
    expect(Array.from(r.counts)).toEqual([2, 2, 2]);
    expect(rleBbox(r)).toEqual([0, 0, 2, 3]);
  });

  it('merges by union and intersection', () => {
    const u = decodeRle(rleMerge([ra, rb]));
    expect(rowsFromMask(u, 4, 3)).toEqual(['1110', '1110', '0110']);
    const i = decodeRle(rleMerge([ra, rb], true));
    expect(rowsFromMask(i, 4, 3)).toEqual(['0100', '0100', '0000']);
    expect(rleMerge([ra]).counts).toEqual(ra.counts);
    expect(() => rleMerge([ra, encodeMask(new Uint8Array(4), 2, 2)])).toThrow(RangeError);
  });

  it('computes IoU', () => {
    expect(rleIou(ra, rb)).toBeCloseTo(2 / 8, 12);
    expect(rleIou(ra, ra)).toBe(1);
    const empty: Rle = { width: 4, height: 3, counts: Uint32Array.of(12) };
    expect(rleIou(empty, empty)).toBe(0);
  });

  it('merge agrees with pixelwise OR/AND on random masks', () => {
    const rnd = mulberry32(9);
    for (let t = 0; t < 50; t++) {
      const w = randomInt(rnd, 1, 20);
      const h = randomInt(rnd, 1, 20);
      const m1 = noiseMask(rnd, w, h, rnd());
      const m2 = noiseMask(rnd, w, h, rnd());
      const r1 = encodeMask(m1, w, h);
      const r2 = encodeMask(m2, w, h);
      expect(rleMerge([r1, r2]).counts).toEqual(encodeMask(m1.map((v, i) => v | m2[i]!), w, h).counts);
      expect(rleMerge([r1, r2], true).counts).toEqual(encodeMask(m1.map((v, i) => v & m2[i]!), w, h).counts);
      checkRle(rleMerge([r1, r2]));
    }
  });
});
