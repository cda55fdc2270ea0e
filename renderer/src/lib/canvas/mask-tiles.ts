/**
 * The mask overlay, drawn in tiles. Nothing here is ever as large as the image:
 *
 * - A tile is OVERLAY_TILE_PX x OVERLAY_TILE_PX samples in its own small canvas. A tile of level k
 *   covers (OVERLAY_TILE_PX << k) image pixels and samples every 2^k-th one, and the level follows
 *   the zoom (about one sample per screen pixel), so the number of tiles on screen stays in the
 *   tens whether the image is 512 px or 20,000 px wide. Level 0 is pixel-exact.
 * - Only tiles in view are rasterised, from `ids` (the label map) through a colour per instance
 *   (its class colour; 0 for hidden classes). Tiles live in an LRU cache.
 * - A paint change marks the part of each cached tile it touches as dirty; the next draw
 *   re-rasterises only that part (putImageData with a dirty rectangle).
 */
import type { Rect } from '../../../../core/mask/types';
import type { RasterJob, RasterSource } from './rasterize';
import { rasterizeTile } from './rasterize';
import type { ViewTransform } from './view-transform';

export const OVERLAY_TILE_PX = 256;
const T = OVERLAY_TILE_PX;
const MIN_CACHED_TILES = 160;

type Canvas2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

interface Tile {
  level: number;
  tx: number;
  ty: number;
  canvas: OffscreenCanvas | HTMLCanvasElement;
  ctx: Canvas2D;
  /** samples of this tile inside the image */
  sw: number;
  sh: number;
  /** part that must be re-rasterised (tile-local samples, end exclusive); `fresh` = everything */
  dirty: { x0: number; y0: number; x1: number; y1: number } | null;
  fresh: boolean;
  usedAt: number;
}

export interface TileDrawStats {
  drawn: number;
  rasterized: number;
  /** samples rasterised this call */
  samples: number;
}

function newCanvas(): { canvas: OffscreenCanvas | HTMLCanvasElement; ctx: Canvas2D } {
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(T, T);
    const ctx = canvas.getContext('2d');
    if (ctx) return { canvas, ctx };
  }
  const canvas = document.createElement('canvas');
  canvas.width = T;
  canvas.height = T;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('2D canvas is not available');
  return { canvas, ctx };
}

export class MaskTiles {
  readonly src: RasterSource;
  #tiles = new Map<string, Tile>();
  #pool: { canvas: OffscreenCanvas | HTMLCanvasElement; ctx: Canvas2D }[] = [];
  #scratch: ImageData;
  #scratch32: Uint32Array;
  #colors = new Map<number, number>();
  #resolve: (id: number) => number;
  #outline = false;
  #selected = 0;
  #selectedColor = 0xffffffff;
  #frame = 0;
  #maxLevel: number;
  #maxTiles = MIN_CACHED_TILES;

  #exists: (id: number) => boolean;

  /**
   * `resolve(id)`: packed colour of an instance (0 = not drawn), cached until refreshColors/resetColors;
   * `exists(id)`: whether the instance is still in the table (a removed one has no pixels left to redraw).
   */
  constructor(src: RasterSource, resolve: (id: number) => number, exists: (id: number) => boolean = () => true) {
    this.src = src;
    this.#resolve = resolve;
    this.#exists = exists;
    this.#scratch = new ImageData(T, T);
    this.#scratch32 = new Uint32Array(this.#scratch.data.buffer);
    this.#maxLevel = Math.max(0, Math.ceil(Math.log2(Math.max(src.width, src.height, 1) / T)));
  }

  get outline(): boolean {
    return this.#outline;
  }
  get selected(): number {
    return this.#selected;
  }
  get cachedTiles(): number {
    return this.#tiles.size;
  }

  setOutline(on: boolean): void {
    if (on === this.#outline) return;
    this.#outline = on;
    this.invalidateAll();
  }

  setSelected(id: number): void {
    if (id === this.#selected) return;
    this.#selected = id;
    this.invalidateAll();
  }

  /** Every colour may have changed (class colours, hidden classes). */
  resetColors(resolve?: (id: number) => number): void {
    if (resolve) this.#resolve = resolve;
    this.#colors.clear();
    this.invalidateAll();
  }

  /**
   * Re-resolves the colours seen so far (after undo/redo or a class change of an instance);
   * re-rasterises only when one of them changed. Returns whether anything changed.
   */
  refreshColors(): boolean {
    const gone: number[] = [];
    for (const [id, c] of this.#colors) {
      if (this.#resolve(id) === c) continue;
      // undoing the gesture that created an instance took its pixels with it: nothing to redraw
      if (!this.#exists(id)) {
        gone.push(id);
        continue;
      }
      this.resetColors();
      return true;
    }
    for (const id of gone) this.#colors.delete(id);
    return false;
  }

  invalidateAll(): void {
    for (const t of this.#tiles.values()) t.fresh = true;
  }

  /** Pixels in `r` changed: mark the samples they (and, for outlines, their neighbours) affect. */
  invalidateRect(r: Rect): void {
    for (const t of this.#tiles.values()) {
      if (t.fresh) continue;
      const step = 1 << t.level;
      const ox = t.tx * T * step;
      const oy = t.ty * T * step;
      // a pixel's outline depends on its neighbours one sample away
      const x0 = Math.max(0, Math.floor((r.x - step - ox) / step));
      const y0 = Math.max(0, Math.floor((r.y - step - oy) / step));
      const x1 = Math.min(t.sw, Math.ceil((r.x + r.width + step - ox) / step) + 1);
      const y1 = Math.min(t.sh, Math.ceil((r.y + r.height + step - oy) / step) + 1);
      if (x1 <= x0 || y1 <= y0) continue;
      const d = t.dirty;
      t.dirty = d ? { x0: Math.min(d.x0, x0), y0: Math.min(d.y0, y0), x1: Math.max(d.x1, x1), y1: Math.max(d.y1, y1) } : { x0, y0, x1, y1 };
    }
  }

  /** Level for a zoom: about one sample per screen pixel (never coarser). */
  levelFor(scale: number): number {
    if (scale >= 1) return 0;
    return Math.min(this.#maxLevel, Math.max(0, Math.floor(Math.log2(1 / scale) + 1e-9)));
  }

  /**
   * Draws the tiles in view onto `ctx` (identity transform, device pixels). With `clip` (CSS px),
   * only that part of the canvas is cleared and redrawn.
   */
  draw(ctx: CanvasRenderingContext2D, view: ViewTransform, viewW: number, viewH: number, dpr: number, clip: Rect | null = null): TileDrawStats {
    const stats: TileDrawStats = { drawn: 0, rasterized: 0, samples: 0 };
    const frame = ++this.#frame;
    const { width: W, height: H } = this.src;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = false;
    let area: Rect = { x: 0, y: 0, width: viewW, height: viewH };
    if (clip) {
      const x0 = Math.max(0, clip.x);
      const y0 = Math.max(0, clip.y);
      const x1 = Math.min(viewW, clip.x + clip.width);
      const y1 = Math.min(viewH, clip.y + clip.height);
      if (x1 <= x0 || y1 <= y0) {
        ctx.restore();
        return stats;
      }
      area = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
      const dx0 = Math.floor(x0 * dpr);
      const dy0 = Math.floor(y0 * dpr);
      const dx1 = Math.ceil(x1 * dpr);
      const dy1 = Math.ceil(y1 * dpr);
      ctx.beginPath();
      ctx.rect(dx0, dy0, dx1 - dx0, dy1 - dy0);
      ctx.clip();
      ctx.clearRect(dx0, dy0, dx1 - dx0, dy1 - dy0);
    } else {
      ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    }

    const a = view.toImage(area.x, area.y);
    const b = view.toImage(area.x + area.width, area.y + area.height);
    const vx0 = Math.max(0, Math.floor(a.x));
    const vy0 = Math.max(0, Math.floor(a.y));
    const vx1 = Math.min(W, Math.ceil(b.x));
    const vy1 = Math.min(H, Math.ceil(b.y));
    if (vx1 > vx0 && vy1 > vy0) {
      const level = this.levelFor(view.scale);
      const step = 1 << level;
      const span = T * step;
      const tx0 = Math.floor(vx0 / span);
      const ty0 = Math.floor(vy0 / span);
      const tx1 = Math.floor((vx1 - 1) / span);
      const ty1 = Math.floor((vy1 - 1) / span);
      this.#maxTiles = Math.max(MIN_CACHED_TILES, Math.ceil((tx1 - tx0 + 1) * (ty1 - ty0 + 1) * 1.5));
      const k = view.scale * dpr;
      for (let ty = ty0; ty <= ty1; ty++) {
        for (let tx = tx0; tx <= tx1; tx++) {
          const t = this.#tile(level, tx, ty);
          t.usedAt = frame;
          if (t.fresh || t.dirty) {
            stats.samples += this.#rasterize(t);
            stats.rasterized++;
          }
          const ix0 = tx * span;
          const iy0 = ty * span;
          const ix1 = Math.min(W, ix0 + t.sw * step);
          const iy1 = Math.min(H, iy0 + t.sh * step);
          // whole device pixels at both edges: neighbouring tiles meet without seams
          const dx0 = Math.round(view.ox * dpr + ix0 * k);
          const dy0 = Math.round(view.oy * dpr + iy0 * k);
          const dx1 = Math.round(view.ox * dpr + ix1 * k);
          const dy1 = Math.round(view.oy * dpr + iy1 * k);
          if (dx1 <= dx0 || dy1 <= dy0) continue;
          ctx.drawImage(t.canvas, 0, 0, t.sw, t.sh, dx0, dy0, dx1 - dx0, dy1 - dy0);
          stats.drawn++;
        }
      }
    }
    ctx.restore();
    // a partial redraw touches only some visible tiles: evict after full draws only
    if (!clip) this.#evict(frame);
    return stats;
  }

  /** drops everything (the canvases go back to the pool) */
  clear(): void {
    for (const t of this.#tiles.values()) this.#pool.push({ canvas: t.canvas, ctx: t.ctx });
    this.#tiles.clear();
  }

  dispose(): void {
    this.#tiles.clear();
    this.#pool = [];
    this.#colors.clear();
  }

  #tile(level: number, tx: number, ty: number): Tile {
    const key = `${level}:${tx}:${ty}`;
    let t = this.#tiles.get(key);
    if (t) return t;
    const step = 1 << level;
    const { canvas, ctx } = this.#pool.pop() ?? newCanvas();
    const sw = Math.min(T, Math.ceil((this.src.width - tx * T * step) / step));
    const sh = Math.min(T, Math.ceil((this.src.height - ty * T * step) / step));
    t = { level, tx, ty, canvas, ctx, sw, sh, dirty: null, fresh: true, usedAt: 0 };
    this.#tiles.set(key, t);
    return t;
  }

  #rasterize(t: Tile): number {
    const r = t.fresh ? { x0: 0, y0: 0, x1: t.sw, y1: t.sh } : t.dirty!;
    t.fresh = false;
    t.dirty = null;
    const step = 1 << t.level;
    const job: RasterJob = {
      x0: t.tx * T * step,
      y0: t.ty * T * step,
      step,
      sx0: r.x0,
      sy0: r.y0,
      sx1: r.x1,
      sy1: r.y1,
      outline: this.#outline,
      selected: this.#selected,
      selectedColor: this.#selectedColor,
    };
    rasterizeTile(this.src, job, this.#scratch32, T, this.#color);
    t.ctx.putImageData(this.#scratch, 0, 0, r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
    return (r.x1 - r.x0) * (r.y1 - r.y0);
  }

  #color = (id: number): number => {
    let c = this.#colors.get(id);
    if (c === undefined) {
      c = this.#resolve(id);
      this.#colors.set(id, c);
    }
    return c;
  };

  #evict(frame: number): void {
    if (this.#tiles.size <= this.#maxTiles) return;
    const old = [...this.#tiles.entries()].filter(([, t]) => t.usedAt !== frame).sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [key, t] of old.slice(0, this.#tiles.size - this.#maxTiles)) {
      this.#tiles.delete(key);
      if (this.#pool.length < 32) this.#pool.push({ canvas: t.canvas, ctx: t.ctx });
    }
  }
}
