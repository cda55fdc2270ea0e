/**
 * The CLI on a binary-mask dataset: `import-annotations --values/--ignore` (mask values -> classes,
 * with pixel counts in the dry run; unmapped values warned, refused with --strict) and `ls` in
 * natural file-name order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../core/host/cli';
import { parseStatus, parseValueMap, sortImages, valIouText, type LabelState } from '../../../core/host/cli-labels';
import { encodePng } from '../../../core/formats/png-codec';
import type { DatasetImportPlan, DatasetImportResult, ImageRow } from '../../../core/api/types';

interface Body {
  plan: DatasetImportPlan;
  result: DatasetImportResult | null;
  items: (ImageRow & LabelState)[];
  changed?: number;
}

let tmp: string;
let out: string[];
let err: string[];
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cli-labels-'));
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

const W = 12;
const H = 8;

/** a project with images 1.png, 2.png, 10.png (imported in the order 10, 2, 1) and masks for them */
async function setup(maskOf: (name: string) => Uint8Array): Promise<{ proj: string; masks: string }> {
  const proj = path.join(tmp, 'proj');
  expect(await main(['init', proj, '--classes', 'horse'])).toBe(0);
  const masks = path.join(tmp, 'masks');
  fs.mkdirSync(masks);
  for (const name of ['10', '2', '1']) {
    const dir = path.join(tmp, `imgs-${name}`);
    fs.mkdirSync(dir);
    await sharp({ create: { width: W, height: H, channels: 3, background: name === '1' ? '#102030' : name === '2' ? '#405060' : '#708090' } })
      .png()
      .toFile(path.join(dir, `${name}.png`));
    expect(await main(['import', proj, dir])).toBe(0);
    fs.writeFileSync(path.join(masks, `${name}.png`), encodePng({ width: W, height: H, bitDepth: 8, kind: 'grey', data: maskOf(name) }));
  }
  out = [];
  err = [];
  return { proj, masks };
}

/** a 0/255 mask: a 4x3 block of 255 at the top left, plus `extra` at the bottom right pixel */
function binary(extra = 0): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) m[y * W + x] = 255;
  if (extra) m[W * H - 1] = extra;
  return m;
}

async function json(args: string[]): Promise<{ code: number; body: Body }> {
  out = [];
  const code = await main([...args, '--json']);
  return { code, body: JSON.parse(out.join('\n')) as Body };
}

describe('import-annotations --values / --ignore', () => {
  it('maps 255 to the project class and reports pixels per value in the dry run', async () => {
    const { proj, masks } = await setup(() => binary());
    // without a value map the 255s become a new class "class 255"
    const plain = await json(['import-annotations', proj, masks, '--format', 'mask-folder']);
    expect(plain.body.plan.classes.map((c) => c.targetName)).toEqual(['class 255']);

    out = [];
    expect(await main(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=horse'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/value\s+0 -> \(background\): 252 px/);
    expect(text).toMatch(/value\s+255 -> horse: 36 px/);
    expect(text).toMatch(/class horse -> horse: 3 instances/);
    expect(text).toMatch(/0 new classes/);

    const applied = await json(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=horse', '--apply']);
    expect(applied.code).toBe(0);
    expect(applied.body.result).toMatchObject({ images: 3, instances: 3, classesCreated: [] });
  });

  it('inverted masks: 0 can be a real class, several values can share one class', async () => {
    const { proj, masks } = await setup((n) => (n === '2' ? binary(7) : binary()));
    const inv = await json(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '0=membrane,7=membrane']);
    expect(inv.body.plan.values).toEqual([
      { value: 0, className: 'membrane', role: 'class', pixels: 3 * 84 - 1 },
      { value: 7, className: 'membrane', role: 'class', pixels: 1 },
      { value: 255, className: null, role: 'unmapped', pixels: 36 },
    ]);
    expect(inv.body.plan.classes.map((c) => [c.sourceName, c.targetName, c.instances])).toEqual([['membrane', 'membrane', 3]]);
    expect(inv.body.plan.issues).toEqual([expect.objectContaining({ action: 'skipped', message: expect.stringMatching(/1 mask value not in the value mapping \(255: 36 px\)/) })]);
  });

  it('unmapped values: a warning by default, nothing written with --strict; --ignore leaves a value unlabelled', async () => {
    const { proj, masks } = await setup((n) => (n === '1' ? binary(9) : binary()));
    const warn = await json(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=horse']);
    expect(warn.body.plan.ok).toBe(true);
    expect(warn.body.plan.issues).toEqual([expect.objectContaining({ action: 'skipped', message: expect.stringMatching(/9: 1 px/) })]);

    out = [];
    err = [];
    const code = await main(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=horse', '--apply', '--strict']);
    expect(code).not.toBe(0);
    const ls = await json(['ls', proj]);
    expect(ls.body.items.every((r) => r.status === 'unlabeled')).toBe(true);

    const ign = await json(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=horse', '--ignore', '9', '--apply', '--strict']);
    expect(ign.code).toBe(0);
    expect(ign.body.plan.issues).toEqual([]);
    expect(ign.body.plan.values).toContainEqual({ value: 9, className: null, role: 'ignored', pixels: 1 });
    expect(ign.body.result).toMatchObject({ images: 3, instances: 3 });
  });

  it('rejects malformed maps as usage errors', async () => {
    expect(() => parseValueMap('255')).toThrow(/VALUE=CLASS/);
    expect(() => parseValueMap('1=a,1=b')).toThrow(/twice/);
    expect(parseValueMap('255=horse, 1=road,2=road')).toEqual({ 255: 'horse', 1: 'road', 2: 'road' });
    expect(await main(['import-annotations', tmp, tmp, '--format', 'mask-folder', '--values', 'x=1'])).toBe(2);
    expect(await main(['import-annotations', tmp, tmp, '--format', 'coco', '--values', '1=a'])).toBe(2);
    expect(await main(['import-annotations', tmp, tmp, '--format', 'mask-folder', '--ignore', '-1'])).toBe(2);
  });
});

describe('statuses', () => {
  it('imported masks get --status (default done); ls shows status, mask and proposal; status sets it for a list or a filter', async () => {
    const { proj, masks } = await setup(() => binary());
    const before = await json(['ls', proj]);
    expect(before.body.items.map((r) => [r.fileName, r.status, r.mask, r.proposal])).toEqual([
      ['1.png', 'unlabeled', false, null],
      ['2.png', 'unlabeled', false, null],
      ['10.png', 'unlabeled', false, null],
    ]);
    // only 1.png and 2.png get masks; as in-progress
    fs.rmSync(path.join(masks, '10.png'));
    expect((await json(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=horse', '--status', 'in-progress', '--apply'])).code).toBe(0);
    const after = await json(['ls', proj]);
    expect(after.body.items.map((r) => [r.fileName, r.status, r.mask])).toEqual([
      ['1.png', 'in_progress', true],
      ['2.png', 'in_progress', true],
      ['10.png', 'unlabeled', false],
    ]);
    out = [];
    expect(await main(['ls', proj])).toBe(0);
    expect(out.join('\n')).toMatch(/in_progress\s+mask\s+no proposal.*1\.png/);

    // the default is done
    expect((await json(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=horse', '--apply'])).code).toBe(0);
    expect((await json(['ls', proj, '--status', 'done'])).body.items.map((r) => r.fileName)).toEqual(['1.png', '2.png']);

    const id10 = after.body.items[2]!.id;
    expect((await json(['status', proj, 'in-progress', '--images', String(id10)])).body).toMatchObject({ images: 1, status: 'in_progress' });
    expect((await json(['status', proj, 'reviewed', '--where', 'done'])).body).toMatchObject({ images: 2 });
    expect((await json(['ls', proj])).body.items.map((r) => r.status)).toEqual(['reviewed', 'reviewed', 'in_progress']);
    expect((await json(['status', proj, 'unlabeled', '--search', '10'])).body).toMatchObject({ images: 1 });
    expect((await json(['status', proj, 'done', '--all'])).body).toMatchObject({ images: 3 });
    expect(await main(['status', proj, 'done'])).toBe(2);
    expect(await main(['status', proj, 'finished', '--all'])).toBe(2);
    expect(parseStatus('In-Progress')).toBe('in_progress');
  });
});

describe('ls order', () => {
  it('lists in natural file-name order by default; --sort added keeps import order', async () => {
    const { proj } = await setup(() => binary());
    expect((await json(['ls', proj])).body.items.map((r) => r.fileName)).toEqual(['1.png', '2.png', '10.png']);
    expect((await json(['ls', proj, '--sort', 'added'])).body.items.map((r) => r.fileName)).toEqual(['10.png', '2.png', '1.png']);
    expect((await json(['ls', proj, '--limit', '2'])).body.items.map((r) => r.fileName)).toEqual(['1.png', '2.png']);
    out = [];
    expect(await main(['ls', proj, '--sort', 'size'])).toBe(2);
    expect(sortImages([{ id: 2, fileName: 'B10.png' }, { id: 1, fileName: 'b9.png' }], 'name').map((r) => r.id)).toEqual([1, 2]);
  });
});

describe('valIouText', () => {
  it('states the figure with its standard error, the number of images and the baseline', () => {
    expect(valIouText({ meanIou: 0.7342, iouSe: 0.0213, images: 12, baselineIou: 0.31 })).toBe('val IoU 0.734 ± 0.021 over 12 images (baseline 0.310)');
    expect(valIouText({ meanIou: 0.5, iouSe: null, images: 1 })).toBe('val IoU 0.500 on 1 image only (spread unknown; not a measure of the model, label more images)');
    expect(valIouText({ meanIou: 0.02, iouSe: 0.01, images: 3, baselineIou: 0.3 })).toMatch(/no better than calling every pixel one class/);
    expect(valIouText({ meanIou: 0.6 })).toBe('val IoU 0.600'); // versions trained before the spread was stored
    expect(valIouText(null)).toBe('no validation');
    expect(valIouText({ meanIou: NaN })).toBe('no validation');
  });
});
