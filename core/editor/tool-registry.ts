/**
 * Every editor tool described once: id, hotkey, label, help text, status hint, cursor and icon.
 * The rail, the help overlay, the status-bar hint, the key map (core editor and screen) and the
 * canvas cursor are all built from this list, so a new tool is one entry here plus its state
 * machine in tools/.
 */
import type { LabelMode } from './editor';
import type { ToolName } from './tools/tool';

/** what a tool's hint may depend on */
export interface ToolHintContext {
  mode: LabelMode;
  /** the editor's state path, e.g. 'refine.clicking' */
  statePath: string;
  /** an instance is selected */
  selected: boolean;
  /** the image has a model proposal */
  hasProposal: boolean;
  /** the colour tolerance of the current tool (wand, fill), 0..255 */
  tolerance?: number;
}

/** a stroke icon on a 20x20 grid: paths, and circles (optionally dashed or filled) */
export interface ToolIcon {
  paths: string[];
  circles?: { cx: number; cy: number; r: number; dash?: string; filled?: boolean }[];
}

export interface ToolSpec {
  id: ToolName;
  label: string;
  /** the hotkey as shown on the rail and in the help, e.g. 'B' or '⇧A' */
  keyLabel: string;
  /** the key that picks the tool */
  hotkey: { key: string; shift: boolean };
  /**
   * 'editor': the core editor switches to it on its hotkey; 'screen': the editor screen picks it
   * (it needs something first: a proposal, a click model)
   */
  pickedBy: 'editor' | 'screen';
  /** the help overlay's line and group */
  help: string;
  helpGroup: 'Tools' | 'Model assistance';
  /** shows the brush size control and the brush cursor */
  brushSized: boolean;
  /** the canvas cursor while the tool is idle over the image */
  cursor: 'none' | 'default' | 'crosshair' | 'grab';
  /** styled as a model-assistance tool */
  assist: boolean;
  hint(c: ToolHintContext): string;
  icon: ToolIcon;
}

export const TOOLS: readonly ToolSpec[] = [
  {
    id: 'brush',
    label: 'Brush',
    keyLabel: 'B',
    hotkey: { key: 'b', shift: false },
    pickedBy: 'editor',
    help: 'Brush',
    helpGroup: 'Tools',
    brushSized: true,
    cursor: 'none',
    assist: false,
    hint: (c) => (c.mode === 'instance' ? 'Each stroke starts an instance, or extends the one it starts on' : 'Semantic mode: one region per class'),
    icon: { paths: ['M16.5 3.5l-7.8 7.8', 'M8.7 11.3c-1.6-.4-3.2.6-3.6 2.2-.3 1.3-.9 2.3-2.1 3 2.6.6 5.4-.1 6.4-2.1.5-1 .4-2.3-.7-3.1z'] },
  },
  {
    id: 'eraser',
    label: 'Eraser',
    keyLabel: 'E',
    hotkey: { key: 'e', shift: false },
    pickedBy: 'editor',
    help: 'Eraser',
    helpGroup: 'Tools',
    brushSized: true,
    cursor: 'none',
    assist: false,
    hint: () => 'Drag to erase',
    icon: { paths: ['M11.5 3.8l4.7 4.7-7.6 7.7H5.3l-2-2a1.5 1.5 0 010-2.1z', 'M7.4 7.9l4.7 4.7', 'M9 16.2h8'] },
  },
  {
    id: 'polygon',
    label: 'Polygon',
    keyLabel: 'P',
    hotkey: { key: 'p', shift: false },
    pickedBy: 'editor',
    help: 'Polygon — click points; Enter, double-click or the first point closes; Backspace removes a point',
    helpGroup: 'Tools',
    brushSized: false,
    cursor: 'crosshair',
    assist: false,
    hint: (c) => (c.statePath === 'polygon.drawing' ? 'Click to add points · Enter or the first point closes · Backspace removes a point · Esc cancels' : 'Click to start a polygon'),
    icon: {
      paths: ['M10 3l6.5 4.7-2.5 8.3H6L3.5 7.7z'],
      circles: [
        { cx: 10, cy: 3, r: 1.3, filled: true },
        { cx: 16.5, cy: 7.7, r: 1.3, filled: true },
        { cx: 3.5, cy: 7.7, r: 1.3, filled: true },
      ],
    },
  },
  {
    id: 'fill',
    label: 'Fill',
    keyLabel: 'F',
    hotkey: { key: 'f', shift: false },
    pickedBy: 'editor',
    help: 'Fill the connected region of the same label and similar colour ([ ] tolerance; Alt+click clears it)',
    helpGroup: 'Tools',
    brushSized: false,
    cursor: 'crosshair',
    assist: false,
    hint: (c) =>
      `Click to flood the connected region of the same label${c.tolerance !== undefined && c.tolerance < 255 ? ` whose colour is within ±${c.tolerance} of the clicked pixel` : ' (no colour bound: up to labels and image edges)'} · [ ] tolerance · Alt+click clears`,
    icon: { paths: ['M8.5 3.5l6.5 6.5-5.3 5.3a1.4 1.4 0 01-2 0L3.2 10.8a1.4 1.4 0 010-2z', 'M3.5 9.5h11', 'M16.8 12.8s1.4 1.7 1.4 2.7a1.4 1.4 0 01-2.8 0c0-1 1.4-2.7 1.4-2.7z'] },
  },
  {
    id: 'wand',
    label: 'Magic wand',
    keyLabel: 'W',
    hotkey: { key: 'w', shift: false },
    pickedBy: 'editor',
    help: 'Magic wand — region of similar colour ([ ] tolerance)',
    helpGroup: 'Tools',
    brushSized: false,
    cursor: 'crosshair',
    assist: false,
    hint: (c) => `Click to label the region of similar colour · tolerance ±${c.tolerance ?? 24} ([ ] to change)`,
    icon: { paths: ['M3.5 16.5l9-9', 'M14 2.5v3M12.5 4h3M16.5 8v2.4M15.3 9.2h2.4M9.5 2.8v1.8M8.6 3.7h1.8'] },
  },
  {
    id: 'select',
    label: 'Select',
    keyLabel: 'V',
    hotkey: { key: 'v', shift: false },
    pickedBy: 'editor',
    help: 'Select an instance',
    helpGroup: 'Tools',
    brushSized: false,
    cursor: 'default',
    assist: false,
    hint: (c) => {
      if (c.selected) return 'Delete removes it · Esc clears the selection';
      return c.hasProposal ? 'Click an instance to select it · click a proposal to accept it' : 'Click an instance to select it';
    },
    icon: { paths: ['M5 3l10 6-4.3 1.2L13.5 16l-2 .9-2.8-5.7L5 14z'] },
  },
  {
    id: 'pan',
    label: 'Pan',
    keyLabel: 'H',
    hotkey: { key: 'h', shift: false },
    pickedBy: 'editor',
    help: 'Pan',
    helpGroup: 'Tools',
    brushSized: false,
    cursor: 'grab',
    assist: false,
    hint: () => 'Drag to pan',
    icon: { paths: ['M7 10V4.8a1.2 1.2 0 012.4 0V9.5M9.4 9V3.7a1.2 1.2 0 012.4 0V9M11.8 9V4.6a1.2 1.2 0 012.4 0v6.2c0 3-2 5.7-5 5.7-2 0-3.3-.9-4.4-2.6L3.3 10.8a1.2 1.2 0 012-1.3L7 11.5'] },
  },
  {
    id: 'refine',
    label: 'Click to refine',
    keyLabel: 'R',
    hotkey: { key: 'r', shift: false },
    pickedBy: 'screen',
    help: 'Click to refine — left click adds, right click or Alt+click removes, drag draws a box',
    helpGroup: 'Model assistance',
    brushSized: false,
    cursor: 'crosshair',
    assist: true,
    hint: (c) =>
      c.statePath === 'refine.clicking'
        ? 'Left click adds · right click or Alt+click removes · drag redraws the box · Enter accepts · Backspace undoes a click · Esc cancels'
        : c.statePath === 'refine.boxing'
          ? 'Release to segment the object inside the box'
          : c.hasProposal
            ? 'Click an object (or a proposal) or drag a box around it · right click marks what is not part of it'
            : 'Click an object or drag a box around it to segment it · right click marks what is not part of it',
    icon: { paths: ['M12.3 12.3l4.4 4.4', 'M8.5 6.6v3.8M6.6 8.5h3.8'], circles: [{ cx: 8.5, cy: 8.5, r: 5.2, dash: '2.6 2' }] },
  },
  {
    id: 'accept',
    label: 'Accept brush (paint over the proposal)',
    keyLabel: '⇧A',
    hotkey: { key: 'a', shift: true },
    pickedBy: 'screen',
    help: 'Accept brush — paint over the proposal to accept what is under it',
    helpGroup: 'Model assistance',
    brushSized: true,
    cursor: 'none',
    assist: false,
    hint: (c) => (c.hasProposal ? 'Paint over the proposal to accept what is under the brush' : 'No proposal on this image'),
    icon: {
      paths: ['M13.5 3.5l-6.2 6.2', 'M7.3 9.7c-1.4-.3-2.7.5-3 1.8-.3 1.1-.8 1.9-1.8 2.5 2.2.5 4.5-.1 5.3-1.8.4-.8.3-1.9-.5-2.5z', 'M11.5 14.5l2 2 4-4.5'],
    },
  },
];

const BY_ID = new Map(TOOLS.map((t) => [t.id, t]));

export function toolSpec(id: ToolName): ToolSpec {
  const t = BY_ID.get(id);
  if (!t) throw new RangeError(`unknown tool '${id}'`);
  return t;
}

/** the tool the core editor picks for a key (no modifier), or null */
export function editorToolForKey(key: string): ToolName | null {
  const k = key.length === 1 ? key.toLowerCase() : key;
  return TOOLS.find((t) => t.pickedBy === 'editor' && t.hotkey.key === k && !t.hotkey.shift)?.id ?? null;
}
