/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012, two 1-D passes of the
 * lower envelope of parabolas): for every pixel of the mask (nonzero), the distance to the
 * nearest pixel outside it. Pixels beyond the image border count as outside, so a mask that
 * touches the border is "shallow" there (what click simulation wants).
 */

const INF = 1e20;

/** 1-D squared distance transform of f (length n) into d, using scratch v (Int32) and z (Float64). */
function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -INF;
  z[1] = INF;
  for (let q = 1; q < n; q++) {
    let s: number;
    for (;;) {
      const p = v[k]!;
      s = (f[q]! + q * q - (f[p]! + p * p)) / (2 * q - 2 * p);
      if (s <= z[k]! && k > 0) k--;
      else break;
    }
    if (s <= z[k]!) {
      // k === 0 and the new parabola dominates
      v[0] = q;
      z[0] = -INF;
      z[1] = INF;
      k = 0;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = INF;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const p = v[k]!;
    d[q] = (q - p) * (q - p) + f[p]!;
  }
}

/** Euclidean distance of each mask pixel to the nearest non-mask pixel (0 outside the mask). */
export function distanceTransform(mask: ArrayLike<number>, width: number, height: number): Float32Array {
  // pad by one background pixel on every side
  const W = width + 2;
  const H = height + 2;
  const g = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inside = x > 0 && y > 0 && x <= width && y <= height && mask[(y - 1) * width + (x - 1)] !== 0;
      g[y * W + x] = inside ? INF : 0;
    }
  }
  const n = Math.max(W, H);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < W; x++) {
    for (let y = 0; y < H; y++) f[y] = g[y * W + x]!;
    edt1d(f, H, d, v, z);
    for (let y = 0; y < H; y++) g[y * W + x] = d[y]!;
  }
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) f[x] = g[y * W + x]!;
    edt1d(f, W, d, v, z);
    for (let x = 0; x < W; x++) g[y * W + x] = d[x]!;
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = Math.sqrt(g[(y + 1) * W + (x + 1)]!);
  }
  return out;
}
