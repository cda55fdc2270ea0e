import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../../core/api/errors';
import { decodeLiveModel } from '../../../../core/ml/live/live-model-file';
import { LiveSession } from '../../../../core/ml/worker/live-session';

/** bright squares on a dark background; truth 0/1 */
function squares(w: number, h: number) {
  const data = new Uint8Array(w * h);
  const truth = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = x % 32 >= 8 && x % 32 < 24 && y % 32 >= 8 && y % 32 < 24;
      truth[y * w + x] = inside ? 1 : 0;
      data[y * w + x] = (inside ? 170 : 50) + ((x * 13 + y * 7) % 21);
    }
  }
  return { image: { data, width: w, height: h, channels: 1 }, truth };
}

describe('LiveSession (worker thread)', () => {
  const session = new LiveSession();
  afterAll(() => session.close());

  it('a stroke trains off the main thread and returns a prediction of the image', async () => {
    const { image, truth } = squares(96, 96);
    await session.setImage('a', image, { scales: [0.7, 1.6, 3.5] });
    const labels = new Uint8Array(96 * 96);
    for (let x = 10; x < 22; x++) labels[16 * 96 + x] = 2; // inside the first square
    for (let x = 0; x < 96; x++) labels[2 * 96 + x] = 1; // background row
    const first = session.stroke('a', labels); // superseded by the next one, unless the worker finished it first
    labels[48 * 96 + 50] = 2;
    const u = await session.stroke('a', labels);
    expect(u).not.toBeNull();
    // Coalescing is a race with the worker: the first stroke is either dropped (null) or answered
    // with an earlier sequence number; never after the second.
    const f = await first;
    if (f !== null) expect(f.seq).toBeLessThan(u!.seq);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < truth.length; i++) {
      inter += (u!.labels[i]! ? 1 : 0) & truth[i]!;
      union += (u!.labels[i]! ? 1 : 0) | truth[i]!;
    }
    expect(inter / union).toBeGreaterThan(0.8);
    const bytes = await session.modelBytes();
    expect(decodeLiveModel(bytes!).trainedOn.images).toBe(1);
  });

  it('an image whose features cannot be computed is rejected with a readable error', async () => {
    await expect(session.setImage('bad', { data: new Uint8Array(3), width: 4, height: 4, channels: 1 })).rejects.toThrow(AppError);
    await expect(session.stroke('bad', new Uint8Array(16))).rejects.toThrow(/not sent/);
  });
});
