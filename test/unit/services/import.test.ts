import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventHub } from '../../../core/api/events';
import type { AppEvent } from '../../../core/api/events';
import type { ImportProgress } from '../../../core/api/types';
import { createServices } from '../../../core/services/create-services';
import type { AppServices } from '../../../core/services/create-services';
import { ProjectStore } from '../../../core/store';
import { makeBadImageFolder } from '../../fixtures/make-bad-images';
import { DATASETS_GROUP, DATASETS_MISSING, DSB_DIR, hasDsb } from '../../helpers/paths';

let tmp: string;
let hub: EventHub;
let svc: AppServices;
let events: AppEvent[];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-import-'));
  hub = new EventHub();
  events = [];
  hub.subscribe((e) => events.push(e));
  svc = createServices({ dataDir: path.join(tmp, 'data'), mode: 'cli', version: 'test', emit: hub.emit });
});
afterEach(() => {
  svc.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function importInto(paths: string[], opts: { mode?: 'copy' | 'reference'; maxPixels?: number; recursive?: boolean } = {}) {
  const project = await svc.impl.projects.create({ dir: path.join(tmp, 'project'), name: 'test' });
  const { jobId } = await svc.impl.imports.start(project.id, { paths, ...opts });
  const report = await svc.waitForImport(jobId);
  return { project, report };
}

describe('import', () => {
  it.skipIf(!hasDsb)(`${DATASETS_GROUP} imports the 99 dsb2018 images with the right size and bit depth${hasDsb ? '' : ` (${DATASETS_MISSING})`}`, async () => {
    const dir = path.join(DSB_DIR, 'images');
    const { project, report } = await importInto([dir]);
    expect(report.skipped).toEqual([]);
    expect(report.imported).toBe(99);
    const page = await svc.impl.images.list(project.id, { limit: 500 });
    expect(page.total).toBe(99);
    for (const row of page.items) {
      const meta = await sharp(path.join(dir, row.fileName)).metadata();
      expect([row.width, row.height]).toEqual([meta.width, meta.height]);
      expect(row.bitDepth).toBe(8);
      expect(row.format).toBe('png');
      expect(row.storage).toBe('reference');
      expect(row.path).toBe(path.join(dir, row.fileName));
      // each has a decodable thumbnail no larger than 256 px
      const asset = await svc.resolveAsset('thumb', project.id, row.id);
      const t = await sharp(asset.file).metadata();
      expect(Math.max(t.width!, t.height!)).toBeLessThanOrEqual(256);
    }
    // progress events arrive in order and end at total; one finish event with the same report
    const progress = events.filter((e) => e.name === 'imports.onDidProgress').map((e) => e.payload as ImportProgress);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)!.done).toBe(99);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);
    expect(events.filter((e) => e.name === 'imports.onDidFinish').map((e) => e.payload)).toEqual([report]);

    // importing the same folder again adds nothing: every file is a duplicate
    const again = await svc.impl.imports.start(project.id, { paths: [dir] });
    const r2 = await svc.waitForImport(again.jobId);
    expect(r2.imported).toBe(0);
    expect(r2.skipped.every((s) => s.reason === 'duplicate')).toBe(true);
    expect(r2.skipped).toHaveLength(99);
  });

  it('reports each bad file with its reason and imports the good ones', async () => {
    const bad = path.join(tmp, 'bad');
    const expected = await makeBadImageFolder(bad);
    fs.writeFileSync(path.join(bad, 'notes.txt'), 'not an image');
    const { project, report } = await importInto([bad], { maxPixels: 50_000_000 });
    const byName = new Map(report.skipped.map((s) => [path.basename(s.path), s]));
    for (const f of expected) {
      if (f.expected === null) {
        expect(byName.has(f.name), `${f.name} should import: ${byName.get(f.name)?.message}`).toBe(false);
      } else {
        expect(byName.get(f.name)?.reason, `${f.name}`).toBe(f.expected);
        expect(byName.get(f.name)!.message.length).toBeGreaterThan(10);
      }
    }
    expect(byName.get('notes.txt')?.reason).toBe('unsupported');
    const valid = expected.filter((f) => f.expected === null).length;
    expect(report.imported).toBe(valid);
    expect((await svc.impl.projects.get(project.id)).imageCount).toBe(valid);
    // the 16-bit TIFF is kept as 16-bit
    const rows = (await svc.impl.images.list(project.id, { limit: 100 })).items;
    const tiff16 = rows.find((r) => r.format === 'tiff' && r.bitDepth === 16);
    expect(tiff16, 'a 16-bit TIFF row').toBeTruthy();
    // every imported image has a display image the browser can show
    for (const r of rows) {
      const a = await svc.resolveAsset('image', project.id, r.id);
      const m = await sharp(a.file).metadata();
      expect(['png', 'jpeg', 'webp']).toContain(m.format);
    }
  });

  it('skips images over the pixel limit', async () => {
    const dir = path.join(tmp, 'big');
    fs.mkdirSync(dir);
    await sharp({ create: { width: 400, height: 300, channels: 3, background: '#808080' } }).png().toFile(path.join(dir, 'big.png'));
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toFile(path.join(dir, 'small.png'));
    const { report } = await importInto([dir], { maxPixels: 100_000 });
    expect(report.imported).toBe(1);
    expect(report.skipped.map((s) => [path.basename(s.path), s.reason])).toEqual([['big.png', 'too-large']]);
  });

  it('copies files into the project when asked, and they survive the original being deleted', async () => {
    const dir = path.join(tmp, 'src');
    fs.mkdirSync(path.join(dir, 'nested'), { recursive: true });
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#ff0000' } }).png().toFile(path.join(dir, 'a.png'));
    await sharp({ create: { width: 16, height: 8, channels: 3, background: '#00ff00' } }).jpeg().toFile(path.join(dir, 'nested', 'b.jpg'));
    const { project, report } = await importInto([dir], { mode: 'copy' });
    expect(report.imported).toBe(2);
    fs.rmSync(dir, { recursive: true });
    const rows = (await svc.impl.images.list(project.id, { sort: 'name' })).items;
    expect(rows.map((r) => r.fileName)).toEqual(['a.png', 'b.jpg']);
    for (const r of rows) {
      expect(r.storage).toBe('copy');
      expect(r.path.startsWith(project.dir)).toBe(true);
      expect(fs.existsSync(r.path)).toBe(true);
    }
  });

  it('does not descend into sub-folders when recursive is off, and reports missing paths', async () => {
    const dir = path.join(tmp, 'flat');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toFile(path.join(dir, 'top.png'));
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toFile(path.join(dir, 'sub', 'deep.png'));
    const { report } = await importInto([dir, path.join(tmp, 'does-not-exist')], { recursive: false });
    expect(report.imported).toBe(1);
    expect(report.skipped.map((s) => s.reason)).toEqual(['not-found']);
  });

  it('cancels between files and keeps what was imported', async () => {
    const dir = path.join(tmp, 'many');
    fs.mkdirSync(dir);
    for (let i = 0; i < 30; i++) {
      await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: i * 8, g: 0, b: 0 } } }).png().toFile(path.join(dir, `${i}.png`));
    }
    const project = await svc.impl.projects.create({ dir: path.join(tmp, 'project'), name: 'c' });
    const { jobId } = await svc.impl.imports.start(project.id, { paths: [dir] });
    expect(await svc.impl.imports.cancel(jobId)).toBe(true);
    const report = await svc.waitForImport(jobId);
    expect(report.cancelled).toBe(true);
    expect(report.imported).toBeLessThan(30);
    expect((await svc.impl.projects.get(project.id)).imageCount).toBe(report.imported);
  });

  it('reopening the project shows the imported images (nothing lives only in memory)', async () => {
    const dir = path.join(tmp, 'two');
    fs.mkdirSync(dir);
    await sharp({ create: { width: 10, height: 10, channels: 3, background: '#123456' } }).png().toFile(path.join(dir, 'x.png'));
    const { project } = await importInto([dir]);
    svc.dispose();
    const store = ProjectStore.open(project.dir);
    expect(store.images.count()).toBe(1);
    store.close();
  });
});
