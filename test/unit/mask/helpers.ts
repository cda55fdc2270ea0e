/** Small helpers for the mask tests: masks written as rows of '0'/'1', a seeded PRNG. */

export interface RowsMask {
  mask: Uint8Array;
  width: number;
  height: number;
}

/** ['0110', '1000'] -> row-major 0/1 mask. Spaces are ignored, so rows may be spaced for reading. */
export function maskFromRows(rows: readonly string[]): RowsMask {
  const clean = rows.map((r) => r.replace(/\s+/g, ''));
  const height = clean.length;
  const width = height ? clean[0]!.length : 0;
  const mask = new Uint8Array(width * height);
  clean.forEach((r, y) => {
    if (r.length !== width) throw new Error(`row ${y} has ${r.length} columns, expected ${width}`);
    for (let x = 0; x < width; x++) mask[y * width + x] = r[x] === '0' ? 0 : 1;
  });
  return { mask, width, height };
}

/** Row-major mask (any values) -> rows, one character per pixel: '0' for 0, else the value (ids > 9 as letters). */
export function rowsFromMask(mask: ArrayLike<number>, width: number, height: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    let s = '';
    for (let x = 0; x < width; x++) s += mask[y * width + x]!.toString(36);
    rows.push(s);
  }
  return rows;
}

/** Deterministic PRNG in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

/** Salt-and-pepper mask with foreground probability p. */
export function noiseMask(rnd: () => number, width: number, height: number, p: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let i = 0; i < m.length; i++) m[i] = rnd() < p ? 1 : 0;
  return m;
}

/** A few random filled rectangles and discs (smooth shapes with long runs). */
export function blobMask(rnd: () => number, width: number, height: number, shapes = 4): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let s = 0; s < shapes; s++) {
    const cx = rnd() * width;
    const cy = rnd() * height;
    const r = 1 + rnd() * Math.max(width, height) * 0.3;
    const disc = rnd() < 0.5;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        if (disc ? dx * dx + dy * dy <= r * r : Math.abs(dx) <= r && Math.abs(dy) <= r * 0.6) m[y * width + x] = 1;
      }
    }
  }
  return m;
}

/** Row-major -> column-major (Fortran order), as pycocotools sees a mask. */
export function transpose(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[x * height + y] = mask[y * width + x]!;
  return out;
}

export function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
