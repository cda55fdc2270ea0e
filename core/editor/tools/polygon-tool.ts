import { paintMask } from '../../mask/brush';
import { fillPolygon, ringBounds, validatePolygon } from '../../mask/polygon';
import type { EditorKeyEvent, EditorPointerEvent, Tool, ToolHost } from './tool';


/**
 * Polygon: idle -> drawing (click adds a vertex) -> idle on close (Enter, double click, or a
 * click on the first vertex); Backspace removes the last vertex; Esc cancels. Fewer than 3
 * points or zero area: nothing is drawn and the person is told why; a self-intersecting
 * outline is filled with the even-odd rule (and a warning).
 */
export class PolygonTool implements Tool {
  readonly name = 'polygon' as const;
  #points: number[] = [];
  #hover: { x: number; y: number } | null = null;

  constructor(private readonly host: ToolHost) {}

  get state(): string {
    return this.#points.length ? 'drawing' : 'idle';
  }

  /** vertices so far (flat x,y), for the overlay */
  get points(): readonly number[] {
    return this.#points;
  }
  get hover(): { x: number; y: number } | null {
    return this.#hover;
  }

  pointerDown(e: EditorPointerEvent): void {
    if (e.button !== 0) return;
    const x = Math.round(e.x * 2) / 2;
    const y = Math.round(e.y * 2) / 2;
    const n = this.#points.length;
    if (n >= 6 && Math.hypot(x - this.#points[0]!, y - this.#points[1]!) <= this.host.snapDistancePx) {
      this.close();
      return;
    }
    if (n >= 2 && this.#points[n - 2] === x && this.#points[n - 1] === y) {
      // a second click on the same spot (double click) closes
      this.close();
      return;
    }
    this.#points.push(x, y);
    this.host.changed(null);
  }

  pointerMove(e: EditorPointerEvent): void {
    this.#hover = { x: e.x, y: e.y };
    if (this.#points.length) this.host.changed(null);
  }

  pointerUp(): void {}

  keyDown(e: EditorKeyEvent): boolean {
    if (!this.#points.length) return false;
    if (e.key === 'Enter') {
      this.close();
      return true;
    }
    if (e.key === 'Backspace') {
      this.#points.splice(-2, 2);
      this.host.changed(null);
      return true;
    }
    if (e.key === 'Escape') {
      this.cancel();
      return true;
    }
    return false;
  }

  close(): void {
    const ring = this.#points;
    this.#points = [];
    const v = validatePolygon(ring);
    const crosses = v.issues.some((i) => i.kind === 'self-intersection');
    // a figure-eight has zero signed area but real pixels: zero area is fatal only for simple outlines
    const fatal = v.issues.find((i) => i.kind === 'too-few-points' || (i.kind === 'zero-area' && !crosses) || i.kind === 'non-finite' || i.kind === 'odd-length');
    if (fatal) {
      this.host.notify(fatal.kind === 'too-few-points' ? 'A polygon needs at least 3 points.' : 'That polygon has no area; nothing was drawn.', 'warning');
      this.host.changed(null);
      return;
    }
    if (crosses) {
      this.host.notify('The outline crosses itself; it was filled with the even-odd rule.', 'warning');
    }
    const map = this.host.map;
    const bounds = ringBounds(ring, map.width, map.height);
    if (!bounds) {
      this.host.notify('The polygon lies outside the image.', 'warning');
      return;
    }
    const mask = fillPolygon([ring], map.width, map.height, 'evenodd');
    const rec = this.host.beginGesture();
    const cx = bounds.x + bounds.width / 2;
    const cy = bounds.y + bounds.height / 2;
    const id = this.host.paintIdAt({ x: ring[0] ?? cx, y: ring[1] ?? cy });
    const dirty = paintMask(map, mask, { id, isLocked: (i) => this.host.isLocked(i), beforeWrite: rec.beforeWrite }, bounds);
    this.host.changed(dirty);
    this.host.commitGesture('Polygon');
  }

  cancel(): void {
    if (this.#points.length) this.host.changed(null);
    this.#points = [];
  }
}
