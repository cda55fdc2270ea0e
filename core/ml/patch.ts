/**
 * An image crop with its labels (and loss weights): the unit that training batches, augmentation
 * and click refinement's zoom-in window all resample. Shared geometry of core/ml/train and
 * core/ml/infer, so neither depends on the other for it.
 */
export interface Patch {
  width: number;
  height: number;
  channels: number;
  image: Float32Array;
  labels: Uint8Array;
  weights: Float32Array | null;
  instances: Uint32Array | null;
}

/** numpy 'reflect' indexing (edge not repeated): -1 -> 1, n -> n - 2. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/**
 * Resamples the window [x0, x0 + winW) x [y0, y0 + winH) of `src` (coordinates may fall
 * outside: reflected) to outW x outH. Image bilinear (half-pixel centres), labels/weights/
 * instances nearest. With winW = outW and winH = outH it is an exact crop.
 */
export function resampleWindow(src: Patch, x0: number, y0: number, winW: number, winH: number, outW: number, outH: number): Patch {
  const { width: W, height: H, channels: C } = src;
  const n = outW * outH;
  const image = new Float32Array(n * C);
  const labels = new Uint8Array(n);
  const weights = src.weights ? new Float32Array(n) : null;
  const instances = src.instances ? new Uint32Array(n) : null;
  const exact = winW === outW && winH === outH && Number.isInteger(x0) && Number.isInteger(y0);
  const sx = winW / outW;
  const sy = winH / outH;
  for (let oy = 0; oy < outH; oy++) {
    const fy = y0 + (oy + 0.5) * sy - 0.5;
    const ny = reflectIndex(Math.round(y0 + (oy + 0.5) * sy - 0.5), H);
    const yA = Math.floor(fy);
    const wy = fy - yA;
    const ya = reflectIndex(yA, H);
    const yb = reflectIndex(yA + 1, H);
    for (let ox = 0; ox < outW; ox++) {
      const o = oy * outW + ox;
      const fx = x0 + (ox + 0.5) * sx - 0.5;
      const nx = reflectIndex(Math.round(fx), W);
      const ni = ny * W + nx;
      labels[o] = src.labels[ni]!;
      if (weights) weights[o] = src.weights![ni]!;
      if (instances) instances[o] = src.instances![ni]!;
      if (exact) {
        for (let c = 0; c < C; c++) image[o * C + c] = src.image[ni * C + c]!;
        continue;
      }
      const xA = Math.floor(fx);
      const wx = fx - xA;
      const xa = reflectIndex(xA, W);
      const xb = reflectIndex(xA + 1, W);
      const i00 = (ya * W + xa) * C;
      const i01 = (ya * W + xb) * C;
      const i10 = (yb * W + xa) * C;
      const i11 = (yb * W + xb) * C;
      for (let c = 0; c < C; c++) {
        const top = src.image[i00 + c]! * (1 - wx) + src.image[i01 + c]! * wx;
        const bot = src.image[i10 + c]! * (1 - wx) + src.image[i11 + c]! * wx;
        image[o * C + c] = top * (1 - wy) + bot * wy;
      }
    }
  }
  return { width: outW, height: outH, channels: C, image, labels, weights, instances };
}

/** Plain crop (reflect-padded outside the image). */
export function cropPatch(src: Patch, x0: number, y0: number, w: number, h: number): Patch {
  return resampleWindow(src, x0, y0, w, h, w, h);
}
