/**
 * Click-to-refine: idle -> clicking -> idle. Each click (left = positive, right or Alt+left =
 * negative) is reported to listeners, which ask the click model for the object and hand the
 * result back with setObject(); stale answers (an older click's) are ignored. Enter places the
 * object as a new instance of the active class on background pixels (one undo step); Esc drops
 * everything; Backspace takes the last click back.
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

export type RefineEvent =
  | { type: 'click'; seq: number; clicks: readonly RefineClick[] }
  | { type: 'accept'; id: number | null; base: number | null }
  | { type: 'cancel' };

export class RefineTool implements Tool {
  readonly name = 'refine' as const;
  #clicks: RefineClick[] = [];
  #object: RefineObject | null = null;
  #seq = 0;
  #objectSeq = -1;
  /** the proposal instance the object started from (replaced by it on accept), or null */
  base: number | null = null;
  #listeners = new Set<(e: RefineEvent) => void>();

  constructor(private readonly host: ToolHost) {}

  get state(): string {
    return this.#clicks.length ? 'clicking' : 'idle';
  }
  get clicks(): readonly RefineClick[] {
    return this.#clicks;
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
    return this.#objectSeq === this.#seq && this.#clicks.length > 0;
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
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    this.addClick({ x, y, positive: e.button === 0 && !e.alt });
  }
  pointerMove(): void {}
  pointerUp(): void {}

  addClick(c: RefineClick): void {
    if (this.#clicks.length >= 100) {
      this.host.notify('That is a lot of clicks for one object — press Enter to accept it or Esc to start over.', 'warning');
      return;
    }
    this.#clicks.push(c);
    this.#seq++;
    this.#emit({ type: 'click', seq: this.#seq, clicks: this.#clicks.slice() });
    this.host.changed(null);
  }

  /** the model's answer to click `seq`; false when a later click made it stale */
  setObject(seq: number, object: RefineObject | null): boolean {
    if (seq !== this.#seq || !this.#clicks.length) return false;
    this.#object = object;
    this.#objectSeq = seq;
    this.host.changed(null);
    return true;
  }

  keyDown(e: EditorKeyEvent): boolean {
    if (!this.#clicks.length || e.ctrl) return false;
    if (e.key === 'Enter') {
      this.accept();
      return true;
    }
    if (e.key === 'Escape') {
      this.cancel();
      return true;
    }
    if (e.key === 'Backspace') {
      this.#clicks.pop();
      if (!this.#clicks.length) {
        this.cancel();
        return true;
      }
      this.#seq++;
      this.#emit({ type: 'click', seq: this.#seq, clicks: this.#clicks.slice() });
      this.host.changed(null);
      return true;
    }
    return false;
  }

  /** places the current object (when there is one) and starts over */
  accept(): boolean {
    const obj = this.#object;
    if (!obj || !this.upToDate) {
      if (this.#clicks.length) this.host.notify('The object is still being computed — try Enter again in a moment.', 'info');
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
    if (!this.#clicks.length && !this.#object) return;
    this.#reset();
    this.#emit({ type: 'cancel' });
    this.host.changed(null);
  }

  #reset(): void {
    this.#clicks = [];
    this.#object = null;
    this.#objectSeq = -1;
    this.#seq++;
    this.base = null;
  }

  #emit(e: RefineEvent): void {
    for (const l of this.#listeners) l(e);
  }
}
