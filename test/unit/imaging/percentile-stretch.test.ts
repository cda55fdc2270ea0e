import { describe, expect, it } from 'vitest';
import { flattenToRgb8, floatToUint16, percentileRange, scaleTo8, stretchTo8, toDisplayRgb8 } from '../../../core/imaging';

describe('percentile stretch', () => {
  it('maps 12-bit data in a 16-bit container to the full 8-bit range', () => {
    const data = new Uint16Array(10_000);
    for (let i = 0; i < data.length; i++) data[i] = Math.round((i / (data.length - 1)) * 4095);
    const range = percentileRange(data, 1);
    expect(range.low).toBeLessThanOrEqual(5);
    expect(range.high).toBeGreaterThanOrEqual(4085);
    const out = stretchTo8(data, 1, range);
    expect(out[0]).toBe(0);
    expect(out[out.length - 1]).toBe(255);
    expect(out[5000]).toBeGreaterThan(120);
    expect(out[5000]).toBeLessThan(136);
    // the plain conversion is nearly black
    expect(Math.max(...scaleTo8(data))).toBeLessThanOrEqual(16);
  });

  it('ignores a few hot pixels', () => {
    const data = new Uint16Array(100_000).fill(1000);
    for (let i = 0; i < data.length; i++) data[i] = 1000 + (i % 1000);
    for (let i = 0; i < 50; i++) data[i * 997] = 65535; // 0.05 % saturated
    const range = percentileRange(data, 1);
    expect(range.high).toBeLessThan(2000);
    expect(range.low).toBeLessThan(1002);
  });

  it('falls back to min..max for mostly-empty images and to plain scaling for constant ones', () => {
    const sparse = new Uint16Array(100_000); // 99.99 % zero
    sparse[10] = 7;
    sparse[20] = 9;
    expect(percentileRange(sparse, 1)).toEqual({ low: 0, high: 9 });
    expect(percentileRange(new Uint16Array(100).fill(4000), 1)).toEqual({ low: 0, high: 65535 });
  });

  it('leaves alpha out of the range and scales it by value', () => {
    // grey+alpha: grey 0..100, alpha 65535
    const data = new Uint16Array(202);
    for (let i = 0; i < 101; i++) {
      data[i * 2] = i;
      data[i * 2 + 1] = 65535;
    }
    const range = percentileRange(data, 2, { lowPercent: 0, highPercent: 100 });
    expect(range).toEqual({ low: 0, high: 100 });
    const out = stretchTo8(data, 2, range);
    expect(out[200]).toBe(255);
    expect(out[201]).toBe(255);
    expect(out[101]).toBe(255);
  });

  it('rescales float samples to 16-bit', () => {
    const f = Float32Array.from([-1, 0, 1, Number.NaN]);
    const { data, min, max } = floatToUint16(f, 1);
    expect([min, max]).toEqual([-1, 1]);
    expect(Array.from(data)).toEqual([0, 32768, 65535, 0]);
  });

  it('flattens grey, grey+alpha and RGBA onto the background', () => {
    expect(Array.from(flattenToRgb8(Uint8Array.of(10, 200), 1))).toEqual([10, 10, 10, 200, 200, 200]);
    expect(Array.from(flattenToRgb8(Uint8Array.of(200, 0, 200, 255), 2, [0, 50, 100]))).toEqual([0, 50, 100, 200, 200, 200]);
    expect(Array.from(flattenToRgb8(Uint8Array.of(255, 0, 0, 128), 4, [0, 0, 255]))).toEqual([128, 0, 127]);
    const rgb = Uint8Array.of(1, 2, 3);
    expect(flattenToRgb8(rgb, 3)).toBe(rgb);
  });

  it('toDisplayRgb8 stretches 16-bit and passes 8-bit through', () => {
    const d16 = toDisplayRgb8({ width: 2, height: 1, channels: 1, bitDepth: 16, data: Uint16Array.of(100, 4000) });
    expect(Array.from(d16.data)).toEqual([0, 0, 0, 255, 255, 255]);
    expect(d16.range).toEqual({ low: 100, high: 4000 });
    const d8 = toDisplayRgb8({ width: 1, height: 1, channels: 3, bitDepth: 8, data: Uint8Array.of(1, 2, 3) });
    expect(Array.from(d8.data)).toEqual([1, 2, 3]);
    expect(d8.range).toBeNull();
  });
});
