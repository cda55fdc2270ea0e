/** The live forest as a stored model kind: worker-side train from finished masks, evaluate, and the Segmenter registry entry. */
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../../core/api/errors';
import { loadSegmenter } from '../../../../core/ml/segmenter-kinds';
import { liveModelConfig } from '../../../../core/ml/live/live-segmenter';
import { LiveSession } from '../../../../core/ml/worker/live-session';

/** bright squares on a dark background (RGB 0..1, as the product prepares images); truth 0/1 */
function squares(w: number, h: number, phase: number) {
  const data = new Float32Array(w * h * 3);
  const truth = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const xx = x + phase;
      const inside = xx % 32 >= 8 && xx % 32 < 24 && y % 32 >= 8 && y % 32 < 24;
      truth[y * w + x] = inside ? 1 : 0;
      const v = ((inside ? 170 : 50) + ((x * 13 + y * 7) % 21)) / 255;
      data.fill(v, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  return { image: { data, width: w, height: h, channels: 3 }, truth };
}

const iou = (inter: number[], union: number[]) => (union[1] ? inter[1]! / union[1] : 0);

describe('live model versions', () => {
  const session = new LiveSession();
  afterAll(() => session.close());
  const features = { scales: [0.7, 1.6, 3.5], normalize: 'robust' as const };

  it('trains from finished masks (labels without predicting), scores a held-out image, and pre-labels through the registry', async () => {
    const a = squares(96, 96, 0);
    await session.setImage('a', a.image, features);
    const labels = Uint8Array.from(a.truth, (t) => t + 1); // a finished mask: every pixel is labelled
    expect(await session.labels('a', labels, true)).toBeGreaterThan(1000);
    const t = await session.train();
    expect(t.images).toBe(1);
    expect(t.perClass.every((c) => c > 0)).toBe(true);
    const b = squares(96, 96, 5);
    const ev = await session.evaluate(b.image, features, b.truth);
    expect(iou(ev.inter, ev.union)).toBeGreaterThan(0.8);

    const bytes = await session.modelBytes();
    expect(bytes).not.toBeNull();
    const seg = await loadSegmenter('live', { id: 1, config: liveModelConfig([7], features) }, bytes!);
    expect(seg.kind).toBe('live');
    expect(seg.classIds).toEqual([7]);
    const p = await seg.predict(b.image);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < b.truth.length; i++) {
      const x = p.classMap[i] === 1;
      const y = b.truth[i] === 1;
      if (x && y) inter++;
      if (x || y) union++;
    }
    expect(inter / union).toBeGreaterThan(0.8);
    expect(p.meanUncertainty).toBeGreaterThanOrEqual(0);
    expect(p.confidence.every((c) => c >= 0 && c <= 1)).toBe(true);
  });

  it('a corrupt live version is a corrupt-data error, not a crash', async () => {
    await expect(loadSegmenter('live', { id: 3, config: liveModelConfig([1]) }, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))).rejects.toThrow(AppError);
  });
});
