/** The mask PNG codec: exact round trips, and agreement with sharp (libvips/libspng) on files it writes. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, PngError } from '../../../core/formats/png-codec';
import { mulberry32 } from './synthetic';

const W = 37;
const H = 23;

function noise(n: number, max: number, seed: number): number[] {
  const r = mulberry32(seed);
  // runs, so the Up filter and zlib have something to do, plus noise
  return Array.from({ length: n }, (_, i) => (i % 7 < 4 ? Math.floor(i / 50) % (max + 1) : Math.floor(r() * (max + 1))));
}

describe('encodePng / decodePng', () => {
  it.each([
    [37, 23],
    [36, 23],
  ])('round-trips 8-bit grey, 16-bit grey and palette images exactly (%i x %i)', (W, H) => {
    const g8 = Uint8Array.from(noise(W * H, 255, 1));
    const g16 = Uint16Array.from(noise(W * H, 65535, 2));
    const pal = new Uint8Array(256 * 3).map((_, i) => (i * 37) & 255);
    const p8 = Uint8Array.from(noise(W * H, 255, 3));
    const a = decodePng(encodePng({ width: W, height: H, bitDepth: 8, kind: 'grey', data: g8 }));
    expect([a.colorType, a.bitDepth, a.channels]).toEqual([0, 8, 1]);
    expect(a.data).toEqual(g8);
    const b = decodePng(encodePng({ width: W, height: H, bitDepth: 16, kind: 'grey', data: g16, level: 1 }));
    expect(b.data).toEqual(g16);
    const c = decodePng(encodePng({ width: W, height: H, bitDepth: 8, kind: 'palette', data: p8, palette: pal }));
    expect([c.colorType, c.bitDepth]).toEqual([3, 8]);
    expect(c.data).toEqual(p8);
    expect(c.palette).toEqual(pal);
  });

  it('writes files that sharp reads with the same values', async () => {
    const g16 = Uint16Array.from(noise(W * H, 65535, 4));
    const png = encodePng({ width: W, height: H, bitDepth: 16, kind: 'grey', data: g16 });
    const { data, info } = await sharp(png).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const u16 = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    expect(Array.from({ length: W * H }, (_, i) => u16[i * info.channels])).toEqual(Array.from(g16));
  });

  it('reads what sharp writes: grey, RGB, RGBA, 16-bit, palette (1..8 bits), interlaced', async () => {
    const rgb = Buffer.from(noise(W * H * 3, 255, 5));
    const rgba = Buffer.from(noise(W * H * 4, 255, 6));
    const grey = Buffer.from(noise(W * H, 255, 7));
    // [name, PNG written by sharp (lossless), the pixels it was given]
    const cases: [string, Buffer, Buffer][] = [
      ['grey', await sharp(grey, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toBuffer(), grey],
      ['rgb', await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer(), rgb],
      ['rgba', await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toBuffer(), rgba],
      ['rgb interlaced', await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png({ progressive: true }).toBuffer(), rgb],
      ['grey interlaced', await sharp(grey, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png({ progressive: true }).toBuffer(), grey],
    ];
    for (const [name, file, pixels] of cases) {
      const ours = decodePng(file);
      expect(file[28], `${name}: IHDR interlace method`).toBe(name.includes('interlaced') ? 1 : 0);
      expect(ours.channels, name).toBe(pixels.length / (W * H));
      expect(Buffer.from(ours.data as Uint8Array).equals(pixels), name).toBe(true);
    }
    for (const bits of [1, 2, 4, 8] as const) {
      const file = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png({ palette: true, colours: 2 ** bits, dither: 0 }).toBuffer();
      const ours = decodePng(file);
      expect([ours.colorType, ours.bitDepth], `palette ${bits}`).toEqual([3, bits]);
      const ref = await sharp(file).raw().toBuffer();
      const expanded = Buffer.alloc(W * H * 3);
      for (let i = 0; i < W * H; i++) expanded.set(ours.palette!.subarray(3 * ours.data[i]!, 3 * ours.data[i]! + 3), 3 * i);
      expect(expanded.equals(ref), `palette ${bits}`).toBe(true);
    }
  });

  it('reports truncated, damaged and foreign files', () => {
    const png = encodePng({ width: 4, height: 4, bitDepth: 8, kind: 'grey', data: new Uint8Array(16) });
    expect(() => decodePng(new Uint8Array([1, 2, 3]))).toThrow(new PngError('not a PNG file (bad signature)'));
    expect(() => decodePng(png.slice(0, png.length - 12))).toThrow('truncated PNG (no IEND chunk)');
    expect(() => decodePng(png.slice(0, 50))).toThrow(/truncated PNG \(chunk IDAT is cut off\)/);
    const bad = png.slice();
    bad[20] = bad[20]! ^ 1;
    expect(() => decodePng(bad)).toThrow('damaged PNG (CRC mismatch in chunk IHDR)');
  });
});
