// Issue 15: browser mode's folder/file browser (app.listDirectory) and drag-and-drop upload
// (imports.upload), through the real HTTP host: token, containment (.., symlinks, places), hidden
// files, bad paths; an upload is imported with the usual report and its staging folder removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../../core/host/serve';
import type { RunningServer } from '../../../core/host/serve';
import { toWireJson } from '../../../core/api/wire';
import { MAX_LISTING, type listDirectory } from '../../../core/services/file-browser';

let tmp: string;
let server: RunningServer;

beforeAll(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-browse-')));
  const rendererDir = path.join(tmp, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Maskwright</title>');
  const b = path.join(tmp, 'browse');
  for (const d of ['img10', 'img2', 'img1', '.cache', 'locked']) fs.mkdirSync(path.join(b, d), { recursive: true });
  fs.writeFileSync(path.join(b, 'a.png'), 'x');
  fs.writeFileSync(path.join(b, 'b.JPG'), 'xy');
  fs.writeFileSync(path.join(b, 'notes.txt'), 'z');
  fs.writeFileSync(path.join(b, '.hidden.png'), 'h');
  fs.symlinkSync('/etc', path.join(b, 'to-etc'));
  fs.symlinkSync(path.join(b, 'img1'), path.join(b, 'to-img1'));
  fs.chmodSync(path.join(b, 'locked'), 0o000);
  server = await serve({ dataDir: path.join(tmp, 'data'), rendererDir });
});
afterAll(async () => {
  await server?.stop();
  fs.chmodSync(path.join(tmp, 'browse', 'locked'), 0o755);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const call = (channel: string, args: unknown, headers: Record<string, string> = { Authorization: `Bearer ${server.token}` }) =>
  fetch(`${server.url}/api/call/${channel}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: toWireJson(args) });
const list = async (req: object) => {
  const res = await call('app.listDirectory', [req]);
  return { status: res.status, body: (await res.json()) as { ok: boolean; result?: ReturnType<typeof listDirectory>; error?: { code: string; message: string } } };
};

describe('app.listDirectory over the browser-mode host', () => {
  it('needs the token, and says browser mode offers it', async () => {
    expect((await call('app.listDirectory', [{}], {})).status).toBe(401);
    const info = await (await call('app.info', [])).json();
    expect(info.result.canBrowseFiles).toBe(true);
  });

  it('lists folders first in natural order; hidden entries off by default; files by extension when asked', async () => {
    const dir = path.join(tmp, 'browse');
    const r = await list({ path: dir });
    expect(r.status).toBe(200);
    const l = r.body.result!;
    expect(l.path).toBe(dir);
    expect(l.parent).toBe(tmp);
    const names = l.entries.map((e) => e.name);
    expect(names).toEqual(['img1', 'img2', 'img10', 'locked', 'to-img1']); // folders only; no link out; no .cache
    expect(l.hiddenCount).toBe(2);
    expect(l.entries.find((e) => e.name === 'locked')!.readable).toBe(process.getuid?.() === 0); // root reads everything
    const withFiles = (await list({ path: dir, files: true, extensions: ['png', 'jpg'] })).body.result!;
    expect(withFiles.entries.filter((e) => e.kind === 'file').map((e) => [e.name, e.size])).toEqual([
      ['a.png', 1],
      ['b.JPG', 2],
    ]);
    const hidden = (await list({ path: dir, showHidden: true, files: true })).body.result!;
    expect(hidden.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['.cache', '.hidden.png', 'notes.txt']));
    expect(hidden.hiddenCount).toBe(0);
    expect(l.places[0]!.kind).toBe('home');
  });

  it('stays inside its places: .., symlinks and outside folders are refused', async () => {
    if (within(os.homedir(), '/etc')) return; // a home of "/" would contain everything
    const out = await list({ path: '/etc' });
    expect(out.status).toBe(403);
    expect(out.body.error!.code).toBe('forbidden');
    expect(out.body.error!.message).toMatch(/outside the places/);
    const dotdot = await list({ path: `${tmp}/browse/../../../../../../etc` });
    expect(dotdot.status).toBe(403);
    const link = await list({ path: path.join(tmp, 'browse', 'to-etc') });
    expect(link.status).toBe(403); // resolved before the check
    const inside = await list({ path: path.join(tmp, 'browse', 'to-img1') });
    expect(inside.body.result!.path).toBe(path.join(tmp, 'browse', 'img1'));
  });

  it('bad paths: relative, NUL, missing, a file, unreadable, unknown options', async () => {
    expect((await list({ path: 'relative/dir' })).status).toBe(400);
    expect((await list({ path: '/tmp/a\0b' })).status).toBe(400);
    expect((await list({ path: path.join(tmp, 'nope') })).status).toBe(404);
    const file = await list({ path: path.join(tmp, 'browse', 'a.png') });
    expect(file.status).toBe(400);
    expect(file.body.error!.message).toMatch(/is a file/);
    if (process.getuid?.() !== 0) expect((await list({ path: path.join(tmp, 'browse', 'locked') })).status).toBe(403);
    expect((await list({ path: tmp, recursive: true })).status).toBe(400);
    expect((await list({ path: tmp, extensions: ['../x'] })).status).toBe(400);
  });

  it('caps a huge folder at MAX_LISTING entries and says so', async () => {
    const big = path.join(tmp, 'big');
    fs.mkdirSync(big);
    for (let i = 0; i <= MAX_LISTING; i++) fs.writeFileSync(path.join(big, `f${i}.png`), '');
    const l = (await list({ path: big, files: true })).body.result!;
    expect(l.truncated).toBe(true);
    expect(l.entries).toHaveLength(MAX_LISTING);
    expect(l.entries[2]!.name).toBe('f2.png'); // natural order: f0, f1, f2, …, f10
    expect((await list({ path: big })).body.result!.truncated).toBe(false); // folders only: none
  });
});

const within = (root: string, p: string) => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

describe('imports.upload (drag and drop)', () => {
  it('stages the dropped files, imports them into images/ with the usual report, and removes the staging folder', async () => {
    const projDir = path.join(tmp, 'proj');
    const created = await (await call('projects.create', [{ dir: projDir, name: 'Drop' }])).json();
    const pid = created.result.id as string;
    const png = await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer();
    const png2 = await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 10, g: 200, b: 10 } } }).png().toBuffer();
    const up = await (await call('imports.upload', [pid, { files: [{ name: 'red.png', bytes: new Uint8Array(png) }, { name: 'sub/green.png', bytes: new Uint8Array(png2) }] }])).json();
    expect(up.ok).toBe(true);
    expect(up.result.files).toBe(2);
    const more = await (await call('imports.upload', [pid, { uploadId: up.result.uploadId, files: [{ name: 'broken.png', bytes: new Uint8Array([1, 2, 3]) }, { name: 'dup.png', bytes: new Uint8Array(png) }] }])).json();
    expect(more.result.dir).toBe(up.result.dir);
    expect(fs.existsSync(path.join(up.result.dir, 'sub', 'green.png'))).toBe(true);
    const start = await (await call('imports.start', [pid, { paths: [up.result.dir], mode: 'copy' }])).json();
    const report = await server.services.waitForImport(start.result.jobId);
    expect(report.imported).toBe(2);
    expect(report.skipped.map((s) => s.reason).sort()).toEqual(['duplicate', expect.any(String)]);
    const rows = server.services.impl.images.list(pid, { sort: 'name' });
    // red.png and dup.png are the same picture: whichever came first is kept
    const names = (await rows).items.map((r) => r.fileName);
    expect(names).toHaveLength(2);
    expect(names).toContain('green.png');
    expect(fs.readdirSync(path.join(projDir, 'images')).filter((f) => f.endsWith('.png')).length).toBe(2);
    await expect.poll(() => fs.existsSync(up.result.dir)).toBe(false);
    // a staging folder whose import never ran is swept by a later upload once it is a day old
    const stale = path.join(projDir, '.uploads', '00000000-0000-4000-8000-000000000000');
    fs.mkdirSync(stale, { recursive: true });
    const old = new Date(Date.now() - 25 * 60 * 60 * 1000);
    fs.utimesSync(stale, old, old);
    const fresh = await (await call('imports.upload', [pid, { files: [{ name: 'later.png', bytes: new Uint8Array(png2) }] }])).json();
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh.result.dir)).toBe(true);
  });

  it('refuses names that would leave the staging folder', async () => {
    const projDir = path.join(tmp, 'proj2');
    const pid = (await (await call('projects.create', [{ dir: projDir, name: 'Drop2' }])).json()).result.id as string;
    for (const name of ['../evil.png', '/abs.png', 'a/../../b.png', 'c:\\x.png', 'a//b.png', 'C:x.png']) {
      const res = await call('imports.upload', [pid, { files: [{ name, bytes: new Uint8Array([1]) }] }]);
      expect(res.status, name).toBe(400);
    }
    expect(fs.existsSync(path.join(projDir, '..', 'evil.png'))).toBe(false);
  });
});
