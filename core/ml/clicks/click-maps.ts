/** Clicks and their encoding as model input channels (RITM style: binary disks). */

export interface Click {
  x: number;
  y: number;
  /** true: "this is the object"; false: "this is not" */
  positive: boolean;
}

/** Default disk radius of an encoded click, in pixels of the model input. */
export const CLICK_RADIUS_PX = 5;

/**
 * Positive and negative click maps (w x h, 1 inside a disk of `radiusPx` around each click),
 * written into `pos`/`neg` (or fresh arrays).
 */
export function encodeClicks(
  clicks: readonly Click[],
  width: number,
  height: number,
  radiusPx = CLICK_RADIUS_PX,
  pos = new Float32Array(width * height),
  neg = new Float32Array(width * height),
): { pos: Float32Array; neg: Float32Array } {
  const r = Math.max(0, radiusPx);
  const r2 = r * r;
  for (const c of clicks) {
    const target = c.positive ? pos : neg;
    const y0 = Math.max(0, Math.floor(c.y - r));
    const y1 = Math.min(height - 1, Math.ceil(c.y + r));
    const x0 = Math.max(0, Math.floor(c.x - r));
    const x1 = Math.min(width - 1, Math.ceil(c.x + r));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = x - c.x;
        const dy = y - c.y;
        if (dx * dx + dy * dy <= r2) target[y * width + x] = 1;
      }
    }
  }
  return { pos, neg };
}

/** Assembles the 3 guidance channels after the image channels. */
export function interleaveGuidance(image: Float32Array, c: number, pos: Float32Array, neg: Float32Array, prev: ArrayLike<number>, out: Float32Array, offset: number): void {
  const n = pos.length;
  const cc = c + 3;
  for (let i = 0; i < n; i++) {
    const o = offset + i * cc;
    for (let j = 0; j < c; j++) out[o + j] = image[i * c + j]!;
    out[o + c] = pos[i]!;
    out[o + c + 1] = neg[i]!;
    out[o + c + 2] = prev[i]!;
  }
}
