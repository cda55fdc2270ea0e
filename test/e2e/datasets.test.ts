/**
 * Dataset import and export end to end, in Debian Chromium against browser mode: create a
 * project, import the 18 fruits-nuts images, "Import annotations…" from the COCO file (a bad
 * path first, to see the fatal problem inline), check the dry run (18 matched, 165 instances, 3 classes;
 * leaving a class out and taking it back plans again), import, then "Export…" COCO with a split
 * and read the report and the files it wrote. Screenshots go to test-results/datasets-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelClass, RecentProject } from '../../core/api/types';
import type { RunningServer } from '../../core/host/serve';
import { SHOTS, browserSkipReason, callApi, openPage, startHost, stopAll } from '../helpers/e2e-app';
import { FRUITS_DIR, hasFruits } from '../helpers/paths';

const COCO_JSON = path.join(FRUITS_DIR, 'annotations_coco.json');
const skipReason = browserSkipReason(hasFruits && fs.existsSync(COCO_JSON));

describe.skipIf(skipReason !== '')(`browser mode: annotation import and dataset export${skipReason ? ` (${skipReason})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const api = <T>(channel: string, ...args: unknown[]): Promise<T> => callApi<T>(server, channel, ...args);

  /** the id of the one project this test creates */
  async function projectId(): Promise<string> {
    const recent = await api<RecentProject[]>('projects.listRecent');
    expect(recent).toHaveLength(1);
    return recent[0]!.id;
  }

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(SHOTS, `datasets-${name}.png`) });

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-datasets-'));
    ({ browser, page } = await openPage(pageErrors));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('imports COCO annotations after a dry run, then exports the project as COCO', async () => {
    await page.goto(server.openUrl);
    await page.waitForFunction(() => !location.search.includes('token='));

    // a project with the 18 images
    const projectDir = path.join(tmp, 'fruits-project');
    await page.getByTestId('new-project-name').fill('Fruits and nuts');
    await page.getByTestId('new-project-dir').fill(projectDir);
    await page.getByTestId('create-project').click();
    await page.getByTestId('import-button').click();
    await page.getByTestId('import-paths').fill(path.join(FRUITS_DIR, 'images'));
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-report').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('import-report').getAttribute('data-imported')).toBe('18');
    await page.getByTestId('import-close').click();
    await expect.poll(() => page.getByTestId('image-count').getAttribute('data-count')).toBe('18');
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

    await page.getByTestId('annimport-path').fill(COCO_JSON);
    await shot('import-form');
    await page.getByTestId('annimport-check').click();
    const plan = page.getByTestId('annimport-plan');
    await plan.waitFor({ timeout: 30_000 });
    expect(await plan.getAttribute('data-matched')).toBe('18');
    expect(await plan.getAttribute('data-dataset-images')).toBe('18');
    expect(await plan.getAttribute('data-instances')).toBe('165');
    expect(await plan.getAttribute('data-classes')).toBe('3');
    expect(await plan.textContent()).toMatch(/Nothing has been written yet/);
    expect(await page.getByTestId('annimport-matched').textContent()).toMatch(/18\s+of 18 images matched/);
    const classRows = page.getByTestId('annimport-class');
    expect(await classRows.count()).toBe(3);
    expect((await classRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-source')))).sort()).toEqual(['date', 'fig', 'hazelnut']);
    const perClass = await classRows.evaluateAll((rows) => rows.reduce((n, r) => n + Number(r.getAttribute('data-instances')), 0));
    expect(perClass).toBe(165);
    // still nothing written by the dry run
    expect(await api<LabelClass[]>('classes.list', await projectId())).toEqual([]);
    await shot('import-plan');

    // leaving a class out plans again (fewer instances); taking it back restores the count
    const hazelnut = page.locator('[data-testid="annimport-class"][data-source="hazelnut"]');
    const hazelnutCount = Number(await hazelnut.getAttribute('data-instances'));
    await hazelnut.getByTestId('annimport-map').selectOption('skip');
    await expect.poll(() => plan.getAttribute('data-instances')).toBe(String(165 - hazelnutCount));
    await shot('import-plan-left-out');
    await hazelnut.getByTestId('annimport-map').selectOption('same');
    await expect.poll(() => plan.getAttribute('data-instances')).toBe('165');
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
    expect(await result.getAttribute('data-images')).toBe('18');
    expect(await result.getAttribute('data-instances')).toBe('165');
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
    // imported masks leave the images 'unlabeled': the default takes every status then
    expect(await page.getByTestId('export-status-unlabeled').isChecked()).toBe(true);
    await page.getByTestId('export-status-all').click();
    const outDir = path.join(tmp, 'exports', 'fruits-coco');
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
    expect(await report.getAttribute('data-images')).toBe('18');
    expect(await report.getAttribute('data-instances')).toBe('165');
    expect(await page.getByTestId('export-totals').textContent()).toMatch(/18 images · 165 instances/);
    const splitImages = await page.getByTestId('export-split-row').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-split'), Number(r.children[1]?.textContent)]));
    expect(splitImages.map(([s]) => s).sort()).toEqual(['test', 'train', 'val']);
    expect(splitImages.reduce((n, [, v]) => n + Number(v), 0)).toBe(18);
    expect(await page.getByTestId('export-category').count()).toBe(3);
    expect(await page.getByTestId('export-coco-counts').textContent()).toMatch(/polygon.*RLE/);
    await shot('export-report');

    expect(fs.existsSync(outDir)).toBe(true);
    const jsons = ['train', 'val', 'test'].map((s) => path.join(outDir, 'annotations', `instances_${s}.json`));
    for (const j of jsons) expect(fs.existsSync(j)).toBe(true);
    const parsed = jsons.map((j) => JSON.parse(fs.readFileSync(j, 'utf8')) as { images: unknown[]; annotations: unknown[]; categories: { name: string }[] });
    expect(parsed.reduce((n, d) => n + d.images.length, 0)).toBe(18);
    expect(parsed.reduce((n, d) => n + d.annotations.length, 0)).toBe(165);
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
