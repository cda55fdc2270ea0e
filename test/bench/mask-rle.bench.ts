/**
 * COCO RLE throughput vs pycocotools: encode (row-major mask -> compressed string) and decode
 * (compressed string -> row-major mask) on 1024x1024 masks of 20 random ellipses (~10.6 %
 * foreground, like the pycocotools reference in ../shared/peers/coco-rle-vectors.json), plus polygon
 * rasterisation time per image of 20 polygons of 60 vertices.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, type BenchContext, type BenchResult, type BenchRow, type BenchSuite } from './bench-types';
import {
  decodeRle,
  encodeInstances,
  encodeMask,
  fillPolygon,
  polygonToRle,
  rleFromString,
  rleToString,
  type FlatRing,
} from '../../core/mask/index';

const SIZE = 1024;
const ELLIPSES = 20;

/** pycocotools' figures as published in the vectors file (used when it is absent). */
const PYCOCO_DEFAULT = { encode: 2770, decode: 282, polygonMs: 0.41 };

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ellipse {
  cx: number;
  cy: number;
  a: number;
  b: number;
  theta: number;
}

function randomEllipses(rnd: () => number): Ellipse[] {
  return Array.from({ length: ELLIPSES }, () => ({
    cx: rnd() * SIZE,
    cy: rnd() * SIZE,
    a: 15 + rnd() * 58.5,
    b: 15 + rnd() * 58.5,
    theta: rnd() * Math.PI,
  }));
}

/** Writes `value` into the pixels whose centres are inside the ellipse (row-major). */
function drawEllipse(m: Uint8Array | Uint32Array, e: Ellipse, value: number): void {
  const c = Math.cos(e.theta);
  const s = Math.sin(e.theta);
  const A = (c * c) / (e.a * e.a) + (s * s) / (e.b * e.b);
  const k = 1 / (e.a * e.a) - 1 / (e.b * e.b);
  const r = Math.max(e.a, e.b);
  for (let y = Math.max(0, Math.floor(e.cy - r)); y <= Math.min(SIZE - 1, Math.ceil(e.cy + r)); y++) {
    const dy = y + 0.5 - e.cy;
    const B = 2 * dy * s * c * k;
    const C = dy * dy * ((s * s) / (e.a * e.a) + (c * c) / (e.b * e.b)) - 1;
    const disc = B * B - 4 * A * C;
    if (disc < 0) continue;
    const q = Math.sqrt(disc);
    const x0 = Math.max(0, Math.ceil(e.cx + (-B - q) / (2 * A) - 0.5));
    const x1 = Math.min(SIZE - 1, Math.floor(e.cx + (-B + q) / (2 * A) - 0.5));
    if (x1 >= x0) m.fill(value, y * SIZE + x0, y * SIZE + x1 + 1);
  }
}

function ellipsePolygon(e: Ellipse, vertices: number): FlatRing {
  const c = Math.cos(e.theta);
  const s = Math.sin(e.theta);
  const out: number[] = [];
  for (let k = 0; k < vertices; k++) {
    const t = (2 * Math.PI * k) / vertices;
    const px = e.a * Math.cos(t);
    const py = e.b * Math.sin(t);
    out.push(e.cx + px * c - py * s, e.cy + px * s + py * c);
  }
  return out;
}

function timeRuns(runs: number, fn: () => void): number[] {
  fn(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times;
}

function row(metric: string, value: number, unit: string, extra: Partial<BenchRow> = {}): BenchRow {
  return { metric, value: Math.round(value * 100) / 100, unit, ...extra };
}

const suite: BenchSuite = {
  name: 'mask-rle',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const vectorsPath = join(ctx.datasetsDir, '..', 'peers', 'coco-rle-vectors.json');
    let peer = PYCOCO_DEFAULT;
    let peerSource = 'built-in copy of the published pycocotools figures';
    if (existsSync(vectorsPath)) {
      const v = JSON.parse(readFileSync(vectorsPath, 'utf8')).speed_on_this_kind_of_machine;
      peer = {
        encode: v.encode_megapixels_per_s,
        decode: v.decode_megapixels_per_s,
        polygonMs: v.polygon_rasterise_ms_per_image_of_20_polygons_of_60_vertices,
      };
      peerSource = vectorsPath;
    }
    const nMasks = ctx.quick ? 10 : 100;
    const runs = ctx.quick ? 3 : 5;
    const rnd = mulberry32(20240601);
    ctx.log(`mask-rle: building ${nMasks} masks of ${SIZE}x${SIZE} with ${ELLIPSES} ellipses`);
    const scenes = Array.from({ length: nMasks }, () => randomEllipses(rnd));
    const masks = scenes.map((es) => {
      const m = new Uint8Array(SIZE * SIZE);
      for (const e of es) drawEllipse(m, e, 1);
      return m;
    });
    let fg = 0;
    for (const m of masks) for (let i = 0; i < m.length; i++) fg += m[i]!;
    const fgFraction = fg / (nMasks * SIZE * SIZE);
    const mp = (nMasks * SIZE * SIZE) / 1e6;

    // correctness guard: the benchmark only counts if the round trip is exact
    const check = decodeRle(rleFromString(rleToString(encodeMask(masks[0]!, SIZE, SIZE).counts), SIZE, SIZE));
    if (!check.every((v, i) => v === masks[0]![i])) throw new Error('mask-rle: round trip mismatch');

    const strings: string[] = [];
    const encTimes = timeRuns(runs, () => {
      strings.length = 0;
      for (const m of masks) strings.push(rleToString(encodeMask(m, SIZE, SIZE).counts));
    });
    const encCountsTimes = timeRuns(runs, () => {
      for (const m of masks) encodeMask(m, SIZE, SIZE);
    });
    const out = new Uint8Array(SIZE * SIZE);
    const decTimes = timeRuns(runs, () => {
      for (const s of strings) decodeRle(rleFromString(s, SIZE, SIZE), out);
    });
    const decAllocTimes = timeRuns(runs, () => {
      for (const s of strings) decodeRle(rleFromString(s, SIZE, SIZE));
    });
    // All instances of an id map in one pass (each ellipse its own id; later ones overwrite).
    const idMaps = scenes.slice(0, Math.min(nMasks, 20)).map((es) => {
      const ids = new Uint32Array(SIZE * SIZE);
      es.forEach((e, k) => drawEllipse(ids, e, k + 1));
      return { width: SIZE, height: SIZE, ids };
    });
    const instTimes = timeRuns(runs, () => {
      for (const m of idMaps) for (const r of encodeInstances(m).values()) rleToString(r.counts);
    });

    const polys = scenes.slice(0, Math.min(nMasks, 20)).map((es) => es.map((e) => ellipsePolygon(e, 60)));
    const polyCocoTimes = timeRuns(runs, () => {
      for (const p of polys) for (const ring of p) polygonToRle(ring, SIZE, SIZE);
    });
    const polyFillTimes = timeRuns(runs, () => {
      for (const p of polys) fillPolygon(p, SIZE, SIZE, 'nonzero');
    });

    const encMps = mp / (median(encTimes) / 1000);
    const encCountsMps = mp / (median(encCountsTimes) / 1000);
    const decMps = mp / (median(decTimes) / 1000);
    const decAllocMps = mp / (median(decAllocTimes) / 1000);
    const instMps = (idMaps.length * SIZE * SIZE) / 1e6 / (median(instTimes) / 1000);
    const polyMs = median(polyCocoTimes) / polys.length;
    const fillMs = median(polyFillTimes) / polys.length;
    const decTarget = peer.decode;
    const encTarget = peer.encode / 2;

    const rows: BenchRow[] = [
      row('RLE decode (string -> row-major mask)', decMps, 'MP/s', {
        target: `>= ${decTarget} MP/s`,
        met: decMps >= decTarget,
        note: `pycocotools ${peer.decode} MP/s`,
      }),
      row('RLE decode vs pycocotools', decMps / peer.decode, 'x'),
      row('RLE encode (row-major mask -> string)', encMps, 'MP/s', {
        target: `>= ${encTarget} MP/s`,
        met: encMps >= encTarget,
        note: `pycocotools ${peer.encode} MP/s from a Fortran-order array`,
      }),
      row('RLE encode vs pycocotools', encMps / peer.encode, 'x'),
      row('RLE decode, fresh output buffer each mask', decAllocMps, 'MP/s'),
      row('RLE encode, counts only (no string)', encCountsMps, 'MP/s'),
      row('encodeInstances: all 20 instances of an id map, with strings', instMps, 'MP/s of id map'),
      row('COCO polygon -> RLE, 20 polygons x 60 vertices', polyMs, 'ms/image', {
        note: `pycocotools ${peer.polygonMs} ms/image (ratio ${(polyMs / peer.polygonMs).toFixed(2)}x its time)`,
      }),
      row('editor scanline fill, 20 polygons x 60 vertices -> 1024x1024 mask', fillMs, 'ms/image'),
    ];
    return {
      title: `COCO RLE and polygon rasterisation, ${nMasks} masks of ${SIZE}x${SIZE}, ${ELLIPSES} ellipses each`,
      rows,
      details: {
        foregroundFraction: fgFraction,
        runs,
        peerSource,
        peer,
        medianMs: {
          encode: median(encTimes),
          encodeCountsOnly: median(encCountsTimes),
          decode: median(decTimes),
          decodeAlloc: median(decAllocTimes),
          encodeInstances: median(instTimes),
          polygonCocoPerImage: polyMs,
          polygonFillPerImage: fillMs,
        },
        encodeTimesMs: encTimes,
        decodeTimesMs: decTimes,
      },
    };
  },
};

export default suite;
