// Issue 13 point 1: files outside the project are never served or exported (symlinks, `..` rows,
// absolute rows, rows pointing at another file than the one imported).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../../../core/host/serve';
import { exportDataset } from '../../../core/formats/export-dataset';
import { resolveImageFile, resolveInProject } from '../../../core/store/project-paths';
import { ProjectStore } from '../../../core/store/project-store';
import { LabelMap } from '../../../core/mask/label-map';

let tmp: string;
let server: RunningServer;
let projectId: string;
let projDir: string;
const SECRET = 'root:x:0:0:secret line of a file outside the project\n';
let secretFile: string;
const ids: Record<string, number> = {};

function insert(store: ProjectStore, name: string, storage: 'copy' | 'reference', p: string, thumb: string | null, hash: string): number {
  return store.images.insert({
    fileName: name,
    path: p,
    storage,
    hash,
    sizeBytes: 100,
    format: 'png',
    width: 4,
    height: 4,
    bitDepth: 8,
    channels: 3,
    orientation: 1,
    thumbPath: thumb,
  });
}

beforeAll(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-paths-')));
  secretFile = path.join(tmp, 'secret', 'passwd');
  fs.mkdirSync(path.dirname(secretFile));
  fs.writeFileSync(secretFile, SECRET);
  projDir = path.join(tmp, 'proj');
  const store = ProjectStore.create(projDir, { name: 'p', classes: [{ name: 'a' }] });
  fs.mkdirSync(path.join(projDir, 'images'));
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer();
  const pngHash = createHash('sha256').update(png).digest('hex');
  fs.writeFileSync(path.join(projDir, 'images', 'good.png'), png);
  const secretHash = createHash('sha256').update(SECRET).digest('hex');
  const fake = (k: number) => createHash('sha256').update(`fake${k}`).digest('hex');
  // the good copy, and a row whose thumbnail is the good image itself (inside: allowed)
  ids.good = insert(store, 'good.png', 'copy', 'images/good.png', 'images/good.png', pngHash);
  // a symlink inside the project to a file outside
  fs.symlinkSync(secretFile, path.join(projDir, 'images', 'x.png'));
  ids.symlink = insert(store, 'x.png', 'copy', 'images/x.png', 'images/x.png', secretHash);
  // `..` rows (image and thumbnail)
  const up = path.relative(projDir, secretFile);
  ids.dotdot = insert(store, 'up.png', 'copy', up, up, fake(1));
  // absolute rows: a copy row and a thumbnail with absolute paths
  ids.absThumb = insert(store, 'abs.png', 'copy', 'images/good.png', secretFile, fake(2));
  // a referenced image that is in fact the secret (absolute path, folder rule passes): the content hash refuses it
  ids.refSecret = insert(store, 'ref.png', 'reference', secretFile, null, fake(3));
  // a referenced image that is a relative path
  ids.refRelative = insert(store, 'rel.png', 'reference', '../secret/passwd', null, fake(4));
  // a referenced image in a folder whose file is a symlink leading out of that folder
  const refDir = path.join(tmp, 'refs');
  fs.mkdirSync(refDir);
  fs.symlinkSync(secretFile, path.join(refDir, 'link.png'));
  ids.refLink = insert(store, 'link.png', 'reference', path.join(refDir, 'link.png'), null, fake(5));
  for (const id of Object.values(ids)) {
    const m = new LabelMap(4, 4);
    const inst = m.addInstance({ classId: store.classes.list()[0]!.id, source: 'human' });
    m.ids.fill(inst.id);
    store.annotations.save(id, m.encode(), { addTimeMs: 0, addEdits: 0 });
  }
  store.close();
  server = await serve({ dataDir: path.join(tmp, 'data'), rendererDir: path.join(tmp, 'nope'), projectDir: projDir });
  projectId = (await server.services.impl.projects.listRecent())[0]!.id;
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const asset = (kind: string, id: number) => fetch(`${server.url}/api/asset/${kind}/${projectId}/${id}`, { headers: { Authorization: `Bearer ${server.token}` } });

describe('file containment (core/store/project-paths)', () => {
  it('resolves files inside the project and refuses symlinks, `..` and absolute paths leading out', () => {
    expect(resolveInProject(projDir, 'images/good.png')).toBe(path.join(projDir, 'images/good.png'));
    expect(() => resolveInProject(projDir, 'images/x.png')).toThrow(/outside/);
    expect(() => resolveInProject(projDir, '../secret/passwd')).toThrow(/outside/);
    expect(() => resolveInProject(projDir, secretFile)).toThrow(/absolute/);
    expect(() => resolveImageFile(projDir, { storage: 'copy', path: path.join(projDir, '..', 'secret', 'passwd'), fileName: 'a' })).toThrow(/outside/);
    expect(() => resolveImageFile(projDir, { storage: 'reference', path: 'secret/passwd', fileName: 'a' })).toThrow(/not absolute/);
    expect(() => resolveImageFile(projDir, { storage: 'reference', path: path.join(tmp, 'refs', 'link.png'), fileName: 'a' })).toThrow(/outside/);
    expect(resolveImageFile(projDir, { storage: 'reference', path: secretFile, fileName: 'a' })).toBe(secretFile);
  });

  it('the asset route serves inside files and refuses the rest (never the secret bytes)', async () => {
    const good = await asset('image', ids.good!);
    expect(good.status).toBe(200);
    expect((await good.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect((await asset('thumb', ids.good!)).status).toBe(200);
    for (const [name, id] of Object.entries(ids)) {
      if (name === 'good') continue;
      for (const kind of ['image', 'thumb']) {
        const res = await asset(kind, id);
        const body = await res.text();
        expect(body, `${kind} ${name}`).not.toContain('secret line');
        if (kind === 'image' && name !== 'absThumb') expect(res.status, `${kind} ${name}`).toBeGreaterThanOrEqual(400);
        if (kind === 'thumb') expect(res.status, `${kind} ${name}`).toBeGreaterThanOrEqual(400);
      }
    }
  });

  it('export leaves such images out (containment and content hash) and never copies the secret', async () => {
    const store = ProjectStore.open(projDir);
    try {
      for (const images of ['copy', 'link'] as const) {
        const out = path.join(tmp, `export-${images}`);
        const report = await exportDataset(store, { format: 'coco', outDir: out, images });
        expect(report.images).toBe(1); // absThumb's image is the good copy, but its recorded hash is another file's
        expect(report.skippedImages).toBe(Object.keys(ids).length - 1);
        expect(report.issues.filter((i) => i.action === 'skipped').map((i) => i.message).join('\n')).toMatch(/outside[\s\S]*content hash differs/);
        const all: string[] = [];
        const walk = (d: string) => {
          for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else all.push(fs.realpathSync(p));
          }
        };
        walk(out);
        for (const f of all) {
          expect(f.startsWith(out) || f.startsWith(projDir), f).toBe(true);
          expect(fs.readFileSync(f, 'utf8')).not.toContain('secret line');
        }
      }
      const lm = await exportDataset(store, { format: 'labelme', outDir: path.join(tmp, 'export-lm'), images: 'none', labelme: { imageData: true } });
      expect(lm.images).toBe(Object.keys(ids).length); // 'none' reads nothing ...
      const docs = fs.readdirSync(path.join(tmp, 'export-lm')).filter((f) => f.endsWith('.json'));
      for (const d of docs) {
        const doc = JSON.parse(fs.readFileSync(path.join(tmp, 'export-lm', d), 'utf8'));
        // ... but embedding image data goes through the checks
        if (doc.imageData) expect(Buffer.from(doc.imageData, 'base64').toString('utf8')).not.toContain('secret line');
      }
    } finally {
      store.close();
    }
  });
});
