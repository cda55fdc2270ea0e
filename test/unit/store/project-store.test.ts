import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { PROJECT_DB_FILE, ProjectStore, latestSchemaVersion } from '../../../core/store';
import { MIGRATIONS } from '../../../core/store/migrations/index';
import type { NewImage } from '../../../core/store';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-store-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function img(i: number, over: Partial<NewImage> = {}): NewImage {
  return {
    fileName: `img-${String(i).padStart(4, '0')}.png`,
    path: `/data/img-${i}.png`,
    storage: 'reference',
    hash: i.toString(16).padStart(64, "0"),
    sizeBytes: 100 + i,
    format: 'png',
    width: 64,
    height: 48,
    bitDepth: 8,
    channels: 3,
    orientation: 1,
    thumbPath: null,
    ...over,
  };
}

describe('ProjectStore', () => {
  it('creates a project from an empty folder with the latest schema, WAL and foreign keys on', () => {
    const dir = path.join(tmp, 'p1');
    const store = ProjectStore.create(dir, { name: 'Nuclei', classes: [{ name: 'nucleus' }, { name: 'debris', color: '#FF0000' }] });
    expect(store.record.name).toBe('Nuclei');
    expect(store.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(store.db.pragma('user_version', { simple: true })).toBe(latestSchemaVersion());
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    const classes = store.classes.list();
    expect(classes.map((c) => [c.name, c.index])).toEqual([
      ['nucleus', 1],
      ['debris', 2],
    ]);
    expect(classes[1]!.color).toBe('#ff0000');
    // no temp files left behind
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    store.close();
  });

  it('reopens with the same id, name, classes and images', () => {
    const dir = path.join(tmp, 'p2');
    const a = ProjectStore.create(dir, { name: 'Reopen' });
    a.images.insert(img(1));
    a.images.insert(img(2));
    a.images.setStatus([2], 'done');
    const id = a.id;
    a.close();
    const b = ProjectStore.open(dir);
    expect(b.id).toBe(id);
    expect(b.images.count()).toBe(2);
    expect(b.images.statusCounts()).toEqual({ unlabeled: 1, in_progress: 0, done: 1, reviewed: 0 });
    b.close();
  });

  it('refuses to create over an existing project and to open a folder without one', () => {
    const dir = path.join(tmp, 'p3');
    ProjectStore.create(dir, { name: 'x' }).close();
    expect(() => ProjectStore.create(dir, { name: 'y' })).toThrowError(/already holds a Maskwright project/);
    const err = (() => {
      try {
        ProjectStore.open(path.join(tmp, 'nope'));
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect(err!.code).toBe('not-found');
    fs.mkdirSync(path.join(tmp, 'plain'));
    expect(() => ProjectStore.open(path.join(tmp, 'plain'))).toThrowError(/is not a Maskwright project/);
  });

  it('refuses a database from a newer schema instead of damaging it', () => {
    const dir = path.join(tmp, 'p4');
    ProjectStore.create(dir, { name: 'x' }).close();
    const raw = new Database(path.join(dir, PROJECT_DB_FILE));
    raw.pragma(`user_version = ${latestSchemaVersion() + 1}`);
    raw.close();
    expect(() => ProjectStore.open(dir)).toThrowError(/newer Maskwright/);
  });

  it('upgrades a version-1 project in place (prediction outcome columns), keeping its rows', () => {
    const dir = path.join(tmp, 'p-v1');
    fs.mkdirSync(dir);
    const raw = new Database(path.join(dir, PROJECT_DB_FILE));
    raw.exec(MIGRATIONS[0]!.sql);
    raw.pragma('user_version = 1');
    raw.prepare("INSERT INTO project (id, name, created_at) VALUES ('00000000-0000-4000-8000-000000000000', 'old', 'then')").run();
    raw.close();
    const store = ProjectStore.open(dir);
    expect(store.db.pragma('user_version', { simple: true })).toBe(latestSchemaVersion());
    expect(store.record.name).toBe('old');
    const cols = (store.db.prepare('PRAGMA table_info(prediction)').all() as { name: string }[]).map((c) => c.name);
    expect(cols).toEqual(expect.arrayContaining(['final_iou', 'changed_fraction', 'scored_at']));
    store.close();
  });

  it('keeps project settings as JSON, merging updates; unreadable settings read as empty', () => {
    const store = ProjectStore.create(path.join(tmp, 'p-settings'), { name: 's' });
    expect(store.settings()).toEqual({});
    store.updateSettings({ autoTrain: { enabled: true, everyN: 3 } });
    store.updateSettings({ other: 1 });
    expect(store.settings()).toEqual({ autoTrain: { enabled: true, everyN: 3 }, other: 1 });
    store.db.prepare("UPDATE project SET settings = '{not json'").run();
    expect(store.settings()).toEqual({});
    store.close();
  });

  it('enforces foreign keys', () => {
    const store = ProjectStore.create(path.join(tmp, 'p5'), { name: 'fk' });
    expect(() =>
      store.db.prepare("INSERT INTO annotation (image_id, label_map, updated_at) VALUES (999, x'00', 'now')").run(),
    ).toThrowError(/FOREIGN KEY/);
    const id = store.images.insert(img(1));
    store.db.prepare("INSERT INTO annotation (image_id, label_map, updated_at) VALUES (?, x'00', 'now')").run(id);
    // deleting the image cascades to its annotation
    store.db.prepare('DELETE FROM image WHERE id = ?').run(id);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM annotation').get()).toEqual({ n: 0 });
    store.close();
  });

  it('a transaction that fails leaves nothing behind', () => {
    const store = ProjectStore.create(path.join(tmp, 'p6'), { name: 'tx' });
    store.images.insert(img(1));
    expect(() =>
      store.transaction(() => {
        store.images.insert(img(2));
        store.images.insert(img(3));
        store.images.insert(img(4, { hash: img(1).hash })); // duplicate content hash -> UNIQUE violation
      }),
    ).toThrowError(/UNIQUE/);
    expect(store.images.count()).toBe(1);
    expect(store.images.findByHash(img(2).hash)).toBeNull();
    store.close();
  });

  it('lists with status filter, name search, paging and sort; copied paths come back absolute', () => {
    const dir = path.join(tmp, 'p7');
    const store = ProjectStore.create(dir, { name: 'list' });
    store.transaction(() => {
      for (let i = 1; i <= 25; i++) store.images.insert(img(i, i === 25 ? { fileName: 'Zebra_100%.png', path: 'images/z.png', storage: 'copy' } : {}));
    });
    store.images.setStatus([1, 2, 3], 'done');
    expect(store.images.list({ status: 'done' }).total).toBe(3);
    const page = store.images.list({ offset: 10, limit: 5 });
    expect(page.total).toBe(25);
    expect(page.items.map((r) => r.id)).toEqual([11, 12, 13, 14, 15]);
    expect(store.images.list({ search: '100%' }).items.map((r) => r.fileName)).toEqual(['Zebra_100%.png']);
    expect(store.images.list({ search: '_1' }).total).toBe(1); // '_' is literal, not a wildcard
    expect(store.images.list({ sort: 'name', limit: 1, offset: 24 }).items[0]!.fileName).toBe('Zebra_100%.png');
    expect(store.images.get(25)!.path).toBe(path.join(dir, 'images/z.png'));
    expect(store.images.get(999)).toBeNull();
    store.close();
  });

  it('keeps one active model version at most', () => {
    const store = ProjectStore.create(path.join(tmp, 'p8'), { name: 'mv' });
    const ins = store.db.prepare("INSERT INTO model_version (name, arch, is_active, created_at) VALUES (?, 'attn-unet', ?, 'now')");
    ins.run('v1', 1);
    expect(() => ins.run('v2', 1)).toThrowError(/UNIQUE/);
    ins.run('v2', 0);
    store.close();
  });
});

describe('next-image queue', () => {
  it('orders unlabeled images by the latest prediction’s uncertainty, most uncertain first', () => {
    const store = ProjectStore.create(path.join(tmp, 'q'), { name: 'q' });
    for (let i = 1; i <= 5; i++) store.images.insert(img(i));
    const pred = store.db.prepare("INSERT INTO prediction (image_id, label_map, uncertainty, created_at) VALUES (?, x'00', ?, 'now')");
    pred.run(1, 0.9); // superseded by a newer, more certain prediction below
    pred.run(2, 0.5);
    pred.run(3, 0.7);
    pred.run(1, 0.1);
    store.images.setStatus([3], 'done'); // labeled images are never offered
    expect(store.images.queue('uncertainty', 10).map((r) => r.id)).toEqual([2, 1, 4, 5]);
    expect(store.images.queue('uncertainty', 1, [2]).map((r) => r.id)).toEqual([1]);
    expect(store.images.queue('sequential', 10).map((r) => r.id)).toEqual([1, 2, 4, 5]);
    expect(store.images.queue('random', 10).map((r) => r.id).sort()).toEqual([1, 2, 4, 5]);
    store.close();
  });
});
