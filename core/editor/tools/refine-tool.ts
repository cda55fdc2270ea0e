/**
 * Click-to-refine: idle -> clicking -> idle. Each click (left = positive, right or Alt+left =
 * negative; taken on release) and each box (a left drag, as in SAM-style tools: drag = box,
 * click = point; a new drag replaces the box) is reported to listeners, which ask for the object
 * and hand the result back with setObject(); stale answers (an older click's) are ignored. Enter
 * places the object as a new instance of the active class on background pixels (one undo step);
 * Esc drops everything; Backspace takes the last click (then the box) back. A positive click on
 * a pixel of a locked (or hidden) class is refused with a message: refining never relabels it.
 */
import type { MaskCrop } from '../object-crop';
import type { EditorKeyEvent, EditorPointerEvent, Tool, ToolHost } from './tool';

export interface RefineClick {
  /** image pixel (integer) coordinates */
  x: number;
  y: number;
  positive: boolean;
}

export interface RefineObject extends MaskCrop {
  score: number | null;
}

/** the object lies inside it: inclusive image pixel coordinates */
export interface RefineBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** a pointer that moved this far (screen px) before its release draws a box */
export const BOX_DRAG_PX = 5;

export type RefineEvent =
  | { type: 'click'; seq: number; clicks: readonly RefineClick[]; box: RefineBox | null }
  | { type: 'accept'; id: number | null; base: number | null }
  | { type: 'cancel' };

export class RefineTool implements Tool {
  readonly name = 'refine' as const;
  #clicks: RefineClick[] = [];
  #box: RefineBox | null = null;
  /** the press in progress (a click on release, or a box once it moves BOX_DRAG_PX) */
  #press: { x: number; y: number; sx: number; sy: number; button: number; alt: boolean; dragging: boolean; at: { x: number; y: number } } | null = null;
  #object: RefineObject | null = null;
  #seq = 0;
  #objectSeq = -1;
  /** the proposal instance the object started from (replaced by it on accept), or null */
  base: number | null = null;
  #listeners = new Set<(e: RefineEvent) => void>();

  constructor(private readonly host: ToolHost) {}

  get state(): string {
    return this.#press?.dragging ? 'boxing' : this.#hasPrompt ? 'clicking' : 'idle';
  }
  get clicks(): readonly RefineClick[] {
    return this.#clicks;
  }
  /** the box of the object (null: none drawn) */
  get box(): RefineBox | null {
    return this.#box;
  }
  /** the box being dragged (image px, inclusive), for drawing */
  get dragBox(): RefineBox | null {
    const p = this.#press;
    return p?.dragging ? this.#boxOf(p, p.at) : null;
  }
  get #hasPrompt(): boolean {
    return this.#clicks.length > 0 || this.#box !== null;
  }
  /** the current object (null until the first answer) */
  get object(): RefineObject | null {
    return this.#object;
  }
  /** the click sequence number the current object answers */
  get objectSeq(): number {
    return this.#objectSeq;
  }
  /** sequence number of the latest click */
  get seq(): number {
    return this.#seq;
  }
  /** the latest click has been answered */
  get upToDate(): boolean {
    return this.#objectSeq === this.#seq && this.#hasPrompt;
  }

  onEvent(l: (e: RefineEvent) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  pointerDown(e: EditorPointerEvent): void {
    if (e.button !== 0 && e.button !== 2) return;
    const x = Math.floor(e.x);
    const y = Math.floor(e.y);
    const { width, height } = this.host.map;
    // a box may start outside the image (it is clipped); a click may not
    if (e.button === 2 && (x < 0 || y < 0 || x >= width || y >= height)) return;
    this.#press = { x: e.x, y: e.y, sx: e.sx, sy: e.sy, button: e.button, alt: !!e.alt, dragging: false, at: { x: e.x, y: e.y } };
  }
  pointerMove(e: EditorPointerEvent): void {
    const p = this.#press;
    if (!p) return;
    p.at = { x: e.x, y: e.y };
    if (!p.dragging && p.button === 0 && !p.alt && Math.hypot(e.sx - p.sx, e.sy - p.sy) >= BOX_DRAG_PX) p.dragging = true;
    if (p.dragging) this.host.changed(null);
  }
  pointerUp(e: EditorPointerEvent): void {
    const p = this.#press;
    if (!p) return;
    this.pointerMove(e);
    this.#press = null;
    if (p.dragging) {
      const b = this.#boxOf(p, p.at);
      if (b && b.x1 - b.x0 >= 2 && b.y1 - b.y0 >= 2) return this.setBox(b);
      this.host.changed(null);
      if (!b) return this.host.notify('The box is outside the image.', 'info');
    }
    const x = Math.floor(p.x);
    const y = Math.floor(p.y);
    const { width, height } = this.host.map;
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    this.addClick({ x, y, positive: p.button === 0 && !p.alt });
  }

  /** the box spanned by two image points, clipped to the image (null when it misses it) */
  #boxOf(a: { x: number; y: number }, b: { x: number; y: number }): RefineBox | null {
    const { width, height } = this.host.map;
    const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x)));
    const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y)));
    const x1 = Math.min(width - 1, Math.floor(Math.max(a.x, b.x)));
    const y1 = Math.min(height - 1, Math.floor(Math.max(a.y, b.y)));
    return x1 < x0 || y1 < y0 ? null : { x0, y0, x1, y1 };
  }

  /** the object lies inside this box (replaces an earlier box) */
  setBox(b: RefineBox): void {
    this.#box = { ...b };
    this.#seq++;
    this.#emitPrompt();
  }

  addClick(c: RefineClick): void {
    if (c.positive) {
      const { width, ids } = this.host.map;
      const under = ids[c.y * width + c.x] ?? 0;
      if (under && this.host.isLocked(under)) {
        this.host.notify('That pixel belongs to a locked (or hidden) class; click refinement never relabels it. Unlock the class first, or click elsewhere.', 'warning');
        return;
      }
    }
    if (this.#clicks.length >= 100) {
      this.host.notify('That is a lot of clicks for one object — press Enter to accept it or Esc to start over.', 'warning');
      return;
    }
    this.#clicks.push(c);
    this.#seq++;
    this.#emitPrompt();
  }

  #emitPrompt(): void {
    this.#emit({ type: 'click', seq: this.#seq, clicks: this.#clicks.slice(), box: this.#box ? { ...this.#box } : null });
    this.host.changed(null);
  }

  /** the model's answer to click `seq`; false when a later click made it stale */
  setObject(seq: number, object: RefineObject | null): boolean {
    if (seq !== this.#seq || !this.#hasPrompt) return false;
    this.#object = object;
    this.#objectSeq = seq;
    this.host.changed(null);
    return true;
  }

  keyDown(e: EditorKeyEvent): boolean {
    if (!this.#hasPrompt || e.ctrl) return false;
    if (e.key === 'Enter') {
      this.accept();
      return true;
    }
    if (e.key === 'Escape') {
      this.cancel();
      return true;
    }
    if (e.key === 'Backspace') {
      if (this.#clicks.length) this.#clicks.pop();
      else this.#box = null;
      if (!this.#hasPrompt) {
        this.cancel();
        return true;
      }
      this.#seq++;
      this.#emitPrompt();
      return true;
    }
    return false;
  }

  /** places the current object (when there is one) and starts over */
  accept(): boolean {
    const obj = this.#object;
    if (!obj || !this.upToDate) {
      if (this.#hasPrompt) this.host.notify('The object is still being computed — try Enter again in a moment.', 'info');
      return false;
    }
    const base = this.base;
    const id = this.host.placeObject(obj, obj.score, base);
    this.#reset();
    this.#emit({ type: 'accept', id, base });
    this.host.changed(null);
    return true;
  }

  cancel(): void {
    const dragging = this.#press?.dragging;
    this.#press = null;
    if (!this.#hasPrompt && !this.#object) {
      if (dragging) this.host.changed(null);
      return;
    }
    this.#reset();
    this.#emit({ type: 'cancel' });
    this.host.changed(null);
  }

  #reset(): void {
    this.#clicks = [];
    this.#box = null;
    this.#object = null;
    this.#objectSeq = -1;
    this.#seq++;
    this.base = null;
  }

  #emit(e: RefineEvent): void {
    for (const l of this.#listeners) l(e);
  }
}
