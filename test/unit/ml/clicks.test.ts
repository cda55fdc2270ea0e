/** Distance transform, simulated clicks (first deep inside, next in the largest error) and zoom-in windows. */
import { describe, expect, it } from 'vitest';
import { encodeClicks } from '../../../core/ml/clicks/click-maps';
import { corruptMask, firstClick, nextClick, simulateInteraction } from '../../../core/ml/clicks/click-simulator';
import { distanceTransform } from '../../../core/ml/clicks/distance-transform';
import { boxWindow, freshWindow, interactionWindow, maskBox } from '../../../core/ml/clicks/zoom-window';
import { createRng } from '../../../core/ml/train/rng';

function disk(w: number, h: number, cx: number, cy: number, r: number, into = new Uint8Array(w * h)): Uint8Array {
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) into[y * w + x] = 1;
  return into;
}

/** brute force: distance to the nearest pixel outside the mask, the border counting as outside */
function bruteDt(m: Uint8Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!m[y * w + x]) continue;
      let best = Math.min(x + 1, y + 1, w - x, h - y);
      for (let v = 0; v < h; v++) for (let u = 0; u < w; u++) if (!m[v * w + u]) best = Math.min(best, Math.hypot(u - x, v - y));
      out[y * w + x] = best;
    }
  }
  return out;
}

describe('distance transform', () => {
  it('equals brute force on random masks', () => {
    const rng = createRng(4);
    for (const [w, h] of [[1, 1], [7, 5], [13, 17]] as const) {
      const m = Uint8Array.from({ length: w * h }, () => (rng.next() < 0.7 ? 1 : 0));
      const got = distanceTransform(m, w, h);
      const ref = bruteDt(m, w, h);
      for (let i = 0; i < m.length; i++) expect(got[i]).toBeCloseTo(ref[i]!, 4);
    }
  });
});

describe('click simulation', () => {
  it('puts the first click deep inside the object', () => {
    const gt = disk(40, 30, 12, 15, 6);
    expect(firstClick(gt, 40, 30)).toEqual({ x: 12, y: 15, positive: true });
    expect(firstClick(new Uint8Array(40 * 30), 40, 30)).toBeNull();
  });

  it('clicks the largest error: positive for a missed part, negative for a false blob', () => {
    const w = 60;
    const h = 40;
    const gt = disk(w, h, 15, 20, 8);
    const pred = disk(w, h, 15, 20, 3); // most of the object missed
    expect(nextClick(pred, gt, w, h)).toMatchObject({ positive: true });
    const fp = disk(w, h, 45, 20, 7, gt.slice()); // a big false positive elsewhere
    const c = nextClick(fp, gt, w, h)!;
    expect(c).toEqual({ x: 45, y: 20, positive: false });
    expect(nextClick(gt, gt, w, h)).toBeNull();
  });

  it('encodes clicks as disks in separate positive/negative maps', () => {
    const { pos, neg } = encodeClicks([{ x: 2, y: 2, positive: true }, { x: 7, y: 0, positive: false }], 10, 5, 1);
    expect(pos.reduce((a, b) => a + b, 0)).toBe(5);
    expect(neg.reduce((a, b) => a + b, 0)).toBe(4); // clipped at the top border
    expect(pos[2 * 10 + 2]).toBe(1);
    expect(neg[7]).toBe(1);
  });

  it('simulates interactions from a mask: first click inside, corrupted previous masks', () => {
    const w = 50;
    const h = 50;
    const gt = disk(w, h, 25, 25, 10);
    const rng = createRng(9);
    let withPrev = 0;
    for (let t = 0; t < 40; t++) {
      const s = simulateInteraction(gt, w, h, rng);
      expect(s.clicks.length).toBeGreaterThanOrEqual(1);
      const f = s.clicks[0]!;
      expect(f.positive).toBe(true);
      expect(gt[f.y * w + f.x]).toBe(1);
      if (s.prev.some((v) => v)) withPrev++;
    }
    expect(withPrev).toBeGreaterThan(5);
    const c = corruptMask(gt, w, h, createRng(1));
    expect(c.length).toBe(gt.length);
  });
});

describe('zoom-in windows', () => {
  it('centres a fresh window on the click and grows box windows around the object', () => {
    expect(freshWindow({ x: 50, y: 40, positive: true }, 20)).toEqual({ x0: 23, y0: 13, side: 55 });
    expect(boxWindow({ x0: 10, y0: 10, x1: 29, y1: 19 }, 10)).toEqual({ x0: -1, y0: -6, side: 42 });
    const m = disk(100, 100, 50, 50, 10);
    expect(maskBox(m, 100, 100)).toEqual({ x0: 40, y0: 40, x1: 60, y1: 60 });
    const win = interactionWindow([{ x: 50, y: 50, positive: true }, { x: 70, y: 50, positive: true }], m, 100, 100, 16);
    expect(win.x0).toBeLessThanOrEqual(40);
    expect(win.x0 + win.side).toBeGreaterThan(70);
  });
});
