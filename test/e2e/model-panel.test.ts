/**
 * The model panel end to end, in Debian Chromium against browser mode: a project of six synthetic
 * microscopy images (made in the test), four of them labelled (semantic masks saved through the services) and done.
 * Open the panel with `M` (the grid keeps most of a 1440x900 window), pre-label is disabled
 * without a model, start a short run (30 steps), see the loss chart draw and survive closing and
 * reopening the panel mid-run, the status bar's training indicator, the run finish with an
 * activated version that has a validation IoU; export it to a .mwmodel, import it back,
 * activate the copy and delete the original (confirmed); pre-label the two unlabeled images;
 * the queue order selector is a remembered preference and "Label next" opens an unlabeled
 * image. Screenshots go to test-results/model-panel-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow, ModelVersionInfo } from '../../core/api/types';
import type { RunningServer } from '../../core/host/serve';
import { LabelMap } from '../../core/mask/label-map';
import { SHOTS, browserSkipReason, importNuclei, openPage, startHost, stopAll, syntheticNuclei } from '../helpers/e2e-app';

const skipReason = browserSkipReason();

describe.skipIf(skipReason !== '')(`browser mode: the model panel${skipReason ? ` (${skipReason})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  let unlabeledIds: number[] = [];
  const pageErrors: string[] = [];
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(SHOTS, `model-panel-${name}.png`) });

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-model-'));
    const svc = server.services;
    const set = await syntheticNuclei(tmp, 6);
    const p = await importNuclei(server, tmp, set, ['Nucleus']);
    projectId = p.id;
    const classId = p.classes[0]!.id;
    const rows: ImageRow[] = (await svc.impl.images.list(projectId, { sort: 'name' })).items;
    // four labelled from the dataset's semantic masks (one instance per image is enough to train)
    for (const row of rows.slice(0, 4)) {
      const { data, info } = await sharp(path.join(set.dir, 'semantic_masks', row.fileName)).greyscale().raw().toBuffer({ resolveWithObject: true });
      const m = new LabelMap(info.width, info.height);
      const inst = m.addInstance({ classId });
      for (let i = 0; i < data.length; i++) if (data[i]! > 127) m.ids[i] = inst.id;
      await svc.impl.masks.save(projectId, row.id, { labelMap: m.encode(), expectedVersion: 0, addTimeMs: 120_000 });
      await svc.impl.images.setStatus(projectId, [row.id], 'done');
    }
    unlabeledIds = rows.slice(4).map((r) => r.id);
    ({ browser, page } = await openPage(pageErrors, { consoleErrors: true }));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('trains a short run with live charts, manages versions, pre-labels, and opens the next image from the queue', async () => {
    await page.goto(server.openUrl);
    await page.getByTestId('recent-project').first().getByRole('button', { name: /Open Nuclei/ }).click();
    await page.getByTestId('thumb-cell').first().waitFor();
    await expect.poll(() => page.getByTestId('status-compute').textContent(), { timeout: 30_000 }).toMatch(/Compute: (GPU|native CPU|wasm CPU|JS CPU)/);

    // --- the panel: M opens it beside the grid ---
    await page.getByTestId('thumb-grid').focus();
    await page.keyboard.press('m');
    const panel = page.getByTestId('model-panel');
    await panel.waitFor();
    await expect.poll(() => page.getByTestId('model-active').textContent()).toMatch(/No active model yet/);
    const gridBox = (await page.getByTestId('thumb-grid').boundingBox())!;
    const panelBox = (await panel.boundingBox())!;
    expect(panelBox.width).toBeLessThanOrEqual(400);
    expect(gridBox.width).toBeGreaterThanOrEqual(1000);
    expect(gridBox.x + gridBox.width).toBeLessThanOrEqual(panelBox.x + 1);
    await shot('open');
    // the header still fits: the project's name is readable, the status filters are not covered
    expect(await page.locator('header h1').evaluate((h) => h.scrollWidth <= h.clientWidth && h.clientWidth > 0)).toBe(true);
    const chips = (await page.getByRole('group', { name: 'Filter by status' }).boundingBox())!;
    const searchBox = (await page.getByPlaceholder('Search file names').boundingBox())!;
    expect(chips.x + chips.width).toBeLessThanOrEqual(searchBox.x);

    // pre-label says why it cannot run yet
    await page.getByTestId('model-tab-prelabel').click();
    expect(await page.getByTestId('prelabel-start').isDisabled()).toBe(true);
    expect(await page.getByTestId('prelabel-reason').textContent()).toMatch(/No active model/);

    // --- a short run ---
    await page.getByTestId('model-tab-train').click();
    await panel.getByText('Advanced').click();
    await page.getByTestId('train-max-steps').fill('30');
    await page.getByTestId('train-budget').selectOption('120');
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress').waitFor({ timeout: 30_000 });
    // the loss chart is a uPlot canvas and fills as steps arrive
    await page.locator('[data-testid="chart-loss"] canvas').first().waitFor();
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 180_000, interval: 500 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => page.getByTestId('status-training').textContent()).toMatch(/Training \d+%/);
    // the limit that ends the run is what the line counts: time left, or steps of the step limit
    expect(await page.getByTestId('train-progress-text').textContent()).toMatch(/^\d+% · (.+ left|estimating time left…|step \d+\/30( · .+ left)?)$/);
    await shot('training');

    // closing and reopening the panel mid-run rebuilds the curve (training.status)
    const before = Number(await page.getByTestId('chart-loss').getAttribute('data-points'));
    await page.getByTestId('model-panel-close').click();
    await expect.poll(() => panel.count()).toBe(0);
    await page.getByTestId('status-training').click(); // the status bar's indicator opens it
    await panel.waitFor();
    const phaseNow = await page.getByTestId('train-run').getAttribute('data-phase');
    if (phaseNow === 'running') {
      expect(Number(await page.getByTestId('chart-loss').getAttribute('data-points'))).toBeGreaterThanOrEqual(before);
    }

    // the run ends: a version, activated, with its validation IoU; the log says why
    await expect.poll(() => page.getByTestId('train-run').getAttribute('data-phase'), { timeout: 300_000, interval: 1000 }).toBe('finished');
    const log = (await page.getByTestId('train-log').textContent()) ?? '';
    expect(log).toMatch(/Started training/);
    expect(log).toMatch(/Validation at step \d+: IoU/);
    expect(log).toMatch(/activated — no model was active/);
    // validated at every 20 % of the run: at least 5 points even on a 30-step run
    await expect.poll(async () => Number(await page.getByTestId('chart-val').getAttribute('data-points'))).toBeGreaterThanOrEqual(5);
    // and the result in words: usable, or too weak to use
    await expect.poll(() => page.getByTestId('train-verdict').textContent()).toMatch(/^Result: val IoU \d\.\d\d.*(good enough to pre-label|too weak to use|no better than the trivial baseline)/);
    expect(await page.getByTestId('train-perclass').textContent()).toMatch(/Nucleus/);
    await shot('finished');

    await page.getByTestId('model-tab-versions').click();
    const versionsList = page.getByTestId('model-version');
    await expect.poll(() => versionsList.count()).toBe(1);
    const first = versionsList.first();
    expect(await first.getAttribute('data-active')).toBe('true');
    expect(await first.getAttribute('data-kind')).toBe('segmentation');
    const iou = Number(await first.getAttribute('data-iou'));
    expect(iou).toBeGreaterThanOrEqual(0);
    expect(iou).toBeLessThanOrEqual(1);
    expect(await page.getByTestId('model-active').textContent()).toMatch(/IoU \d\.\d{3}/);
    const firstId = Number(await first.getAttribute('data-id'));

    // export it, import it back (a second version, not active), activate the copy, delete the original
    const file = path.join(tmp, 'exported.mwmodel');
    await first.getByTestId('model-export').click();
    await first.getByTestId('model-export-path').fill(file);
    await first.getByTestId('model-export-apply').click();
    await expect.poll(() => fs.existsSync(file), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('model-import-toggle').click();
    await page.getByTestId('model-import-path').fill(file);
    await page.getByTestId('model-import-apply').click();
    await expect.poll(() => versionsList.count(), { timeout: 30_000 }).toBe(2);
    const copy = page.locator(`[data-testid="model-version"]:not([data-id="${firstId}"])`);
    expect(await copy.getAttribute('data-active')).toBe('false');
    await shot('versions');
    await copy.getByTestId('model-activate').click();
    await expect.poll(() => copy.getAttribute('data-active')).toBe('true');
    const original = page.locator(`[data-testid="model-version"][data-id="${firstId}"]`);
    await expect.poll(() => original.getByTestId('model-activate').textContent()).toMatch(/Roll back/);
    await original.getByTestId('model-delete').click();
    await shot('delete-confirm');
    await original.getByTestId('model-delete-confirm').click();
    await expect.poll(() => versionsList.count()).toBe(1);
    const left = await server.services.impl.models.list(projectId);
    expect(left.map((v: ModelVersionInfo) => v.isActive)).toEqual([true]);

    // --- pre-label the two unlabeled images ---
    await page.getByTestId('model-tab-prelabel').click();
    // the model's quality, with its uncertainty, before proposals are made
    const quality = page.getByTestId('prelabel-quality');
    expect(await quality.textContent()).toMatch(/val IoU \d\.\d\d( ± \d\.\d\d)?/);
    expect(await page.getByTestId('prelabel-min-size').inputValue()).toBe('24');
    if ((await quality.getAttribute('data-weak')) === 'true') {
      // a weak model (30 steps) needs an explicit "pre-label anyway" before a batch
      expect(await page.getByTestId('prelabel-weak').textContent()).toMatch(/too weak|baseline/);
      expect(await page.getByTestId('prelabel-start').isDisabled()).toBe(true);
      await shot('weak-warning');
      await page.getByTestId('prelabel-weak-confirm').check();
    }
    await expect.poll(() => page.getByTestId('prelabel-start').isEnabled()).toBe(true);
    expect(await page.getByTestId('prelabel-start').textContent()).toMatch(/Pre-label 2 images/);
    await page.getByTestId('prelabel-start').click();
    const result = page.getByTestId('prelabel-result');
    await result.waitFor({ timeout: 120_000 });
    expect(await result.getAttribute('data-done')).toBe('2');
    expect(await result.getAttribute('data-failed')).toBe('0');
    for (const id of unlabeledIds) expect(await server.services.impl.predictions.latest(projectId, id)).not.toBeNull();
    await shot('prelabelled');

    // finishing a pre-labelled image (its final mask, 30 s of editing) scores the proposal
    const done = unlabeledIds[0]!;
    const pred = (await server.services.impl.predictions.latest(projectId, done))!;
    const finalMask = LabelMap.decode(pred.labelMap);
    await server.services.impl.masks.save(projectId, done, { labelMap: finalMask.encode(), expectedVersion: 0, addTimeMs: 30_000 });
    await server.services.impl.images.setStatus(projectId, [done], 'done');
    await page.getByTestId('model-tab-savings').click();
    await page.getByTestId('model-savings').waitFor();
    await expect.poll(() => page.getByTestId('savings-summary').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('savings-summary').textContent()).toMatch(/proposals: \d\.\d\d IoU with your final masks, 30 s editing per image vs 2 min 0 s unassisted/);
    await page.locator('[data-testid="chart-savings"] canvas').first().waitFor();
    await shot('savings');

    // --- the queue: the order is a remembered preference; Label next opens an unlabeled image ---
    await page.getByTestId('queue-order').selectOption('sequential');
    expect(await page.evaluate(() => JSON.parse(localStorage.getItem('maskwright.prefs') ?? '{}').queueOrder)).toBe('sequential');
    await page.getByTestId('label-next').click();
    await page.getByTestId('editor').waitFor({ timeout: 15_000 });
    const m = /#\/edit\/(\d+)\//.exec(await page.evaluate(() => location.hash));
    expect(m).not.toBeNull();
    expect(unlabeledIds.slice(1)).toContain(Number(m![1]));
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('editor').count(), { timeout: 10_000 }).toBe(0);
    await page.reload();
    await page.getByTestId('thumb-cell').first().waitFor();
    expect(await page.getByTestId('queue-order').inputValue()).toBe('sequential');
    // the panel state survives a reload too
    await page.getByTestId('model-panel').waitFor();
    await shot('after-reload');

    expect(pageErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  }, 600_000);
});
