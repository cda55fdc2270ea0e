/**
 * The README's CLI flow on a binary-mask dataset made here (photos + 0/255 PNG masks for some of
 * them), command for command: init, import the images, import the masks with a value map as
 * finished labels, train (tiny budget), pre-label the rest,
 * export the predictions; then the exported files are parsed and compared with the stored
 * proposals pixel for pixel, and the export names the model version that made them.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EventHub } from '../../../core/api/events';
import { main } from '../../../core/host/cli';
import { decodePng, encodePng } from '../../../core/formats/png-codec';
import { LabelMap } from '../../../core/mask/label-map';
import { createServices } from '../../../core/services/create-services';
import { useCliCapture } from '../../helpers/cli-capture';

const cap = useCliCapture('mw-cli-flow-', { home: true });
const S = 48;
const N_IMAGES = 7;
const N_MASKS = 4;

/** image k: a bright disc on a dark, slightly textured background; its 0/255 mask */
function scene(k: number): { rgb: Uint8Array; mask: Uint8Array } {
  const cx = 14 + ((k * 7) % 20);
  const cy = 16 + ((k * 5) % 16);
  const r = 7 + (k % 3);
  const rgb = new Uint8Array(S * S * 3);
  const mask = new Uint8Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      const v = inside ? 210 + ((x * 3 + y) % 20) : 30 + ((x + y * 7 + k) % 25);
      rgb.fill(v, (y * S + x) * 3, (y * S + x) * 3 + 3);
      if (inside) mask[y * S + x] = 255;
    }
  }
  return { rgb, mask };
}

async function json(args: string[]): Promise<{ code: number; body: Record<string, unknown> }> {
  cap.out.length = 0;
  const code = await main([...args, '--json']);
  return { code, body: JSON.parse(cap.out.join('\n')) as Record<string, unknown> };
}

describe('README flow on a binary-mask folder', () => {
  it('import images + masks (value map), train, pre-label, export predictions that match the stored ones', async () => {
    const { tmp, err } = cap;
    const photos = path.join(tmp, 'photos');
    const masks = path.join(tmp, 'masks');
    fs.mkdirSync(photos);
    fs.mkdirSync(masks);
    for (let k = 1; k <= N_IMAGES; k++) {
      const { rgb, mask } = scene(k);
      await sharp(rgb, { raw: { width: S, height: S, channels: 3 } }).png().toFile(path.join(photos, `img${k}.png`));
      // masks for the first N_MASKS images only: the rest is for the model
      if (k <= N_MASKS) fs.writeFileSync(path.join(masks, `img${k}.png`), encodePng({ width: S, height: S, bitDepth: 8, kind: 'grey', data: mask }));
    }
    const proj = path.join(tmp, 'cells');

    // maskwright init cells --classes cell
    expect(await main(['init', proj, '--classes', 'cell']), err.join('\n')).toBe(0);
    // maskwright import cells photos
    expect(await main(['import', proj, photos]), err.join('\n')).toBe(0);
    // maskwright import-annotations cells masks --format mask-folder --values 255=cell (dry run)
    const dry = await json(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=cell']);
    expect(dry.code, err.join('\n')).toBe(0);
    expect(dry.body.result).toBeNull();
    // maskwright import-annotations cells masks --format mask-folder --values 255=cell --apply
    const imp = await json(['import-annotations', proj, masks, '--format', 'mask-folder', '--values', '255=cell', '--apply']);
    expect(imp.code, err.join('\n')).toBe(0);
    const plan = imp.body.plan as { totals: { matchedImages: number; newClasses: number }; values: { value: number; role: string; className: string | null }[] };
    expect(plan.totals).toMatchObject({ matchedImages: N_MASKS, newClasses: 0 });
    expect(plan.values.find((v) => v.value === 255)).toMatchObject({ role: 'class', className: 'cell' });
    // maskwright ls cells: the masked images are done
    const ls = await json(['ls', proj]);
    const rows = ls.body.items as { id: number; fileName: string; status: string; mask: boolean }[];
    expect(rows.map((r) => r.fileName)).toEqual(Array.from({ length: N_IMAGES }, (_, i) => `img${i + 1}.png`));
    expect(rows.filter((r) => r.status === 'done' && r.mask)).toHaveLength(N_MASKS);

    // maskwright train cells (here with a tiny budget: a few steps)
    const tr = await json(['train', proj, '--budget-s', '30', '--max-steps', '3']);
    expect(tr.code, err.join('\n')).toBe(0);
    const versionId = tr.body.versionId as number;
    expect(tr.body).toMatchObject({ ok: true, activated: true });

    // maskwright prelabel cells: the images without masks
    cap.out.length = 0;
    expect(await main(['prelabel', proj]), err.join('\n')).toBe(0);
    expect(cap.out.join('\n')).toContain(`Pre-labeled ${N_IMAGES - N_MASKS} images with model version ${versionId}`);

    // maskwright export cells out --format index-masks --source predictions
    const out = path.join(tmp, 'out');
    const ex = await json(['export', proj, out, '--format', 'index-masks', '--source', 'predictions']);
    expect(ex.code, err.join('\n')).toBe(0);
    expect(ex.body).toMatchObject({ source: 'predictions', images: N_IMAGES - N_MASKS, modelVersions: [{ id: versionId, images: N_IMAGES - N_MASKS }] });
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'maskwright-export.json'), 'utf8')) as { source: string; modelVersions: { id: number }[]; images: { file: string; modelVersionId: number }[] };
    expect(meta.source).toBe('predictions');
    expect(meta.modelVersions.map((v) => v.id)).toEqual([versionId]);
    expect(meta.images.map((i) => i.file).sort()).toEqual(rows.slice(N_MASKS).map((r) => r.fileName).sort());
    expect(fs.readFileSync(path.join(out, 'classes.txt'), 'utf8')).toBe('background\ncell\n');
    expect(fs.readdirSync(path.join(out, 'images')).sort()).toEqual(meta.images.map((i) => i.file).sort());

    // the exported class maps are the stored proposals, pixel for pixel
    const svc = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: new EventHub().emit });
    try {
      const p = await svc.impl.projects.open({ dir: proj });
      const cellId = p.classes.find((c) => c.name === 'cell')!.id;
      let proposalPixels = 0;
      for (const r of rows.slice(N_MASKS)) {
        const stored = await svc.impl.predictions.latest(p.id, r.id);
        expect(stored?.modelVersionId).toBe(versionId);
        const map = LabelMap.decode(stored!.labelMap);
        const png = decodePng(fs.readFileSync(path.join(out, 'semantic_masks', `${path.parse(r.fileName).name}.png`)));
        expect([png.width, png.height]).toEqual([S, S]);
        let mismatches = 0;
        for (let i = 0; i < S * S; i++) {
          const id = map.ids[i]!;
          const want = id === 0 ? 0 : map.getInstance(id)?.classId === cellId ? 1 : -1;
          if (want === 1) proposalPixels++;
          if (png.data[i] !== want) mismatches++;
        }
        expect(mismatches, r.fileName).toBe(0);
        // pre-labeling left the images' masks alone
        expect((await svc.impl.masks.load(p.id, r.id)).labelMap).toBeNull();
      }
      expect(proposalPixels).toBeGreaterThan(0);
      // a COCO export of the same predictions parses and names the version
      const coco = await json(['export', proj, path.join(tmp, 'coco'), '--format', 'coco', '--source', 'predictions', '--images', 'none']);
      expect(coco.code, err.join('\n')).toBe(0);
      const ann = JSON.parse(fs.readFileSync(path.join(tmp, 'coco', 'annotations.json'), 'utf8')) as { info: { description: string }; images: unknown[]; annotations: { area: number }[] };
      expect(ann.info.description).toContain(`model version ${versionId}`);
      expect(ann.images).toHaveLength(N_IMAGES - N_MASKS);
      expect(ann.annotations.reduce((s, a) => s + a.area, 0)).toBe(proposalPixels);
    } finally {
      svc.dispose();
    }
  }, 240_000);
});
