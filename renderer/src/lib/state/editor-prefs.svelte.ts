/** Editor preferences kept in localStorage (per machine, not per project). */
import type { LabelMode } from '../../../../core/editor/editor';
import type { ToolName } from '../../../../core/editor/tools/tool';

const KEY = 'maskwright.editor';
const TOOLS: readonly ToolName[] = ['brush', 'eraser', 'polygon', 'fill', 'wand', 'select', 'pan'];

interface Stored {
  tool?: ToolName;
  brushRadiusPx?: number;
  mode?: LabelMode;
  opacity?: number;
  outline?: boolean;
}

function load(): Stored {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : {};
  } catch {
    return {};
  }
}

export class EditorPrefs {
  #tool = $state<ToolName>('brush');
  #brushRadiusPx = $state(8);
  #mode = $state<LabelMode>('instance');
  #opacity = $state(0.5);
  #outline = $state(false);

  constructor() {
    const s = load();
    if (s.tool && TOOLS.includes(s.tool)) this.#tool = s.tool;
    if (typeof s.brushRadiusPx === 'number' && s.brushRadiusPx > 0 && s.brushRadiusPx <= 500) this.#brushRadiusPx = s.brushRadiusPx;
    if (s.mode === 'instance' || s.mode === 'semantic') this.#mode = s.mode;
    if (typeof s.opacity === 'number' && s.opacity >= 0 && s.opacity <= 1) this.#opacity = s.opacity;
    if (typeof s.outline === 'boolean') this.#outline = s.outline;
  }

  get tool(): ToolName {
    return this.#tool;
  }
  set tool(v: ToolName) {
    if (v === this.#tool) return;
    this.#tool = v;
    this.#save();
  }
  get brushRadiusPx(): number {
    return this.#brushRadiusPx;
  }
  set brushRadiusPx(v: number) {
    if (v === this.#brushRadiusPx) return;
    this.#brushRadiusPx = v;
    this.#save();
  }
  get mode(): LabelMode {
    return this.#mode;
  }
  set mode(v: LabelMode) {
    if (v === this.#mode) return;
    this.#mode = v;
    this.#save();
  }
  get opacity(): number {
    return this.#opacity;
  }
  set opacity(v: number) {
    const o = Math.round(Math.min(1, Math.max(0, v)) * 100) / 100;
    if (o === this.#opacity) return;
    this.#opacity = o;
    this.#save();
  }
  get outline(): boolean {
    return this.#outline;
  }
  set outline(v: boolean) {
    if (v === this.#outline) return;
    this.#outline = v;
    this.#save();
  }

  #save(): void {
    try {
      const s: Stored = { tool: this.#tool, brushRadiusPx: this.#brushRadiusPx, mode: this.#mode, opacity: this.#opacity, outline: this.#outline };
      localStorage.setItem(KEY, JSON.stringify(s));
    } catch {
      /* preferences are a nicety */
    }
  }
}
