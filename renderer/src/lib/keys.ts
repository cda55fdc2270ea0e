/** Keyboard helpers shared by the screens. */

/** Ctrl on Windows/Linux, Cmd on macOS, without Alt. */
export function isModKey(e: KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey;
}

/** True while the person is typing in a text field (single-key shortcuts must not fire). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(target.type);
  }
  return false;
}

/** True when a modal dialog is open (screens leave their shortcuts to it). */
export function modalOpen(): boolean {
  return document.querySelector('dialog[open]') !== null;
}
