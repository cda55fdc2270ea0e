/**
 * Pixels painted as "background" for the live classifier (eraser strokes while an image is
 * open): one bit per pixel, row-major, least significant bit first, as live.strokeEnded takes
 * them. A stroke segment marks every pixel whose centre lies within `radius` of the segment
 * (a capsule), the footprint of the round brush.
 */
export function scribbleBytes(width: number, height: number): Uint8Array {
  return new Uint8Array(Math.ceil((width * height) / 8));
}

export function paintScribbleSegment(bits: Uint8Array, width: number, height: number, a: { x: number; y: number }, b: { x: number; y: number }, radius: number): void {
  const r = Math.max(0.5, radius);
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - r));
  const x1 = Math.min(width - 1, Math.ceil(Math.max(a.x, b.x) + r));
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - r));
  const y1 = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + r));
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / len2)) : 0;
      const ex = px - (a.x + t * dx);
      const ey = py - (a.y + t * dy);
      if (ex * ex + ey * ey <= r2) {
        const i = y * width + x;
        bits[i >> 3]! |= 1 << (i & 7);
      }
    }
  }
}

export function scribbleBitAt(bits: Uint8Array, width: number, x: number, y: number): boolean {
  const i = y * width + x;
  return ((bits[i >> 3]! >> (i & 7)) & 1) === 1;
}
