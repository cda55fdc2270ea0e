/**
 * The grid shows the work, in Debian Chromium against browser mode, on 12 synthetic photos
 * (0.jpg … 11.jpg): natural name order (0, 1, 2, …, 10, 11), the mask as a tint with outlines on
 * the thumbnails of labelled images (none on the others), a "proposal vN" marker on an image with
 * a pending model proposal, and a Done badge. Screenshot: test-results/grid-overlays.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow } from '../../core/api/types';
import type { RunningServer } from '../../core/host/serve';
import { decodePng } from '../../core/formats/png-codec';
import { LabelMap } from '../../core/mask/label-map';
import { SHOTS, browserSkipReason, importNuclei, openPage, startHost, stopAll, syntheticPhotos } from '../helpers/e2e-app';

const skipReason = browserSkipReason();

describe.skipIf(skipReason !== '')(`browser mode: the grid shows masks, proposals and status${skipReason ? ` (${skipReason})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-grid-'));
    const set = await syntheticPhotos(tmp, 12);
    const p = await importNuclei(server, tmp, set, set.classes);
    projectId = p.id;
    const svc = server.services;
    const rows: ImageRow[] = (await svc.impl.images.list(projectId, { sort: 'name', limit: 100 })).items;
    const byName = new Map(rows.map((r) => [r.fileName, r]));
    /** the set's instance labels as a label map, classes by the objects' class index */
    const mapOf = (fileName: string, source: 'human' | 'model'): LabelMap => {
      const im = set.images.find((i) => i.fileName === fileName)!;
      const ins = decodePng(fs.readFileSync(path.join(set.dir, 'instance_labels', fileName.replace('.jpg', '.png'))));
      const m = new LabelMap(im.width, im.height);
      const ids = new Map(im.objects.map((o) => [o.id, m.addInstance({ classId: p.classes[o.classIndex]!.id, source, score: source === 'model' ? 0.9 : null }).id]));
      for (let i = 0; i < ins.data.length; i++) if (ins.data[i]) m.ids[i] = ids.get(ins.data[i]!)!;
      return m;
    };
    // 0.jpg done, 2.jpg in progress (masks); 10.jpg has a pending proposal of model version 3
    for (const [name, status] of [['0.jpg', 'done'], ['2.jpg', 'in_progress']] as const) {
      const row = byName.get(name)!;
      await svc.impl.masks.save(projectId, row.id, { labelMap: mapOf(name, 'human').encode(), expectedVersion: 0 });
      await svc.impl.images.setStatus(projectId, [row.id], status);
    }
    const store = svc.registry.get(projectId);
    store.db.prepare("INSERT INTO model_version (id, name, arch, created_at) VALUES (3, 'v3', 'test', ?)").run(new Date().toISOString());
    store.predictions.add({ imageId: byName.get('10.jpg')!.id, modelVersionId: 3, labelMap: mapOf('10.jpg', 'model').encode(), uncertainty: 0.2 });
    ({ browser, page } = await openPage(pageErrors));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('sorts names naturally and marks masks, pending proposals and done images on the thumbnails', async () => {
    await page.goto(server.openUrl);
    await page.waitForFunction(() => !location.search.includes('token='));
    await page.getByTestId('recent-project').first().getByRole('button').first().click();
    const cells = page.getByTestId('thumb-cell');
    await expect.poll(() => cells.count()).toBe(12);
    const names = await cells.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')!.split(',')[0]));
    expect(names).toEqual(['0.jpg', '1.jpg', '2.jpg', '3.jpg', '4.jpg', '5.jpg', '6.jpg', '7.jpg', '8.jpg', '9.jpg', '10.jpg', '11.jpg']);

    // overlays on the two labelled images only, loaded as images
    await expect.poll(() => page.getByTestId('thumb-mask').count(), { timeout: 15_000 }).toBe(2);
    await expect
      .poll(() => page.getByTestId('thumb-mask').evaluateAll((els) => els.filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length))
      .toBe(2);
    const withMask = await page.locator('[data-testid="thumb-cell"]:has([data-testid="thumb-mask"])').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')!.split(',')[0]));
    expect(withMask).toEqual(['0.jpg', '2.jpg']);
    // the overlay lies exactly over the picture
    const boxes = await page.locator('[data-testid="thumb-cell"]').first().evaluate((cell) => {
      const [img, ov] = [...cell.querySelectorAll('img')];
      const a = img!.getBoundingClientRect();
      const b = ov!.getBoundingClientRect();
      return [a.x - b.x, a.y - b.y, a.width - b.width, a.height - b.height];
    });
    for (const d of boxes) expect(Math.abs(d)).toBeLessThan(0.5);

    const proposal = page.getByTestId('thumb-proposal');
    expect(await proposal.count()).toBe(1);
    expect((await proposal.textContent())?.trim()).toBe('proposal v3');
    expect(await page.locator('[data-testid="thumb-cell"]:has([data-testid="thumb-proposal"])').getAttribute('aria-label')).toMatch(/^10\.jpg, Unlabeled, proposal to review$/);
    expect(await page.getByTestId('thumb-done').count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'grid-overlays.png') });

    // a mask saved later shows on the grid without a reload (new mask version, new overlay)
    const row = (await server.services.impl.images.list(projectId, { sort: 'name' })).items.find((r) => r.fileName === '5.jpg')!;
    const m = new LabelMap(row.width, row.height);
    const inst = m.addInstance({ classId: (await server.services.impl.classes.list(projectId))[0]!.id });
    for (let y = 20; y < 80; y++) for (let x = 20; x < 80; x++) m.ids[y * row.width + x] = inst.id;
    await server.services.impl.masks.save(projectId, row.id, { labelMap: m.encode(), expectedVersion: 0 });
    await expect.poll(() => page.getByTestId('thumb-mask').count(), { timeout: 15_000 }).toBe(3);
    expect(pageErrors).toEqual([]);
  });
});
