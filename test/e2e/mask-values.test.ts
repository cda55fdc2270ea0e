/**
 * The import dialog on a folder of 0/255 masks, in Debian Chromium against browser mode: a
 * malformed value map is refused in the form; "255=Nucleus" maps the masks onto the project's
 * class (no "class 255"), the check lists each value with where it went and its pixels, and the
 * import writes the masks and marks the images done (the default). Then "Export…" of the model proposals instead of the masks: the report
 * names the model version and the files hold the proposals. Screenshots go to
 * test-results/mask-values-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelClass } from '../../core/api/types';
import type { RunningServer } from '../../core/host/serve';
import { decodePng } from '../../core/formats/png-codec';
import { LabelMap } from '../../core/mask/label-map';
import { SHOTS, browserSkipReason, importNuclei, openPage, startHost, stopAll, syntheticNuclei } from '../helpers/e2e-app';

const skip = browserSkipReason();

describe.skipIf(skip !== '')(`browser mode: mask values in the annotation import dialog, proposals in the export dialog${skip ? ` (${skip})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  let masks: string;
  let white = 0;
  let black = 0;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-mask-values-'));
    const set = await syntheticNuclei(tmp, 3);
    projectId = (await importNuclei(server, tmp, set, ['Nucleus'])).id;
    // a bare folder of the 0/255 masks, as a binary-mask dataset ships them
    masks = path.join(tmp, 'masks');
    fs.mkdirSync(masks);
    for (const f of fs.readdirSync(path.join(set.dir, 'semantic_masks'))) {
      const file = path.join(set.dir, 'semantic_masks', f);
      fs.copyFileSync(file, path.join(masks, f));
      for (const v of decodePng(fs.readFileSync(file)).data) {
        if (v === 255) white++;
        else black++;
      }
    }
    ({ browser, page } = await openPage(pageErrors));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('maps 255 to the project class, lists values with pixels, imports', async () => {
    await page.goto(server.openUrl);
    await page.waitForFunction(() => !location.search.includes('token='));
    await page.getByTestId('recent-project').first().getByRole('button', { name: /Open Nuclei/ }).click();
    await page.getByTestId('annimport-button').click();
    const dialog = page.getByTestId('annimport-dialog');
    await dialog.waitFor();
    await page.getByTestId('annimport-format').selectOption('mask-folder');
    await page.getByTestId('annimport-path').fill(masks);

    // a malformed map is refused before anything is planned
    await page.getByTestId('annimport-values').fill('255');
    await page.getByTestId('annimport-check').click();
    await expect.poll(() => page.getByTestId('annimport-error').textContent()).toMatch(/Mask values entry "255" is not VALUE=CLASS/);

    await page.getByTestId('annimport-values').fill('255=Nucleus');
    await page.screenshot({ path: path.join(SHOTS, 'mask-values-form.png') });
    await page.getByTestId('annimport-check').click();
    const plan = page.getByTestId('annimport-plan');
    await plan.waitFor({ timeout: 30_000 });
    expect(await plan.getAttribute('data-matched')).toBe('3');
    const rows = page.getByTestId('annimport-value');
    await expect.poll(() => rows.count()).toBe(2);
    const values = await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-value'), e.getAttribute('data-role'), Number(e.getAttribute('data-pixels')), e.textContent?.trim().replace(/\s+/g, ' ')]));
    expect(values.map((v) => v.slice(0, 3))).toEqual([
      ['0', 'background', black],
      ['255', 'class', white],
    ]);
    expect(values[1]![3]).toMatch(/Nucleus/);
    // one dataset class, the project's own: nothing new
    const classRows = page.getByTestId('annimport-class');
    expect(await classRows.evaluateAll((els) => els.map((e) => e.getAttribute('data-source')))).toEqual(['Nucleus']);
    expect(await plan.textContent()).not.toMatch(/class 255/);
    await page.screenshot({ path: path.join(SHOTS, 'mask-values-plan.png') });

    await page.getByTestId('annimport-apply').click();
    const result = page.getByTestId('annimport-result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.getAttribute('data-images')).toBe('3');
    // marked done by default (a complete dataset), as import-annotations --status done
    expect(await page.getByTestId('annimport-marked').textContent()).toMatch(/3 images marked done/);
    const rowsNow = (await server.services.impl.images.list(projectId, { limit: 10 })).items;
    expect(rowsNow.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    const classes = (await server.services.impl.classes.list(projectId)) as LabelClass[];
    expect(classes.map((c) => c.name)).toEqual(['Nucleus']);
    await page.getByTestId('annimport-close').click();
    expect(pageErrors).toEqual([]);
  });

  it('exports the model proposals instead of the masks, naming the model version', async () => {
    // a stored proposal for the first image (a model version row stands for the trained model)
    const store = server.services.registry.get(projectId);
    const row = (await server.services.impl.images.list(projectId, { limit: 10 })).items.find((r) => r.fileName === 'cell-01.png')!;
    store.db.prepare("INSERT INTO model_version (id, name, arch, created_at) VALUES (7, 'unet 7', 'test', ?)").run(new Date().toISOString());
    const prop = new LabelMap(row.width, row.height);
    const inst = prop.addInstance({ classId: store.classes.list()[0]!.id, source: 'model', score: 0.9 });
    for (let y = 10; y < 30; y++) for (let x = 20; x < 45; x++) prop.ids[y * row.width + x] = inst.id;
    store.predictions.add({ imageId: row.id, modelVersionId: 7, labelMap: prop.encode(), uncertainty: 0.1 });

    await page.getByTestId('export-button').click();
    await page.getByTestId('export-dialog').waitFor();
    await page.getByTestId('export-format').selectOption('index-masks');
    await page.locator('label:has([data-testid="export-source-predictions"])').click();
    expect(await page.getByTestId('export-source-predictions').isChecked()).toBe(true);
    const outDir = path.join(tmp, 'proposals-out');
    await page.getByTestId('export-outdir').fill(outDir);
    await page.screenshot({ path: path.join(SHOTS, 'mask-values-export-form.png') });
    await page.getByTestId('export-start').click();
    const report = page.getByTestId('export-report');
    await report.waitFor({ timeout: 30_000 });
    expect(await report.getAttribute('data-images')).toBe('1');
    expect(await page.getByTestId('export-model-versions').textContent()).toMatch(/version 7 \(unet 7\)/);
    await page.screenshot({ path: path.join(SHOTS, 'mask-values-export-report.png') });
    const png = decodePng(fs.readFileSync(path.join(outDir, 'semantic_masks', 'cell-01.png')));
    expect(Array.from(png.data).filter((v) => v === 1)).toHaveLength(20 * 25);
    const meta = JSON.parse(fs.readFileSync(path.join(outDir, 'maskwright-export.json'), 'utf8')) as { modelVersions: { id: number; name: string }[] };
    expect(meta.modelVersions).toEqual([{ id: 7, name: 'unet 7', images: 1 }]);
    expect(pageErrors).toEqual([]);
  });
});
