/**
 * Records one gesture for undo: before any pixel of a rect is written, the tiles it touches
 * are captured (once per gesture); at commit the same tiles are captured again and unchanged
 * ones dropped. cancel() puts every touched tile back.
 */
import type { Instance, LabelMap } from '../mask/label-map';
import type { Rect } from '../mask/types';
import type { HistoryEntry } from './history';
import type { TilePatch } from './tile-patch';
import { captureTile, restoreTile, samePacked, tilesOf } from './tile-patch';

export class GestureRecorder {
  #before = new Map<string, { tx: number; ty: number; data: Uint32Array }>();
  #instances: Instance[];

  constructor(readonly map: LabelMap) {
    this.#instances = map.instances();
  }

  /** pass as `beforeWrite` to the raster ops of core/mask */
  readonly beforeWrite = (rect: Rect): void => {
    for (const [tx, ty] of tilesOf(rect, this.map)) {
      const key = `${tx},${ty}`;
      if (!this.#before.has(key)) this.#before.set(key, { tx, ty, data: captureTile(this.map, tx, ty) });
    }
  };

  get touchedTiles(): number {
    return this.#before.size;
  }

  commit(label: string): HistoryEntry | null {
    const patches: TilePatch[] = [];
    for (const { tx, ty, data } of this.#before.values()) {
      const after = captureTile(this.map, tx, ty);
      if (!samePacked(data, after)) patches.push({ tx, ty, before: data, after });
    }
    const now = this.map.instances();
    const tableChanged = JSON.stringify(now) !== JSON.stringify(this.#instances);
    this.#before.clear();
    if (!patches.length && !tableChanged) return null;
    return { label, patches, instancesBefore: tableChanged ? this.#instances : null, instancesAfter: tableChanged ? now : null };
  }

  cancel(): void {
    for (const { tx, ty, data } of this.#before.values()) restoreTile(this.map, tx, ty, data);
    this.#before.clear();
    for (const inst of this.map.instances()) this.map.removeInstance(inst.id, false);
    for (const inst of this.#instances) this.map.setInstance(inst);
  }
}
