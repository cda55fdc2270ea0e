import { describe, expect, it } from 'vitest';
import { base64DecodePure, base64Pure, base64ToBytes, bytesToBase64, fromWireJson, toWireJson } from '../../../core/api/wire';

describe('wire JSON', () => {
  it('round-trips Uint8Array of every length mod 3, including views into larger buffers', () => {
    for (let n = 0; n < 70_000; n = n * 3 + 1) {
      const big = new Uint8Array(n + 10).map((_, i) => (i * 37 + 11) & 255);
      const view = big.subarray(5, 5 + n);
      const s = bytesToBase64(view);
      expect(s).toBe(Buffer.from(view).toString('base64'));
      expect(base64ToBytes(s)).toEqual(view);
      // the pure-TS fallback (runtimes without Buffer or btoa) agrees
      expect(base64Pure(view)).toBe(s);
      expect(base64DecodePure(s)).toEqual(view);
    }
  });

  it('carries binary inside nested JSON and rejects bad base64', () => {
    const v = { a: [1, { b: Uint8Array.from([0, 255, 7]) }], s: 'x' };
    expect(fromWireJson(toWireJson(v))).toEqual(v);
    expect(() => base64ToBytes('abc')).toThrow(/invalid base64/);
    expect(() => base64ToBytes('ab!=')).toThrow(/invalid base64/);
  });
});
