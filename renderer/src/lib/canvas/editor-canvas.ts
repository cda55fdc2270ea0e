/**
 * The labelling canvas: three stacked <canvas> layers in one host element.
 *
 *   image    the display image, drawn scaled to the image's true size (the display image may be
 *            a downscaled preview); redrawn only when the view changes
 *   mask     the overlay tiles (MaskTiles); a paint change redraws only the screen rectangle it
 *            touched, a view change redraws what is in view
 *   proposal a model proposal (ProposalRender): hatched translucent fill and dashed outlines,
 *            and the uncertainty heatmap under them when it is on
 *   overlay  brush cursor, polygon in progress, the object being refined and its clicks;
 *            redrawn on pointer moves
 *
 * Pointer events go to the core Editor in image coordinates (pointer capture; coalesced events
 * while a gesture runs, so fast strokes keep every sample). All drawing happens in one
 * requestAnimationFrame callback per frame.
 */
import type { Editor, EditorChange } from '../../../../core/editor/editor';
import { toolSpec } from '../../../../core/editor/tool-registry';
import type { PolygonTool } from '../../../../core/editor/tools/polygon-tool';
import type { AcceptBrushTool } from '../../../../core/editor/tools/accept-brush-tool';
import type { RefineObject, RefineTool } from '../../../../core/editor/tools/refine-tool';
import { traceContours } from '../../../../core/mask/contour';
import type { ProposalRender } from './proposal-render';
import type { EditorPointerEvent } from '../../../../core/editor/tools/tool';
import type { LabelMap } from '../../../../core/mask/label-map';
import type { Rect } from '../../../../core/mask/types';
import { unionRect } from '../../../../core/mask/types';
import { MaskTiles } from './mask-tiles';
import { ViewTransform } from './view-transform';

export interface CanvasHover {
  /** image pixel under the pointer */
  x: number;
  y: number;
  inside: boolean;
  /** instance id there (0 = background) */
  id: number;
}

export interface EditorCanvasOptions {
  /** the zoom changed (scale: screen px per image px) */
  onview?: (scale: number) => void;
  onhover?: (h: CanvasHover | null) => void;
  /** the image was drawn for the first time */
  onfirstpaint?: () => void;
  /** collect brush latency samples (pointer handler start -> end of the frame that drew it) */
  measureLatency?: boolean;
}

export interface OverlayStyle {
  /** class colour of new paint, for the polygon outline */
  accent: string;
}

const WHEEL_ZOOM = 0.0015;
const PINCH_ZOOM = 0.01;
const SNAP_SCREEN_PX = 8;

export class EditorCanvas {
  readonly view = new ViewTransform();
  readonly host: HTMLElement;
  #opts: EditorCanvasOptions;
  #imageCanvas: HTMLCanvasElement;
  #maskCanvas: HTMLCanvasElement;
  #proposalCanvas: HTMLCanvasElement;
  #overlayCanvas: HTMLCanvasElement;
  #imageCtx: CanvasRenderingContext2D;
  #maskCtx: CanvasRenderingContext2D;
  #proposalCtx: CanvasRenderingContext2D;
  #overlayCtx: CanvasRenderingContext2D;
  #resize: ResizeObserver;
  #cssW = 0;
  #cssH = 0;
  #dpr = 1;
  #hostRect: DOMRect | null = null;

  /** true image size (the mask's size) */
  #docW = 0;
  #docH = 0;
  #image: CanvasImageSource | null = null;
  #imagePainted = false;
  #fitted = false;

  #map: LabelMap | null = null;
  #tiles: MaskTiles | null = null;
  #editor: Editor | null = null;
  #unsubscribe: (() => void)[] = [];
  #opacity = 0.5;
  #outline = false;
  #accent = '#6ea8fe';

  #needImage = false;
  #needMaskAll = false;
  #maskDirty: Rect | null = null;
  #needOverlay = false;
  #needProposal = false;
  #proposal: ProposalRender | null = null;
  #heatOn = false;
  #hatch: CanvasPattern | null = null;
  /** the refined object drawn as an image, cached per object */
  #objectArt: { obj: RefineObject; canvas: HTMLCanvasElement; outline: Path2D } | null = null;
  #raf = 0;
  #destroyed = false;

  #pointer: { sx: number; sy: number } | null = null;
  #activePointer: number | null = null;
  #activeButton = 0;
  /** read-only pan (no editor) */
  #dragPan: { sx: number; sy: number } | null = null;
  #lastHover: CanvasHover | null = null;

  #latencyStarts: { t: number; handlerMs: number }[] = [];
  /** per pointer move during a gesture: handler start -> end of the frame that drew it (ms) */
  readonly latencySamples: number[] = [];
  /** per pointer move: handler time + that frame's render time (the work, without waiting for the frame) */
  readonly workSamples: number[] = [];
  /** duration of the last render callbacks (ms), for the bench */
  readonly frameTimes: number[] = [];

  constructor(host: HTMLElement, opts: EditorCanvasOptions = {}) {
    this.host = host;
    this.#opts = opts;
    const make = (cls: string): [HTMLCanvasElement, CanvasRenderingContext2D] => {
      const c = document.createElement('canvas');
      c.className = cls;
      c.style.position = 'absolute';
      c.style.inset = '0';
      c.style.width = '100%';
      c.style.height = '100%';
      host.appendChild(c);
      const ctx = c.getContext('2d', { alpha: true });
      if (!ctx) throw new Error('2D canvas is not available');
      return [c, ctx];
    };
    [this.#imageCanvas, this.#imageCtx] = make('layer-image');
    [this.#maskCanvas, this.#maskCtx] = make('layer-mask');
    [this.#proposalCanvas, this.#proposalCtx] = make('layer-proposal');
    this.#proposalCanvas.style.pointerEvents = 'none';
    [this.#overlayCanvas, this.#overlayCtx] = make('layer-overlay');
    this.#overlayCanvas.dataset.testid = 'editor-canvas';
    this.#overlayCanvas.style.touchAction = 'none';
    this.#maskCanvas.style.opacity = String(this.#opacity);

    this.#resize = new ResizeObserver(() => this.#measure());
    this.#resize.observe(host);
    this.#measure();

    const o = this.#overlayCanvas;
    o.addEventListener('pointerdown', this.#onPointerDown);
    o.addEventListener('pointermove', this.#onPointerMove);
    o.addEventListener('pointerup', this.#onPointerUp);
    o.addEventListener('pointercancel', this.#onPointerUp);
    o.addEventListener('pointerleave', this.#onPointerLeave);
    o.addEventListener('wheel', this.#onWheel, { passive: false });
    o.addEventListener('contextmenu', (e) => e.preventDefault());
    // no middle-button autoscroll / paste
    o.addEventListener('mousedown', (e) => {
      if (e.button === 1) e.preventDefault();
    });
    o.addEventListener('auxclick', (e) => e.preventDefault());
  }

  // ---------- document ----------

  /** A new image of this true size (from its ImageRow): the view fits it (now, or once laid out). */
  resetView(width: number, height: number): void {
    this.#docW = width;
    this.#docH = height;
    this.#fitted = false;
    this.#pointer = null;
    this.#fitIfReady();
    this.#requestAll();
  }

  /** The display image (drawn scaled to the true size); null while loading. */
  setImage(img: CanvasImageSource | null): void {
    this.#image = img;
    this.#imagePainted = false;
    this.#needImage = true;
    this.#schedule();
  }

  /** The label map and the resolver of instance colours; null: no mask drawn. */
  setMask(map: LabelMap | null, colorOf: (id: number) => number): void {
    this.#tiles?.dispose();
    this.#map = map;
    this.#tiles = map ? new MaskTiles(map, colorOf, (id) => map.hasInstance(id)) : null;
    this.#tiles?.setOutline(this.#outline);
    this.#needMaskAll = true;
    this.#schedule();
  }

  setEditor(editor: Editor | null): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#editor = editor;
    if (editor) {
      this.#unsubscribe.push(
        editor.onDidChange((c) => this.#onChange(c)),
        editor.onPan((dx, dy) => {
          this.view.panBy(dx, dy);
          this.#viewChanged();
        }),
      );
      editor.snapDistancePx = SNAP_SCREEN_PX / this.view.scale;
    }
    this.#updateCursor();
    this.#needOverlay = true;
    this.#schedule();
  }

  /** class colours, hidden classes or an instance's class changed */
  refreshColors(all = false): void {
    if (!this.#tiles) return;
    if (all) this.#tiles.resetColors();
    else if (!this.#tiles.refreshColors()) return;
    this.#needMaskAll = true;
    this.#schedule();
  }

  setOpacity(opacity: number): void {
    this.#opacity = opacity;
    this.#maskCanvas.style.opacity = String(this.#outline ? Math.max(0.85, opacity) : opacity);
  }

  setOutline(on: boolean): void {
    this.#outline = on;
    this.setOpacity(this.#opacity);
    if (this.#tiles && this.#tiles.outline !== on) {
      this.#tiles.setOutline(on);
      this.#needMaskAll = true;
      this.#schedule();
    }
  }

  /** the model proposal to draw (null: none) */
  setProposal(p: ProposalRender | null): void {
    this.#proposal = p;
    this.#needProposal = true;
    this.#schedule();
  }

  /** the proposal's fill or outlines were rebuilt (threshold, accepted instances, colours) */
  refreshProposal(): void {
    this.#needProposal = true;
    this.#schedule();
  }

  /** the uncertainty heatmap on or off */
  setHeatmap(on: boolean): void {
    if (on === this.#heatOn) return;
    this.#heatOn = on;
    this.#needProposal = true;
    this.#schedule();
  }

  setOverlayStyle(s: OverlayStyle): void {
    this.#accent = s.accent;
    this.#needOverlay = true;
    this.#schedule();
  }

  // ---------- view ----------

  fit(): void {
    if (!this.#docW || !this.#cssW) return;
    this.view.fit(this.#cssW, this.#cssH, this.#docW, this.#docH);
    this.#viewChanged();
  }

  actualSize(): void {
    if (!this.#docW || !this.#cssW) return;
    const p = this.#pointer;
    this.view.actualSize(this.#cssW, this.#cssH, p?.sx, p?.sy);
    this.#viewChanged();
  }

  zoomStep(dir: 1 | -1): void {
    const p = this.#pointer ?? { sx: this.#cssW / 2, sy: this.#cssH / 2 };
    this.view.step(dir, p.sx, p.sy);
    this.#viewChanged();
  }

  /** brush size or tool changed: redraw the cursor */
  refreshOverlay(): void {
    this.#updateCursor();
    this.#needOverlay = true;
    this.#schedule();
  }

  get scale(): number {
    return this.view.scale;
  }

  /** page (client) coordinates of an image point (tests and benchmarks drive the mouse with it) */
  clientPoint(ix: number, iy: number): { x: number; y: number } {
    const r = this.host.getBoundingClientRect();
    const p = this.view.toScreen(ix, iy);
    return { x: r.left + p.x, y: r.top + p.y };
  }

  /** whether the display image has been drawn */
  get imagePainted(): boolean {
    return this.#imagePainted;
  }

  destroy(): void {
    this.#destroyed = true;
    cancelAnimationFrame(this.#raf);
    this.#resize.disconnect();
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#tiles?.dispose();
    this.#tiles = null;
    this.#imageCanvas.remove();
    this.#maskCanvas.remove();
    this.#proposalCanvas.remove();
    this.#overlayCanvas.remove();
  }

  // ---------- internals ----------

  #measure(): void {
    const r = this.host.getBoundingClientRect();
    this.#hostRect = r;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width));
    const h = Math.max(1, Math.round(r.height));
    if (w === this.#cssW && h === this.#cssH && dpr === this.#dpr) return;
    const first = this.#cssW === 0 || this.#cssW === 1;
    // keep the image centre where it was
    if (!first && this.#fitted) this.view.panBy((w - this.#cssW) / 2, (h - this.#cssH) / 2);
    this.#cssW = w;
    this.#cssH = h;
    this.#dpr = dpr;
    for (const c of [this.#imageCanvas, this.#maskCanvas, this.#proposalCanvas, this.#overlayCanvas]) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    this.#fitIfReady();
    this.#requestAll();
  }

  #fitIfReady(): void {
    if (this.#fitted || !this.#docW || this.#cssW <= 1) return;
    this.#fitted = true;
    this.view.fit(this.#cssW, this.#cssH, this.#docW, this.#docH);
    this.#viewChanged();
  }

  #viewChanged(): void {
    if (this.#docW) this.view.clamp(this.#cssW, this.#cssH, this.#docW, this.#docH);
    if (this.#editor) this.#editor.snapDistancePx = SNAP_SCREEN_PX / this.view.scale;
    this.#opts.onview?.(this.view.scale);
    this.#requestAll();
  }

  #requestAll(): void {
    this.#needImage = true;
    this.#needMaskAll = true;
    this.#needOverlay = true;
    this.#needProposal = true;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#raf || this.#destroyed) return;
    this.#raf = requestAnimationFrame(this.#frame);
  }

  #onChange(c: EditorChange): void {
    if (c.rect && this.#tiles) {
      this.#tiles.invalidateRect(c.rect);
      this.#maskDirty = unionRect(this.#maskDirty, c.rect);
    }
    if (c.rect && this.#proposal) {
      // the proposal shows only on the person's background
      this.#proposal.update(c.rect);
      this.#needProposal = true;
    }
    if (c.kind === 'undo' || c.kind === 'redo' || c.kind === 'commit' || c.kind === 'cancel') {
      // an instance may have changed class
      if (this.#tiles?.refreshColors()) this.#needMaskAll = true;
    }
    const sel = this.#editor?.selected ?? 0;
    if (this.#tiles && this.#tiles.selected !== sel) {
      this.#tiles.setSelected(sel);
      this.#needMaskAll = true;
    }
    if (c.kind === 'state') this.#updateCursor();
    this.#needOverlay = true;
    this.#schedule();
  }

  #frame = (): void => {
    this.#raf = 0;
    if (this.#destroyed) return;
    const t0 = performance.now();
    if (this.#needImage) this.#drawImage();
    if (this.#needMaskAll) this.#drawMask(null);
    else if (this.#maskDirty) this.#drawMask(this.#maskDirty);
    if (this.#needProposal) this.#drawProposal();
    if (this.#needOverlay) this.#drawOverlay();
    this.#needProposal = false;
    this.#needImage = false;
    this.#needMaskAll = false;
    this.#maskDirty = null;
    this.#needOverlay = false;
    this.#reportHover();
    const t1 = performance.now();
    if (this.#opts.measureLatency) {
      for (const s of this.#latencyStarts) {
        this.latencySamples.push(t1 - s.t);
        this.workSamples.push(s.handlerMs + (t1 - t0));
      }
      this.#latencyStarts.length = 0;
      this.frameTimes.push(t1 - t0);
      if (this.frameTimes.length > 5000) this.frameTimes.splice(0, 2500);
      if (this.latencySamples.length > 20000) {
        this.latencySamples.splice(0, 10000);
        this.workSamples.splice(0, 10000);
      }
    }
  };

  #drawImage(): void {
    const ctx = this.#imageCtx;
    const dpr = this.#dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.#imageCanvas.width, this.#imageCanvas.height);
    if (!this.#docW) return;
    const v = this.view;
    const k = v.scale * dpr;
    ctx.setTransform(k, 0, 0, k, v.ox * dpr, v.oy * dpr);
    // pixels exact from 100 % up; smooth when shrinking
    ctx.imageSmoothingEnabled = v.scale < 1;
    ctx.imageSmoothingQuality = 'medium';
    if (this.#image) {
      ctx.drawImage(this.#image, 0, 0, this.#docW, this.#docH);
      if (!this.#imagePainted) {
        this.#imagePainted = true;
        performance.mark('mw:editor-first-paint');
        this.#opts.onfirstpaint?.();
      }
    } else {
      // placeholder while the image loads: the page, so the layout does not jump
      ctx.fillStyle = 'rgb(255 255 255 / 0.04)';
      ctx.fillRect(0, 0, this.#docW, this.#docH);
    }
  }

  #drawMask(dirty: Rect | null): void {
    const ctx = this.#maskCtx;
    if (!this.#tiles) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.#maskCanvas.width, this.#maskCanvas.height);
      return;
    }
    const clip = dirty ? this.view.screenRectOf(dirty, 2) : null;
    this.#tiles.draw(ctx, this.view, this.#cssW, this.#cssH, this.#dpr, clip);
  }

  #drawProposal(): void {
    const ctx = this.#proposalCtx;
    const dpr = this.#dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.#proposalCanvas.width, this.#proposalCanvas.height);
    const p = this.#proposal;
    if (!p || !this.#docW) return;
    const v = this.view;
    const k = v.scale * dpr;
    const step = p.step;
    ctx.imageSmoothingEnabled = false;
    // 1. the fill in class colours, then hatched in screen space: stripes stay, the rest fades
    ctx.setTransform(k, 0, 0, k, v.ox * dpr, v.oy * dpr);
    ctx.drawImage(p.fill, 0, 0, p.fill.width * step, p.fill.height * step);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalCompositeOperation = 'destination-out';
    ctx.fillStyle = this.#hatchPattern(ctx);
    ctx.fillRect(0, 0, this.#cssW, this.#cssH);
    // 2. the heatmap behind it
    if (this.#heatOn) {
      const heat = p.heat();
      if (heat) {
        ctx.globalCompositeOperation = 'destination-over';
        ctx.setTransform(k, 0, 0, k, v.ox * dpr, v.oy * dpr);
        ctx.imageSmoothingEnabled = v.scale < 1;
        ctx.drawImage(heat, 0, 0, heat.width * step, heat.height * step);
      }
    }
    ctx.globalCompositeOperation = 'source-over';
    // 3. dashed outlines (a dark line under the dashes keeps them visible on any image)
    ctx.setTransform(k, 0, 0, k, v.ox * dpr, v.oy * dpr);
    const px = 1 / v.scale;
    ctx.lineJoin = 'round';
    ctx.lineWidth = 3.5 * px;
    ctx.strokeStyle = 'rgb(0 0 0 / 0.55)';
    ctx.setLineDash([]);
    for (const o of p.outlines) ctx.stroke(o.path);
    ctx.lineWidth = 2 * px;
    ctx.setLineDash([6 * px, 4 * px]);
    for (const o of p.outlines) {
      ctx.strokeStyle = o.color;
      ctx.stroke(o.path);
    }
    ctx.setLineDash([]);
  }

  /** diagonal stripes: where the pattern is opaque the fill is erased most */
  #hatchPattern(ctx: CanvasRenderingContext2D): CanvasPattern | string {
    if (this.#hatch) return this.#hatch;
    const n = 8;
    const c = document.createElement('canvas');
    c.width = n;
    c.height = n;
    const g = c.getContext('2d');
    if (!g) return 'rgb(0 0 0 / 0.7)';
    g.fillStyle = 'rgb(0 0 0 / 0.92)';
    g.fillRect(0, 0, n, n);
    g.globalCompositeOperation = 'copy';
    g.strokeStyle = 'rgb(0 0 0 / 0.6)';
    g.lineWidth = 2;
    g.beginPath();
    for (let o = -n; o <= n; o += n) {
      g.moveTo(o, n);
      g.lineTo(o + n, 0);
    }
    g.stroke();
    this.#hatch = ctx.createPattern(c, 'repeat');
    return this.#hatch ?? 'rgb(0 0 0 / 0.7)';
  }

  #drawRefine(ctx: CanvasRenderingContext2D, tool: RefineTool): void {
    const v = this.view;
    const obj = tool.object;
    if (obj) {
      let art = this.#objectArt;
      if (!art || art.obj !== obj) {
        const c = document.createElement('canvas');
        c.width = obj.width;
        c.height = obj.height;
        const g = c.getContext('2d');
        const outline = new Path2D();
        if (g) {
          const data = g.createImageData(obj.width, obj.height);
          const out = new Uint32Array(data.data.buffer);
          const fill = 0xffffffff;
          for (let i = 0; i < obj.mask.length; i++) if (obj.mask[i]) out[i] = fill;
          g.putImageData(data, 0, 0);
          g.globalCompositeOperation = 'source-in';
          g.fillStyle = this.#accent;
          g.fillRect(0, 0, obj.width, obj.height);
          for (const poly of traceContours(obj.mask, obj.width, obj.height, { simplifyTolerancePx: 0.5 })) {
            for (const ring of [poly.outer, ...poly.holes]) {
              for (let i = 0; i < ring.length; i += 2) {
                if (i === 0) outline.moveTo(ring[i]! + obj.x, ring[i + 1]! + obj.y);
                else outline.lineTo(ring[i]! + obj.x, ring[i + 1]! + obj.y);
              }
              outline.closePath();
            }
          }
        }
        art = { obj, canvas: c, outline };
        this.#objectArt = art;
      }
      const dpr = this.#dpr;
      const k = v.scale * dpr;
      ctx.save();
      ctx.setTransform(k, 0, 0, k, v.ox * dpr, v.oy * dpr);
      ctx.imageSmoothingEnabled = false;
      // dimmer while a newer click is on its way
      ctx.globalAlpha = tool.upToDate ? 0.5 : 0.28;
      ctx.drawImage(art.canvas, obj.x, obj.y);
      ctx.globalAlpha = 1;
      ctx.lineJoin = 'round';
      ctx.lineWidth = 3.5 / v.scale;
      ctx.strokeStyle = 'rgb(0 0 0 / 0.6)';
      ctx.stroke(art.outline);
      ctx.lineWidth = 1.75 / v.scale;
      ctx.strokeStyle = '#fff';
      ctx.stroke(art.outline);
      ctx.restore();
    }
    for (const c of tool.clicks) {
      const s = v.toScreen(c.x + 0.5, c.y + 0.5);
      ctx.beginPath();
      ctx.arc(s.x, s.y, 7, 0, Math.PI * 2);
      ctx.fillStyle = c.positive ? '#3fbf6f' : '#e5484d';
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.5;
      ctx.fill();
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(s.x - 3.5, s.y);
      ctx.lineTo(s.x + 3.5, s.y);
      if (c.positive) {
        ctx.moveTo(s.x, s.y - 3.5);
        ctx.lineTo(s.x, s.y + 3.5);
      }
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.75;
      ctx.stroke();
    }
    // the object's box (a drag), and the one being dragged
    for (const [b, dragging] of [
      [tool.box, false],
      [tool.dragBox, true],
    ] as const) {
      if (!b) continue;
      const a = v.toScreen(b.x0, b.y0);
      const z = v.toScreen(b.x1 + 1, b.y1 + 1);
      ctx.save();
      ctx.lineWidth = 3;
      ctx.strokeStyle = 'rgb(0 0 0 / 0.55)';
      ctx.strokeRect(a.x, a.y, z.x - a.x, z.y - a.y);
      ctx.setLineDash(dragging ? [6, 4] : []);
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = dragging ? '#fff' : '#3fbf6f';
      ctx.strokeRect(a.x, a.y, z.x - a.x, z.y - a.y);
      ctx.restore();
    }
  }

  #drawAcceptBrush(ctx: CanvasRenderingContext2D, tool: AcceptBrushTool, r: number): void {
    const pts = tool.points;
    if (!pts.length) return;
    const v = this.view;
    ctx.save();
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = Math.max(1, r * 2);
    ctx.strokeStyle = 'rgb(92 203 142 / 0.35)';
    ctx.beginPath();
    for (let i = 0; i < pts.length; i++) {
      const s = v.toScreen(pts[i]!.x, pts[i]!.y);
      if (i === 0) ctx.moveTo(s.x, s.y);
      else ctx.lineTo(s.x, s.y);
    }
    if (pts.length === 1) {
      const s = v.toScreen(pts[0]!.x, pts[0]!.y);
      ctx.lineTo(s.x + 0.01, s.y);
    }
    ctx.stroke();
    ctx.restore();
  }

  #drawOverlay(): void {
    const ctx = this.#overlayCtx;
    const dpr = this.#dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.#overlayCanvas.width, this.#overlayCanvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const ed = this.#editor;
    const v = this.view;
    if (v.scale >= 16 && this.#docW) this.#drawPixelGrid(ctx);
    if (!ed) return;
    const p = this.#pointer;
    if (ed.tool === 'polygon') {
      const poly = ed.tools.polygon as PolygonTool;
      const pts = poly.points;
      if (pts.length) {
        const path = new Path2D();
        for (let i = 0; i < pts.length; i += 2) {
          const s = v.toScreen(pts[i]!, pts[i + 1]!);
          if (i === 0) path.moveTo(s.x, s.y);
          else path.lineTo(s.x, s.y);
        }
        const live = new Path2D();
        const last = v.toScreen(pts[pts.length - 2]!, pts[pts.length - 1]!);
        const first = v.toScreen(pts[0]!, pts[1]!);
        if (p) {
          live.moveTo(last.x, last.y);
          live.lineTo(p.sx, p.sy);
          if (pts.length >= 4) live.lineTo(first.x, first.y);
        }
        ctx.lineJoin = 'round';
        ctx.strokeStyle = 'rgb(0 0 0 / 0.6)';
        ctx.lineWidth = 3.5;
        ctx.stroke(path);
        ctx.stroke(live);
        ctx.strokeStyle = this.#accent;
        ctx.lineWidth = 1.5;
        ctx.stroke(path);
        ctx.setLineDash([5, 4]);
        ctx.stroke(live);
        ctx.setLineDash([]);
        for (let i = 0; i < pts.length; i += 2) {
          const s = v.toScreen(pts[i]!, pts[i + 1]!);
          ctx.fillStyle = i === 0 ? this.#accent : '#fff';
          ctx.strokeStyle = 'rgb(0 0 0 / 0.7)';
          ctx.lineWidth = 1;
          ctx.beginPath();
          if (i === 0) ctx.arc(s.x, s.y, 4.5, 0, Math.PI * 2);
          else ctx.rect(s.x - 3, s.y - 3, 6, 6);
          ctx.fill();
          ctx.stroke();
        }
        // closing the ring is one click away: show it
        if (p && pts.length >= 6 && Math.hypot(p.sx - first.x, p.sy - first.y) <= SNAP_SCREEN_PX) {
          ctx.strokeStyle = '#fff';
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.arc(first.x, first.y, 8, 0, Math.PI * 2);
          ctx.stroke();
        }
      }
    }
    if (ed.tool === 'refine') this.#drawRefine(ctx, ed.tools.refine as RefineTool);
    if (ed.tool === 'accept') this.#drawAcceptBrush(ctx, ed.tools.accept as AcceptBrushTool, ed.brushRadiusPx * v.scale);
    if (p && toolSpec(ed.tool).brushSized) {
      const r = ed.brushRadiusPx * v.scale;
      ctx.lineWidth = 1;
      if (r >= 3) {
        ctx.beginPath();
        ctx.arc(p.sx, p.sy, r + 0.75, 0, Math.PI * 2);
        ctx.strokeStyle = 'rgb(0 0 0 / 0.65)';
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(p.sx, p.sy, Math.max(0.5, r - 0.25), 0, Math.PI * 2);
        ctx.strokeStyle = ed.tool === 'accept' ? '#5ccb8e' : '#fff';
        if (ed.tool === 'eraser' || ed.tool === 'accept') ctx.setLineDash([4, 3]);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      // a small cross marks the centre (and is the whole cursor for tiny brushes)
      const c = r >= 3 ? 3 : 6;
      ctx.strokeStyle = 'rgb(0 0 0 / 0.65)';
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.moveTo(p.sx - c, p.sy);
      ctx.lineTo(p.sx + c, p.sy);
      ctx.moveTo(p.sx, p.sy - c);
      ctx.lineTo(p.sx, p.sy + c);
      ctx.stroke();
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1;
      ctx.stroke();
    }
  }

  /** faint pixel grid at high zoom, so single pixels can be placed */
  #drawPixelGrid(ctx: CanvasRenderingContext2D): void {
    const v = this.view;
    const r = v.visibleImageRect(this.#cssW, this.#cssH, this.#docW, this.#docH);
    if (!r) return;
    ctx.beginPath();
    for (let x = r.x; x <= r.x + r.width; x++) {
      const sx = Math.round(v.ox + x * v.scale) + 0.5;
      ctx.moveTo(sx, Math.max(0, v.oy + r.y * v.scale));
      ctx.lineTo(sx, Math.min(this.#cssH, v.oy + (r.y + r.height) * v.scale));
    }
    for (let y = r.y; y <= r.y + r.height; y++) {
      const sy = Math.round(v.oy + y * v.scale) + 0.5;
      ctx.moveTo(Math.max(0, v.ox + r.x * v.scale), sy);
      ctx.lineTo(Math.min(this.#cssW, v.ox + (r.x + r.width) * v.scale), sy);
    }
    ctx.strokeStyle = 'rgb(255 255 255 / 0.08)';
    ctx.lineWidth = 1;
    ctx.stroke();
  }

  #reportHover(): void {
    const p = this.#pointer;
    let h: CanvasHover | null = null;
    if (p && this.#docW) {
      const q = this.view.toImage(p.sx, p.sy);
      const x = Math.floor(q.x);
      const y = Math.floor(q.y);
      const inside = x >= 0 && y >= 0 && x < this.#docW && y < this.#docH;
      h = { x, y, inside, id: inside && this.#map ? this.#map.at(x, y) : 0 };
    }
    const l = this.#lastHover;
    if (h === l || (h && l && h.x === l.x && h.y === l.y && h.id === l.id && h.inside === l.inside)) return;
    this.#lastHover = h;
    this.#opts.onhover?.(h);
  }

  #updateCursor(): void {
    const ed = this.#editor;
    let cursor = 'grab';
    if (this.#dragPan) cursor = 'grabbing';
    else if (ed) {
      const path = ed.statePath;
      if (path === 'pan.panning') cursor = 'grabbing';
      else cursor = toolSpec(ed.tool).cursor;
    }
    if (this.#overlayCanvas.style.cursor !== cursor) this.#overlayCanvas.style.cursor = cursor;
  }

  #local(e: { clientX: number; clientY: number }): { sx: number; sy: number } {
    const r = this.#hostRect ?? this.host.getBoundingClientRect();
    return { sx: e.clientX - r.left, sy: e.clientY - r.top };
  }

  #toEditor(e: PointerEvent, button: number): EditorPointerEvent {
    const { sx, sy } = this.#local(e);
    const q = this.view.toImage(sx, sy);
    return { x: q.x, y: q.y, sx, sy, button, shift: e.shiftKey, alt: e.altKey, ctrl: e.ctrlKey || e.metaKey };
  }

  #onPointerDown = (e: PointerEvent): void => {
    if (this.#activePointer !== null) return;
    this.#hostRect = this.host.getBoundingClientRect();
    this.#pointer = this.#local(e);
    e.preventDefault();
    // keep keyboard focus in the editor (the canvas itself is not focusable)
    const root = this.host.closest<HTMLElement>('[data-editor-root]');
    if (root && document.activeElement !== root) root.focus({ preventScroll: true });
    this.#activePointer = e.pointerId;
    this.#activeButton = e.button;
    try {
      this.#overlayCanvas.setPointerCapture(e.pointerId);
    } catch {
      /* synthetic events have no active pointer */
    }
    const ed = this.#editor;
    if (!ed) {
      if (e.button === 0 || e.button === 1) this.#dragPan = { sx: this.#pointer.sx, sy: this.#pointer.sy };
      this.#updateCursor();
      return;
    }
    ed.pointerDown(this.#toEditor(e, e.button));
    this.#updateCursor();
    this.#needOverlay = true;
    this.#schedule();
  };

  #onPointerMove = (e: PointerEvent): void => {
    if (this.#activePointer !== null && e.pointerId !== this.#activePointer) return;
    if (this.#opts.measureLatency && this.#activePointer !== null) {
      const t = performance.now();
      this.#handleMove(e);
      this.#latencyStarts.push({ t, handlerMs: performance.now() - t });
    } else {
      this.#handleMove(e);
    }
  };

  #handleMove(e: PointerEvent): void {
    this.#pointer = this.#local(e);
    const ed = this.#editor;
    if (this.#dragPan) {
      const p = this.#pointer;
      this.view.panBy(p.sx - this.#dragPan.sx, p.sy - this.#dragPan.sy);
      this.#dragPan = { sx: p.sx, sy: p.sy };
      this.#viewChanged();
      return;
    }
    if (ed) {
      const button = this.#activePointer !== null ? this.#activeButton : -1;
      if (ed.busy && typeof e.getCoalescedEvents === 'function') {
        const list = e.getCoalescedEvents();
        if (list.length > 1) for (const ce of list) ed.pointerMove(this.#toEditor(ce, button));
        else ed.pointerMove(this.#toEditor(e, button));
      } else {
        ed.pointerMove(this.#toEditor(e, button));
      }
    }
    this.#needOverlay = true;
    this.#schedule();
  }

  #onPointerUp = (e: PointerEvent): void => {
    if (e.pointerId !== this.#activePointer) return;
    this.#activePointer = null;
    this.#pointer = this.#local(e);
    try {
      this.#overlayCanvas.releasePointerCapture(e.pointerId);
    } catch {
      /* already released */
    }
    if (this.#dragPan) {
      this.#dragPan = null;
      this.#updateCursor();
      return;
    }
    this.#editor?.pointerUp(this.#toEditor(e, this.#activeButton));
    this.#updateCursor();
    this.#needOverlay = true;
    this.#schedule();
  };

  #onPointerLeave = (): void => {
    if (this.#activePointer !== null) return;
    this.#pointer = null;
    this.#needOverlay = true;
    this.#schedule();
  };

  #onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    if (!this.#docW) return;
    const unit = e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 800 : 1;
    const { sx, sy } = this.#local(e);
    this.#pointer = { sx, sy };
    if (e.shiftKey && !e.ctrlKey) {
      // Shift+wheel pans sideways
      this.view.panBy(-(e.deltaY || e.deltaX) * unit, 0);
    } else {
      const d = Math.max(-300, Math.min(300, e.deltaY * unit));
      this.view.zoomAt(Math.exp(-d * (e.ctrlKey ? PINCH_ZOOM : WHEEL_ZOOM)), sx, sy);
    }
    this.#viewChanged();
  };
}
