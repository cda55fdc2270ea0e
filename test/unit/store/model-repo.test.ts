/** Model versions and runs in the store: the kind column (migration 0003), the one active segmentation model, runs per kind. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_DB_FILE, ProjectStore, latestSchemaVersion } from '../../../core/store';
import { MIGRATIONS } from '../../../core/store/migrations/index';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-models-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const weights = new Uint8Array([1, 2, 3]);

describe('ModelRepo', () => {
  it('migration 0003 gives old click models (config.interactive) the kind "clicks", and their runs too', () => {
    const dir = path.join(tmp, 'v2');
    fs.mkdirSync(dir);
    const raw = new Database(path.join(dir, PROJECT_DB_FILE));
    raw.exec(MIGRATIONS[0]!.sql);
    raw.exec(MIGRATIONS[1]!.sql);
    raw.pragma('user_version = 2');
    raw.prepare("INSERT INTO project (id, name, created_at) VALUES ('00000000-0000-4000-8000-000000000000', 'old', 'then')").run();
    const v = raw.prepare("INSERT INTO model_version (name, arch, config, weights, is_active, created_at) VALUES (?, ?, ?, x'01', ?, 'then')");
    v.run('seg', 'attention-unet', JSON.stringify({ interactive: false }), 1);
    v.run('clicks', 'attention-unet+clicks', JSON.stringify({ interactive: true }), 0);
    v.run('old seg without the flag', 'attention-unet', '{}', 0);
    const r = raw.prepare("INSERT INTO training_run (status, config, started_at) VALUES ('succeeded', ?, 'then')");
    r.run(JSON.stringify({ model: { interactive: true } }));
    r.run(JSON.stringify({ model: {} }));
    raw.close();

    const store = ProjectStore.open(dir);
    expect(store.db.pragma('user_version', { simple: true })).toBe(latestSchemaVersion());
    expect(store.models.listVersions().map((x) => [x.name, x.kind])).toEqual([
      ['seg', 'segmentation'],
      ['clicks', 'clicks'],
      ['old seg without the flag', 'segmentation'],
    ]);
    expect(store.models.listVersions('clicks').map((x) => x.name)).toEqual(['clicks']);
    expect(store.models.listRuns().map((x) => x.kind)).toEqual(['clicks', 'segmentation']);
    expect(store.models.active()!.name).toBe('seg');
    store.close();
  });

  it('only a segmentation model can be active; the newest of a kind is found; an unknown kind is refused', () => {
    const store = ProjectStore.create(path.join(tmp, 'p'), { name: 'p' });
    const m = store.models;
    const a = m.createVersion({ name: 'a', arch: 'attention-unet', kind: 'segmentation', config: {}, weights, metrics: {} }, { activate: true });
    const c1 = m.createVersion({ name: 'c1', arch: 'attention-unet+clicks', kind: 'clicks', config: {}, weights, metrics: {} });
    const c2 = m.createVersion({ name: 'c2', arch: 'attention-unet+clicks', kind: 'clicks', config: {}, weights, metrics: {} });
    expect(m.latest('clicks')!.id).toBe(c2);
    expect(m.latest('segmentation')!.id).toBe(a);
    expect(() => m.setActive(c1)).toThrow(/click-refinement model; only a segmentation model can pre-label/);
    expect(m.active()!.id).toBe(a);
    expect(() => m.createVersion({ name: 'x', arch: 'y', kind: 'bogus' as never, config: {}, weights, metrics: {} })).toThrow(/unknown kind "bogus"/);
    expect(m.listVersions()).toHaveLength(3);
    // a row written by a newer build reads as a clear error, not as a segmentation model
    store.db.prepare("UPDATE model_version SET kind = 'future' WHERE id = ?").run(c1);
    expect(() => m.getVersion(c1)).toThrow(/unknown kind "future"/);
    store.close();
  });

  it('counts finished images the latest run of a kind did not see', () => {
    const store = ProjectStore.create(path.join(tmp, 'q'), { name: 'q' });
    const ids = [1, 2, 3].map((i) =>
      store.images.insert({ fileName: `i${i}.png`, path: `/d/i${i}.png`, storage: 'reference', hash: String(i).padStart(64, '0'), sizeBytes: 1, format: 'png', width: 4, height: 4, bitDepth: 8, channels: 3, orientation: 1, thumbPath: null }),
    );
    store.images.setStatus(ids, 'done');
    expect(store.models.finishedSinceLastRun('segmentation')).toBe(3);
    const run = store.models.createRun({ kind: 'segmentation', config: {}, images: [{ imageId: ids[0]!, split: 'train' }, { imageId: ids[1]!, split: 'val' }] });
    expect(store.models.finishedSinceLastRun('segmentation')).toBe(1);
    // a click-model run does not reset the segmentation count
    store.models.createRun({ kind: 'clicks', config: {}, images: ids.map((imageId) => ({ imageId, split: 'train' as const })) });
    expect(store.models.finishedSinceLastRun('segmentation')).toBe(1);
    expect(store.models.finishedSinceLastRun('clicks')).toBe(0);
    store.models.finishRun(run, { status: 'failed', error: 'x' });
    expect(store.models.finishedSinceLastRun('segmentation')).toBe(3);
    store.close();
  });

  it('a run left running by a dead process fails on the next open; a live owner, another host and finished runs are left alone', () => {
    const dir = path.join(tmp, 'runs');
    const store = ProjectStore.create(dir, { name: 'runs' });
    const mine = store.models.createRun({ kind: 'segmentation', config: {}, images: [] });
    const dead = store.models.createRun({ kind: 'segmentation', config: {}, images: [] });
    const remote = store.models.createRun({ kind: 'clicks', config: {}, images: [] });
    const legacy = store.models.createRun({ kind: 'segmentation', config: {}, images: [] });
    const done = store.models.createRun({ kind: 'segmentation', config: {}, images: [] });
    store.models.finishRun(done, { status: 'succeeded' });
    const deadPid = 2 ** 22 + 17; // above Linux's pid_max: never a live process
    store.db.prepare('UPDATE training_run SET owner_pid = ? WHERE id = ?').run(deadPid, dead);
    store.db.prepare("UPDATE training_run SET owner_pid = ?, owner_host = 'another-machine' WHERE id = ?").run(deadPid, remote);
    store.db.prepare('UPDATE training_run SET owner_pid = NULL, owner_host = NULL WHERE id = ?').run(legacy);
    expect(store.models.failInterruptedRuns()).toBe(2);
    const status = (id: number) => store.models.getRun(id).status;
    expect([status(mine), status(dead), status(remote), status(legacy), status(done)]).toEqual(['running', 'failed', 'running', 'failed', 'succeeded']);
    expect(store.models.getRun(dead).error).toMatch(/interrupted/);
    expect(store.models.failInterruptedRuns()).toBe(0);
    store.close();
  });
});

describe('ProjectRegistry', () => {
  it('opening a project fails the runs its killed processes left running', async () => {
    const { ProjectRegistry } = await import('../../../core/services/project-registry');
    const { RecentProjects } = await import('../../../core/services/recent-projects');
    const dir = path.join(tmp, 'reopen');
    const store = ProjectStore.create(dir, { name: 'reopen' });
    const run = store.models.createRun({ kind: 'segmentation', config: {}, images: [] });
    store.db.prepare('UPDATE training_run SET owner_pid = ? WHERE id = ?').run(2 ** 22 + 17, run);
    store.close();
    const registry = new ProjectRegistry(new RecentProjects(path.join(tmp, 'data')));
    const opened = registry.openDir(dir);
    expect(opened.models.getRun(run)).toMatchObject({ status: 'failed' });
    registry.closeAll();
  });
});
