/**
 * Dataset import and export end to end, in Debian Chromium against browser mode: create a
 * project, import the images, "Import annotations…" from the COCO file (a bad path first, to see
 * the fatal problem inline), check the dry run (all matched, every instance, 3 classes; leaving a
 * class out and taking it back plans again), import, then "Export…" COCO with a split and read
 * the report and the files it wrote. Screenshots go to test-results/datasets-*.png.
 *
 * It runs on synthetic photos made in the test (always), and again on the public fruits-nuts set
 * (18 images, 165 instances) in the [public-datasets] group when that set is present.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelClass, RecentProject } from '../../core/api/types';
import type { RunningServer } from '../../core/host/serve';
import { SHOTS, browserSkipReason, callApi, openPage, startHost, stopAll, syntheticPhotos } from '../helpers/e2e-app';
import { DATASETS_GROUP, DATASETS_MISSING, FRUITS_DIR, hasFruits } from '../helpers/paths';

interface CocoData {
  imagesDir: string;
  cocoPath: string;
  images: number;
  instances: number;
}

const FRUITS_COCO = path.join(FRUITS_DIR, 'annotations_coco.json');
const hasFruitsCoco = hasFruits && fs.existsSync(FRUITS_COCO);

suite('synthetic photos', 'synthetic', browserSkipReason(), async (tmp) => {
  const set = await syntheticPhotos(tmp, 12);
  return { imagesDir: set.imagesDir, cocoPath: set.cocoPath!, images: set.images.length, instances: set.instances };
});
suite(`${DATASETS_GROUP} fruits-nuts`, 'fruits', hasFruitsCoco ? browserSkipReason() : DATASETS_MISSING, async () => ({
  imagesDir: path.join(FRUITS_DIR, 'images'),
  cocoPath: FRUITS_COCO,
  images: 18,
  instances: 165,
}));

function suite(label: string, shotPrefix: string, skipReason: string, makeData: (tmp: string) => Promise<CocoData>): void {
  describe.skipIf(skipReason !== '')(`browser mode: annotation import and dataset export, ${label}${skipReason ? ` (${skipReason})` : ''}`, () => {
    let tmp: string;
    let server: RunningServer;
    let browser: Browser;
    let page: Page;
    let data: CocoData;
    const pageErrors: string[] = [];

    const api = <T>(channel: string, ...args: unknown[]): Promise<T> => callApi<T>(server, channel, ...args);

    /** the id of the one project this test creates */
    async function projectId(): Promise<string> {
      const recent = await api<RecentProject[]>('projects.listRecent');
      expect(recent).toHaveLength(1);
      return recent[0]!.id;
    }

    const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(SHOTS, `datasets-${shotPrefix}-${name}.png`) });

    beforeAll(async () => {
      ({ tmp, server } = await startHost('mw-e2e-datasets-'));
      data = await makeData(tmp);
      ({ browser, page } = await openPage(pageErrors));
    });

    afterAll(() => stopAll({ browser, server, tmp }));

    it('imports COCO annotations after a dry run, then exports the project as COCO', async () => {
      const N = String(data.images);
      const M = data.instances;
      await page.goto(server.openUrl);
      await page.waitForFunction(() => !location.search.includes('token='));

      // a project with the images
      const projectDir = path.join(tmp, `${shotPrefix}-project`);
      await page.getByTestId('new-project-name').fill('Fruits and nuts');
      await page.getByTestId('new-project-dir').fill(projectDir);
      await page.getByTestId('create-project').click();
      await page.getByTestId('import-button').click();
      await page.getByTestId('import-paths').fill(data.imagesDir);
      await page.getByTestId('import-start').click();
      await page.getByTestId('import-report').waitFor({ timeout: 60_000 });
      await expect.poll(() => page.getByTestId('import-report').getAttribute('data-imported')).toBe(N);
      await page.getByTestId('import-close').click();
      await expect.poll(() => page.getByTestId('image-count').getAttribute('data-count')).toBe(N);
      await shot('project-header');

      // --- import annotations: a wrong path first, shown inline ---
      await page.getByTestId('annimport-button').click();
      const dialog = page.getByTestId('annimport-dialog');
      await dialog.waitFor();
      await page.getByTestId('annimport-format').selectOption('coco');
      await page.getByTestId('annimport-path').fill(path.join(tmp, 'no-such-file.json'));
      await page.getByTestId('annimport-check').click();
      // a dataset that cannot be read is a plan that is not ok: the reason inline, Import disabled
      await expect.poll(() => dialog.getByTestId('annimport-fatal').textContent()).toMatch(/cannot be imported/);
      expect(await page.getByTestId('annimport-apply').isDisabled()).toBe(true);
      await shot('import-fatal');
      await dialog.getByRole('button', { name: 'Back' }).click();

      await page.getByTestId('annimport-path').fill(data.cocoPath);
      await shot('import-form');
      await page.getByTestId('annimport-check').click();
      const plan = page.getByTestId('annimport-plan');
      await plan.waitFor({ timeout: 30_000 });
      expect(await plan.getAttribute('data-matched')).toBe(N);
      expect(await plan.getAttribute('data-dataset-images')).toBe(N);
      expect(await plan.getAttribute('data-instances')).toBe(String(M));
      expect(await plan.getAttribute('data-classes')).toBe('3');
      expect(await plan.textContent()).toMatch(/Nothing has been written yet/);
      expect(await page.getByTestId('annimport-matched').textContent()).toMatch(new RegExp(`${N}\\s+of ${N} images matched`));
      const classRows = page.getByTestId('annimport-class');
      expect(await classRows.count()).toBe(3);
      expect((await classRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-source')))).sort()).toEqual(['date', 'fig', 'hazelnut']);
      const perClass = await classRows.evaluateAll((rows) => rows.reduce((n, r) => n + Number(r.getAttribute('data-instances')), 0));
      expect(perClass).toBe(M);
      // still nothing written by the dry run
      expect(await api<LabelClass[]>('classes.list', await projectId())).toEqual([]);
      await shot('import-plan');

      // leaving a class out plans again (fewer instances); taking it back restores the count
      const hazelnut = page.locator('[data-testid="annimport-class"][data-source="hazelnut"]');
      const hazelnutCount = Number(await hazelnut.getAttribute('data-instances'));
      await hazelnut.getByTestId('annimport-map').selectOption('skip');
      await expect.poll(() => plan.getAttribute('data-instances')).toBe(String(M - hazelnutCount));
      await shot('import-plan-left-out');
      await hazelnut.getByTestId('annimport-map').selectOption('same');
      await expect.poll(() => plan.getAttribute('data-instances')).toBe(String(M));
      // a new class with another name, then back to the dataset's own name
      const fig = page.locator('[data-testid="annimport-class"][data-source="fig"]');
      await fig.getByTestId('annimport-map').selectOption('new');
      await fig.getByRole('textbox').fill('figs');
      await fig.getByRole('textbox').press('Enter');
      await expect.poll(() => fig.textContent()).toMatch(/→ figs/);
      await shot('import-plan-renamed');
      await fig.getByTestId('annimport-map').selectOption('same');
      await expect.poll(() => fig.textContent()).not.toMatch(/figs/);
      await expect.poll(() => page.getByTestId('annimport-apply').isEnabled()).toBe(true);

      await page.getByTestId('annimport-apply').click();
      const result = page.getByTestId('annimport-result');
      await result.waitFor({ timeout: 30_000 });
      expect(await result.getAttribute('data-images')).toBe(N);
      expect(await result.getAttribute('data-instances')).toBe(String(M));
      expect(await result.textContent()).toMatch(/date/);
      await shot('import-result');
      await page.getByTestId('annimport-close').click();
      await expect.poll(() => dialog.isVisible()).toBe(false);
      const classes = await api<LabelClass[]>('classes.list', await projectId());
      expect(classes.map((c) => c.name).sort()).toEqual(['date', 'fig', 'hazelnut']);

      // --- export COCO with a split ---
      await page.getByTestId('export-button').click();
      const exportDialog = page.getByTestId('export-dialog');
      await exportDialog.waitFor();
      await page.getByTestId('export-format').selectOption('coco');
      // imported images are marked done (the import's default): the export takes done + reviewed
      expect(await page.getByTestId('export-status-done').isChecked()).toBe(true);
      expect(await page.getByTestId('export-status-unlabeled').isChecked()).toBe(false);
      await page.getByTestId('export-status-all').click();
      const outDir = path.join(tmp, 'exports', `${shotPrefix}-coco`);
      await page.getByTestId('export-outdir').fill(outDir);
      await page.getByTestId('export-split').check();
      expect(await page.getByTestId('export-class').count()).toBe(3);
      await shot('export-form');
      // a smaller window: the form scrolls between a fixed header and footer
      await page.setViewportSize({ width: 1100, height: 640 });
      await shot('export-form-small');
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.getByTestId('export-start').click();
      const report = page.getByTestId('export-report');
      await report.waitFor({ timeout: 60_000 });
      expect(await report.getAttribute('data-images')).toBe(N);
      expect(await report.getAttribute('data-instances')).toBe(String(M));
      expect(await page.getByTestId('export-totals').textContent()).toMatch(`${N} images · ${M} instances`);
      const splitImages = await page.getByTestId('export-split-row').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-split'), Number(r.children[1]?.textContent)]));
      expect(splitImages.map(([s]) => s).sort()).toEqual(['test', 'train', 'val']);
      expect(splitImages.reduce((n, [, v]) => n + Number(v), 0)).toBe(data.images);
      expect(await page.getByTestId('export-category').count()).toBe(3);
      expect(await page.getByTestId('export-coco-counts').textContent()).toMatch(/polygon.*RLE/);
      await shot('export-report');

      expect(fs.existsSync(outDir)).toBe(true);
      const jsons = ['train', 'val', 'test'].map((s) => path.join(outDir, 'annotations', `instances_${s}.json`));
      for (const j of jsons) expect(fs.existsSync(j)).toBe(true);
      const parsed = jsons.map((j) => JSON.parse(fs.readFileSync(j, 'utf8')) as { images: unknown[]; annotations: unknown[]; categories: { name: string }[] });
      expect(parsed.reduce((n, d) => n + d.images.length, 0)).toBe(data.images);
      expect(parsed.reduce((n, d) => n + d.annotations.length, 0)).toBe(M);
      expect(parsed[0]!.categories.map((c) => c.name).sort()).toEqual(['date', 'fig', 'hazelnut']);

      // exporting again into the same folder is refused inline until "replace" is ticked
      await page.getByRole('button', { name: 'Export again' }).click();
      await page.getByTestId('export-outdir').fill(outDir);
      await page.getByTestId('export-start').click();
      await expect.poll(() => page.getByTestId('export-error').textContent()).toMatch(/already exists/);
      await shot('export-exists');
      await page.getByTestId('export-allow-overwrite').click();
      expect(await page.getByTestId('export-overwrite').isChecked()).toBe(true);
      await page.getByTestId('export-start').click();
      await report.waitFor({ timeout: 60_000 });
      await page.getByTestId('export-close').click();
      await expect.poll(() => exportDialog.isVisible()).toBe(false);
      await page.setViewportSize({ width: 1100, height: 640 });
      await shot('project-header-narrow');

      expect(pageErrors).toEqual([]);
    });
  });
}
