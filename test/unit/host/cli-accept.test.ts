/**
 * `prelabel` next to human masks: images that have one are skipped by default (and the output
 * says how many), `--include-masked` pre-labels them too, and `--accept` turns proposals into
 * masks only where no pixel is labelled yet (status in-progress, one undo step in the editor's
 * persisted history), so that `export` (masks) includes them; a human mask is never changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EventHub } from '../../../core/api/events';
import { decodeHistoryEntry } from '../../../core/editor/history';
import { restoreTile } from '../../../core/editor/tile-patch';
import { main } from '../../../core/host/cli';
import { LabelMap } from '../../../core/mask/label-map';
import { createServices } from '../../../core/services/create-services';
import { useCliCapture } from '../../helpers/cli-capture';

const cap = useCliCapture('mw-cli-accept-', { home: true });
const S = 40;

const inDisc = (k: number, x: number, y: number) => (x - (12 + k * 6)) ** 2 + (y - 20) ** 2 < 64;

async function makeProject(tmp: string) {
  const imgs = path.join(tmp, 'imgs');
  fs.mkdirSync(imgs);
  for (let k = 0; k < 4; k++) {
    const px = new Uint8Array(S * S * 3).fill(25);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) if (inDisc(k, x, y)) px.fill(220, (y * S + x) * 3, (y * S + x) * 3 + 3);
    await sharp(px, { raw: { width: S, height: S, channels: 3 } }).png().toFile(path.join(imgs, `d${k}.png`));
  }
  const proj = path.join(tmp, 'p');
  const svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: new EventHub().emit });
  const p = await svc.impl.projects.create({ dir: proj, name: 'discs', classes: [{ name: 'disc' }] });
  const { jobId } = await svc.impl.imports.start(p.id, { paths: [imgs] });
  await svc.waitForImport(jobId);
  const rows = (await svc.impl.images.list(p.id, {})).items.sort((a, b) => a.fileName.localeCompare(b.fileName));
  // d0, d1: human masks, done; d2: a human mask but still 'unlabeled' (e.g. imported with --status keep); d3: nothing
  for (const row of rows.slice(0, 3)) {
    const k = Number(row.fileName[1]);
    const m = new LabelMap(S, S);
    const inst = m.addInstance({ classId: p.classes[0]!.id });
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) if (inDisc(k, x, y)) m.ids[y * S + x] = inst.id;
    await svc.impl.masks.save(p.id, row.id, { labelMap: m.encode(), expectedVersion: 0 });
    await svc.impl.images.setStatus(p.id, [row.id], k < 2 ? 'done' : 'unlabeled');
  }
  const humanMask = (await svc.impl.masks.load(p.id, rows[0]!.id)).labelMap!;
  svc.dispose();
  return { proj, ids: rows.map((r) => r.id), humanMask };
}

describe('prelabel with human masks: skip by default, --include-masked, --accept', () => {
  it('skips masked images, accepts proposals only onto unlabelled images, never changes a human mask', async () => {
    const { tmp, out, err } = cap;
    const { proj, ids, humanMask } = await makeProject(tmp);
    expect(await main(['train', proj, '--max-steps', '2']), err.join('\n')).toBe(0);

    // default: the unlabeled images, less d2 (it has a human mask though its status is unlabeled)
    out.length = 0;
    expect(await main(['prelabel', proj, '--json']), err.join('\n')).toBe(0);
    const pre = JSON.parse(out.join('\n')) as { done: number; skippedMasked: number[]; modelVersionId: number };
    expect(pre).toMatchObject({ done: 1, skippedMasked: [ids[2]] });

    // all four with --accept: three skipped for their masks, d3's proposal becomes its mask
    out.length = 0;
    expect(await main(['prelabel', proj, '--images', ids.join(','), '--accept']), err.join('\n')).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('Pre-labeled 1 images');
    expect(text).toContain('Skipped 3 images that already have a human mask (--include-masked to pre-label them too).');
    expect(text).toContain('Accepted 1 proposals as masks');

    // --include-masked pre-labels d0 too, but --accept leaves its human mask alone
    out.length = 0;
    expect(await main(['prelabel', proj, '--images', String(ids[0]), '--include-masked', '--accept', '--json']), err.join('\n')).toBe(0);
    const inc = JSON.parse(out.join('\n')) as { done: number; skippedMasked: number[]; accepted: { accepted: number[]; skipped: { imageId: number; reason: string }[] } };
    expect(inc.done).toBe(1);
    expect(inc.skippedMasked).toEqual([]);
    expect(inc.accepted).toMatchObject({ accepted: [], skipped: [{ imageId: ids[0], reason: 'human-mask' }] });

    // pre-labeling d3 again: its accepted mask is not overwritten by the new proposal either
    out.length = 0;
    expect(await main(['prelabel', proj, '--images', String(ids[3]), '--accept', '--json']), err.join('\n')).toBe(0);
    expect((JSON.parse(out.join('\n')) as typeof inc).accepted).toMatchObject({ accepted: [], skipped: [{ imageId: ids[3], reason: 'has-mask' }] });

    const svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: new EventHub().emit });
    try {
      const p = await svc.impl.projects.open({ dir: proj });
      expect(Buffer.from((await svc.impl.masks.load(p.id, ids[0]!)).labelMap!).equals(Buffer.from(humanMask))).toBe(true);
      expect((await svc.impl.images.get(p.id, ids[3]!)).status).toBe('in_progress');
      const store = svc.registry.get(p.id);
      // d3's mask is its first proposal, as model instances; the second run's proposal stays a proposal
      const loaded = await svc.impl.masks.load(p.id, ids[3]!);
      const mask = LabelMap.decode(loaded.labelMap!);
      expect(store.predictions.latest(ids[3]!)!.state).toBe('proposed');
      expect(mask.ids.some((v) => v !== 0)).toBe(true);
      for (const inst of mask.instances()) expect(inst.source).toBe('model');
      // one undo step that takes the image back to no labelled pixels
      expect(loaded.history.undo).toHaveLength(1);
      const entry = decodeHistoryEntry(loaded.history.undo[0]!);
      expect(entry.label).toBe('Accept proposal');
      for (const pt of entry.patches) restoreTile(mask, pt.tx, pt.ty, pt.before);
      expect(mask.ids.every((v) => v === 0)).toBe(true);
    } finally {
      svc.dispose();
    }

    // the accepted image is exported as a mask (with the three human ones)
    out.length = 0;
    expect(await main(['export', proj, path.join(tmp, 'out'), '--format', 'index-masks', '--images', 'none', '--json']), err.join('\n')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ source: 'masks', images: 4 });
  }, 240_000);

  it('export --source takes masks or predictions only', async () => {
    expect(await main(['export', cap.tmp, path.join(cap.tmp, 'o'), '--format', 'coco', '--source', 'proposals'])).toBe(2);
    expect(cap.err.join('\n')).toMatch(/--source must be masks or predictions/);
  });
});
