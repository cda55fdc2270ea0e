/**
 * The annotation engine of one image: a label map, the tools, and the undo history.
 * Pure TypeScript; the renderer feeds it pointer/key events in image coordinates and
 * repaints what `onDidChange` reports. One gesture = one undo step.
 */
import type { ImageBuffer } from '../mask/flood-fill';
import type { LabelMap } from '../mask/label-map';
import type { Connectivity, Point, Rect } from '../mask/types';
import { unionRect } from '../mask/types';
import { GestureRecorder } from './gesture-recorder';
import type { HistoryEntry } from './history';
import { History } from './history';
import { tilesOf } from './tile-patch';
import { BrushTool } from './tools/brush-tool';
import { FillTool } from './tools/fill-tool';
import { PolygonTool } from './tools/polygon-tool';
import { PanTool, SelectTool } from './tools/select-tool';
import { AcceptBrushTool } from './tools/accept-brush-tool';
import { RefineTool } from './tools/refine-tool';
import { editorToolForKey } from './tool-registry';
import type { MaskCrop } from './object-crop';
import { placeObject } from './object-crop';
import type { ProposalLayer } from './proposal-layer';
import type { EditorKeyEvent, EditorPointerEvent, Tool, ToolHost, ToolName } from './tools/tool';

export interface EditorClass {
  id: number;
  hidden: boolean;
  locked: boolean;
}

export type LabelMode = 'instance' | 'semantic';

export interface EditorOptions {
  classes: EditorClass[];
  activeClassId?: number;
  mode?: LabelMode;
  brushRadiusPx?: number;
  image?: ImageBuffer | null;
  historyLimit?: number;
}

export interface EditorChange {
  /** pixels that changed (null: only overlays/state changed) */
  rect: Rect | null;
  /** set when a gesture was committed, undone or redone */
  entry?: HistoryEntry;
  kind: 'paint' | 'commit' | 'undo' | 'redo' | 'state' | 'cancel';
}

export const MIN_BRUSH_PX = 0.5;
export const MAX_BRUSH_PX = 500;
/** what one [ or ] changes the wand and fill colour tolerance by (0..255) */
export const TOLERANCE_STEP = 4;

export class Editor implements ToolHost {
  readonly history: History;
  readonly tools: Record<ToolName, Tool>;
  #tool: ToolName = 'brush';
  /** tool to return to when a temporary pan (Space / middle button) ends */
  #spring: ToolName | null = null;
  #classes = new Map<number, EditorClass>();
  #activeClassId: number;
  #mode: LabelMode;
  #brushRadiusPx: number;
  #connectivity: Connectivity = 4;
  #wandTolerance = 24;
  #fillTolerance = 32;
  #recorder: GestureRecorder | null = null;
  #selected: number | null = null;
  #nextId: number;
  /** instances created by the gesture in progress, and the pixels it changed */
  #created: number[] = [];
  #gestureDirty: Rect | null = null;
  #listeners = new Set<(c: EditorChange) => void>();
  #messages = new Set<(m: string, kind: 'info' | 'warning') => void>();
  #panListeners = new Set<(dx: number, dy: number) => void>();
  image: ImageBuffer | null;
  /** polygon snap distance in image px (the canvas sets it to ~8 screen px at the current zoom) */
  snapDistancePx = 2;
  /** the model proposal shown beside the mask (the renderer sets it), or null */
  proposal: ProposalLayer | null = null;

  constructor(
    readonly map: LabelMap,
    opts: EditorOptions,
  ) {
    for (const c of opts.classes) this.#classes.set(c.id, c);
    this.#activeClassId = opts.activeClassId ?? opts.classes[0]?.id ?? 1;
    this.#mode = opts.mode ?? 'instance';
    this.#brushRadiusPx = opts.brushRadiusPx ?? 8;
    this.image = opts.image ?? null;
    this.history = new History(opts.historyLimit);
    this.#nextId = map.nextFreeId();
    this.tools = {
      brush: new BrushTool(this, 'brush'),
      eraser: new BrushTool(this, 'eraser'),
      polygon: new PolygonTool(this),
      fill: new FillTool(this, 'fill'),
      wand: new FillTool(this, 'wand'),
      select: new SelectTool(this),
      pan: new PanTool(this),
      refine: new RefineTool(this),
      accept: new AcceptBrushTool(this),
    };
  }

  // ---------- state ----------

  get tool(): ToolName {
    return this.#tool;
  }
  /** e.g. 'brush.painting', 'polygon.drawing', 'pan.panning' */
  get statePath(): string {
    return `${this.#tool}.${this.tools[this.#tool].state}`;
  }
  get activeClassId(): number {
    return this.#activeClassId;
  }
  get mode(): LabelMode {
    return this.#mode;
  }
  get brushRadiusPx(): number {
    return this.#brushRadiusPx;
  }
  get connectivity(): Connectivity {
    return this.#connectivity;
  }
  get wandTolerance(): number {
    return this.#wandTolerance;
  }
  get fillTolerance(): number {
    return this.#fillTolerance;
  }
  get selected(): number | null {
    return this.#selected;
  }
  get busy(): boolean {
    return this.#recorder !== null || this.tools[this.#tool].state !== 'idle';
  }

  setTool(name: ToolName): void {
    if (name === this.#tool) return;
    this.tools[this.#tool].cancel();
    this.#tool = name;
    this.#spring = null;
    this.#emit({ rect: null, kind: 'state' });
  }
  setActiveClass(id: number): void {
    if (!this.#classes.has(id)) return;
    this.#activeClassId = id;
    this.#emit({ rect: null, kind: 'state' });
  }
  setMode(mode: LabelMode): void {
    this.#mode = mode;
    this.#emit({ rect: null, kind: 'state' });
  }
  setBrushRadius(px: number): void {
    this.#brushRadiusPx = Math.min(MAX_BRUSH_PX, Math.max(MIN_BRUSH_PX, px));
    this.#emit({ rect: null, kind: 'state' });
  }
  setConnectivity(c: Connectivity): void {
    this.#connectivity = c;
  }
  setWandTolerance(t: number): void {
    this.#wandTolerance = Math.min(255, Math.max(0, Math.round(t)));
    this.#emit({ rect: null, kind: 'state' });
  }
  /** 0..255; 255 (FILL_TOLERANCE_OFF) bounds the fill by labels only */
  setFillTolerance(t: number): void {
    this.#fillTolerance = Math.min(255, Math.max(0, Math.round(t)));
    this.#emit({ rect: null, kind: 'state' });
  }
  setClasses(classes: EditorClass[]): void {
    this.#classes = new Map(classes.map((c) => [c.id, c]));
    if (!this.#classes.has(this.#activeClassId) && classes[0]) this.#activeClassId = classes[0].id;
    this.#emit({ rect: null, kind: 'state' });
  }

  onDidChange(l: (c: EditorChange) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  onMessage(l: (m: string, kind: 'info' | 'warning') => void): () => void {
    this.#messages.add(l);
    return () => this.#messages.delete(l);
  }
  onPan(l: (dx: number, dy: number) => void): () => void {
    this.#panListeners.add(l);
    return () => this.#panListeners.delete(l);
  }
  /** pointer input as the tools get it, with the tool it went to (the live classifier reads eraser strokes as background) */
  onDidPointer(l: (phase: 'down' | 'move' | 'up', e: EditorPointerEvent, tool: ToolName) => void): () => void {
    this.#pointerListeners.add(l);
    return () => this.#pointerListeners.delete(l);
  }
  #pointerListeners = new Set<(phase: 'down' | 'move' | 'up', e: EditorPointerEvent, tool: ToolName) => void>();

  // ---------- events ----------

  pointerDown(e: EditorPointerEvent): void {
    if (e.button === 1 && this.#tool !== 'pan') {
      this.#spring = this.#tool;
      this.#tool = 'pan';
    }
    this.tools[this.#tool].pointerDown(e);
    for (const l of this.#pointerListeners) l('down', e, this.#tool);
  }
  pointerMove(e: EditorPointerEvent): void {
    this.tools[this.#tool].pointerMove(e);
    for (const l of this.#pointerListeners) l('move', e, this.#tool);
  }
  pointerUp(e: EditorPointerEvent): void {
    this.tools[this.#tool].pointerUp(e);
    for (const l of this.#pointerListeners) l('up', e, this.#tool);
    if (e.button === 1 && this.#spring) this.#endSpring();
  }

  /** Space held: temporary pan */
  spaceDown(): void {
    if (this.#tool === 'pan' || this.busy) return;
    this.#spring = this.#tool;
    this.#tool = 'pan';
    this.#emit({ rect: null, kind: 'state' });
  }
  spaceUp(): void {
    if (this.#spring) {
      this.tools.pan.cancel();
      this.#endSpring();
    }
  }
  #endSpring(): void {
    this.#tool = this.#spring ?? this.#tool;
    this.#spring = null;
    this.#emit({ rect: null, kind: 'state' });
  }

  /** Keyboard: the active tool first, then the editor's own shortcuts. Returns true if handled. */
  keyDown(e: EditorKeyEvent): boolean {
    if (this.tools[this.#tool].keyDown(e)) return true;
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (e.ctrl) {
      if (k === 'z' && !e.shift) return this.undo(), true;
      if ((k === 'z' && e.shift) || k === 'y') return this.redo(), true;
      return false;
    }
    if (e.alt) return false;
    const tool = e.shift ? null : editorToolForKey(k);
    if (tool) {
      this.setTool(tool);
      return true;
    }
    // [ ] size the brush, or the colour tolerance of the wand and the fill
    if ((k === '[' || k === ']') && (this.#tool === 'wand' || this.#tool === 'fill')) {
      const d = k === '[' ? -TOLERANCE_STEP : TOLERANCE_STEP;
      if (this.#tool === 'wand') this.setWandTolerance(this.#wandTolerance + d);
      else this.setFillTolerance(this.#fillTolerance + d);
      return true;
    }
    if (k === '[') return this.setBrushRadius(this.#brushRadiusPx / 1.25), true;
    if (k === ']') return this.setBrushRadius(this.#brushRadiusPx * 1.25), true;
    if (/^[1-9]$/.test(k)) {
      const cls = [...this.#classes.values()][Number(k) - 1];
      if (cls) this.setActiveClass(cls.id);
      return !!cls;
    }
    if ((k === 'Delete' || k === 'Backspace') && this.#selected) return this.deleteInstance(this.#selected), true;
    if (k === 'Escape') {
      this.tools[this.#tool].cancel();
      this.select(null);
      return true;
    }
    return false;
  }

  // ---------- history ----------

  undo(): void {
    if (this.busy) this.tools[this.#tool].cancel();
    const r = this.history.undo(this.map);
    if (r) this.#afterHistory(r.entry, r.rect, 'undo');
  }
  redo(): void {
    if (this.busy) this.tools[this.#tool].cancel();
    const r = this.history.redo(this.map);
    if (r) this.#afterHistory(r.entry, r.rect, 'redo');
  }
  #afterHistory(entry: HistoryEntry, rect: Rect | null, kind: 'undo' | 'redo'): void {
    // ids only grow: the restored table's largest id bounds every id in the restored pixels
    for (const inst of this.map.instances()) if (inst.id >= this.#nextId) this.#nextId = inst.id + 1;
    if (this.#selected && !this.map.hasInstance(this.#selected)) this.#selected = null;
    this.proposal?.onHistory(kind, entry);
    this.#emit({ rect, entry, kind });
  }

  // ---------- instance operations (each one undo step) ----------

  deleteInstance(id: number): void {
    const stats = this.map.instanceStats(id);
    const rec = this.beginGesture();
    if (stats.bbox) rec.beforeWrite(stats.bbox);
    this.map.removeInstance(id, true);
    if (this.#selected === id) this.#selected = null;
    this.changed(stats.bbox);
    this.commitGesture('Delete instance');
  }

  setInstanceClass(id: number, classId: number): void {
    if (!this.map.hasInstance(id) || !this.#classes.has(classId)) return;
    this.beginGesture();
    this.map.updateInstance(id, { classId });
    this.changed(this.map.instanceStats(id).bbox);
    this.commitGesture('Change class');
  }

  // ---------- ToolHost ----------

  beginGesture(): GestureRecorder {
    if (this.#recorder) this.cancelGesture();
    this.#created = [];
    this.#gestureDirty = null;
    this.#recorder = new GestureRecorder(this.map);
    return this.#recorder;
  }
  commitGesture(label: string): void {
    this.#commit(label);
  }
  #commit(label: string): HistoryEntry | null {
    const rec = this.#recorder;
    this.#recorder = null;
    if (!rec) return null;
    this.#dropEmptyCreated();
    const entry = rec.commit(label);
    if (entry) {
      this.history.push(entry);
      this.#emit({ rect: null, entry, kind: 'commit' });
    }
    return entry;
  }

  /**
   * Runs a change from outside the tools (accepting a proposal or a refined object) as one
   * gesture, i.e. one undo step that is saved like any other. `write` gets the recorder and the
   * lowest id it may give a new instance, and returns the rect it changed. Returns the history
   * entry (null when nothing changed).
   */
  runGesture(label: string, write: (rec: GestureRecorder, firstId: number) => Rect | null): HistoryEntry | null {
    if (this.#recorder) this.cancelGesture();
    const rec = this.beginGesture();
    let rect: Rect | null;
    try {
      rect = write(rec, this.#nextId);
    } catch (err) {
      this.cancelGesture();
      throw err;
    }
    for (const inst of this.map.instances()) if (inst.id >= this.#nextId) this.#nextId = inst.id + 1;
    if (rect) this.changed(rect);
    return this.#commit(label);
  }

  /**
   * places an object as a new instance of the active class, on background pixels only (one undo
   * step); `replaces`: the proposal instance it was refined from, which is then done with
   */
  placeObject(crop: MaskCrop, score: number | null, replaces: number | null = null, label = 'Accept refined object'): number | null {
    let id: number | null = null;
    let kept = 0;
    // semantic mode: the object joins the class's one instance (when there is one)
    const into = this.#mode === 'semantic' ? this.map.instances().find((i) => i.classId === this.#activeClassId)?.id : undefined;
    const entry = this.runGesture(label, (rec, firstId) => {
      const r = placeObject(this.map, crop, { classId: this.#activeClassId, source: 'model', score, id: firstId, beforeWrite: rec.beforeWrite, ...(into ? { into } : {}) });
      id = r.id;
      kept = r.keptHumanPixels;
      return r.rect;
    });
    if (replaces && this.proposal) this.proposal.consume([replaces], entry);
    const locked = this.#lockedUnder(crop);
    if (id !== null && locked) this.notify(`${locked} pixel${locked === 1 ? '' : 's'} of a locked class were left as they were.`, 'info');
    if (id === null) this.notify(kept ? 'The object lies entirely on pixels that are already labeled; nothing was added.' : 'The object is empty; nothing was added.', 'warning');
    return id;
  }

  /** how many of the crop's object pixels lie on instances of locked (or hidden) classes */
  #lockedUnder(crop: MaskCrop): number {
    const { width: W, height: H, ids } = this.map;
    let n = 0;
    for (let y = Math.max(0, crop.y); y < Math.min(H, crop.y + crop.height); y++) {
      for (let x = Math.max(0, crop.x); x < Math.min(W, crop.x + crop.width); x++) {
        if (!crop.mask[(y - crop.y) * crop.width + x - crop.x]) continue;
        const v = ids[y * W + x]!;
        if (v && this.isLocked(v)) n++;
      }
    }
    return n;
  }

  proposalAt(x: number, y: number): number {
    return this.proposal?.instanceAt(x, y) ?? 0;
  }
  acceptProposalInstances(ids: readonly number[]): void {
    this.proposal?.accept(this, { instances: ids });
  }
  acceptProposalRegion(region: Uint8Array): void {
    if (!this.proposal) return this.notify('There is no model proposal to accept here.', 'info');
    this.proposal.accept(this, { region });
  }
  cancelGesture(): void {
    const rec = this.#recorder;
    this.#recorder = null;
    if (!rec) return;
    const tiles = rec.touchedTiles;
    rec.cancel();
    this.#created = [];
    this.#gestureDirty = null;
    this.#emit({ rect: tiles ? { x: 0, y: 0, width: this.map.width, height: this.map.height } : null, kind: 'cancel' });
  }

  paintIdAt(p: Point): number {
    const cls = this.#activeClassId;
    if (this.#mode === 'semantic') {
      // one instance per class
      const existing = this.map.instances().find((i) => i.classId === cls && i.source === 'human');
      if (existing) return existing.id;
      return this.#create(cls);
    }
    // instance mode: starting on an instance of the active class extends it, else a new one
    const x = Math.floor(p.x);
    const y = Math.floor(p.y);
    if (x >= 0 && y >= 0 && x < this.map.width && y < this.map.height) {
      const under = this.map.ids[y * this.map.width + x]!;
      const inst = under ? this.map.getInstance(under) : undefined;
      if (inst && inst.classId === cls && !this.isLocked(under)) return under;
    }
    return this.#create(cls);
  }

  #create(classId: number): number {
    const id = this.map.addInstance({ id: this.#nextId++, classId, source: 'human' }).id;
    if (this.#recorder) this.#created.push(id);
    return id;
  }

  isLocked(id: number): boolean {
    if (id === 0) return false;
    const inst = this.map.getInstance(id);
    const cls = inst ? this.#classes.get(inst.classId) : undefined;
    return !!cls && (cls.locked || cls.hidden);
  }

  changed(rect: Rect | null): void {
    if (rect && this.#recorder) this.#gestureDirty = unionRect(this.#gestureDirty, rect);
    this.#emit({ rect, kind: rect ? 'paint' : 'state' });
  }
  select(id: number | null): void {
    this.#selected = id;
    this.#emit({ rect: null, kind: 'state' });
  }
  pan(dx: number, dy: number): void {
    for (const l of this.#panListeners) l(dx, dy);
  }
  notify(message: string, kind: 'info' | 'warning' = 'info'): void {
    for (const l of this.#messages) l(message, kind);
  }

  /** tiles a rect covers (the renderer redraws per tile) */
  tilesOf(rect: Rect): Array<[number, number]> {
    return tilesOf(rect, this.map);
  }

  /** instances this gesture created that ended with no pixel (e.g. a stroke entirely on locked pixels) */
  #dropEmptyCreated(): void {
    for (const id of this.#created) {
      const { area } = this.#gestureDirty ? areaIn(this.map, id, this.#gestureDirty) : { area: 0 };
      if (area === 0) this.map.removeInstance(id, false);
    }
    this.#created = [];
    this.#gestureDirty = null;
  }

  #emit(c: EditorChange): void {
    for (const l of this.#listeners) l(c);
  }
}

function areaIn(map: LabelMap, id: number, r: Rect): { area: number } {
  let area = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    const row = y * map.width;
    for (let x = r.x; x < r.x + r.width; x++) if (map.ids[row + x] === id) area++;
  }
  return { area };
}
