import { paintMask } from '../../mask/brush';
import { fillRegionAt, magicWand } from '../../mask/flood-fill';
import type { EditorPointerEvent, Tool, ToolHost } from './tool';

/**
 * Fill (the clicked same-label region, bounded by colour edges within the fill tolerance) and magic wand (the clicked region of similar image
 * colour): a click is one gesture and one undo step.
 */
export class FillTool implements Tool {
  readonly state = 'idle';

  constructor(
    private readonly host: ToolHost,
    readonly name: 'fill' | 'wand',
  ) {}

  pointerDown(e: EditorPointerEvent): void {
    if (e.button !== 0) return;
    const x = Math.floor(e.x);
    const y = Math.floor(e.y);
    const map = this.host.map;
    if (x < 0 || y < 0 || x >= map.width || y >= map.height) return;
    let region;
    if (this.name === 'wand') {
      if (!this.host.image) {
        this.host.notify('The magic wand needs the image pixels, which are not loaded yet.', 'warning');
        return;
      }
      region = magicWand(this.host.image, x, y, { tolerance: this.host.wandTolerance, connectivity: this.host.connectivity });
    } else {
      region = fillRegionAt(map, this.host.image, x, y, this.host.fillTolerance, this.host.connectivity);
    }
    if (!region.bbox) return;
    const rec = this.host.beginGesture();
    const id = e.alt ? 0 : this.host.paintIdAt({ x: e.x, y: e.y });
    const dirty = paintMask(map, region.mask, { id, isLocked: (i) => this.host.isLocked(i), beforeWrite: rec.beforeWrite }, region.bbox);
    this.host.changed(dirty);
    this.host.commitGesture(this.name === 'wand' ? 'Magic wand' : 'Fill');
  }

  pointerMove(): void {}
  pointerUp(): void {}
  keyDown(): boolean {
    return false;
  }
  cancel(): void {}
}
