import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../core/host/cli';
import { DATASETS_GROUP, DATASETS_MISSING, FRUITS_DIR, REPO_ROOT, hasFruits } from '../../helpers/paths';

let tmp: string;
let out: string[];
let err: string[];
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cli-'));
  process.env.MASKWRIGHT_HOME = path.join(tmp, 'home');
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.MASKWRIGHT_HOME;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('maskwright CLI', () => {
  it('init, import (with a skip report) and ls', async () => {
    const proj = path.join(tmp, 'proj');
    expect(await main(['init', proj, '--name', 'Cells', '--classes', 'nucleus, debris'])).toBe(0);
    expect(out.join('\n')).toMatch(/Created project "Cells".*2 classes/);

    const imgs = path.join(tmp, 'imgs');
    fs.mkdirSync(imgs);
    await sharp({ create: { width: 20, height: 10, channels: 3, background: '#336699' } }).png().toFile(path.join(imgs, 'one.png'));
    fs.writeFileSync(path.join(imgs, 'empty.png'), '');
    out = [];
    expect(await main(['import', proj, imgs, '--json'])).toBe(3); // EXIT.PARTIAL: empty.png was skipped
    const report = JSON.parse(out.join('\n'));
    expect(report.imported).toBe(1);
    expect(report.skipped).toEqual([expect.objectContaining({ reason: 'empty' })]);

    out = [];
    expect(await main(['ls', proj, '--json'])).toBe(0);
    const listing = JSON.parse(out.join('\n'));
    expect(listing.total).toBe(1);
    expect(listing.items[0]).toMatchObject({ fileName: 'one.png', width: 20, height: 10, status: 'unlabeled' });

    out = [];
    expect(await main(['ls', proj])).toBe(0);
    expect(out.join('\n')).toMatch(/Cells: 1 images/);
    expect(out.join('\n')).toMatch(/20x10/);
  });

  it('exits non-zero with a clear message on errors and wrong usage', async () => {
    expect(await main(['ls', path.join(tmp, 'missing')])).toBe(1);
    expect(err.join('\n')).toMatch(/does not exist/);
    expect(await main(['init'])).toBe(2);
    expect(await main(['ls', tmp, '--status', 'bogus'])).toBe(2);
    expect(await main(['import', tmp, '--unknown-flag'])).toBe(2);
    expect(await main(['frobnicate'])).toBe(2);
    const proj = path.join(tmp, 'p');
    expect(await main(['init', proj])).toBe(0);
    expect(await main(['init', proj])).toBe(1);
    expect(err.join('\n')).toMatch(/already holds a Maskwright project/);
  });

  it('has --help on every command', async () => {
    for (const c of ['init', 'import', 'ls', 'serve']) {
      out = [];
      expect(await main([c, '--help'])).toBe(0);
      expect(out.join('\n')).toContain(`maskwright ${c}`);
    }
    out = [];
    expect(await main(['--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/Commands:/);
  });

  const bundled = path.join(REPO_ROOT, 'out/host/cli.js');
  it.skipIf(!fs.existsSync(bundled))(
    `the installed bin runs the bundled CLI${fs.existsSync(bundled) ? '' : ' (skipped: out/host/cli.js not built; npm test builds it first)'}`,
    () => {
      const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/maskwright.mjs'), 'ls', path.join(tmp, 'nope')], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/does not exist/);
      const h = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/maskwright.mjs'), '--help'], { encoding: 'utf8' });
      expect(h.status).toBe(0);
      expect(h.stdout).toMatch(/init/);
    },
  );
});

describe.skipIf(!hasFruits)(`${DATASETS_GROUP} maskwright datasets on fruits-nuts${hasFruits ? '' : ` (${DATASETS_MISSING})`}`, () => {
  it('import-annotations: dry run writes nothing, --apply writes all; export coco gives the 165 instances back', async () => {
    const proj = path.join(tmp, 'fruits');
    expect(await main(['init', proj])).toBe(0);
    expect(await main(['import', proj, path.join(FRUITS_DIR, 'images')])).toBe(0);
    const ann = path.join(FRUITS_DIR, 'annotations_coco.json');

    out = [];
    expect(await main(['import-annotations', proj, ann, '--format', 'coco'])).toBe(0);
    expect(out.join('\n')).toMatch(/Dry run: 18 of 18 dataset images match/);
    expect(out.join('\n')).toMatch(/Nothing was written \(dry run\)/);
    out = [];
    expect(await main(['ls', proj, '--json', '--status', 'unlabeled'])).toBe(0);
    expect(JSON.parse(out.join('\n')).total).toBe(18);

    out = [];
    expect(await main(['import-annotations', proj, ann, '--format', 'coco', '--apply', '--json'])).toBe(0);
    const { result } = JSON.parse(out.join('\n'));
    expect(result).toMatchObject({ images: 18, instances: 165 });

    out = [];
    const outDir = path.join(tmp, 'export-coco');
    expect(await main(['export', proj, outDir, '--format', 'coco', '--images', 'none', '--json'])).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report).toMatchObject({ images: 18, instances: 165 });
    const files = fs.readdirSync(outDir);
    const json = files.find((f) => f.endsWith('.json')) ?? fs.readdirSync(path.join(outDir, 'annotations'))[0];
    expect(json).toBeTruthy();

    // a malformed dataset: a clear report, nothing written
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"images": [{"id": 1, "file_name": "0.jpg", "width": 800, "height": 6');
    out = [];
    err = [];
    expect(await main(['import-annotations', proj, bad, '--format', 'coco', '--apply'])).toBe(1);
    expect(out.join('\n') + err.join('\n')).toMatch(/JSON|truncated|parse/i);
    expect(await main(['export', proj, outDir, '--format', 'bogus'])).toBe(2);
    // VOC in the VOCdevkit/VOC2012 layout torchvision's VOCSegmentation(root) expects
    const vocDir = path.join(tmp, 'export-voc');
    expect(await main(['export', proj, vocDir, '--format', 'voc', '--voc-layout', 'vocdevkit', '--images', 'none'])).toBe(0);
    expect(fs.readdirSync(path.join(vocDir, 'VOCdevkit', 'VOC2012', 'ImageSets', 'Segmentation')).sort()).toEqual(['train.txt', 'trainval.txt', 'val.txt']);
    expect(await main(['export', proj, path.join(tmp, 'x'), '--format', 'voc', '--voc-layout', 'devkit'])).toBe(2);
  });
});
