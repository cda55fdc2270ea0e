/**
 * The canvas view: screen = image * scale + offset (CSS px). Pure arithmetic, no DOM.
 * `scale` is in screen px per true image px (1 = 100 %).
 */
import type { Rect } from '../../../../core/mask/types';

export const MIN_SCALE = 1 / 256;
export const MAX_SCALE = 64;
/** zoom steps for the keyboard (+ / -): 1/64 .. 6400 % on a gentle geometric scale */
const STEP = Math.SQRT2;

export class ViewTransform {
  scale = 1;
  ox = 0;
  oy = 0;

  toImage(sx: number, sy: number): { x: number; y: number } {
    return { x: (sx - this.ox) / this.scale, y: (sy - this.oy) / this.scale };
  }

  toScreen(ix: number, iy: number): { x: number; y: number } {
    return { x: ix * this.scale + this.ox, y: iy * this.scale + this.oy };
  }

  /** Sets the scale while keeping the image point under (sx, sy) where it is. */
  setScaleAt(scale: number, sx: number, sy: number): void {
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
    const p = this.toImage(sx, sy);
    this.scale = s;
    this.ox = sx - p.x * s;
    this.oy = sy - p.y * s;
  }

  zoomAt(factor: number, sx: number, sy: number): void {
    this.setScaleAt(this.scale * factor, sx, sy);
  }

  /** One keyboard step in or out, landing on round numbers (100 %, 200 %, 50 %) when it passes them. */
  step(dir: 1 | -1, sx: number, sy: number): void {
    const k = Math.log(this.scale) / Math.log(STEP);
    const next = dir > 0 ? Math.floor(k + 1e-6) + 1 : Math.ceil(k - 1e-6) - 1;
    this.setScaleAt(STEP ** next, sx, sy);
  }

  panBy(dx: number, dy: number): void {
    this.ox += dx;
    this.oy += dy;
  }

  /** Whole image in view, centred, with a margin; never blown up past `maxScale`. */
  fit(viewW: number, viewH: number, imgW: number, imgH: number, marginPx = 24, maxScale = 8): void {
    const w = Math.max(1, viewW - 2 * marginPx);
    const h = Math.max(1, viewH - 2 * marginPx);
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, Math.min(w / imgW, h / imgH, maxScale)));
    this.scale = s;
    this.ox = Math.round((viewW - imgW * s) / 2);
    this.oy = Math.round((viewH - imgH * s) / 2);
  }

  /** 100 %: one image pixel per CSS pixel, keeping the point under (sx, sy) (default: view centre). */
  actualSize(viewW: number, viewH: number, sx = viewW / 2, sy = viewH / 2): void {
    this.setScaleAt(1, sx, sy);
    this.ox = Math.round(this.ox);
    this.oy = Math.round(this.oy);
  }

  /**
   * Keeps at least `keepPx` of the image on screen, so a fling can never lose it.
   */
  clamp(viewW: number, viewH: number, imgW: number, imgH: number, keepPx = 48): void {
    const w = imgW * this.scale;
    const h = imgH * this.scale;
    const kx = Math.min(keepPx, w);
    const ky = Math.min(keepPx, h);
    this.ox = Math.min(viewW - kx, Math.max(kx - w, this.ox));
    this.oy = Math.min(viewH - ky, Math.max(ky - h, this.oy));
  }

  /** Image pixels in view (clipped to the image), or null when none. */
  visibleImageRect(viewW: number, viewH: number, imgW: number, imgH: number): Rect | null {
    const a = this.toImage(0, 0);
    const b = this.toImage(viewW, viewH);
    const x0 = Math.max(0, Math.floor(a.x));
    const y0 = Math.max(0, Math.floor(a.y));
    const x1 = Math.min(imgW, Math.ceil(b.x));
    const y1 = Math.min(imgH, Math.ceil(b.y));
    if (x1 <= x0 || y1 <= y0) return null;
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  /** Screen rectangle (CSS px, rounded outwards) of an image rectangle. */
  screenRectOf(r: Rect, padPx = 0): Rect {
    const a = this.toScreen(r.x, r.y);
    const b = this.toScreen(r.x + r.width, r.y + r.height);
    const x = Math.floor(a.x) - padPx;
    const y = Math.floor(a.y) - padPx;
    return { x, y, width: Math.ceil(b.x) + padPx - x, height: Math.ceil(b.y) + padPx - y };
  }
}
