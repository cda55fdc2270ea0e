import { describe, expect, it } from 'vitest';
import { MaxFlowGraph } from '../../../../core/ml/interactive/max-flow';
import { geodesicDistance, ZeroShotSegmenter } from '../../../../core/ml/interactive/zero-shot-object';
import { binaryIou } from '../../../../core/ml/iou-metrics';
import { createRng } from '../../../../core/ml/train/rng';

/** brute-force minimum cut over all 2^n labelings (n <= 10) */
function bruteMinCut(n: number, edges: [number, number, number, number][], term: [number, number][]): number {
  let best = Infinity;
  for (let m = 0; m < 1 << n; m++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += m & (1 << i) ? term[i]![1] : term[i]![0]; // source side pays the sink edge
    for (const [i, j, cap, rev] of edges) {
      const si = (m >> i) & 1;
      const sj = (m >> j) & 1;
      if (si && !sj) c += cap;
      if (sj && !si) c += rev;
    }
    best = Math.min(best, c);
  }
  return best;
}

/** RGB image: textured background, objects painted by fn (returns a colour or null) */
function synth(w: number, h: number, seed: number, fn: (x: number, y: number) => [number, number, number] | null): Uint8Array {
  const rng = createRng(seed);
  const img = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = fn(x, y);
      const tex = ((x >> 2) + (y >> 2)) % 2 ? 25 : 0; // checker texture in the background
      for (let k = 0; k < 3; k++) {
        const base = c ? c[k]! : 90 + tex + (k === 2 ? 20 : 0);
        img[(y * w + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(base + rng.uniform(-12, 12))));
      }
    }
  }
  return img;
}

describe('MaxFlowGraph (Boykov-Kolmogorov)', () => {
  it('matches the brute-force minimum cut on random small graphs', () => {
    const rng = createRng(3);
    for (let t = 0; t < 200; t++) {
      const n = 2 + rng.int(8);
      const edges: [number, number, number, number][] = [];
      const ne = rng.int(3 * n);
      for (let e = 0; e < ne; e++) {
        const i = rng.int(n);
        let j = rng.int(n);
        if (j === i) j = (i + 1) % n;
        edges.push([i, j, rng.int(10), rng.int(10)]);
      }
      const term: [number, number][] = Array.from({ length: n }, () => [rng.int(12), rng.int(12)]);
      const g = new MaxFlowGraph(n, ne);
      for (const [i, j, c, r] of edges) g.addEdge(i, j, c, r);
      term.forEach(([s, k], i) => g.addTerminal(i, s, k));
      const flow = g.maxflow();
      expect(flow).toBe(bruteMinCut(n, edges, term));
      // the reported cut has that cost
      let c = 0;
      for (let i = 0; i < n; i++) c += g.isSource(i) ? term[i]![1] : term[i]![0];
      for (const [i, j, cap, rev] of edges) {
        if (g.isSource(i) && !g.isSource(j)) c += cap;
        if (g.isSource(j) && !g.isSource(i)) c += rev;
      }
      expect(c).toBe(flow);
    }
  });

  it('after reset() the same arcs give the minimum cut for new terminal capacities', () => {
    const rng = createRng(5);
    for (let t = 0; t < 100; t++) {
      const n = 2 + rng.int(8);
      const edges: [number, number, number, number][] = [];
      const ne = 1 + rng.int(3 * n);
      for (let e = 0; e < ne; e++) {
        const i = rng.int(n);
        let j = rng.int(n);
        if (j === i) j = (i + 1) % n;
        edges.push([i, j, rng.int(10), rng.int(10)]);
      }
      const g = new MaxFlowGraph(n, ne);
      for (const [i, j, c, r] of edges) g.addEdge(i, j, c, r);
      for (let round = 0; round < 3; round++) {
        if (round > 0) g.reset();
        const term: [number, number][] = Array.from({ length: n }, () => [rng.int(12), rng.int(12)]);
        term.forEach(([s, k], i) => g.addTerminal(i, s, k));
        expect(g.maxflow()).toBe(bruteMinCut(n, edges, term));
      }
    }
  });
});

describe('geodesicDistance', () => {
  /** squared differences of a 1-channel w x h image, in the layout the cut uses (right, down, down-right, down-left) */
  const pairs = (v: number[], w: number, h: number) => {
    const d2 = new Float32Array(w * h * 4).fill(-1);
    const dx = [1, 0, 1, -1];
    const dy = [0, 1, 1, 1];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < 4; k++) {
          const X = x + dx[k]!;
          const Y = y + dy[k]!;
          if (X >= 0 && Y >= 0 && X < w && Y < h) d2[(y * w + x) * 4 + k] = (v[y * w + x]! - v[Y * w + X]!) ** 2;
        }
      }
    }
    return d2;
  };

  it('is the octile distance on a flat image', () => {
    const w = 6;
    const h = 5;
    const d = geodesicDistance(w, h, pairs(new Array(w * h).fill(0), w, h), 1, 5, [0]);
    expect(d[0]).toBe(0);
    expect(d[4]).toBeCloseTo(4, 5); // (4, 0)
    expect(d[4 * w + 4]).toBeCloseTo(4 * Math.SQRT2, 5); // (4, 4)
    expect(d[2 * w + 5]).toBeCloseTo(3 + 2 * Math.SQRT2, 5); // (5, 2)
  });

  it('an edge lengthens every path that crosses it, and a detour around it is found', () => {
    const w = 9;
    const h = 7;
    // a wall at x = 4 except in the last row
    const v = Array.from({ length: w * h }, (_, i) => (i % w >= 4 ? 1 : 0));
    const d2 = pairs(v, w, h);
    const meanD2 = 1;
    const contrast = 3;
    const d = geodesicDistance(w, h, d2, meanD2, contrast, [3 * w + 0]);
    // the same side: plain distance
    expect(d[3 * w + 3]).toBeCloseTo(3, 5);
    // across: one step costs 1 + 3 x 1 = 4 instead of 1
    expect(d[3 * w + 4]).toBeCloseTo(3 + 4, 5);
    // every pixel beyond the wall pays at least one crossing
    for (let y = 0; y < h; y++) for (let x = 4; x < w; x++) expect(d[y * w + x]!).toBeGreaterThanOrEqual(x + 3 - 1e-5);
    // no seeds: unreachable
    expect(geodesicDistance(w, h, d2, meanD2, contrast, [])[0]).toBe(Infinity);
  });
});

describe('ZeroShotSegmenter', () => {
  it('one click inside a disc on a textured background gives the disc', () => {
    const w = 120;
    const h = 100;
    const inDisc = (x: number, y: number) => (x - 60) ** 2 + (y - 48) ** 2 <= 22 ** 2;
    const img = synth(w, h, 1, (x, y) => (inDisc(x, y) ? [200, 70, 60] : null));
    const gt = Uint8Array.from({ length: w * h }, (_, i) => (inDisc(i % w, Math.floor(i / w)) ? 1 : 0));
    const s = new ZeroShotSegmenter();
    s.setImage({ data: img, width: w, height: h, channels: 3 });
    const r = s.segment({ clicks: [{ x: 60, y: 48, positive: true }] });
    expect(binaryIou(r.mask, gt)).toBeGreaterThan(0.9);
    expect(r.sources).toEqual(['zero-shot']);
  });

  it('one click on a small object touching a large one of another colour gives the small one', () => {
    const w = 160;
    const h = 120;
    const small = (x: number, y: number) => (x - 50) ** 2 + (y - 60) ** 2 <= 9 ** 2;
    const big = (x: number, y: number) => (x - 90) ** 2 + (y - 60) ** 2 <= 32 ** 2 && !small(x, y);
    const img = synth(w, h, 3, (x, y) => (small(x, y) ? [210, 190, 60] : big(x, y) ? [120, 40, 40] : null));
    const gt = Uint8Array.from({ length: w * h }, (_, i) => (small(i % w, Math.floor(i / w)) ? 1 : 0));
    const s = new ZeroShotSegmenter();
    s.setImage({ data: img, width: w, height: h, channels: 3 });
    const r = s.segment({ clicks: [{ x: 50, y: 60, positive: true }] });
    expect(binaryIou(r.mask, gt)).toBeGreaterThan(0.8);
  });

  it('a negative click splits two touching objects of similar colour', () => {
    const w = 140;
    const h = 90;
    const a = (x: number, y: number) => (x - 50) ** 2 + (y - 45) ** 2 <= 24 ** 2;
    const b = (x: number, y: number) => (x - 94) ** 2 + (y - 45) ** 2 <= 24 ** 2 && !a(x, y);
    // slightly different shades, edge between them faint
    const img = synth(w, h, 2, (x, y) => (a(x, y) ? [60, 170, 70] : b(x, y) ? [75, 150, 85] : null));
    const gt = Uint8Array.from({ length: w * h }, (_, i) => (a(i % w, Math.floor(i / w)) ? 1 : 0));
    const s = new ZeroShotSegmenter();
    s.setImage({ data: img, width: w, height: h, channels: 3 });
    const one = s.segment({ clicks: [{ x: 45, y: 45, positive: true }] });
    const two = s.segment({ clicks: [{ x: 45, y: 45, positive: true }, { x: 100, y: 45, positive: false }], prevMask: one.mask });
    expect(binaryIou(two.mask, gt)).toBeGreaterThan(0.85);
    expect(binaryIou(two.mask, gt)).toBeGreaterThanOrEqual(binaryIou(one.mask, gt) - 0.02);
    // nothing of the right object is kept near the negative click
    expect(two.mask[45 * w + 100]).toBe(0);
  });

  it('a box alone gives the object inside it', () => {
    const w = 100;
    const h = 100;
    const sq = (x: number, y: number) => x >= 30 && x < 70 && y >= 25 && y < 60;
    const img = synth(w, h, 4, (x, y) => (sq(x, y) ? [40, 60, 200] : null));
    const gt = Uint8Array.from({ length: w * h }, (_, i) => (sq(i % w, Math.floor(i / w)) ? 1 : 0));
    const s = new ZeroShotSegmenter();
    s.setImage({ data: img, width: w, height: h, channels: 3 });
    const r = s.segment({ clicks: [], box: { x0: 24, y0: 18, x1: 76, y1: 66 } });
    expect(binaryIou(r.mask, gt)).toBeGreaterThan(0.9);
    // nothing outside the box
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (x < 24 || x > 76 || y < 18 || y > 66) expect(r.mask[y * w + x]).toBe(0);
  });

  it('a model prior is one more term and is reported as a source', () => {
    const w = 80;
    const h = 80;
    // a flat image: colour says nothing, the prior (weighted up) decides against the smoothness term
    const img = new Uint8Array(w * h).fill(128);
    const inSq = (x: number, y: number) => x >= 20 && x < 60 && y >= 20 && y < 60;
    const prob = Float32Array.from({ length: w * h }, (_, i) => (inSq(i % w, Math.floor(i / w)) ? 0.95 : 0.05));
    const gt = Uint8Array.from(prob, (p) => (p > 0.5 ? 1 : 0));
    const s = new ZeroShotSegmenter();
    s.setImage({ data: img, width: w, height: h, channels: 1 });
    const r = s.segment({ clicks: [{ x: 40, y: 40, positive: true }], priors: [{ prob, weight: 4, source: 'click-model' }] });
    expect(r.sources).toEqual(['zero-shot', 'click-model']);
    expect(binaryIou(r.mask, gt)).toBeGreaterThan(0.9);
  });

  it('refuses clicks outside the image and empty prompts', () => {
    const s = new ZeroShotSegmenter();
    s.setImage({ data: new Uint8Array(100), width: 10, height: 10, channels: 1 });
    expect(() => s.segment({ clicks: [{ x: 10, y: 2, positive: true }] })).toThrow(/outside/);
    expect(() => s.segment({ clicks: [] })).toThrow(/at least one click/);
  });

  it('downsamples a large ROI and keeps the latency of one click low', () => {
    const w = 1024;
    const h = 1024;
    const inDisc = (x: number, y: number) => (x - 500) ** 2 + (y - 520) ** 2 <= 150 ** 2;
    const img = synth(w, h, 5, (x, y) => (inDisc(x, y) ? [220, 200, 60] : null));
    const gt = Uint8Array.from({ length: w * h }, (_, i) => (inDisc(i % w, Math.floor(i / w)) ? 1 : 0));
    const s = new ZeroShotSegmenter();
    s.setImage({ data: img, width: w, height: h, channels: 3 });
    const r = s.segment({ clicks: [{ x: 500, y: 520, positive: true }] });
    expect(r.scale).toBeGreaterThan(1);
    expect(binaryIou(r.mask, gt)).toBeGreaterThan(0.9);
  });
});
