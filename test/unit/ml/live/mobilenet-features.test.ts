import { describe, expect, it } from 'vitest';
import { areaDownscale, MobileNetFeatures } from '../../../../core/ml/live/mobilenet-features';
import { findNsfwjsMobileNet } from '../../../../core/ml/models/mobilenet-unet';
import { selectBackend } from '../../../../core/ml/backend';
import { REPO_ROOT } from '../../../helpers/paths';

describe('areaDownscale', () => {
  it('averages each output pixel over its block (hand-computed 4x2 -> 2x1)', () => {
    // RGB pixels: red channel 0..7, green 10x, blue constant 1
    const src = new Float32Array(4 * 2 * 3);
    for (let i = 0; i < 8; i++) src.set([i, 10 * i, 1], i * 3);
    const out = areaDownscale(src, 4, 2, 2, 1);
    // left block: pixels 0,1,4,5 -> 2.5; right block: 2,3,6,7 -> 4.5
    expect(Array.from(out)).toEqual([2.5, 25, 1, 4.5, 45, 1]);
  });

  it('covers every source pixel once for non-integer factors (the mean is kept)', () => {
    const sw = 7;
    const sh = 5;
    const src = Float32Array.from({ length: sw * sh * 3 }, (_, i) => (i * 37) % 11);
    const out = areaDownscale(src, sw, sh, 7, 5);
    expect(Array.from(out)).toEqual(Array.from(src));
    const half = areaDownscale(src, sw, sh, 3, 2);
    expect(half.length).toBe(3 * 2 * 3);
    // blocks: columns [0,2) [2,4) [4,7), rows [0,2) [2,5): area-weighted outputs sum to the source sum
    const bw = [2, 2, 3];
    const bh = [2, 3];
    for (let c = 0; c < 3; c++) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < sw * sh; i++) a += src[i * 3 + c]!;
      for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) b += half[(y * 3 + x) * 3 + c]! * bw[x]! * bh[y]!;
      expect(b).toBeCloseTo(a, 3);
    }
    // the first block by hand: pixels (0,0) (1,0) (0,1) (1,1)
    const px = (x: number, y: number) => src[(y * sw + x) * 3]!;
    expect(half[0]).toBeCloseTo((px(0, 0) + px(1, 0) + px(0, 1) + px(1, 1)) / 4, 5);
  });
});

const nsfw = findNsfwjsMobileNet(REPO_ROOT);

describe.skipIf(!nsfw)(`MobileNetFeatures with maxSide${nsfw ? '' : ' (skipped: the nsfwjs package is not installed)'}`, () => {
  it('returns full-size features that are the features of the downscaled copy, upsampled', async () => {
    await selectBackend({ force: 'cpu', env: {} });
    const mn = await MobileNetFeatures.load(nsfw);
    try {
      const w = 96;
      const h = 64;
      const img = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => Math.round(127 + 100 * Math.sin((i / 3) % w / 15) * Math.cos(Math.floor(i / 3 / w) / 12))), width: w, height: h, channels: 3 };
      const small = mn.compute(img, 4, 48);
      expect(small.width).toBe(w);
      expect(small.height).toBe(h);
      expect(small.channels).toBe(12);
      expect(small.data.length).toBe(w * h * 12);
      expect(small.data.every((v) => Number.isFinite(v))).toBe(true);
      // the encoder read the 48 x 32 area-average copy; upsampling x2 (tf resizeBilinear, corner-aligned
      // source positions) puts the copy's features exactly on the even pixels
      const rgb = Float32Array.from(img.data, (v) => v / 255);
      const down = mn.compute({ data: areaDownscale(rgb, w, h, 48, 32), width: 48, height: 32, channels: 3 }, 4);
      for (const [x, y] of [[0, 0], [10, 6], [47, 31], [23, 17]] as const) {
        for (let k = 0; k < 12; k++) expect(small.data[((2 * y) * w + 2 * x) * 12 + k]).toBeCloseTo(down.data[(y * 48 + x) * 12 + k]!, 4);
      }
      expect(() => mn.compute(img, 4, 8)).toThrow(/maxSide/);
    } finally {
      mn.dispose();
    }
  }, 60_000);
});
