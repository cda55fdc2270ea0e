/** What the editor's status line and banner say about the mask, as plain functions of its state. */
import type { LoadProblem, SaveState, LoadPhase } from '../state/mask-session.svelte';

export interface SaveLine {
  text: string;
  tone: 'ok' | 'busy' | 'warn' | 'error';
  state: string;
}

/** the slice of MaskSession these read */
export interface MaskStatus {
  phase: LoadPhase;
  saveState: SaveState;
  savedOnce: boolean;
  version: number;
  problem: LoadProblem | null;
  saveError: { message: string } | null;
  historyWarning: string | null;
}

export function saveLineOf(s: MaskStatus | null): SaveLine {
  if (!s || s.phase === 'loading') return { text: 'Loading…', tone: 'busy', state: 'loading' };
  if (s.phase === 'failed') return { text: 'Read-only — nothing will be saved', tone: 'warn', state: 'read-only' };
  switch (s.saveState) {
    case 'saving':
      return { text: 'Saving…', tone: 'busy', state: 'saving' };
    case 'retrying':
      return { text: 'Save failed — retrying', tone: 'warn', state: 'retrying' };
    case 'conflict':
      return { text: 'Not saved — changed elsewhere', tone: 'error', state: 'conflict' };
    case 'failed':
      return { text: 'Save failed', tone: 'error', state: 'failed' };
    default:
      return { text: s.savedOnce || s.version > 0 ? 'Saved' : 'No changes yet', tone: 'ok', state: 'saved' };
  }
}

export interface EditorBannerInfo {
  kind: string;
  tone: 'error' | 'warn' | 'info';
  text: string;
  detail?: string;
}

/** The banner over the image, most serious first (null: none). */
export function editorBannerOf(s: MaskStatus | null, o: { imageError: string | null; historyNoticeHidden: boolean }): EditorBannerInfo | null {
  if (!s) return null;
  if (s.problem) return { kind: s.problem.kind, tone: s.problem.kind === 'load' ? 'warn' : 'error', text: s.problem.message, ...(s.problem.detail ? { detail: s.problem.detail } : {}) };
  if (s.saveState === 'conflict')
    return { kind: 'conflict', tone: 'error', text: 'This mask was changed elsewhere (another window?) since it was opened. Your last change here was not saved; reload to continue from the stored mask.' };
  if (s.saveState === 'failed') return { kind: 'save-failed', tone: 'error', text: `Saving failed: ${s.saveError?.message ?? 'unknown error'}. Editing is paused for this image.` };
  if (s.saveState === 'retrying') return { kind: 'retrying', tone: 'warn', text: `Saving failed (${s.saveError?.message ?? 'unknown error'}) — retrying. Keep this window open.` };
  if (o.imageError) return { kind: 'image', tone: 'warn', text: `${o.imageError} The mask can still be edited.` };
  if (s.historyWarning && !o.historyNoticeHidden) return { kind: 'history', tone: 'info', text: s.historyWarning };
  return null;
}

/** the zoom as a percentage: whole percents from 1000 %, one decimal below */
export function zoomLabel(zoom: number): string {
  return `${zoom >= 10 ? Math.round(zoom * 100) : Math.round(zoom * 1000) / 10}%`;
}
