/** The editor's model-assistance shortcuts (proposal, click-to-refine), listed by the help overlay. */
import { toolShortcuts, type ShortcutGroup } from '../../lib/editor-shortcuts';

export function assistShortcuts(): ShortcutGroup {
  return {
    title: 'Model assistance',
    items: [
      { keys: ['A'], what: 'Accept the whole proposal (only onto unlabeled pixels; one undo step)' },
      { keys: ['V', 'click'], what: 'Select tool: a click on a proposal accepts that object' },
      { keys: ['Shift+X'], what: 'Reject the proposal' },
      { keys: ['U'], what: 'Uncertainty heatmap on / off' },
      { keys: ['L'], what: 'Live on / off: learns from your strokes (eraser = background) and updates the proposal after each one' },
      ...toolShortcuts('Model assistance'),
      { keys: ['Enter'], what: 'Refine: accept the object (a new instance of the current class)' },
      { keys: ['Backspace'], what: 'Refine: take the last click back' },
      { keys: ['Esc'], what: 'Refine: cancel the object' },
    ],
  };
}
