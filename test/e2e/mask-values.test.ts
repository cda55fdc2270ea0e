/**
 * The import dialog on a folder of 0/255 masks, in Debian Chromium against browser mode: a
 * malformed value map is refused in the form; "255=Nucleus" maps the masks onto the project's
 * class (no "class 255"), the check lists each value with where it went and its pixels, and the
 * import writes the masks. Screenshots go to test-results/mask-values-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelClass } from '../../core/api/types';
import type { RunningServer } from '../../core/host/serve';
import { decodePng } from '../../core/formats/png-codec';
import { SHOTS, browserSkipReason, importNuclei, openPage, startHost, stopAll, syntheticNuclei } from '../helpers/e2e-app';

const skip = browserSkipReason();

describe.skipIf(skip !== '')(`browser mode: mask values in the annotation import dialog${skip ? ` (${skip})` : ''}`, () => {
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
    const classes = (await server.services.impl.classes.list(projectId)) as LabelClass[];
    expect(classes.map((c) => c.name)).toEqual(['Nucleus']);
    expect(pageErrors).toEqual([]);
  });
});
