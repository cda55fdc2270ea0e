/**
 * Click to object on a fresh project (issue 12), in Debian Chromium against browser mode: a
 * project of synthetic photos with no training at all -> open the first image -> R -> one click
 * inside the largest object -> Enter -> the saved instance overlaps the known object by
 * IoU >= 0.8; then a box dragged around another object -> Enter -> that object too. Every answer
 * is a real predictions.refine request (the zero-training graph cut in the ML worker).
 * Screenshots: test-results/click-object-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow } from '../../core/api/types';
import { decodePng } from '../../core/formats/png-codec';
import type { RunningServer } from '../../core/host/serve';
import { LabelMap } from '../../core/mask/label-map';
import type { SyntheticObject, SyntheticSet } from '../fixtures/make-synthetic-photos';
import { SHOTS, browserSkipReason, importNuclei, openPage, startHost, stopAll, syntheticPhotos } from '../helpers/e2e-app';
import { editorDebug, openFirstImageInEditor } from '../helpers/editor-debug';
import type { EditorDebugState } from '../../renderer/src/lib/editor/editor-debug-hook';

const skipReason = browserSkipReason();


function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union ? inter / union : 0;
}

describe.skipIf(skipReason !== '')(`browser mode: click to object without training${skipReason ? ` (${skipReason})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  let set: SyntheticSet;
  let row: ImageRow;
  const pageErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `click-object-${name}.png`) });
  const { state, whenSaved, at, drag } = editorDebug<EditorDebugState>(() => page);

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-click-'));
    set = await syntheticPhotos(tmp, 1);
    const p = await importNuclei(server, tmp, set, ['Fruit']);
    projectId = p.id;
    row = (await server.services.impl.images.list(projectId, { sort: 'name' })).items[0]!;
    ({ browser, page } = await openPage(pageErrors, { consoleErrors: true }));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('one click inside an object on a fresh project, Enter: the saved mask has IoU >= 0.8 with the object; a box gives another', async () => {
    expect(await server.services.impl.models.list(projectId)).toEqual([]);
    const img = set.images.find((i) => i.fileName === row.fileName)!;
    const known = decodePng(fs.readFileSync(path.join(set.dir, 'instance_labels', img.fileName.replace(/\.jpg$/, '.png'))));
    const gtOf = (o: SyntheticObject) => Uint8Array.from(known.data, (v) => (v === o.id ? 1 : 0));
    const [big, second] = [...img.objects].sort((a, b) => b.area - a.area);

    await openFirstImageInEditor(page, server.openUrl);
    await expect.poll(async () => {
      const s = await state();
      return s.imageId === row.id && s.editable && s.imagePainted;
    }, { timeout: 15_000 }).toBe(true);
    // no click model: the tool is still there (zero-training clicks)
    await expect.poll(async () => (await state()).refine.model, { timeout: 15_000 }).toBe('missing');
    await page.locator('[data-editor-root]').focus();
    await page.keyboard.press('r');
    await expect.poll(async () => (await state()).tool).toBe('refine');

    // --- one click inside the largest object ---
    const p = await at(big!.cx, big!.cy);
    await page.mouse.click(p.x, p.y);
    await expect.poll(async () => (await state()).refine.lastMs, { timeout: 30_000 }).not.toBeNull();
    await expect.poll(async () => (await state()).refine.busy, { timeout: 30_000 }).toBe(false);
    const s1 = await state();
    expect(s1.refine.clicks).toBe(1);
    expect(s1.refine.sources).toEqual(['zero-shot']);
    await expect(page.getByTestId('refine-sources').textContent()).resolves.toMatch(/image \(graph cut\)/);
    console.log(`click-object: one click answered in ${Math.round(s1.refine.lastMs!)} ms (loaded 2-core machine)`);
    await shot('click');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await state()).instances.length).toBe(1);
    expect(await whenSaved()).toBe('saved');
    const saved = await server.services.impl.masks.load(projectId, row.id);
    const map = LabelMap.decode(saved.labelMap!);
    const id1 = map.instances()[0]!.id;
    const first = iou(Uint8Array.from(map.ids, (v) => (v === id1 ? 1 : 0)), gtOf(big!));
    console.log(`click-object: one click, IoU ${first.toFixed(3)} with the known object (${big!.area} px)`);
    expect(first).toBeGreaterThanOrEqual(0.8);

    // --- a box dragged around another object ---
    const m = 3;
    const r = Math.max(second!.rx, second!.ry);
    await drag([
      [Math.max(0, second!.cx - r - m), Math.max(0, second!.cy - r - m)],
      [Math.min(img.width - 1, second!.cx + r + m), Math.min(img.height - 1, second!.cy + r + m)],
    ]);
    await expect.poll(async () => (await state()).refine.lastMs !== null && !(await state()).refine.busy && (await state()).statePath === 'refine.clicking', { timeout: 30_000 }).toBe(true);
    await shot('box');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await state()).instances.length).toBe(2);
    expect(await whenSaved()).toBe('saved');
    const map2 = LabelMap.decode((await server.services.impl.masks.load(projectId, row.id)).labelMap!);
    const id2 = map2.instances().find((i) => i.id !== id1)!.id;
    const boxed = iou(Uint8Array.from(map2.ids, (v) => (v === id2 ? 1 : 0)), gtOf(second!));
    console.log(`click-object: box, IoU ${boxed.toFixed(3)} with the known object (${second!.area} px)`);
    expect(boxed).toBeGreaterThanOrEqual(0.7);
    await expect.poll(() => page.getByTestId('instance-count').textContent(), { timeout: 5000 }).toBe('2');
    await shot('accepted');
    expect(pageErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  }, 300_000);
});
