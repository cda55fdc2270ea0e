import { describe, expect, it } from 'vitest';
import { liveInstances } from '../../../../core/ml/live/live-instances';

/** binary prediction from a foreground-probability function */
function pred(w: number, h: number, p: (x: number, y: number) => number) {
  const labels = new Uint8Array(w * h);
  const probs = new Float32Array(w * h * 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = p(x, y);
      const i = y * w + x;
      probs[i * 2 + 1] = v;
      probs[i * 2] = 1 - v;
      labels[i] = v > 0.5 ? 1 : 0;
    }
  }
  return { labels, probs };
}

describe('liveInstances', () => {
  it('splits two touching discs at the low-probability neck between them', () => {
    const w = 40;
    const h = 20;
    // two discs of radius 7 at x = 12 and x = 26 (they overlap at x ~ 19); probability falls near the rims
    const p = (x: number, y: number) => {
      const d = Math.min(Math.hypot(x - 12, y - 10), Math.hypot(x - 26, y - 10));
      return d < 4 ? 0.95 : d < 7 ? 0.65 : 0.05;
    };
    const { labels, probs } = pred(w, h, p);
    const r = liveInstances(labels, probs, w, h, 2);
    expect(r.classOf.length - 1).toBe(2);
    const left = r.ids[10 * w + 12]!;
    const right = r.ids[10 * w + 26]!;
    expect(left).toBeGreaterThan(0);
    expect(right).toBeGreaterThan(0);
    expect(left).not.toBe(right);
    // every foreground pixel belongs to an instance; the split is near the middle
    for (let i = 0; i < w * h; i++) expect(r.ids[i]! > 0).toBe(labels[i] === 1);
    expect(r.ids[10 * w + 17]).toBe(left);
    expect(r.ids[10 * w + 21]).toBe(right);
    expect(r.score[left]!).toBeGreaterThan(0.6);
  });

  it('an unsure blob without seeds is still one object; specks are dropped', () => {
    const w = 30;
    const h = 10;
    const p = (x: number, y: number) => ((x > 2 && x < 12 && y > 2 && y < 8) ? 0.6 : x === 25 && y === 5 ? 0.9 : 0.1);
    const { labels, probs } = pred(w, h, p);
    const r = liveInstances(labels, probs, w, h, 2);
    expect(r.classOf).toEqual([0, 1]);
    expect(r.ids[5 * w + 25]).toBe(0);
    expect(r.ids[5 * w + 5]).toBe(1);
  });

  it('rejects mismatched sizes', () => {
    expect(() => liveInstances(new Uint8Array(4), new Float32Array(4), 2, 2, 2)).toThrow(RangeError);
  });
});
