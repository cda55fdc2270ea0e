import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { EventHub } from '../../../core/api/events';
import { Editor } from '../../../core/editor/editor';
import { History, decodeHistoryEntry, encodeHistoryEntry } from '../../../core/editor/history';
import { LabelMap } from '../../../core/mask/label-map';
import { createServices } from '../../../core/services/create-services';
import type { AppServices } from '../../../core/services/create-services';

let tmp: string;
let svc: AppServices;
let pid: string;
let iid: number;

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-masks-'));
  svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: new EventHub().emit });
  const p = await svc.impl.projects.create({ dir: path.join(tmp, 'p'), name: 'm', classes: [{ name: 'cell' }] });
  pid = p.id;
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#202020' } }).png().toFile(path.join(tmp, 'a.png'));
  const { jobId } = await svc.impl.imports.start(pid, { paths: [path.join(tmp, 'a.png')] });
  await svc.waitForImport(jobId);
  iid = (await svc.impl.images.list(pid, {})).items[0]!.id;
});
afterEach(() => {
  svc.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** service methods may throw synchronously; the transports always await them */
async function expectError(call: () => unknown, code: string, msg: RegExp) {
  const e = await Promise.resolve().then(call).then(
    () => null,
    (err: unknown) => err as AppError,
  );
  expect(e, 'should fail').toBeInstanceOf(AppError);
  expect(e!.code).toBe(code);
  expect(e!.message).toMatch(msg);
}

describe('masks service (autosave)', () => {
  it('saves after each gesture with its history step, and a reopened image has the same mask and undo history', async () => {
    const first = await svc.impl.masks.load(pid, iid);
    expect(first).toMatchObject({ labelMap: null, version: 0, history: { undo: [], redo: [] } });

    const map = new LabelMap(40, 30);
    const ed = new Editor(map, { classes: [{ id: 1, hidden: false, locked: false }], brushRadiusPx: 3 });
    let version = 0;
    ed.onDidChange(async () => undefined);
    const gestures: Array<Array<[number, number]>> = [
      [[5, 5], [30, 5]],
      [[5, 20], [30, 25]],
    ];
    for (const g of gestures) {
      ed.pointerDown({ x: g[0]![0], y: g[0]![1], sx: 0, sy: 0, button: 0 });
      ed.pointerMove({ x: g[1]![0], y: g[1]![1], sx: 0, sy: 0, button: 0 });
      ed.pointerUp({ x: g[1]![0], y: g[1]![1], sx: 0, sy: 0, button: 0 });
      const entry = ed.history.undoEntries.at(-1)!;
      ({ version } = await svc.impl.masks.save(pid, iid, { labelMap: map.encode(), expectedVersion: version, addEdits: 1, addTimeMs: 1500, history: { op: 'push', entry: encodeHistoryEntry(entry) } }));
    }
    ed.undo();
    ({ version } = await svc.impl.masks.save(pid, iid, { labelMap: map.encode(), expectedVersion: version, history: { op: 'undo' } }));
    expect(version).toBe(3);
    expect((await svc.impl.images.get(pid, iid)).status).toBe('in_progress');

    // "close and reopen": a fresh service over the same folder
    svc.dispose();
    svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: new EventHub().emit });
    await svc.impl.projects.open({ dir: path.join(tmp, 'p') });
    const state = await svc.impl.masks.load(pid, iid);
    expect(state.version).toBe(3);
    expect(state.editCount).toBe(2);
    expect(state.timeSpentMs).toBe(3000);
    const reopened = LabelMap.decode(state.labelMap!);
    expect(reopened.ids).toEqual(map.ids);
    expect(state.history.undo).toHaveLength(1);
    expect(state.history.redo).toHaveLength(1);
    const hist = new History();
    hist.load(state.history.undo.map(decodeHistoryEntry), state.history.redo.map(decodeHistoryEntry));
    hist.redo(reopened); // the undone second stroke comes back
    ed.redo();
    expect(reopened.ids).toEqual(map.ids);
  });

  it('refuses a stale version (another window saved meanwhile) and keeps the stored mask', async () => {
    const a = new LabelMap(40, 30);
    a.addInstance({ classId: 1 });
    a.ids[0] = 1;
    await svc.impl.masks.save(pid, iid, { labelMap: a.encode(), expectedVersion: 0 });
    await expectError(() => svc.impl.masks.save(pid, iid, { labelMap: new LabelMap(40, 30).encode(), expectedVersion: 0 }), 'conflict', /changed elsewhere/);
    expect(LabelMap.decode((await svc.impl.masks.load(pid, iid)).labelMap!).ids[0]).toBe(1);
  });

  it('rejects a blob that does not decode or does not fit the image, leaving the stored data untouched', async () => {
    const good = new LabelMap(40, 30).encode();
    await svc.impl.masks.save(pid, iid, { labelMap: good, expectedVersion: 0 });
    const corrupt = good.slice();
    corrupt[corrupt.length - 3]! ^= 0xff;
    await expectError(() => svc.impl.masks.save(pid, iid, { labelMap: corrupt, expectedVersion: 1 }), 'invalid-argument', /could not be decoded/);
    await expectError(() => svc.impl.masks.save(pid, iid, { labelMap: good.subarray(0, 20), expectedVersion: 1 }), 'invalid-argument', /could not be decoded/);
    await expectError(() => svc.impl.masks.save(pid, iid, { labelMap: new LabelMap(30, 40).encode(), expectedVersion: 1 }), 'invalid-argument', /30x40 but the image is 40x30/);
    const state = await svc.impl.masks.load(pid, iid);
    expect(state.version).toBe(1);
    expect(state.labelMap).toEqual(good);
  });

  it('marking an image done keeps a revision snapshot', async () => {
    await svc.impl.masks.save(pid, iid, { labelMap: new LabelMap(40, 30).encode(), expectedVersion: 0 });
    await svc.impl.images.setStatus(pid, [iid], 'done');
    const store = svc.registry.get(pid);
    expect(store.annotations.revisions(iid).map((r) => r.reason)).toEqual(['status:done']);
  });
});
