/**
 * The grid's mask overlay: an image's label map shrunk to thumbnail size (nearest sample per
 * output pixel), each object tinted with its class colour and outlined at full opacity, so done
 * and unlabelled images differ at a glance. RGBA, same aspect ratio as the image.
 */
import sharp from 'sharp';
import type { LabelMap } from '../mask/label-map';

const TINT_ALPHA = 80;

/** RGBA pixels of the overlay (longest side <= maxSide), or null when the mask has no pixels */
export function maskPreviewPixels(map: LabelMap, colourOf: (instanceId: number) => [number, number, number] | null, maxSide: number): { width: number; height: number; rgba: Uint8Array } | null {
  const scale = Math.min(1, maxSide / Math.max(map.width, map.height));
  const w = Math.max(1, Math.round(map.width * scale));
  const h = Math.max(1, Math.round(map.height * scale));
  const ids = new Uint32Array(w * h);
  let any = false;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(map.height - 1, Math.floor(((y + 0.5) * map.height) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(map.width - 1, Math.floor(((x + 0.5) * map.width) / w));
      const v = map.ids[sy * map.width + sx]!;
      ids[y * w + x] = v;
      if (v) any = true;
    }
  }
  if (!any) return null;
  const rgba = new Uint8Array(w * h * 4);
  const colours = new Map<number, [number, number, number] | null>();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = ids[i]!;
      if (!v) continue;
      let c = colours.get(v);
      if (c === undefined) colours.set(v, (c = colourOf(v)));
      if (!c) continue;
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 || ids[i - 1] !== v || ids[i + 1] !== v || ids[i - w] !== v || ids[i + w] !== v;
      rgba.set([c[0], c[1], c[2], edge ? 255 : TINT_ALPHA], i * 4);
    }
  }
  return { width: w, height: h, rgba };
}

/** '#rrggbb' -> [r, g, b] */
export function hexRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.replace('#', '').slice(0, 6), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** the overlay as a data: URL (PNG), or null for an empty mask */
export async function maskPreviewDataUrl(map: LabelMap, colourOf: (instanceId: number) => [number, number, number] | null, maxSide: number): Promise<string | null> {
  const px = maskPreviewPixels(map, colourOf, maxSide);
  if (!px) return null;
  const png = await sharp(Buffer.from(px.rgba.buffer, px.rgba.byteOffset, px.rgba.byteLength), { raw: { width: px.width, height: px.height, channels: 4 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
