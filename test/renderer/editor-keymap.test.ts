/**
 * The editor screen's key map and its status texts: each key does what the help overlay says,
 * guarded keys are swallowed rather than passed on, and the rest reach the core editor; the
 * rail, the help and the core editor's tool keys all come from the one tool registry.
 */
import { describe, expect, it } from 'vitest';
import { TOOLS, editorToolForKey, toolSpec } from '../../core/editor/tool-registry';
import { editorKey, type EditorKeyActions, type KeyInput } from '../../renderer/src/lib/editor/editor-keymap';
import { editorBannerOf, saveLineOf, zoomLabel, type MaskStatus } from '../../renderer/src/lib/editor/editor-status';
import { editorShortcuts } from '../../renderer/src/lib/editor-shortcuts';
import { assistShortcuts } from '../../renderer/src/components/editor/assist-shortcuts';

function actions(state: Partial<Pick<EditorKeyActions, 'helpOpen' | 'hasModel' | 'canEdit' | 'hasProposal' | 'hasConfidence'>> = {}) {
  const calls: string[] = [];
  const log =
    (name: string) =>
    (...args: unknown[]) =>
      void calls.push(args.length ? `${name}(${args.join(',')})` : name);
  const a: EditorKeyActions = {
    helpOpen: false,
    hasModel: true,
    canEdit: true,
    hasProposal: false,
    hasConfidence: false,
    ...state,
    setHelp: log('setHelp'),
    markAndNext: log('markAndNext'),
    go: log('go'),
    zoomStep: log('zoomStep'),
    fit: log('fit'),
    actualSize: log('actualSize'),
    toggleOutline: log('toggleOutline'),
    changeOpacity: log('changeOpacity'),
    toggleMode: log('toggleMode'),
    acceptAll: log('acceptAll'),
    noProposal: log('noProposal'),
    rejectProposal: log('rejectProposal'),
    toggleHeatmap: log('toggleHeatmap'),
    toggleLive: log('toggleLive'),
    pickScreenTool: log('pick'),
    spaceDown: log('spaceDown'),
    close: log('close'),
  };
  return { a, calls };
}

const key = (k: string, over: Partial<KeyInput> = {}): KeyInput => ({ key: k, code: k.length === 1 ? `Key${k.toUpperCase()}` : k, shift: false, alt: false, mod: false, repeat: false, onRange: false, ...over });

describe('editor key map', () => {
  it('runs the screen keys and passes the rest to the core editor', () => {
    const { a, calls } = actions({ hasProposal: true, hasConfidence: true });
    const run = (k: KeyInput) => editorKey(k, a);
    expect(run(key('ArrowRight'))).toBe('handled');
    expect(run(key('PageUp'))).toBe('handled');
    expect(run(key('='))).toBe('handled');
    expect(run(key('-'))).toBe('handled');
    expect(run(key('O', { shift: true }))).toBe('handled');
    expect(run(key('.'))).toBe('handled');
    expect(run(key('m'))).toBe('handled');
    expect(run(key('a'))).toBe('handled');
    expect(run(key('A', { shift: true }))).toBe('handled');
    expect(run(key('X', { shift: true }))).toBe('handled');
    expect(run(key('u'))).toBe('handled');
    expect(run(key('r'))).toBe('handled');
    expect(run(key('R', { shift: true }))).toBe('handled');
    expect(run(key(' '))).toBe('handled');
    expect(run(key(' ', { repeat: true }))).toBe('handled');
    expect(run(key('0', { code: 'Digit0' }))).toBe('handled');
    expect(run(key(')', { code: 'Digit0', shift: true }))).toBe('handled');
    expect(run(key('Enter', { mod: true }))).toBe('handled');
    expect(run(key('Enter', { mod: true, shift: true }))).toBe('handled');
    expect(run(key('Escape'))).toBe('handled');
    expect(calls).toEqual([
      'go(1)',
      'go(-1)',
      'zoomStep(1)',
      'zoomStep(-1)',
      'toggleOutline',
      'changeOpacity(0.1)',
      'toggleMode',
      'acceptAll',
      'pick(accept)',
      'rejectProposal',
      'toggleHeatmap',
      'pick(refine)',
      'pick(refine)',
      'spaceDown',
      'fit',
      'actualSize',
      'markAndNext(done)',
      'markAndNext(reviewed)',
      'close',
    ]);
    // the core editor's keys: tools, brush size, classes, undo
    for (const k of [key('b'), key('['), key('3', { code: 'Digit3' }), key('z', { mod: true }), key('x'), key('Delete')]) expect(run(k)).toBe('pass');
  });

  it('swallows guarded keys instead of passing them on, and says when there is no proposal', () => {
    const { a, calls } = actions({ canEdit: false, hasModel: false });
    expect(editorKey(key('a'), a)).toBe('ignored');
    expect(editorKey(key('r'), a)).toBe('ignored');
    expect(editorKey(key('A', { shift: true }), a)).toBe('ignored');
    expect(editorKey(key('m'), a)).toBe('ignored');
    expect(editorKey(key('u'), a)).toBe('ignored');
    // Shift+X without a proposal is the core editor's
    expect(editorKey(key('X', { shift: true }), a)).toBe('pass');
    // the arrows move a focused slider, not the image
    expect(editorKey(key('ArrowLeft', { onRange: true }), a)).toBe('ignored');
    expect(calls).toEqual([]);
    const b = actions();
    expect(editorKey(key('a'), b.a)).toBe('handled');
    expect(b.calls).toEqual(['noProposal']);
  });

  it('L turns Live on and off (with or without Shift), whatever the proposal', () => {
    const { a, calls } = actions({ hasProposal: false });
    expect(editorKey(key('l'), a)).toBe('handled');
    expect(editorKey(key('L', { shift: true }), a)).toBe('handled');
    expect(calls).toEqual(['toggleLive', 'toggleLive']);
    expect(assistShortcuts().items.some((i) => i.keys[0] === 'L' && /Live/.test(i.what))).toBe(true);
  });

  it('while the help is open only ? and Esc do anything (they close it)', () => {
    const { a, calls } = actions({ helpOpen: true });
    expect(editorKey(key('b'), a)).toBe('ignored');
    expect(editorKey(key('Escape'), a)).toBe('handled');
    expect(editorKey(key('?', { shift: true }), a)).toBe('handled');
    expect(calls).toEqual(['setHelp(false)', 'setHelp(false)']);
    const c = actions();
    expect(editorKey(key('?', { shift: true }), c.a)).toBe('handled');
    expect(c.calls).toEqual(['setHelp(true)']);
  });
});

describe('tool registry', () => {
  it('gives every tool one distinct hotkey, and the core editor picks exactly its own tools by key', () => {
    const keys = TOOLS.map((t) => `${t.hotkey.shift ? 'shift+' : ''}${t.hotkey.key}`);
    expect(new Set(keys).size).toBe(TOOLS.length);
    for (const t of TOOLS) {
      expect(editorToolForKey(t.hotkey.key.toUpperCase()) === t.id).toBe(t.pickedBy === 'editor' && !t.hotkey.shift);
      expect(toolSpec(t.id)).toBe(t);
      expect(t.icon.paths.length).toBeGreaterThan(0);
    }
    expect(editorToolForKey('r')).toBeNull();
    expect(() => toolSpec('laser' as never)).toThrow(/unknown tool/);
  });

  it('the help overlay lists every tool with its key', () => {
    const lines = [...editorShortcuts(), assistShortcuts()].flatMap((g) => g.items);
    for (const t of TOOLS) expect(lines.some((l) => l.what === t.help && l.keys[0] === (t.hotkey.shift ? `Shift+${t.hotkey.key.toUpperCase()}` : t.hotkey.key.toUpperCase())), t.id).toBe(true);
  });

  it('hints follow the tool state', () => {
    const c = { mode: 'instance' as const, statePath: 'refine.idle', selected: false, hasProposal: false };
    expect(toolSpec('refine').hint({ ...c, statePath: 'refine.clicking' })).toMatch(/Enter accepts/);
    expect(toolSpec('polygon').hint({ ...c, statePath: 'polygon.drawing' })).toMatch(/Backspace removes a point/);
    expect(toolSpec('select').hint({ ...c, selected: true })).toMatch(/Delete removes it/);
    expect(toolSpec('brush').hint({ ...c, mode: 'semantic' })).toMatch(/one region per class/);
  });
});

describe('editor status', () => {
  const base: MaskStatus = { phase: 'ready', saveState: 'saved', savedOnce: false, version: 0, problem: null, saveError: null, historyWarning: null };
  it('says what happens to the mask', () => {
    expect(saveLineOf(null).state).toBe('loading');
    expect(saveLineOf(base).text).toBe('No changes yet');
    expect(saveLineOf({ ...base, version: 2 }).text).toBe('Saved');
    expect(saveLineOf({ ...base, saveState: 'retrying' })).toMatchObject({ tone: 'warn', state: 'retrying' });
    expect(saveLineOf({ ...base, phase: 'failed' }).state).toBe('read-only');
  });
  it('shows the most serious banner first', () => {
    const o = { imageError: 'The preview failed.', historyNoticeHidden: false };
    expect(editorBannerOf({ ...base, historyWarning: 'h' }, { imageError: null, historyNoticeHidden: false })!.kind).toBe('history');
    expect(editorBannerOf({ ...base, historyWarning: 'h' }, { imageError: null, historyNoticeHidden: true })).toBeNull();
    expect(editorBannerOf({ ...base, historyWarning: 'h' }, o)!.kind).toBe('image');
    expect(editorBannerOf({ ...base, saveState: 'failed', saveError: { message: 'disk full' } }, o)).toMatchObject({ kind: 'save-failed', text: expect.stringMatching(/disk full/) });
    expect(editorBannerOf({ ...base, saveState: 'conflict', problem: { kind: 'decode', message: 'bad' } }, o)!.kind).toBe('decode');
    expect(zoomLabel(0.1234)).toBe('12.3%');
    expect(zoomLabel(12)).toBe('1200%');
  });
});
