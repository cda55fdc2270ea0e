/**
 * What the canvas draws for a model proposal, kept ready between frames:
 *
 *   fill      the shown proposal pixels (visible instances, confident enough, where the person's
 *             mask is still background) in their class colour, one canvas pixel per image pixel
 *             (or per `step` image pixels on very large images); the canvas hatches it in screen
 *             space so it never looks like the person's solid mask
 *   outlines  per visible instance, its contour as a Path2D in image coordinates (drawn dashed)
 *   heat      uncertainty (1 - confidence) as a yellow-to-red ramp, transparent where certain
 *
 * Painting in the person's mask updates only the fill inside the changed rect.
 */
import type { ProposalLayer } from '../../../../core/editor/proposal-layer';
import type { LabelMap } from '../../../../core/mask/label-map';
import { traceContours } from '../../../../core/mask/contour';
import type { Rect } from '../../../../core/mask/types';

/** larger proposals are drawn from every 2nd/4th... pixel */
const MAX_FILL_PX = 4096 * 4096;

export class ProposalRender {
  readonly layer: ProposalLayer;
  readonly step: number;
  readonly fill: HTMLCanvasElement;
  #fillCtx: CanvasRenderingContext2D;
  #fillData: ImageData;
  #fill32: Uint32Array;
  #target: LabelMap;
  #colorOf: (classId: number) => number;
  /** per visible instance: its outline and packed colour */
  outlines: { id: number; path: Path2D; color: string }[] = [];
  #heat: HTMLCanvasElement | null = null;

  constructor(layer: ProposalLayer, target: LabelMap, colorOf: (classId: number) => number) {
    this.layer = layer;
    this.#target = target;
    this.#colorOf = colorOf;
    const { width, height } = layer.map;
    let step = 1;
    while ((width / step) * (height / step) > MAX_FILL_PX) step *= 2;
    this.step = step;
    this.fill = document.createElement('canvas');
    this.fill.width = Math.ceil(width / step);
    this.fill.height = Math.ceil(height / step);
    const ctx = this.fill.getContext('2d');
    if (!ctx) throw new Error('2D canvas is not available');
    this.#fillCtx = ctx;
    this.#fillData = ctx.createImageData(this.fill.width, this.fill.height);
    this.#fill32 = new Uint32Array(this.#fillData.data.buffer);
    this.rebuild();
  }

  /** class colours changed */
  setColors(colorOf: (classId: number) => number): void {
    this.#colorOf = colorOf;
    this.rebuild();
  }

  /** threshold or consumed instances changed: everything */
  rebuild(): void {
    this.update(null);
    this.#traceOutlines();
  }

  /** the person's mask changed inside `rect` (null: everywhere) */
  update(rect: Rect | null): void {
    const { width, height, ids } = this.layer.map;
    const step = this.step;
    const fw = this.fill.width;
    const r = rect ?? { x: 0, y: 0, width, height };
    const sx0 = Math.floor(r.x / step);
    const sy0 = Math.floor(r.y / step);
    const sx1 = Math.min(fw, Math.ceil((r.x + r.width) / step));
    const sy1 = Math.min(this.fill.height, Math.ceil((r.y + r.height) / step));
    if (sx1 <= sx0 || sy1 <= sy0) return;
    const layer = this.layer;
    const conf = layer.confidence;
    const min = layer.minConfidence;
    const dst = this.#target.ids;
    const out = this.#fill32;
    // colour per instance, resolved once per pass
    const color = new Map<number, number>();
    for (let sy = sy0; sy < sy1; sy++) {
      const y = sy * step;
      for (let sx = sx0; sx < sx1; sx++) {
        const i = y * width + sx * step;
        const p = ids[i]!;
        let c = 0;
        if (p && dst[i] === 0 && (!conf || conf[i]! >= min)) {
          let k = color.get(p);
          if (k === undefined) {
            const inst = layer.isVisible(p) ? layer.map.getInstance(p) : undefined;
            k = inst ? this.#colorOf(inst.classId) : 0;
            color.set(p, k);
          }
          c = k;
        }
        out[sy * fw + sx] = c;
      }
    }
    this.#fillCtx.putImageData(this.#fillData, 0, 0, sx0, sy0, sx1 - sx0, sy1 - sy0);
  }

  #traceOutlines(): void {
    const layer = this.layer;
    const map = layer.map;
    const conf = layer.confidence;
    const min = layer.minConfidence;
    const visible = new Set(layer.visibleInstances().map((i) => i.id));
    this.outlines = [];
    if (!visible.size) return;
    const stats = map.stats();
    for (const [id, s] of stats) {
      if (!visible.has(id)) continue;
      const b = s.bbox;
      const crop = new Uint8Array(b.width * b.height);
      for (let y = 0; y < b.height; y++) {
        const row = (b.y + y) * map.width + b.x;
        for (let x = 0; x < b.width; x++) {
          const i = row + x;
          if (map.ids[i] === id && (!conf || conf[i]! >= min)) crop[y * b.width + x] = 1;
        }
      }
      const polys = traceContours(crop, b.width, b.height, { simplifyTolerancePx: b.width * b.height > 400 ? 0.5 : 0 });
      const path = new Path2D();
      for (const poly of polys) {
        for (const ring of [poly.outer, ...poly.holes]) {
          for (let k = 0; k < ring.length; k += 2) {
            const x = ring[k]! + b.x;
            const y = ring[k + 1]! + b.y;
            if (k === 0) path.moveTo(x, y);
            else path.lineTo(x, y);
          }
          path.closePath();
        }
      }
      const inst = map.getInstance(id)!;
      this.outlines.push({ id, path, color: cssOf(this.#colorOf(inst.classId), 0.35) });
    }
  }

  /** the uncertainty heatmap (built on first use); null without per-pixel confidence */
  heat(): HTMLCanvasElement | null {
    const conf = this.layer.confidence;
    if (!conf) return null;
    if (this.#heat) return this.#heat;
    const { width } = this.layer.map;
    const step = this.step;
    const c = document.createElement('canvas');
    c.width = this.fill.width;
    c.height = this.fill.height;
    const ctx = c.getContext('2d');
    if (!ctx) return null;
    const data = ctx.createImageData(c.width, c.height);
    const out = new Uint32Array(data.data.buffer);
    const ramp = heatRamp();
    for (let sy = 0; sy < c.height; sy++) {
      const row = sy * step * width;
      for (let sx = 0; sx < c.width; sx++) out[sy * c.width + sx] = ramp[255 - conf[row + sx * step]!]!;
    }
    ctx.putImageData(data, 0, 0);
    this.#heat = c;
    return c;
  }
}

/** uncertainty 0..255 -> packed RGBA: transparent when certain, yellow, then orange to red */
export function heatRamp(): Uint32Array {
  const out = new Uint32Array(256);
  for (let u = 0; u < 256; u++) {
    const t = u / 255;
    if (t < 0.04) continue;
    // most models are never below 50 % sure of the winning label: the ramp spends itself on 0..0.6
    const k = Math.min(1, t / 0.6);
    const r = Math.round(255 - 25 * k);
    const g = Math.round(215 - 175 * k);
    const b = Math.round(40 + 40 * k);
    const a = Math.round(255 * Math.min(0.78, 0.18 + 0.7 * k));
    out[u] = ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
  }
  return out;
}

/**
 * The heatmap's legend: a CSS gradient over the model's confidence from 100 % (left) to 40 %
 * (right; the ramp is saturated below it), the same colours the canvas draws.
 */
export function heatLegendCss(stops = 7): string {
  const ramp = heatRamp();
  const parts: string[] = [];
  for (let i = 0; i < stops; i++) {
    const f = i / (stops - 1);
    const u = Math.round(f * 0.6 * 255); // uncertainty 0 .. 0.6
    const p = ramp[u]!;
    parts.push(`rgb(${p & 255} ${(p >>> 8) & 255} ${(p >>> 16) & 255} / ${(((p >>> 24) & 255) / 255).toFixed(2)}) ${Math.round(f * 100)}%`);
  }
  return `linear-gradient(to right, ${parts.join(', ')})`;
}

/** packed 0xAABBGGRR -> css rgb(), mixed with `white` (0..1) of white so dashes read on dark images */
function cssOf(packed: number, white = 0): string {
  const mix = (c: number): number => Math.round(c + (255 - c) * white);
  return `rgb(${mix(packed & 255)} ${mix((packed >>> 8) & 255)} ${mix((packed >>> 16) & 255)})`;
}
