/**
 * The labelling editor end to end, in Debian Chromium against browser mode: open an image,
 * paint, erase, draw a polygon, fill, undo twice, redo once, reload -> the stored mask and the
 * editor's mask are exactly what they were (and so is the undo history); switch class with the
 * `2` hotkey and paint; mark the image done; and a mask blob that does not decode is shown as
 * an error and never overwritten. Screenshots go to test-results/editor-*.png.
 *
 * The page is opened with `?debug`, which exposes a read-only `window.__maskwright_debug`
 * (state, mask checksum, image -> page coordinates, a promise for "all saves done").
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow, LabelClass, MaskState } from '../../core/api/types';
import type { RunningServer } from '../../core/host/serve';
import { LabelMap, crc32 } from '../../core/mask/label-map';
import { SHOTS, browserSkipReason, callApi, importNuclei, openPage, startHost, stopAll, syntheticNuclei } from '../helpers/e2e-app';
import { editorDebug, openFirstImageInEditor } from '../helpers/editor-debug';
import type { EditorDebugState } from '../../renderer/src/lib/editor/editor-debug-hook';

const skipReason = browserSkipReason();


describe.skipIf(skipReason !== '')(`browser mode: the labelling editor${skipReason ? ` (${skipReason})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  let rows: ImageRow[];
  let classes: LabelClass[];
  const pageErrors: string[] = [];

  const api = <T>(channel: string, ...args: unknown[]): Promise<T> => callApi<T>(server, channel, ...args);
  const { state, checksum, whenSaved, at, drag, click } = editorDebug<EditorDebugState>(() => page);

  async function storedMask(imageId: number): Promise<{ state: MaskState; map: LabelMap | null }> {
    const s = await api<MaskState>('masks.load', projectId, imageId);
    return { state: s, map: s.labelMap ? LabelMap.decode(s.labelMap) : null };
  }

  async function openedEditable(imageId: number): Promise<void> {
    await expect.poll(async () => (await state()).imageId, { timeout: 15_000 }).toBe(imageId);
    await expect.poll(async () => {
      const s = await state();
      return s.editable && s.imagePainted;
    }, { timeout: 15_000 }).toBe(true);
  }

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-editor-'));
    projectId = (await importNuclei(server, tmp, await syntheticNuclei(tmp, 3), ['Nucleus', 'Cytoplasm'])).id;
    rows = (await api<{ items: ImageRow[] }>('images.list', projectId, { sort: 'name' })).items; // the grid's order
    classes = await api<LabelClass[]>('classes.list', projectId);
    ({ browser, page } = await openPage(pageErrors));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('paints, erases, draws a polygon, fills, undoes and redoes; a reload shows exactly the stored mask', async () => {
    await openFirstImageInEditor(page, server.openUrl);
    const row = rows[0]!;
    await openedEditable(row.id);
    expect(await page.getByTestId('editor-position').textContent()).toBe('1 / 3');
    await page.screenshot({ path: path.join(SHOTS, 'editor-open.png') });

    const W = row.width;
    const H = row.height;
    const y1 = Math.round(H * 0.25);
    // 1. brush stroke across the image (class 1, a new instance)
    await page.keyboard.press('b');
    await drag([[W * 0.15, y1], [W * 0.5, y1], [W * 0.85, y1]]);
    await expect.poll(async () => (await state()).undoDepth).toBe(1);
    // 2. eraser through the middle of it
    await page.keyboard.press('e');
    expect((await state()).tool).toBe('eraser');
    await drag([[W * 0.5, y1 - 20], [W * 0.5, y1 + 20]]);
    await expect.poll(async () => (await state()).undoDepth).toBe(2);
    // 3. polygon: four clicks and Enter
    await page.keyboard.press('p');
    const poly: Array<[number, number]> = [
      [W * 0.2, H * 0.5],
      [W * 0.55, H * 0.5],
      [W * 0.55, H * 0.85],
      [W * 0.2, H * 0.85],
    ];
    for (const [x, y] of poly) await click(x, y);
    const hover = await at(W * 0.3, H * 0.7);
    await page.mouse.move(hover.x, hover.y);
    expect((await state()).statePath).toBe('polygon.drawing');
    await page.screenshot({ path: path.join(SHOTS, 'editor-polygon-drawing.png') });
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await state()).undoDepth).toBe(3);
    // 4. fill the background region with the fill tool
    await page.keyboard.press('f');
    await click(W * 0.9, H * 0.95);
    await expect.poll(async () => (await state()).undoDepth).toBe(4);
    await page.screenshot({ path: path.join(SHOTS, 'editor-filled.png') });
    const afterFill = await checksum();
    // 5. undo twice (fill, polygon), redo once (polygon)
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(async () => {
      const s = await state();
      return [s.undoDepth, s.redoDepth];
    }).toEqual([3, 1]);
    expect(await whenSaved()).toBe('saved');
    await expect.poll(() => page.getByTestId('save-state').getAttribute('data-state')).toBe('saved');
    const before = await checksum();
    expect(before).not.toBe(afterFill);
    await page.screenshot({ path: path.join(SHOTS, 'editor-painted.png') });

    // the stored mask is the editor's mask, byte for byte, with the history beside it
    const stored = await storedMask(row.id);
    expect(stored.state.labelMap).not.toBeNull();
    expect(crc32(stored.state.labelMap!)).toBe(before);
    expect(stored.state.history.undo.length).toBe(3);
    expect(stored.state.history.redo.length).toBe(1);
    expect(stored.state.editCount).toBe(7); // 4 gestures + 2 undo + 1 redo
    const map = stored.map!;
    const id = (x: number, y: number) => map.at(Math.floor(x), Math.floor(y));
    expect(id(W * 0.2, y1)).not.toBe(0); // brush
    expect(id(W * 0.8, y1)).not.toBe(0);
    expect(id(W * 0.5, y1)).toBe(0); // erased
    expect(id(W * 0.35, H * 0.7)).not.toBe(0); // polygon (redone)
    expect(id(W * 0.9, H * 0.95)).toBe(0); // fill (undone)
    // the erased gap split the stroke: in instance mode the right half keeps the stroke's id
    expect(id(W * 0.2, y1)).toBe(id(W * 0.8, y1));
    for (const inst of map.instances()) expect(inst.classId).toBe(classes[0]!.id);
    expect((await api<ImageRow>('images.get', projectId, row.id)).status).toBe('in_progress');

    // reload: the same image opens again (the address keeps it), with the same mask and history
    await page.reload();
    await openedEditable(row.id);
    expect(await checksum()).toBe(before);
    const s = await state();
    expect([s.undoDepth, s.redoDepth]).toEqual([3, 1]);
    expect(crc32((await storedMask(row.id)).state.labelMap!)).toBe(before);
    await page.screenshot({ path: path.join(SHOTS, 'editor-after-reload.png') });

    // the reloaded history still works: redo the fill, undo it again
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(async () => (await state()).redoDepth).toBe(0);
    expect(await checksum()).toBe(afterFill);
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await state()).redoDepth).toBe(1);
    expect(await checksum()).toBe(before);
    expect(await whenSaved()).toBe('saved');
  });

  it('switches class with the 2 hotkey, paints with it, and marks the image done', async () => {
    const row = rows[0]!;
    const [c1, c2] = classes;
    expect((await state()).activeClassId).toBe(c1!.id);
    await page.keyboard.press('2');
    expect((await state()).activeClassId).toBe(c2!.id);
    await expect.poll(() => page.locator(`[data-testid="class-row"][data-class-id="${c2!.id}"]`).getAttribute('data-active')).toBe('true');
    await page.keyboard.press('b');
    const y = Math.round(row.height * 0.08);
    await drag([[row.width * 0.3, y], [row.width * 0.7, y]]);
    expect(await whenSaved()).toBe('saved');
    const map = (await storedMask(row.id)).map!;
    const painted = map.at(Math.floor(row.width * 0.5), y);
    expect(painted).not.toBe(0);
    expect(map.getInstance(painted)?.classId).toBe(c2!.id);
    await expect.poll(() => page.locator(`[data-testid="instance-row"][data-instance-id="${painted}"]`).getAttribute('data-class-id')).toBe(String(c2!.id));
    await page.screenshot({ path: path.join(SHOTS, 'editor-class-2.png') });

    await page.keyboard.press('?');
    await page.getByTestId('editor-help').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'editor-help.png') });
    await page.keyboard.press('Escape');
    await page.getByTestId('editor-help').waitFor({ state: 'detached' });
    expect(await page.getByTestId('editor').isVisible()).toBe(true);

    // the engine's messages show inside the editor (a polygon of two points draws nothing)
    await page.keyboard.press('p');
    await click(row.width * 0.1, row.height * 0.6);
    await click(row.width * 0.3, row.height * 0.6);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('editor-notices').textContent()).toMatch(/at least 3 points/);
    await page.screenshot({ path: path.join(SHOTS, 'editor-notice.png') });

    // Ctrl+Enter: done, and on to the next image
    await page.keyboard.press('Control+Enter');
    await expect.poll(async () => (await api<ImageRow>('images.get', projectId, row.id)).status).toBe('done');
    await openedEditable(rows[1]!.id);
    expect(await page.getByTestId('editor-position').textContent()).toBe('2 / 3');
    expect(await page.getByTestId('editor-status').getAttribute('data-status')).toBe('unlabeled');
    await page.screenshot({ path: path.join(SHOTS, 'editor-next-image.png') });
  });

  it('shows a mask that fails to decode as an error, keeps editing off and leaves the stored blob untouched', async () => {
    const row = rows[2]!;
    // a corrupt blob written straight into the store (the service would refuse it)
    const store = server.services.registry.get(projectId);
    const bad = new Uint8Array([77, 87, 76, 77, 1, 0, 0, 0, 9, 9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8]);
    store.annotations.save(row.id, bad);
    const before = await storedMask(row.id).catch(() => null);
    const versionBefore = (await api<MaskState>('masks.load', projectId, row.id)).version;
    expect(before).toBeNull(); // LabelMap.decode throws on it

    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await state()).imageId, { timeout: 15_000 }).toBe(row.id);
    await expect.poll(async () => (await state()).problem, { timeout: 15_000 }).toBe('decode');
    await expect.poll(async () => (await state()).imagePainted).toBe(true);
    const banner = page.getByTestId('editor-banner');
    expect(await banner.getAttribute('data-kind')).toBe('decode');
    expect(await banner.textContent()).toMatch(/could not be read; the stored data was left untouched/);
    expect((await state()).editable).toBe(false);
    expect(await page.getByTestId('save-state').getAttribute('data-state')).toBe('read-only');
    // painting does nothing (there is no editor for this image), nothing is saved
    await drag([[row.width * 0.2, row.height * 0.5], [row.width * 0.8, row.height * 0.5]]);
    await page.keyboard.press('Control+z');
    await page.waitForTimeout(300);
    const after = await api<MaskState>('masks.load', projectId, row.id);
    expect(after.version).toBe(versionBefore);
    expect(Buffer.from(after.labelMap!).equals(Buffer.from(bad))).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'editor-decode-error.png') });

    // Esc returns to the grid, on the image that was open
    await page.keyboard.press('Escape');
    await page.getByTestId('editor').waitFor({ state: 'detached' });
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('');
    await page.screenshot({ path: path.join(SHOTS, 'editor-back-to-grid.png') });
    expect(pageErrors).toEqual([]);
  });

  it('manages classes (add + rename, recolour, reorder, hide) and reports a version conflict with a reload', async () => {
    const row = rows[1]!;
    await page.getByTestId('thumb-cell').nth(1).dblclick();
    await openedEditable(row.id);
    expect(await page.getByTestId('editor-file').textContent()).toBe(row.fileName);

    // add a class: it is created, becomes active and is renamed in place
    await page.getByTestId('class-add').click();
    const rename = page.locator('input[data-rename]');
    await rename.waitFor();
    await rename.fill('Debris');
    await rename.press('Enter');
    await expect.poll(async () => (await api<LabelClass[]>('classes.list', projectId)).map((c) => c.name)).toEqual(['Nucleus', 'Cytoplasm', 'Debris']);
    const debris = (await api<LabelClass[]>('classes.list', projectId))[2]!;
    expect((await state()).activeClassId).toBe(debris.id);
    // recolour
    await page.locator(`[data-testid="class-row"][data-class-id="${debris.id}"] input[type="color"]`).fill('#e03c8a');
    await expect.poll(async () => (await api<LabelClass[]>('classes.list', projectId))[2]!.color.toLowerCase()).toBe('#e03c8a');
    // reorder: up once -> it becomes class 2 (hotkey 2)
    await page.getByRole('button', { name: 'Move Debris up' }).click();
    await expect.poll(async () => (await api<LabelClass[]>('classes.list', projectId)).map((c) => c.name)).toEqual(['Nucleus', 'Debris', 'Cytoplasm']);
    await page.locator('[data-editor-root]').focus();
    await page.keyboard.press('1');
    await page.keyboard.press('2');
    expect((await state()).activeClassId).toBe(debris.id);
    // hide: the toggle is stored
    await page.locator(`[data-testid="class-row"][data-class-id="${classes[0]!.id}"] [data-testid="class-hide"]`).click();
    await expect.poll(async () => (await api<LabelClass[]>('classes.list', projectId))[0]!.hidden).toBe(true);
    await page.locator(`[data-testid="class-row"][data-class-id="${classes[0]!.id}"] [data-testid="class-hide"]`).click();
    await expect.poll(async () => (await api<LabelClass[]>('classes.list', projectId))[0]!.hidden).toBe(false);
    await page.screenshot({ path: path.join(SHOTS, 'editor-classes.png') });

    // a stroke, then "another window" saves this image: the next save is a conflict
    const y = Math.round(row.height * 0.5);
    await page.locator('[data-editor-root]').focus();
    await page.keyboard.press('b');
    await drag([[row.width * 0.2, y], [row.width * 0.6, y]]);
    expect(await whenSaved()).toBe('saved');
    const mine = await storedMask(row.id);
    const other = new LabelMap(row.width, row.height);
    await api('masks.save', projectId, row.id, { labelMap: other.encode(), expectedVersion: mine.state.version });
    await drag([[row.width * 0.2, y + 20], [row.width * 0.6, y + 20]]);
    expect(await whenSaved()).toBe('conflict');
    const banner = page.getByTestId('editor-banner');
    await expect.poll(() => banner.getAttribute('data-kind')).toBe('conflict');
    expect((await state()).editable).toBe(false);
    expect((await state()).imageId).toBe(row.id);
    expect(await page.getByTestId('editor-file').textContent()).toBe(row.fileName);
    await page.screenshot({ path: path.join(SHOTS, 'editor-conflict.png') });
    // the other window's (empty) mask stays; reload picks it up and editing resumes
    await page.getByTestId('banner-reload').click();
    await openedEditable(row.id);
    expect((await state()).instances).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
