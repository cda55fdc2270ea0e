/**
 * The core Editor of one image plus what the UI shows about it, as runes. The editor's own
 * events drive everything: 'state' changes (tool, class, brush size, selection) update the
 * snapshot; committed gestures, undo and redo go to the MaskSession (autosave) and mark the
 * instance list stale. Paint events are left to the canvas (no reactivity per pointer move).
 */
import type { EditorChange, EditorClass, LabelMode } from '../../../../core/editor/editor';
import { Editor } from '../../../../core/editor/editor';
import type { ToolName } from '../../../../core/editor/tools/tool';
import type { InstanceSource } from '../../../../core/mask/label-map';
import type { MaskSession } from './mask-session.svelte';

export interface InstanceRow {
  id: number;
  classId: number;
  source: InstanceSource;
  score: number | null;
  /** pixels; null on very large images (not counted) */
  area: number | null;
}

export interface EditorModelOptions {
  classes: EditorClass[];
  activeClassId?: number;
  mode: LabelMode;
  brushRadiusPx: number;
  tool: ToolName;
}

const INSTANCE_REFRESH_MS = 200;
const AREA_SCAN_MAX_PX = 8192 * 8192;

export class EditorModel {
  readonly editor: Editor;
  readonly session: MaskSession;
  #tool = $state<ToolName>('brush');
  #statePath = $state('brush.idle');
  #activeClassId = $state(0);
  #brushRadiusPx = $state(8);
  #tolerance = $state(0);
  #mode = $state<LabelMode>('instance');
  #selected = $state<number | null>(null);
  #undoDepth = $state(0);
  #redoDepth = $state(0);
  #instances = $state.raw<InstanceRow[]>([]);
  #instanceTimer: ReturnType<typeof setTimeout> | null = null;
  #unsubscribe: (() => void)[] = [];

  constructor(session: MaskSession, opts: EditorModelOptions) {
    const map = session.map;
    if (!map) throw new Error('EditorModel needs a loaded mask');
    this.session = session;
    this.editor = new Editor(map, {
      classes: opts.classes,
      activeClassId: opts.activeClassId,
      mode: opts.mode,
      brushRadiusPx: opts.brushRadiusPx,
    });
    this.editor.history.load(session.undo, session.redo);
    this.editor.setTool(opts.tool);
    this.#unsubscribe.push(this.editor.onDidChange((c) => this.#onChange(c)));
    this.#sync();
    // after the first paint: on a large map the areas take a full scan
    this.#scheduleInstances();
  }

  get tool(): ToolName {
    return this.#tool;
  }
  get statePath(): string {
    return this.#statePath;
  }
  get activeClassId(): number {
    return this.#activeClassId;
  }
  get brushRadiusPx(): number {
    return this.#brushRadiusPx;
  }
  /** the colour tolerance of the current tool (wand or fill; the wand's otherwise) */
  get tolerance(): number {
    return this.#tolerance;
  }
  get mode(): LabelMode {
    return this.#mode;
  }
  get selected(): number | null {
    return this.#selected;
  }
  get undoDepth(): number {
    return this.#undoDepth;
  }
  get redoDepth(): number {
    return this.#redoDepth;
  }
  /** instances of the image with their area (refreshed shortly after each change) */
  get instances(): InstanceRow[] {
    return this.#instances;
  }

  dispose(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#instanceTimer) clearTimeout(this.#instanceTimer);
  }

  #onChange(c: EditorChange): void {
    if (c.kind === 'paint') return;
    if (c.kind === 'commit' || c.kind === 'undo' || c.kind === 'redo') {
      this.session.record(c.kind, c.entry);
      this.#scheduleInstances();
    }
    this.#sync();
  }

  #sync(): void {
    const e = this.editor;
    this.#tool = e.tool;
    this.#statePath = e.statePath;
    this.#activeClassId = e.activeClassId;
    this.#brushRadiusPx = e.brushRadiusPx;
    this.#tolerance = e.tool === 'fill' ? e.fillTolerance : e.wandTolerance;
    this.#mode = e.mode;
    this.#selected = e.selected;
    this.#undoDepth = e.history.undoDepth;
    this.#redoDepth = e.history.redoDepth;
  }

  /** the state path can change without an event (a tool's internal state); poll it after input */
  syncNow(): void {
    this.#sync();
  }

  #scheduleInstances(): void {
    if (this.#instanceTimer) clearTimeout(this.#instanceTimer);
    this.#instanceTimer = setTimeout(() => {
      this.#instanceTimer = null;
      // not in the middle of a stroke (a full scan of the map): the next quiet moment
      if (this.editor.statePath.endsWith('.painting')) this.#scheduleInstances();
      else this.#refreshInstances();
    }, INSTANCE_REFRESH_MS);
  }

  #refreshInstances(): void {
    const map = this.editor.map;
    // areas need a pass over every pixel: fine up to ~8k x 8k, too slow to repeat after every gesture beyond
    const stats = map.width * map.height <= AREA_SCAN_MAX_PX ? map.stats() : null;
    this.#instances = map.instances().map((i) => ({
      id: i.id,
      classId: i.classId,
      source: i.source,
      score: i.score,
      area: stats ? (stats.get(i.id)?.area ?? 0) : null,
    }));
  }
}
