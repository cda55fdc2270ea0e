/**
 * Issue 15: browser mode picks folders without typing paths, and takes dropped images.
 * Chromium against the real host: the in-page browser (app.listDirectory) for a new project's
 * folder (with a new folder name) and for the import dialog (keyboard only: type-ahead, Enter,
 * Ctrl+Enter), hidden entries off until asked for; then image files dropped on the grid are
 * uploaded and imported with the same report. Screenshots: test-results/file-picker-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../core/host/serve';
import { SHOTS, browserSkipReason, openPage, startHost, stopAll, syntheticNuclei } from '../helpers/e2e-app';

const skipReason = browserSkipReason();
/** a long project name: shown whole where the header has room (issue 15: truncated with room to spare) */
const LONG_NAME = 'Picked: plate 12, week 3 fluorescence (re-imaged)';

describe.skipIf(skipReason !== '')(`browser mode: file picker and drag and drop${skipReason ? ` (${skipReason})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `file-picker-${name}.png`) });

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-picker-'));
    tmp = fs.realpathSync(tmp);
    const src = path.join(tmp, 'incoming');
    fs.mkdirSync(src);
    const set = await syntheticNuclei(tmp, 6);
    for (const im of set.images) fs.copyFileSync(path.join(set.imagesDir, im.fileName), path.join(src, im.fileName));
    fs.mkdirSync(path.join(tmp, '.secret-stuff'));
    ({ browser, page } = await openPage(pageErrors));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('picks the new project folder and the import folder in the page, then imports dropped files', async () => {
    await page.goto(server.openUrl);
    await page.getByTestId('new-project-name').fill(LONG_NAME);
    await page.getByTestId('new-project-browse').click();
    const fb = page.getByTestId('file-browser');
    await fb.waitFor();
    // places: home first
    await expect.poll(() => page.getByTestId('fb-place').first().getAttribute('data-kind')).toBe('home');
    // go to the test's folder by typing it, as one would paste a path
    await page.getByTestId('fb-path').fill(tmp);
    await page.getByTestId('fb-path').press('Enter');
    const names = () => page.getByTestId('fb-entry').allTextContents();
    await expect.poll(async () => (await names()).join('|')).toMatch(/incoming/);
    expect((await names()).join('|')).not.toMatch(/secret-stuff/); // hidden by default
    await page.getByTestId('fb-hidden').check();
    await expect.poll(async () => (await names()).join('|')).toMatch(/\.secret-stuff/);
    await page.getByTestId('fb-hidden').uncheck();
    await expect.poll(async () => (await names()).join('|')).not.toMatch(/secret-stuff/);
    await page.getByTestId('fb-new-name').fill('picked-project');
    await shot('new-project');
    await page.getByTestId('fb-choose').click();
    await expect.poll(() => fb.count()).toBe(0);
    expect(await page.getByTestId('new-project-dir').inputValue()).toBe(path.join(tmp, 'picked-project'));
    await page.getByTestId('create-project').click();
    await expect.poll(() => fs.existsSync(path.join(tmp, 'picked-project', 'project.sqlite'))).toBe(true);

    // the import dialog's Browse… opens the same picker, where the last one was; keyboard only
    await page.getByTestId('import-button').click();
    await page.getByTestId('import-browse').click();
    await fb.waitFor();
    await expect.poll(() => page.getByTestId('fb-path').inputValue()).toBe(tmp);
    const list = page.getByTestId('fb-list');
    await expect.poll(() => list.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('inc'); // type-ahead to "incoming"
    await expect.poll(() => page.locator('[data-testid="fb-entry"][aria-selected="true"]').textContent()).toMatch(/incoming/);
    await shot('import');
    await page.keyboard.press('Enter'); // into it
    await expect.poll(() => page.getByTestId('fb-path').inputValue()).toBe(path.join(tmp, 'incoming'));
    await page.keyboard.press('Backspace'); // and back up: the folder we came from is selected
    await expect.poll(() => page.locator('[data-testid="fb-entry"][aria-selected="true"]').textContent()).toMatch(/incoming/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('fb-path').inputValue()).toBe(path.join(tmp, 'incoming'));
    await page.keyboard.press('Control+Enter'); // choose the folder shown
    await expect.poll(() => fb.count()).toBe(0);
    expect(await page.getByTestId('import-paths').inputValue()).toBe(path.join(tmp, 'incoming'));
    await page.getByTestId('import-start').click();
    const report = page.getByTestId('import-report');
    await report.waitFor({ timeout: 60_000 });
    await page.getByTestId('import-close').click();
    await expect.poll(() => page.getByTestId('image-count').textContent()).toMatch(/\b6\b/);

    // the header: the whole name where there is room, truncated only where there is none; the
    // status chips never under the search box
    const h1 = page.locator('header h1');
    expect(await h1.textContent()).toBe(LONG_NAME);
    const fits = () => h1.evaluate((h) => h.scrollWidth <= h.clientWidth && h.clientWidth > 0);
    await page.setViewportSize({ width: 2560, height: 800 });
    expect(await fits()).toBe(true); // room enough: the whole name (it was cut at 320 px before)
    for (const width of [1920, 1440, 1280, 1100]) {
      await page.setViewportSize({ width, height: 800 });
      const reviewed = (await page.getByRole('group', { name: 'Filter by status' }).locator('button').last().boundingBox())!;
      const right = (await page.locator('header .right').boundingBox())!;
      const searchBox = (await page.getByPlaceholder('Search file names').boundingBox())!;
      await shot(`header-${width}`);
      expect(reviewed.x + reviewed.width, `width ${width}`).toBeLessThanOrEqual(searchBox.x);
      // a few letters of the name stay, and nothing is pushed off the window
      expect((await h1.boundingBox())!.width, `width ${width}`).toBeGreaterThanOrEqual(60);
      const importBtn = (await page.getByTestId('import-button').boundingBox())!;
      expect(importBtn.x + importBtn.width, `width ${width}`).toBeLessThanOrEqual(width);
      // truncated only where the header has no room left (the free gap before the buttons is at most the 24 px gap)
      if (!(await fits())) expect(right.x - (reviewed.x + reviewed.width), `width ${width}`).toBeLessThanOrEqual(26);
    }
    await page.setViewportSize({ width: 1440, height: 900 });

    // drag and drop: two PNGs and a text file dropped on the grid
    const png = async (r: number, g: number) => (await sharp({ create: { width: 48, height: 32, channels: 3, background: { r, g, b: 40 } } }).png().toBuffer()).toString('base64');
    const files = [
      { name: 'dropped-a.png', b64: await png(220, 30), type: 'image/png' },
      { name: 'dropped-b.png', b64: await png(30, 220), type: 'image/png' },
      { name: 'readme.txt', b64: Buffer.from('not an image').toString('base64'), type: 'text/plain' },
      { name: 'broken.png', b64: Buffer.from('not a png at all').toString('base64'), type: 'image/png' },
    ];
    await page.evaluate((fs_) => {
      const dt = new DataTransfer();
      for (const f of fs_) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      const target = document.querySelector('[data-testid="grid-drop"]')!;
      target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      (window as unknown as { __dt: DataTransfer }).__dt = dt;
    }, files);
    await page.getByTestId('drop-overlay').waitFor();
    await shot('drop-hover');
    await page.evaluate(() => {
      const dt = (window as unknown as { __dt: DataTransfer }).__dt;
      document.querySelector('[data-testid="grid-drop"]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await report.waitFor({ timeout: 60_000 });
    await expect.poll(() => report.textContent()).toMatch(/Imported 2 images/);
    // the same report as an import: the unreadable file is listed, its folder read as "dropped files"
    expect(await report.textContent()).toMatch(/broken\.png\s*dropped files/);
    await shot('drop-report');
    await page.getByTestId('import-close').click();
    await expect.poll(() => page.getByTestId('image-count').textContent()).toMatch(/\b8\b/);
    // copied into the project's images/, the staging folder gone
    const imagesDir = path.join(tmp, 'picked-project', 'images');
    expect(fs.readdirSync(imagesDir).filter((f) => /dropped-[ab]\.png$/.test(f))).toHaveLength(2);
    await expect.poll(() => (fs.existsSync(path.join(tmp, 'picked-project', '.uploads')) ? fs.readdirSync(path.join(tmp, 'picked-project', '.uploads')).length : 0)).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
