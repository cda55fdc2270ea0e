/**
 * The accept brush: idle -> painting -> idle. The stroke paints a region (not the mask); on
 * release the proposal pixels inside it are accepted as one undo step.
 */
import { BrushStroke } from '../../mask/brush';
import type { Point } from '../../mask/types';
import type { EditorPointerEvent, Tool, ToolHost } from './tool';

export class AcceptBrushTool implements Tool {
  readonly name = 'accept' as const;
  #state: 'idle' | 'painting' = 'idle';
  #region: { width: number; height: number; ids: Uint32Array } | null = null;
  #stroke: BrushStroke | null = null;
  #points: Point[] = [];

  constructor(private readonly host: ToolHost) {}

  get state(): string {
    return this.#state;
  }
  /** the stroke so far (image coordinates), for the overlay */
  get points(): readonly Point[] {
    return this.#points;
  }

  pointerDown(e: EditorPointerEvent): void {
    if (e.button !== 0 || this.#state !== 'idle') return;
    const { width, height } = this.host.map;
    this.#region = { width, height, ids: new Uint32Array(width * height) };
    this.#stroke = new BrushStroke(this.#region, { id: 1, radiusPx: this.host.brushRadiusPx });
    this.#state = 'painting';
    const p = { x: e.x, y: e.y };
    this.#points = [p];
    this.#stroke.begin(p);
    this.host.changed(null);
  }

  pointerMove(e: EditorPointerEvent): void {
    if (this.#state !== 'painting' || !this.#stroke) return;
    const p = { x: e.x, y: e.y };
    this.#points.push(p);
    this.#stroke.moveTo(p);
  }

  pointerUp(e: EditorPointerEvent): void {
    if (this.#state !== 'painting' || !this.#stroke || !this.#region) return;
    this.pointerMove(e);
    this.#stroke.end();
    const region = Uint8Array.from(this.#region.ids);
    this.cancel();
    this.host.acceptProposalRegion(region);
  }

  keyDown(): boolean {
    return false;
  }

  cancel(): void {
    this.#stroke = null;
    this.#region = null;
    this.#points = [];
    this.#state = 'idle';
  }
}
