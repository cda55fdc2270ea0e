/**
 * The model commands end to end on a tiny project: train (in a worker thread, wasm backend),
 * list versions, pre-label. Small images and two steps keep it to seconds; the real
 * training figures are in `npm run bench` (ml-model).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventHub } from '../../../core/api/events';
import { main } from '../../../core/host/cli';
import { LabelMap } from '../../../core/mask/label-map';
import { createServices } from '../../../core/services/create-services';

let tmp: string;
let proj: string;
const out: string[] = [];
const err: string[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cli-ml-'));
  process.env.MASKWRIGHT_HOME = path.join(tmp, 'home');
  proj = path.join(tmp, 'p');
  // three 64x64 images with a bright disc each; masks = the disc
  const imgs = path.join(tmp, 'imgs');
  fs.mkdirSync(imgs);
  const svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: new EventHub().emit });
  const p = await svc.impl.projects.create({ dir: proj, name: 'discs', classes: [{ name: 'disc' }] });
  const classId = p.classes[0]!.id;
  for (let k = 0; k < 3; k++) {
    const px = new Uint8Array(64 * 64 * 3);
    const cx = 20 + k * 10;
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if ((x - cx) ** 2 + (y - 32) ** 2 < 100) px.fill(220, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    await sharp(px, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(path.join(imgs, `d${k}.png`));
  }
  const { jobId } = await svc.impl.imports.start(p.id, { paths: [imgs] });
  await svc.waitForImport(jobId);
  for (const row of (await svc.impl.images.list(p.id, {})).items.slice(0, 2)) {
    const m = new LabelMap(64, 64);
    const inst = m.addInstance({ classId });
    const cx = 20 + Number(row.fileName[1]) * 10;
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if ((x - cx) ** 2 + (y - 32) ** 2 < 100) m.ids[y * 64 + x] = inst.id;
    await svc.impl.masks.save(p.id, row.id, { labelMap: m.encode(), expectedVersion: 0 });
    await svc.impl.images.setStatus(p.id, [row.id], 'done');
  }
  svc.dispose();
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
});
afterAll(() => {
  vi.restoreAllMocks();
  delete process.env.MASKWRIGHT_HOME;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('maskwright train / models / prelabel', () => {
  it('prelabel without a model says so', async () => {
    expect(await main(['prelabel', proj])).toBe(1);
    expect(err.join('\n')).toMatch(/No model is active yet/);
  });

  it('trains a version, lists it, pre-labels the unlabeled image', async () => {
    out.length = 0;
    const code = await main(['train', proj, '--max-steps', '2', '--json']);
    expect(code, err.join('\n')).toBe(0);
    const fin = JSON.parse(out.join('\n'));
    expect(fin).toMatchObject({ ok: true, activated: true });
    expect(fin.result).toMatchObject({ budgetS: 120, steps: 2, backend: expect.any(String), stopReason: expect.any(String), timeS: expect.any(Number) });
    expect(fin.result).toHaveProperty('bestStep');
    expect(fin.result).toHaveProperty('val');
    out.length = 0;
    expect(await main(['models', proj, '--json'])).toBe(0);
    const versions = JSON.parse(out.join('\n'));
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ isActive: true, id: fin.versionId });
    out.length = 0;
    expect(await main(['prelabel', proj, '--json'])).toBe(0);
    const pre = JSON.parse(out.join('\n'));
    expect(pre).toMatchObject({ done: 1, failed: 0, cancelled: false });
    expect(await main(['models', proj, 'activate', '999'])).toBe(1);
    // export the version, import it back as a second one, delete that one
    const file = path.join(tmp, 'v.mwmodel');
    out.length = 0;
    expect(await main(['models', proj, 'export', String(fin.versionId), file]), err.join('\n')).toBe(0);
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    expect(await main(['models', proj, 'import', file]), err.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/Imported version (\d+)/);
    const newId = /Imported version (\d+)/.exec(out.join('\n'))![1]!;
    err.length = 0;
    expect(await main(['models', proj, 'delete', String(fin.versionId)])).toBe(1);
    expect(err.join('\n')).toMatch(/active model/);
    expect(await main(['models', proj, 'delete', newId])).toBe(0);
    expect(await main(['models', proj, 'frobnicate'])).toBe(2);
  }, 240_000);
});
