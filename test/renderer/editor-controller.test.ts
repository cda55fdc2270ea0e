/**
 * EditorController without the DOM: "Done & next" (status set, then the queue's pick opened,
 * found among the loaded rows, or the next row; the last image; a failed status; moving on
 * meanwhile), navigation bounds, the key map acting on the controller (help, Esc, display
 * toggles) and keys passed on to the core editor of a loaded mask.
 */
import { describe, expect, it } from 'vitest';
import type { MaskwrightClient } from '../../core/api/client';
import { AppError } from '../../core/api/errors';
import type { ImageRow, ImageStatus, LabelClass } from '../../core/api/types';
import type { KeyInput } from '../../renderer/src/lib/editor/editor-keymap';
import { EditorController, type EditorHost } from '../../renderer/src/lib/editor/editor-controller.svelte';
import { EditorModel } from '../../renderer/src/lib/state/editor-model.svelte';
import { MaskSession } from '../../renderer/src/lib/state/mask-session.svelte';

const rowOf = (id: number, status: ImageStatus = 'unlabeled'): ImageRow => ({ id, fileName: `img${id}.png`, path: `/x/img${id}.png`, width: 8, height: 6, status }) as unknown as ImageRow;
const classes = [{ id: 1, name: 'Cat', color: '#ff0000', hidden: false, locked: false }] as unknown as LabelClass[];

function fakeClient(opts: { queue?: number[]; failStatus?: boolean } = {}) {
  const calls: string[] = [];
  let queueGate: Promise<void> | null = null;
  const client = {
    images: {
      setStatus: async (pid: string, ids: number[], s: ImageStatus) => {
        calls.push(`status ${pid} ${ids.join(',')} ${s}`);
        if (opts.failStatus) throw new AppError('io', 'disk full');
      },
      queue: async (pid: string, q: { order: string; limit: number; excludeIds: number[] }) => {
        calls.push(`queue ${pid} ${q.order} ${q.limit} ${q.excludeIds.join(',')}`);
        if (queueGate) await queueGate;
        return (opts.queue ?? []).map((id) => rowOf(id));
      },
    },
    masks: {
      load: async () => ({ labelMap: null, version: 0, editCount: 0, timeSpentMs: 0, history: { undo: [], redo: [] } }),
      save: async () => ({ version: 1 }),
    },
  };
  return {
    client: client as unknown as MaskwrightClient,
    calls,
    holdQueue: () => {
      let release!: () => void;
      queueGate = new Promise((r) => (release = r));
      return release;
    },
  };
}

/** a host whose row and position the test moves; what the controller asked of it is logged */
function fakeHost(rows: ImageRow[], at: number, withOpenImage: boolean) {
  const log: string[] = [];
  const state = { index: at };
  const host: EditorHost = {
    get row() {
      return rows[state.index] ?? null;
    },
    get index() {
      return state.index;
    },
    get total() {
      return rows.length;
    },
    imageUrl: (id) => `mw://image/${id}`,
    neighbour: (i) => rows[i],
    close: () => log.push('close'),
    navigate: (i) => log.push(`navigate ${i}`),
    status: (id, s) => log.push(`onstatus ${id} ${s}`),
    openImage: withOpenImage ? (id) => log.push(`open ${id}`) : undefined,
  };
  return { host, log, state };
}

const key = (k: string, o: Partial<KeyInput> = {}): KeyInput => ({ key: k, code: '', shift: false, alt: false, mod: false, repeat: false, onRange: false, ...o });
const rows = [rowOf(10), rowOf(11), rowOf(12), rowOf(13)];

describe('EditorController', () => {
  it('Done & next: sets the status, then opens the queue pick by id', async () => {
    const f = fakeClient({ queue: [13] });
    const h = fakeHost(rows, 1, true);
    const ctl = new EditorController(f.client, 'p', classes, h.host);
    ctl.appPrefs.queueOrder = 'sequential';
    await ctl.markAndNextAsync('done');
    expect(f.calls).toEqual(['status p 11 done', 'queue p sequential 1 11']);
    expect(h.log).toEqual(['onstatus 11 done', 'open 13']);
    expect(ctl.status).toBe('done');
    expect(ctl.queuedBy).toEqual({ imageId: 13, order: 'sequential' });
    expect(ctl.statusBusy).toBe(false);
  });

  it('Done & next without openImage finds the pick among the loaded rows, else takes the next row', async () => {
    const f = fakeClient({ queue: [13] });
    const h = fakeHost(rows, 0, false);
    const ctl = new EditorController(f.client, 'p', classes, h.host);
    await ctl.markAndNextAsync('reviewed');
    expect(h.log).toEqual(['onstatus 10 reviewed', 'navigate 3']);
    expect(ctl.queuedBy?.imageId).toBe(13);

    const f2 = fakeClient({ queue: [] });
    const h2 = fakeHost(rows, 1, false);
    const ctl2 = new EditorController(f2.client, 'p', classes, h2.host);
    await ctl2.markAndNextAsync('done');
    expect(h2.log).toEqual(['onstatus 11 done', 'navigate 2']);
    expect(ctl2.queuedBy).toBeNull();
  });

  it('on the last image with nothing queued it stays and says so', async () => {
    const f = fakeClient({ queue: [] });
    const h = fakeHost(rows, 3, true);
    const ctl = new EditorController(f.client, 'p', classes, h.host);
    await ctl.markAndNextAsync('done');
    expect(h.log).toEqual(['onstatus 13 done']);
    expect(ctl.toasts.items.map((t) => t.message)).toEqual(['Done — that was the last image.']);
  });

  it('a failed status neither queues nor moves; moving on meanwhile cancels the jump', async () => {
    const f = fakeClient({ queue: [13], failStatus: true });
    const h = fakeHost(rows, 0, true);
    const ctl = new EditorController(f.client, 'p', classes, h.host);
    await ctl.markAndNextAsync('done');
    expect(f.calls).toEqual(['status p 10 done']);
    expect(h.log).toEqual([]);
    expect(ctl.toasts.items[0]?.tone).toBe('error');
    expect(ctl.toasts.items[0]?.message).toContain('disk full');

    const f2 = fakeClient({ queue: [13] });
    const h2 = fakeHost(rows, 0, true);
    const ctl2 = new EditorController(f2.client, 'p', classes, h2.host);
    const release = f2.holdQueue();
    const done = ctl2.markAndNextAsync('done');
    await Promise.resolve();
    await Promise.resolve();
    h2.state.index = 2; // the person went on with the arrows
    release();
    await done;
    expect(h2.log).toEqual(['onstatus 10 done']);
  });

  it('navigation stays within the list, by the buttons and the keys', () => {
    const f = fakeClient();
    const h = fakeHost(rows, 0, true);
    const ctl = new EditorController(f.client, 'p', classes, h.host);
    ctl.go(-1);
    ctl.go(1);
    expect(ctl.key(key('ArrowLeft'))).toBe('handled');
    expect(ctl.key(key('PageDown'))).toBe('handled');
    expect(ctl.key(key('ArrowRight', { onRange: true }))).toBe('ignored');
    h.state.index = 3;
    ctl.go(1);
    ctl.go(-1);
    expect(h.log).toEqual(['navigate 1', 'navigate 1', 'navigate 2']);
  });

  it('keys: help, Esc (help first, then close), display toggles, Ctrl+Enter; nothing to edit without a mask', async () => {
    const f = fakeClient({ queue: [12] });
    const h = fakeHost(rows, 0, true);
    const ctl = new EditorController(f.client, 'p', classes, h.host);
    expect(ctl.key(key('?'))).toBe('handled');
    expect(ctl.helpOpen).toBe(true);
    expect(ctl.key(key('o'))).toBe('ignored'); // the help overlay takes the keys
    expect(ctl.key(key('Escape'))).toBe('handled');
    expect(ctl.helpOpen).toBe(false);
    expect(h.log).toEqual([]);

    const outline = ctl.prefs.outline;
    expect(ctl.key(key('o'))).toBe('handled');
    expect(ctl.prefs.outline).toBe(!outline);
    const opacity = ctl.prefs.opacity;
    ctl.key(key(','));
    expect(ctl.prefs.opacity).toBeCloseTo(opacity - 0.1);
    expect(ctl.key(key('a'))).toBe('ignored'); // no mask: nothing to accept
    expect(ctl.key(key('u'))).toBe('ignored'); // no proposal confidence
    expect(ctl.key(key('b'))).toBe('pass'); // the core editor's key, but there is no editor

    expect(ctl.key(key('Enter', { mod: true, shift: true }))).toBe('handled');
    await new Promise((r) => setTimeout(r, 0));
    expect(f.calls[0]).toBe('status p 10 reviewed');
    expect(h.log).toEqual(['onstatus 10 reviewed', 'open 12']);

    expect(ctl.key(key('Escape'))).toBe('handled');
    expect(h.log.at(-1)).toBe('close');
  });

  it('with a loaded mask: editor keys reach the core editor, M switches the mode, A without a proposal says so', async () => {
    const f = fakeClient();
    const h = fakeHost(rows, 0, true);
    const ctl = new EditorController(f.client, 'p', classes, h.host);
    const s = new MaskSession(f.client, 'p', 10, 8, 6);
    await s.load();
    ctl.session = s;
    ctl.model = new EditorModel(s, { classes: [{ id: 1, hidden: false, locked: false }], activeClassId: 1, mode: 'instance', brushRadiusPx: 4, tool: 'brush' });
    expect(ctl.editable).toBe(true);
    expect(ctl.canEdit).toBe(true);
    expect(ctl.key(key('e'))).toBe('handled');
    expect(ctl.model.tool).toBe('eraser');
    expect(ctl.key(key('m'))).toBe('handled');
    expect(ctl.model.mode).toBe('semantic');
    expect(ctl.key(key('a'))).toBe('handled');
    expect(ctl.toasts.items.at(-1)?.message).toBe('There is no model proposal on this image.');
    ctl.pickScreenTool('accept'); // the accept brush needs a proposal
    expect(ctl.model.tool).toBe('eraser');
    ctl.model.dispose();
  });
});
