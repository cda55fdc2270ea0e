/**
 * Undo/redo history: one gesture = one entry. Entries hold tile patches plus the instance
 * table before/after when the gesture changed it. Entries serialise to bytes so the history
 * survives closing and reopening an image.
 */
import type { Instance } from '../mask/label-map';
import type { LabelMap } from '../mask/label-map';
import type { Rect } from '../mask/types';
import type { TilePatch } from './tile-patch';
import { patchesRect, restoreTile } from './tile-patch';
import { utf8Decode, utf8Encode } from './utf8';

export interface HistoryEntry {
  label: string;
  patches: TilePatch[];
  /** instance table before/after, only when the gesture changed it */
  instancesBefore: Instance[] | null;
  instancesAfter: Instance[] | null;
}

export class History {
  #undo: HistoryEntry[] = [];
  #redo: HistoryEntry[] = [];

  constructor(readonly limit = 10_000) {}

  get canUndo(): boolean {
    return this.#undo.length > 0;
  }
  get canRedo(): boolean {
    return this.#redo.length > 0;
  }
  get undoDepth(): number {
    return this.#undo.length;
  }
  get redoDepth(): number {
    return this.#redo.length;
  }
  /** entries that undo would revert, oldest first (for persistence) */
  get undoEntries(): readonly HistoryEntry[] {
    return this.#undo;
  }
  get redoEntries(): readonly HistoryEntry[] {
    return this.#redo;
  }

  push(entry: HistoryEntry): void {
    this.#undo.push(entry);
    if (this.#undo.length > this.limit) this.#undo.shift();
    this.#redo = [];
  }

  undo(map: LabelMap): { entry: HistoryEntry; rect: Rect | null } | null {
    const e = this.#undo.pop();
    if (!e) return null;
    apply(map, e, 'before');
    this.#redo.push(e);
    return { entry: e, rect: patchesRect(e.patches, map) };
  }

  redo(map: LabelMap): { entry: HistoryEntry; rect: Rect | null } | null {
    const e = this.#redo.pop();
    if (!e) return null;
    apply(map, e, 'after');
    this.#undo.push(e);
    return { entry: e, rect: patchesRect(e.patches, map) };
  }

  /** replaces the stacks (restoring a persisted history) */
  load(undo: HistoryEntry[], redo: HistoryEntry[]): void {
    this.#undo = undo.slice(-this.limit);
    this.#redo = redo;
  }

  clear(): void {
    this.#undo = [];
    this.#redo = [];
  }
}

function apply(map: LabelMap, e: HistoryEntry, side: 'before' | 'after'): void {
  for (const p of e.patches) restoreTile(map, p.tx, p.ty, p[side]);
  const table = side === 'before' ? e.instancesBefore : e.instancesAfter;
  if (table) {
    for (const inst of map.instances()) map.removeInstance(inst.id, false);
    for (const inst of table) map.setInstance(inst);
  }
}

// ---- serialisation: [u32 magic][u32 labelLen][label utf8, padded to 4][u32 nPatches]
//      per patch: [tx][ty][nBefore][before...][nAfter][after...]
//      then [u32 jsonLen][json of {before, after} instance tables, padded to 4]
const MAGIC = 0x4d574845; // 'MWHE'

export function encodeHistoryEntry(e: HistoryEntry): Uint8Array {
  const label = utf8Encode(e.label);
  const json = utf8Encode(JSON.stringify({ b: e.instancesBefore, a: e.instancesAfter }));
  const pad = (n: number) => (n + 3) & ~3;
  let words = 2 + pad(label.length) / 4 + 1;
  for (const p of e.patches) words += 4 + p.before.length + p.after.length;
  words += 1 + pad(json.length) / 4;
  const buf = new ArrayBuffer(words * 4);
  const u32 = new Uint32Array(buf);
  const u8 = new Uint8Array(buf);
  let w = 0;
  u32[w++] = MAGIC;
  u32[w++] = label.length;
  u8.set(label, w * 4);
  w += pad(label.length) / 4;
  u32[w++] = e.patches.length;
  for (const p of e.patches) {
    u32[w++] = p.tx;
    u32[w++] = p.ty;
    u32[w++] = p.before.length;
    u32.set(p.before, w);
    w += p.before.length;
    u32[w++] = p.after.length;
    u32.set(p.after, w);
    w += p.after.length;
  }
  u32[w++] = json.length;
  u8.set(json, w * 4);
  return u8;
}

export function decodeHistoryEntry(bytes: Uint8Array): HistoryEntry {
  if (bytes.byteLength % 4 !== 0 || bytes.byteLength < 16) throw new Error('history entry: bad length');
  const copy = new Uint8Array(bytes); // aligned copy
  const u32 = new Uint32Array(copy.buffer);
  let w = 0;
  const need = (n: number) => {
    if (w + n > u32.length) throw new Error('history entry: truncated');
  };
  need(2);
  if (u32[w++] !== MAGIC) throw new Error('history entry: bad magic');
  const labelLen = u32[w++]!;
  need(Math.ceil(labelLen / 4));
  const label = utf8Decode(copy.subarray(w * 4, w * 4 + labelLen));
  w += Math.ceil(labelLen / 4);
  need(1);
  const n = u32[w++]!;
  const patches: TilePatch[] = [];
  for (let i = 0; i < n; i++) {
    need(3);
    const tx = u32[w++]!;
    const ty = u32[w++]!;
    const nb = u32[w++]!;
    need(nb + 1);
    const before = u32.slice(w, w + nb);
    w += nb;
    const na = u32[w++]!;
    need(na);
    const after = u32.slice(w, w + na);
    w += na;
    patches.push({ tx, ty, before, after });
  }
  need(1);
  const jsonLen = u32[w++]!;
  need(Math.ceil(jsonLen / 4));
  const t = JSON.parse(utf8Decode(copy.subarray(w * 4, w * 4 + jsonLen))) as { b: Instance[] | null; a: Instance[] | null };
  return { label, patches, instancesBefore: t.b, instancesAfter: t.a };
}
