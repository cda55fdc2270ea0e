import { BrushStroke } from '../../mask/brush';
import type { EditorPointerEvent, Tool, ToolHost } from './tool';

/** Brush and eraser: idle -> painting -> idle; one stroke is one undo step. */
export class BrushTool implements Tool {
  #state: 'idle' | 'painting' = 'idle';
  #stroke: BrushStroke | null = null;

  constructor(
    private readonly host: ToolHost,
    readonly name: 'brush' | 'eraser',
  ) {}

  get state(): string {
    return this.#state;
  }

  pointerDown(e: EditorPointerEvent): void {
    if (e.button !== 0 || this.#state !== 'idle') return;
    const p = { x: e.x, y: e.y };
    const rec = this.host.beginGesture();
    const id = this.name === 'eraser' ? 0 : this.host.paintIdAt(p);
    this.#stroke = new BrushStroke(this.host.map, {
      id,
      radiusPx: this.host.brushRadiusPx,
      isLocked: (v) => this.host.isLocked(v),
      beforeWrite: rec.beforeWrite,
    });
    this.#state = 'painting';
    this.host.changed(this.#stroke.begin(p));
  }

  pointerMove(e: EditorPointerEvent): void {
    if (this.#state !== 'painting' || !this.#stroke) return;
    this.host.changed(this.#stroke.moveTo({ x: e.x, y: e.y }));
  }

  pointerUp(e: EditorPointerEvent): void {
    if (this.#state !== 'painting' || !this.#stroke) return;
    this.pointerMove(e);
    this.#stroke.end();
    this.#stroke = null;
    this.#state = 'idle';
    this.host.commitGesture(this.name === 'eraser' ? 'Erase' : 'Brush stroke');
  }

  keyDown(): boolean {
    return false;
  }

  cancel(): void {
    if (this.#state === 'painting') this.host.cancelGesture();
    this.#stroke = null;
    this.#state = 'idle';
  }
}
