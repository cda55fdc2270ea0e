/** Loading the display image and, for the magic wand, its pixels. */
import type { ImageBuffer } from '../../../../core/mask/flood-fill';

/** Loads and decodes an image (rejects with a readable message). */
export async function loadDisplayImage(url: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.decoding = 'async';
  img.src = url;
  try {
    await img.decode();
  } catch {
    throw new Error('The image could not be loaded or decoded.');
  }
  return img;
}

/**
 * The RGBA pixels of the display image when it has the image's true size (the wand works in
 * image pixels); null when the display image is a downscaled preview or the pixels cannot be read.
 */
export function readImagePixels(img: HTMLImageElement, trueW: number, trueH: number): ImageBuffer | null {
  if (img.naturalWidth !== trueW || img.naturalHeight !== trueH) return null;
  try {
    const c = new OffscreenCanvas(trueW, trueH);
    const ctx = c.getContext('2d', { willReadFrequently: true });
    if (!ctx) return null;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, trueW, trueH);
    return { data: d.data, width: trueW, height: trueH, channels: 4 };
  } catch {
    // a tainted canvas (cross-origin asset) or out of memory
    return null;
  }
}
