/**
 * End to end in Debian Chromium against browser mode: create a project, import a folder,
 * see the thumbnails, reload and still see them. Screenshots go to test-results/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../core/host/serve';
import { SHOTS, browserSkipReason, openPage, startHost, stopAll, syntheticNuclei } from '../helpers/e2e-app';

const skipReason = browserSkipReason();

describe.skipIf(skipReason !== '')(`browser mode: create, import, browse${skipReason ? ` (${skipReason})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-'));
    // a folder of 24 synthetic microscopy images plus one corrupt file, to see the skip report
    const src = path.join(tmp, 'incoming');
    fs.mkdirSync(src);
    const set = await syntheticNuclei(tmp, 24);
    for (const im of set.images) fs.copyFileSync(path.join(set.imagesDir, im.fileName), path.join(src, im.fileName));
    fs.writeFileSync(path.join(src, 'broken.png'), 'this is not a png');
    ({ browser, page } = await openPage(pageErrors));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('creates a project, imports a folder, shows thumbnails, and still shows them after a reload', async () => {
    await page.goto(server.openUrl);
    // the token leaves the visible URL once the cookie is set
    await page.waitForFunction(() => !location.search.includes('token='));
    await page.screenshot({ path: path.join(SHOTS, 'e2e-start-screen.png') });

    const projectDir = path.join(tmp, 'nuclei-project');
    await page.getByTestId('new-project-name').fill('Nuclei');
    await page.getByTestId('new-project-dir').fill(projectDir);
    await page.getByTestId('create-project').click();
    await expect.poll(() => fs.existsSync(path.join(projectDir, 'project.sqlite'))).toBe(true);

    await page.getByTestId('import-button').click();
    await page.getByTestId('import-paths').fill(path.join(tmp, 'incoming'));
    await page.getByTestId('import-start').click();
    const report = page.getByTestId('import-report');
    await report.waitFor({ timeout: 60_000 });
    await expect.poll(async () => report.textContent()).toMatch(/24/);
    expect(await report.textContent()).toMatch(/broken\.png/);
    await page.screenshot({ path: path.join(SHOTS, 'e2e-import-report.png') });
    await page.getByTestId('import-close').click();

    await expect.poll(() => page.getByTestId('image-count').textContent()).toMatch(/24/);
    const cells = page.getByTestId('thumb-cell');
    await expect.poll(() => cells.count()).toBeGreaterThan(0);
    await expect.poll(() => loadedThumbs(page)).toBeGreaterThanOrEqual(Math.min(12, 24));
    // the compute backend is visible at a glance (wasm CPU here: no GPU, no tfjs-node)
    await expect.poll(() => page.getByTestId('status-compute').textContent(), { timeout: 20_000 }).toMatch(/Compute: (GPU \(CUDA\)|native CPU|wasm CPU|JS CPU)/);
    await page.screenshot({ path: path.join(SHOTS, 'e2e-project-grid.png') });

    await page.reload();
    await expect.poll(() => page.getByTestId('image-count').textContent(), { timeout: 15_000 }).toMatch(/24/);
    await expect.poll(() => loadedThumbs(page)).toBeGreaterThanOrEqual(12);
    await page.screenshot({ path: path.join(SHOTS, 'e2e-after-reload.png') });
    expect(pageErrors).toEqual([]);
  });
});

/** thumbnails that actually decoded (not just <img> elements) */
function loadedThumbs(page: Page): Promise<number> {
  return page.evaluate(
    () => [...document.querySelectorAll('[data-testid="thumb-cell"] img')].filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length,
  );
}
