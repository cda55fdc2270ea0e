/**
 * MaskSession: load (empty, stored, undecodable, wrong size, history unreadable), autosave of
 * every history step in order with the version it last read, one encode for steps queued behind
 * a save in flight, retry after a transient failure, and a conflict or a refused save that stops
 * saving for good (nothing more is sent, the stored data stays).
 */
import { describe, expect, it } from 'vitest';
import type { MaskwrightClient } from '../../core/api/client';
import { AppError } from '../../core/api/errors';
import { decodeHistoryEntry, encodeHistoryEntry, type HistoryEntry } from '../../core/editor/history';
import { LabelMap } from '../../core/mask/label-map';
import { MaskSession } from '../../renderer/src/lib/state/mask-session.svelte';

interface SaveCall {
  labelMap: Uint8Array;
  expectedVersion: number;
  addEdits: number;
  history: { op: string; entry?: Uint8Array };
}

const entry = (label: string): HistoryEntry => ({ label, patches: [], instancesBefore: null, instancesAfter: null });

function fakeClient(stored: { labelMap: Uint8Array | null; version?: number; history?: { undo: Uint8Array[]; redo: Uint8Array[] } }) {
  const saves: SaveCall[] = [];
  let version = stored.version ?? 0;
  /** failures to throw on the next saves, in order */
  const failures: AppError[] = [];
  /** a save waits for this when set */
  let gate: Promise<void> | null = null;
  const client = {
    masks: {
      load: async () => ({ labelMap: stored.labelMap, version, editCount: 2, timeSpentMs: 500, history: stored.history ?? { undo: [], redo: [] } }),
      save: async (_pid: string, _iid: number, req: SaveCall) => {
        if (gate) await gate;
        const f = failures.shift();
        if (f) throw f;
        if (req.expectedVersion !== version) throw new AppError('conflict', 'another window saved');
        saves.push(req);
        version++;
        return { version };
      },
    },
  };
  return {
    client: client as unknown as MaskwrightClient,
    saves,
    failures,
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
    bumpVersion: () => version++,
  };
}

describe('MaskSession', () => {
  it('loads an empty image, then saves each step in order with the version it last read', async () => {
    const f = fakeClient({ labelMap: null, version: 3 });
    const s = new MaskSession(f.client, 'p', 1, 8, 6);
    await s.load();
    expect(s.phase).toBe('ready');
    expect(s.map!.width).toBe(8);
    expect(s.editable).toBe(true);
    s.map!.ids[0] = 1;
    s.record('commit', entry('brush'));
    expect(s.saveState).toBe('saving');
    s.record('undo');
    s.record('redo');
    await s.whenIdle();
    expect(s.saveState).toBe('saved');
    expect(f.saves.map((c) => [c.history.op, c.expectedVersion])).toEqual([
      ['push', 3],
      ['undo', 4],
      ['redo', 5],
    ]);
    expect(decodeHistoryEntry(f.saves[0]!.history.entry!).label).toBe('brush');
    expect(LabelMap.decode(f.saves[0]!.labelMap).ids[0]).toBe(1);
    expect(s.version).toBe(6);
    expect(s.editCount).toBe(2 + 3);
    expect(s.pending).toBe(0);
  });

  it('encodes the map once for steps queued behind a save in flight', async () => {
    const f = fakeClient({ labelMap: null });
    const s = new MaskSession(f.client, 'p', 1, 4, 4);
    await s.load();
    const release = f.hold();
    s.record('commit', entry('a'));
    await new Promise((r) => setTimeout(r, 5)); // the first save is now in flight
    s.map!.ids[5] = 2;
    s.record('commit', entry('b'));
    s.record('commit', entry('c'));
    expect(s.pending).toBe(3);
    release();
    await s.whenIdle();
    expect(f.saves.map((c) => decodeHistoryEntry(c.history.entry!).label)).toEqual(['a', 'b', 'c']);
    expect(f.saves[1]!.labelMap).toBe(f.saves[2]!.labelMap); // the same encoded bytes
    expect(LabelMap.decode(f.saves[2]!.labelMap).ids[5]).toBe(2);
  });

  it('retries a transient failure (retryNow) and keeps the step', async () => {
    const f = fakeClient({ labelMap: null });
    const s = new MaskSession(f.client, 'p', 1, 4, 4);
    await s.load();
    f.failures.push(new AppError('io', 'disk busy'));
    s.record('commit', entry('a'));
    await new Promise((r) => setTimeout(r, 5));
    expect(s.saveState).toBe('retrying');
    expect(s.saveError?.message).toBe('disk busy');
    expect(s.pending).toBe(1);
    s.retryNow();
    await s.whenIdle();
    expect(s.saveState).toBe('saved');
    expect(f.saves).toHaveLength(1);
  });

  it('stops saving on a conflict or a refused save; nothing more is sent', async () => {
    const f = fakeClient({ labelMap: null });
    const s = new MaskSession(f.client, 'p', 1, 4, 4);
    await s.load();
    f.bumpVersion(); // another window saved meanwhile
    s.record('commit', entry('a'));
    await s.whenIdle();
    expect(s.saveState).toBe('conflict');
    expect(s.editable).toBe(false);
    s.record('commit', entry('b'));
    await s.whenIdle();
    expect(f.saves).toHaveLength(0);

    const g = fakeClient({ labelMap: null });
    const t = new MaskSession(g.client, 'p', 1, 4, 4);
    await t.load();
    g.failures.push(new AppError('invalid-argument', 'mask too large'));
    t.record('commit', entry('a'));
    await t.whenIdle();
    expect(t.saveState).toBe('failed');
    expect(t.pending).toBe(1); // kept, not dropped
  });

  it('refuses to edit a mask it cannot read or that does not fit, and never saves over it', async () => {
    const bad = fakeClient({ labelMap: new Uint8Array([1, 2, 3, 4, 5]) });
    const s = new MaskSession(bad.client, 'p', 1, 4, 4);
    await s.load();
    expect(s.phase).toBe('failed');
    expect(s.problem?.kind).toBe('decode');
    s.record('commit', entry('a'));
    await s.whenIdle();
    expect(bad.saves).toHaveLength(0);

    const other = new LabelMap(5, 5).encode();
    const wrong = fakeClient({ labelMap: other });
    const w = new MaskSession(wrong.client, 'p', 1, 4, 4);
    await w.load();
    expect(w.problem).toMatchObject({ kind: 'size', detail: 'mask 5×5, image 4×4' });
  });

  it('loads the stored mask and history; an unreadable history starts empty with a warning', async () => {
    const m = new LabelMap(4, 4);
    m.ids[3] = 1;
    const ok = fakeClient({ labelMap: m.encode(), history: { undo: [encodeHistoryEntry(entry('old'))], redo: [] } });
    const s = new MaskSession(ok.client, 'p', 1, 4, 4);
    await s.load();
    expect(s.map!.ids[3]).toBe(1);
    expect(s.undo.map((e) => e.label)).toEqual(['old']);
    expect(s.historyWarning).toBeNull();

    const broken = fakeClient({ labelMap: m.encode(), history: { undo: [new Uint8Array([9, 9])], redo: [] } });
    const t = new MaskSession(broken.client, 'p', 1, 4, 4);
    await t.load();
    expect(t.phase).toBe('ready');
    expect(t.undo).toEqual([]);
    expect(t.historyWarning).toMatch(/could not be read/);
  });
});
