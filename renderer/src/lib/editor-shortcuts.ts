/** Every shortcut of the editor, in one place: the help overlay lists exactly this (tools from core/editor/tool-registry.ts). */
import { TOOLS, type ToolSpec } from '../../../core/editor/tool-registry';
import { isMac } from './format';

export interface Shortcut {
  keys: string[];
  what: string;
}

export interface ShortcutGroup {
  title: string;
  items: Shortcut[];
}

/** the help line of a tool: its hotkey as typed, and its help text */
export function toolShortcut(t: ToolSpec): Shortcut {
  const k = t.hotkey.key.toUpperCase();
  return { keys: [t.hotkey.shift ? `Shift+${k}` : k], what: t.help };
}

export function toolShortcuts(group: ToolSpec['helpGroup']): Shortcut[] {
  return TOOLS.filter((t) => t.helpGroup === group).map(toolShortcut);
}

export function editorShortcuts(): ShortcutGroup[] {
  const mod = isMac() ? '⌘' : 'Ctrl';
  return [
    {
      title: 'Tools',
      items: [
        ...toolShortcuts('Tools'),
        { keys: ['[', ']'], what: 'Brush smaller / larger · wand and fill colour tolerance' },
      ],
    },
    {
      title: 'Classes and instances',
      items: [
        { keys: ['1', '…', '9'], what: 'Paint with class 1–9' },
        { keys: ['M'], what: 'Switch instance / semantic mode' },
        { keys: ['Delete'], what: 'Delete the selected instance' },
        { keys: ['Esc'], what: 'Cancel the polygon, clear the selection — then close the editor' },
      ],
    },
    {
      title: 'Edit',
      items: [
        { keys: [`${mod}+Z`], what: 'Undo' },
        { keys: [`${mod}+Shift+Z`, `${mod}+Y`], what: 'Redo' },
      ],
    },
    {
      title: 'View',
      items: [
        { keys: ['Wheel'], what: 'Zoom at the pointer (Shift+wheel pans sideways)' },
        { keys: ['Space+drag'], what: 'Pan (or drag with the middle button)' },
        { keys: ['0'], what: 'Fit the image' },
        { keys: ['Shift+0'], what: '100 % (one image pixel per screen pixel)' },
        { keys: ['+', '−'], what: 'Zoom in / out' },
        { keys: ['O'], what: 'Outline only on / off' },
        { keys: [',', '.'], what: 'Mask opacity down / up' },
      ],
    },
    {
      title: 'Images',
      items: [
        { keys: ['←', '→'], what: 'Previous / next image (also PageUp / PageDown)' },
        { keys: [`${mod}+Enter`], what: 'Mark done and go to the next image' },
        { keys: [`${mod}+Shift+Enter`], what: 'Mark reviewed and go to the next image' },
        { keys: ['?'], what: 'This help' },
      ],
    },
  ];
}
