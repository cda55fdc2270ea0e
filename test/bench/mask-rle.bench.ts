/**
 * COCO RLE throughput vs pycocotools: encode (row-major mask -> compressed string) and decode
 * (compressed string -> row-major mask) on 1024x1024 masks of 20 random ellipses (~10.6 %
 * foreground, like the pycocotools reference in ../shared/peers/coco-rle-vectors.json), plus polygon
 * rasterisation time per image of 20 polygons of 60 vertices.
 *
 * When a Python with pycocotools is found (`$PYCOCOTOOLS_PYTHON`, else `python3`), pycocotools is
 * timed in the same run on the same ellipses and the ratios use those figures; otherwise the
 * published figures from the vectors file are used (the rows say which).
 */
import { spawnSync } from 'node:child_process';
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

const PY_SCRIPT = `
import json, sys, time
job = json.load(sys.stdin)  # read all input first, so a failed import never breaks the pipe
import numpy as np
from pycocotools import mask as M
S = job['size']; runs = job['runs']
def draw(es):
    m = np.zeros((S, S), np.uint8)
    for e in es:
        r = int(max(e['a'], e['b'])) + 2
        x0, x1 = max(0, int(e['cx']) - r), min(S, int(e['cx']) + r + 1)
        y0, y1 = max(0, int(e['cy']) - r), min(S, int(e['cy']) + r + 1)
        if x1 <= x0 or y1 <= y0: continue
        ys, xs = np.mgrid[y0:y1, x0:x1]
        dx = xs + 0.5 - e['cx']; dy = ys + 0.5 - e['cy']
        c, s = np.cos(e['theta']), np.sin(e['theta'])
        u = (dx * c + dy * s) / e['a']; v = (-dx * s + dy * c) / e['b']
        m[y0:y1, x0:x1] |= (u * u + v * v <= 1).astype(np.uint8)
    return np.asfortranarray(m)
masks = [draw(es) for es in job['scenes']]
def med(f):
    f(); ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]
rles = [M.encode(m) for m in masks]
enc = med(lambda: [M.encode(m) for m in masks])
dec = med(lambda: [M.decode(r) for r in rles])
polys = job['polygons']
poly = med(lambda: [M.frPyObjects(p, S, S) for p in polys])
mp = len(masks) * S * S / 1e6
print(json.dumps({'encode': mp / enc, 'decode': mp / dec, 'polygonMs': poly * 1000 / len(polys),
  'fg': float(sum(m.sum() for m in masks)) / (len(masks) * S * S)}))
`;

/** Times pycocotools on the same scenes, or returns a reason why it could not. */
function runPycocotools(
  scenes: Ellipse[][],
  polygons: FlatRing[][],
  runs: number,
): { encode: number; decode: number; polygonMs: number; fg: number } | string {
  const python = process.env.PYCOCOTOOLS_PYTHON || 'python3';
  const job = JSON.stringify({ size: SIZE, runs, scenes, polygons });
  const r = spawnSync(python, ['-c', PY_SCRIPT], { input: job, encoding: 'utf8', timeout: 180_000, maxBuffer: 1 << 20 });
  if (r.error) return `${python} not runnable (${r.error.message})`;
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return `${python} without pycocotools (${last.slice(0, 120)})`;
  }
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } catch {
    return `unreadable output from ${python}`;
  }
}

function timeRuns(runs: number, fn: () => void, warmups = 1): number[] {
  for (let w = 0; w < warmups; w++) fn(); // let the JIT settle
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
    let published = PYCOCO_DEFAULT;
    let peerSource = 'built-in copy of the published pycocotools figures';
    if (existsSync(vectorsPath)) {
      const v = JSON.parse(readFileSync(vectorsPath, 'utf8')).speed_on_this_kind_of_machine;
      published = {
        encode: v.encode_megapixels_per_s,
        decode: v.decode_megapixels_per_s,
        polygonMs: v.polygon_rasterise_ms_per_image_of_20_polygons_of_60_vertices,
      };
      peerSource = `published figures in ${vectorsPath}`;
    }
    let peer = published;
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
    }, 5);
    const polyFillTimes = timeRuns(runs, () => {
      for (const p of polys) fillPolygon(p, SIZE, SIZE, 'nonzero');
    }, 3);

    const live = runPycocotools(scenes, polys, runs);
    if (typeof live === 'string') {
      ctx.log(`mask-rle: pycocotools not timed in this run: ${live}; using ${peerSource}`);
    } else {
      peer = { encode: live.encode, decode: live.decode, polygonMs: live.polygonMs };
      peerSource = `pycocotools timed in this run (${process.env.PYCOCOTOOLS_PYTHON || 'python3'}), same ellipses, fg ${(live.fg * 100).toFixed(1)} %`;
    }
    const peerWord = typeof live === 'string' ? 'published pycocotools' : 'pycocotools, same run,';
    const encMps = mp / (median(encTimes) / 1000);
    const encCountsMps = mp / (median(encCountsTimes) / 1000);
    const decMps = mp / (median(decTimes) / 1000);
    const decAllocMps = mp / (median(decAllocTimes) / 1000);
    const instMps = (idMaps.length * SIZE * SIZE) / 1e6 / (median(instTimes) / 1000);
    const polyMs = median(polyCocoTimes) / polys.length;
    const fillMs = median(polyFillTimes) / polys.length;
    // targets are the published figures (decode at least as fast, encode at least half as fast)
    const decTarget = published.decode;
    const encTarget = published.encode / 2;

    const rows: BenchRow[] = [
      row('RLE decode (string -> row-major mask)', decMps, 'MP/s', {
        target: `>= ${decTarget} MP/s`,
        met: decMps >= decTarget,
        note: `${peerWord} ${Math.round(peer.decode)} MP/s`,
      }),
      row('RLE decode vs pycocotools', decMps / peer.decode, 'x', { note: peerSource }),
      row('RLE encode (row-major mask -> string)', encMps, 'MP/s', {
        target: `>= ${encTarget} MP/s`,
        met: encMps >= encTarget,
        note: `${peerWord} ${Math.round(peer.encode)} MP/s from a Fortran-order array`,
      }),
      row('RLE encode vs pycocotools', encMps / peer.encode, 'x', { note: peerSource }),
      row('RLE decode, fresh output buffer each mask', decAllocMps, 'MP/s'),
      row('RLE encode, counts only (no string)', encCountsMps, 'MP/s'),
      row('encodeInstances: all 20 instances of an id map, with strings', instMps, 'MP/s of id map'),
      row('COCO polygon -> RLE, 20 polygons x 60 vertices', polyMs, 'ms/image', {
        note: `${peerWord} ${peer.polygonMs.toFixed(2)} ms/image (ratio ${(polyMs / peer.polygonMs).toFixed(2)}x its time)`,
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
        published,
        pycocotoolsThisRun: typeof live === 'string' ? live : true,
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
