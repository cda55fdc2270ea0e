/**
 * `maskwright train --kind live`: a live forest from the project's labelled masks, scored on the
 * fixed split's validation images (printed like the U-Net's), stored as a 'live' version that
 * pre-labels; usage errors for options that do not apply.
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
const W = 64;
const inside = (k: number, x: number, y: number) => (x - (18 + k * 6)) ** 2 + (y - 32) ** 2 < 110;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cli-live-'));
  process.env.MASKWRIGHT_HOME = path.join(tmp, 'home');
  proj = path.join(tmp, 'p');
  const imgs = path.join(tmp, 'imgs');
  fs.mkdirSync(imgs);
  const svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: new EventHub().emit });
  const p = await svc.impl.projects.create({ dir: proj, name: 'discs', classes: [{ name: 'disc' }] });
  const classId = p.classes[0]!.id;
  for (let k = 0; k < 6; k++) {
    const px = new Uint8Array(W * W * 3);
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) px.fill((inside(k, x, y) ? 190 : 50) + ((x * 11 + y * 5) % 19), (y * W + x) * 3, (y * W + x) * 3 + 3);
    await sharp(px, { raw: { width: W, height: W, channels: 3 } })
      .png()
      .toFile(path.join(imgs, `d${k}.png`));
  }
  await svc.waitForImport((await svc.impl.imports.start(p.id, { paths: [imgs] })).jobId);
  for (const row of (await svc.impl.images.list(p.id, { sort: 'name' })).items.slice(0, 5)) {
    const k = Number(row.fileName[1]);
    const m = new LabelMap(W, W);
    const inst = m.addInstance({ classId });
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) if (inside(k, x, y)) m.ids[y * W + x] = inst.id;
    await svc.impl.masks.save(p.id, row.id, { labelMap: m.encode(), expectedVersion: 0 });
    await svc.impl.images.setStatus(p.id, [row.id], 'done');
  }
  svc.dispose();
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
}, 60_000);
afterAll(() => {
  vi.restoreAllMocks();
  delete process.env.MASKWRIGHT_HOME;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('maskwright train --kind live', () => {
  it('refuses options that do not apply and unknown kinds (usage, exit 2)', async () => {
    expect(await main(['train', proj, '--kind', 'forest'])).toBe(2);
    expect(err.join('\n')).toMatch(/--kind must be segmentation or live/);
    expect(await main(['train', proj, '--kind', 'live', '--interactive'])).toBe(2);
    expect(err.join('\n')).toMatch(/--interactive does not apply to --kind live/);
  });

  it('trains a live version from the labelled masks, prints its validation IoU, and the version pre-labels', async () => {
    out.length = 0;
    expect(await main(['train', proj, '--kind', 'live', '--name', 'forest A']), err.join('\n')).toBe(0);
    const line = out.join('\n');
    expect(line).toMatch(/Trained live version 1 on \d images \(\d+ pixels, [\d.]+ s\): no model was active; val IoU ([01]\.\d{3})(?: ± [\d.]+)? over \d images?/);
    const iou = Number(/val IoU ([01]\.\d{3})/.exec(line)![1]);
    expect(iou).toBeGreaterThan(0.8);

    out.length = 0;
    expect(await main(['train', proj, '--kind', 'live', '--json'])).toBe(0);
    const j = JSON.parse(out.join('\n')) as { versionId: number; kind: string; trainImages: number; val: { meanIou: number; images: number; baselineIou: number } };
    expect(j.kind).toBe('live');
    expect(j.versionId).toBe(2);
    expect(j.trainImages + j.val.images).toBe(5);
    expect(j.val.meanIou).toBeGreaterThan(j.val.baselineIou);

    out.length = 0;
    expect(await main(['models', proj, '--json'])).toBe(0);
    const versions = JSON.parse(out.join('\n')) as { id: number; kind: string; name: string; isActive: boolean }[];
    expect(versions.map((v) => v.kind)).toEqual(['live', 'live']);
    expect(versions.find((v) => v.id === 1)?.name).toBe('forest A');
    expect(versions.some((v) => v.isActive)).toBe(true);
    out.length = 0;
    expect(await main(['prelabel', proj, '--json']), err.join('\n')).toBe(0);
  }, 120_000);
});
