import type { EditorPointerEvent, Tool, ToolHost } from './tool';

/**
 * Select: a click picks the instance under the pointer (or clears the selection); a click on a
 * shown model proposal (where the person has no label yet) accepts that proposal instance.
 */
export class SelectTool implements Tool {
  readonly name = 'select' as const;
  readonly state = 'idle';

  constructor(private readonly host: ToolHost) {}

  pointerDown(e: EditorPointerEvent): void {
    if (e.button !== 0) return;
    const x = Math.floor(e.x);
    const y = Math.floor(e.y);
    const map = this.host.map;
    const id = x >= 0 && y >= 0 && x < map.width && y < map.height ? map.ids[y * map.width + x]! : 0;
    if (!id) {
      const p = this.host.proposalAt(x, y);
      if (p) {
        this.host.acceptProposalInstances([p]);
        return;
      }
    }
    this.host.select(id || null);
  }
  pointerMove(): void {}
  pointerUp(): void {}
  keyDown(): boolean {
    return false;
  }
  cancel(): void {}
}

/** Pan: idle -> panning -> idle (also used while Space is held or with the middle button). */
export class PanTool implements Tool {
  readonly name = 'pan' as const;
  #state: 'idle' | 'panning' = 'idle';
  #last: { sx: number; sy: number } | null = null;

  constructor(private readonly host: ToolHost) {}

  get state(): string {
    return this.#state;
  }
  pointerDown(e: EditorPointerEvent): void {
    this.#state = 'panning';
    this.#last = { sx: e.sx, sy: e.sy };
  }
  pointerMove(e: EditorPointerEvent): void {
    if (this.#state !== 'panning' || !this.#last) return;
    this.host.pan(e.sx - this.#last.sx, e.sy - this.#last.sy);
    this.#last = { sx: e.sx, sy: e.sy };
  }
  pointerUp(e: EditorPointerEvent): void {
    this.pointerMove(e);
    this.cancel();
  }
  keyDown(): boolean {
    return false;
  }
  cancel(): void {
    this.#state = 'idle';
    this.#last = null;
  }
}
