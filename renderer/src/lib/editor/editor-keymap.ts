/**
 * The editor screen's keys as one table (the core editor handles the rest: its tools' keys,
 * undo/redo, classes 1-9, brush size). Each binding matches a key and either handles it
 * (the screen prevents the default), ignores it (nothing else sees it) or passes it on to the
 * core editor. Tools picked by the screen (they need a proposal or a click model first) come
 * from core/editor/tool-registry.ts.
 */
import { TOOLS } from '../../../../core/editor/tool-registry';
import type { ToolName } from '../../../../core/editor/tools/tool';

export interface KeyInput {
  key: string;
  code: string;
  shift: boolean;
  alt: boolean;
  /** Ctrl or ⌘ */
  mod: boolean;
  repeat: boolean;
  /** the key went to a range input (the arrows move the slider there) */
  onRange: boolean;
}

/** what the keys can do and the state they look at; the editor screen implements it */
export interface EditorKeyActions {
  readonly helpOpen: boolean;
  /** a label map is loaded */
  readonly hasModel: boolean;
  /** editing is possible and no gesture is in progress */
  readonly canEdit: boolean;
  readonly hasProposal: boolean;
  readonly hasConfidence: boolean;
  setHelp(open: boolean): void;
  markAndNext(status: 'done' | 'reviewed'): void;
  go(delta: 1 | -1): void;
  zoomStep(dir: 1 | -1): void;
  fit(): void;
  actualSize(): void;
  toggleOutline(): void;
  changeOpacity(delta: number): void;
  toggleMode(): void;
  acceptAll(): void;
  noProposal(): void;
  rejectProposal(): void;
  toggleHeatmap(): void;
  /** the live pixel classifier on / off */
  toggleLive(): void;
  /** a tool the screen picks (see ToolSpec.pickedBy) */
  pickScreenTool(tool: ToolName): void;
  spaceDown(): void;
  close(): void;
}

export type KeyOutcome = 'handled' | 'ignored' | 'pass';

interface Binding {
  /** keys as KeyboardEvent.key (letters in both cases where listed) */
  keys: readonly string[];
  run(a: EditorKeyActions, e: KeyInput): KeyOutcome;
}

const lower = (k: string) => (k.length === 1 ? k.toLowerCase() : k);
const both = (k: string) => [k.toLowerCase(), k.toUpperCase()];

// shifted hotkeys first: Shift+A is the accept brush, plain A accepts everything
const SCREEN_TOOLS = TOOLS.filter((t) => t.pickedBy === 'screen').sort((x, y) => Number(y.hotkey.shift) - Number(x.hotkey.shift));

/** keys without Ctrl/⌘ or Alt */
const PLAIN: readonly Binding[] = [
  { keys: ['ArrowRight', 'ArrowLeft'], run: (a, e) => (e.onRange ? 'ignored' : (a.go(e.key === 'ArrowRight' ? 1 : -1), 'handled')) },
  { keys: ['PageDown', 'PageUp'], run: (a, e) => (a.go(e.key === 'PageDown' ? 1 : -1), 'handled') },
  { keys: ['+', '='], run: (a) => (a.zoomStep(1), 'handled') },
  { keys: ['-', '_'], run: (a) => (a.zoomStep(-1), 'handled') },
  { keys: both('o'), run: (a) => (a.toggleOutline(), 'handled') },
  { keys: [',', '.'], run: (a, e) => (a.changeOpacity(e.key === '.' ? 0.1 : -0.1), 'handled') },
  { keys: both('m'), run: (a) => (a.hasModel ? (a.toggleMode(), 'handled') : 'ignored') },
  {
    // A accepts the whole proposal; the screen's tools with a shifted key (Shift+A: accept brush) come first
    keys: both('a'),
    run: (a) => {
      if (!a.canEdit) return 'ignored';
      if (a.hasProposal) a.acceptAll();
      else a.noProposal();
      return 'handled';
    },
  },
  { keys: ['X'], run: (a, e) => (e.shift && a.hasProposal ? (a.rejectProposal(), 'handled') : 'pass') },
  { keys: both('u'), run: (a) => (a.hasConfidence ? (a.toggleHeatmap(), 'handled') : 'ignored') },
  { keys: both('l'), run: (a) => (a.toggleLive(), 'handled') },
  {
    keys: [' '],
    run: (a, e) => {
      if (!e.repeat) a.spaceDown();
      return 'handled';
    },
  },
  { keys: ['Escape'], run: (a) => (a.close(), 'handled') },
];

/** What the screen does with a key (see the module comment). */
export function editorKey(e: KeyInput, a: EditorKeyActions): KeyOutcome {
  if (a.helpOpen) {
    if (e.key === 'Escape' || e.key === '?') {
      a.setHelp(false);
      return 'handled';
    }
    return 'ignored';
  }
  if (e.key === '?') {
    a.setHelp(true);
    return 'handled';
  }
  if (e.mod && !e.alt && e.key === 'Enter') {
    a.markAndNext(e.shift ? 'reviewed' : 'done');
    return 'handled';
  }
  if (e.mod || e.alt) return 'pass';
  // a tool without a shifted twin answers with or without Shift (R and Shift+R both refine)
  const tool = SCREEN_TOOLS.find((t) => t.hotkey.key === lower(e.key) && (t.hotkey.shift ? e.shift : true));
  if (tool) {
    if (!a.canEdit) return 'ignored';
    a.pickScreenTool(tool.id);
    return 'handled';
  }
  const b = PLAIN.find((x) => x.keys.includes(e.key));
  if (b) {
    const r = b.run(a, e);
    if (r !== 'pass') return r;
  }
  if (e.code === 'Digit0' || e.code === 'Numpad0') {
    if (e.shift) a.actualSize();
    else a.fit();
    return 'handled';
  }
  return 'pass';
}
