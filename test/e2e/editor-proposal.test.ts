/**
 * The model's proposal in the editor, end to end in Debian Chromium against browser mode. A
 * prediction row is put into the project's store directly (no trained model needed), then:
 * the proposal shows as its own layer and is not in the saved mask; the confidence threshold
 * hides low-score instances (and what is hidden is not accepted); a pixel the person painted
 * under the proposal survives "Accept all"; accepting saves and is one undo step; the
 * prediction's state follows (accepted / rejected); Reject removes the layer; "Done & next"
 * opens the next image from the queue. The click-to-refine UI runs against a stand-in click
 * model (the page's two refine calls are answered by the test; the real model is tested on the
 * host side). Screenshots go to test-results/editor-proposal-*.png.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow, LabelClass, MaskState, PredictionInfo } from '../../core/api/types';
import { fromWireJson, toWireJson } from '../../core/api/wire';
import type { RunningServer } from '../../core/host/serve';
import { LabelMap } from '../../core/mask/label-map';
import { SHOTS, browserSkipReason, callApi, importNuclei, openPage, startHost, stopAll, syntheticNuclei } from '../helpers/e2e-app';
import { editorDebug, openFirstImageInEditor } from '../helpers/editor-debug';
import type { EditorDebugState } from '../../renderer/src/lib/editor/editor-debug-hook';

const skipReason = browserSkipReason();


/** three box-shaped proposal instances (image fractions) with their scores */
const BOXES = [
  { x0: 0.1, y0: 0.1, x1: 0.3, y1: 0.3, score: 0.9 },
  { x0: 0.6, y0: 0.1, x1: 0.85, y1: 0.3, score: 0.3 },
  { x0: 0.1, y0: 0.6, x1: 0.45, y1: 0.85, score: 0.8 },
];

function proposalFor(row: ImageRow, classId: number): { labelMap: Uint8Array; confidence: Uint8Array } {
  const W = row.width;
  const H = row.height;
  const map = new LabelMap(W, H);
  const conf = new Uint8Array(W * H).fill(255);
  BOXES.forEach((b, k) => {
    const id = k + 1;
    map.addInstance({ id, classId, source: 'model', score: b.score });
    const x0 = Math.round(b.x0 * W);
    const x1 = Math.round(b.x1 * W);
    const y0 = Math.round(b.y0 * H);
    const y1 = Math.round(b.y1 * H);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        map.ids[y * W + x] = id;
        // least sure at the edges of each object
        const edge = Math.min(x - x0, x1 - 1 - x, y - y0, y1 - 1 - y);
        conf[y * W + x] = Math.min(250, 150 + edge * 12);
      }
    }
    // the band just outside is uncertain too
    for (let y = Math.max(0, y0 - 3); y < Math.min(H, y1 + 3); y++) {
      for (let x = Math.max(0, x0 - 3); x < Math.min(W, x1 + 3); x++) if (!map.ids[y * W + x]) conf[y * W + x] = 170;
    }
  });
  return { labelMap: map.encode(), confidence: conf };
}

describe.skipIf(skipReason !== '')(`browser mode: model proposals in the editor${skipReason ? ` (${skipReason})` : ''}`, () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  let rows: ImageRow[];
  let classes: LabelClass[];
  const pageErrors: string[] = [];

  const api = <T>(channel: string, ...args: unknown[]): Promise<T> => callApi<T>(server, channel, ...args);
  const { state, whenSaved, at, drag } = editorDebug<EditorDebugState>(() => page);

  async function storedMask(imageId: number): Promise<{ state: MaskState; map: LabelMap | null }> {
    const s = await api<MaskState>('masks.load', projectId, imageId);
    return { state: s, map: s.labelMap ? LabelMap.decode(s.labelMap) : null };
  }

  async function openedWithProposal(imageId: number): Promise<void> {
    await expect.poll(async () => (await state()).imageId, { timeout: 15_000 }).toBe(imageId);
    await expect.poll(async () => {
      const s = await state();
      return s.editable && s.imagePainted && s.proposal?.phase === 'shown';
    }, { timeout: 15_000 }).toBe(true);
  }

  /** the centre of a proposal box in image pixels */
  const centre = (row: ImageRow, k: number): [number, number] => {
    const b = BOXES[k]!;
    return [Math.floor(((b.x0 + b.x1) / 2) * row.width) + 0.5, Math.floor(((b.y0 + b.y1) / 2) * row.height) + 0.5];
  };

  beforeAll(async () => {
    ({ tmp, server } = await startHost('mw-e2e-proposal-'));
    projectId = (await importNuclei(server, tmp, await syntheticNuclei(tmp, 3), ['Nucleus', 'Cytoplasm'])).id;
    rows = (await api<{ items: ImageRow[] }>('images.list', projectId, { sort: 'name' })).items; // the grid's order
    classes = await api<LabelClass[]>('classes.list', projectId);
    // proposals for the first two images, straight into the store (as a pre-labelling run leaves them)
    const store = server.services.registry.get(projectId);
    for (const row of rows.slice(0, 2)) store.predictions.add({ imageId: row.id, modelVersionId: null, uncertainty: 0.2, ...proposalFor(row, classes[0]!.id) });
    ({ browser, page } = await openPage(pageErrors));
  });

  afterAll(() => stopAll({ browser, server, tmp }));

  it('shows the proposal as its own layer, not in the saved mask; the threshold hides low-score instances', async () => {
    await openFirstImageInEditor(page, server.openUrl);
    const row = rows[0]!;
    await openedWithProposal(row.id);
    let s = await state();
    expect(s.proposal).toMatchObject({ phase: 'shown', state: 'proposed', visible: 3, remaining: 3 });
    expect(s.instances).toEqual([]);
    await expect.poll(() => page.getByTestId('proposal-count').getAttribute('data-visible')).toBe('3');
    await page.screenshot({ path: path.join(SHOTS, 'editor-proposal-shown.png') });
    // nothing of it is in the person's mask, in the editor or stored
    expect((await storedMask(row.id)).state.labelMap).toBeNull();

    // the threshold slider hides the 0.3-score instance
    const slider = page.getByTestId('proposal-threshold');
    await slider.fill('0.5');
    await expect.poll(async () => (await state()).proposal?.visible).toBe(2);
    expect(await page.getByTestId('proposal-threshold-value').textContent()).toBe('50%');
    // the uncertainty heatmap toggles with U
    await page.locator('[data-editor-root]').focus();
    await page.keyboard.press('u');
    await expect.poll(async () => (await state()).heatmap).toBe(true);
    // with a legend: how sure the model is, from clear to red
    expect(await page.getByTestId('heatmap-legend').textContent()).toMatch(/100 % sure.*70 %.*≤ 40 %/);
    await page.screenshot({ path: path.join(SHOTS, 'editor-proposal-threshold-heatmap.png') });
    await page.keyboard.press('u');
    s = await state();
    expect(s.heatmap).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('accept all keeps the person’s pixels, saves, is one undo step, and records the state', async () => {
    const row = rows[0]!;
    const W = row.width;
    const H = row.height;
    // the person paints (class 2) across the third proposal box first
    await page.keyboard.press('2');
    await page.keyboard.press('b');
    const [cx, cy] = centre(row, 2);
    await drag([[W * 0.05, cy], [cx, cy]]);
    expect(await whenSaved()).toBe('saved');
    const human = (await storedMask(row.id)).map!;
    const humanId = human.at(Math.floor(cx - 3), Math.floor(cy));
    expect(humanId).not.toBe(0);
    expect(human.getInstance(humanId)).toMatchObject({ classId: classes[1]!.id, source: 'human' });
    expect((await state()).undoDepth).toBe(1);

    await page.keyboard.press('a');
    await expect.poll(async () => (await state()).undoDepth).toBe(2);
    expect(await whenSaved()).toBe('saved');
    // box 2 is hidden by the threshold, still undecided: 'partial', never "all accepted" (issue 15)
    await expect.poll(async () => (await state()).proposal?.state).toBe('partial');
    expect(await page.getByTestId('proposal-count').textContent()).toMatch(/1 hidden below 50%, not accepted/);
    await page.screenshot({ path: path.join(SHOTS, 'editor-proposal-accepted.png') });

    const { map, state: ms } = await storedMask(row.id);
    expect(ms.editCount).toBe(2); // the stroke + the accept
    const id = (k: number) => {
      const [x, y] = centre(row, k);
      return map!.at(Math.floor(x), Math.floor(y));
    };
    // box 1 accepted, box 2 hidden by the threshold (not accepted), box 3 accepted around the stroke
    expect(map!.getInstance(id(0))).toMatchObject({ source: 'model', score: 0.9, classId: classes[0]!.id });
    expect(id(1)).toBe(0);
    expect(map!.at(Math.floor(cx - 3), Math.floor(cy))).toBe(humanId);
    const below = map!.at(Math.floor(cx), Math.floor(BOXES[2]!.y1 * H) - 2);
    expect(map!.getInstance(below)).toMatchObject({ source: 'model', score: 0.8 });
    expect(map!.getInstance(humanId)).toMatchObject({ classId: classes[1]!.id, source: 'human' });
    expect((await api<PredictionInfo>('predictions.latest', projectId, row.id)).state).toBe('partial');

    // undo brings the proposal back (and out of the stored mask); redo accepts again
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await state()).proposal?.remaining).toBe(2);
    expect(await whenSaved()).toBe('saved');
    expect((await storedMask(row.id)).map!.at(...(centre(row, 0).map(Math.floor) as [number, number]))).toBe(0);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(async () => (await state()).proposal?.remaining).toBe(0);
    expect(await whenSaved()).toBe('saved');
    await expect.poll(async () => (await api<PredictionInfo>('predictions.latest', projectId, row.id)).state).toBe('partial'); // the hidden box is still undecided
    expect(pageErrors).toEqual([]);
  });

  it('a click with Select accepts one instance; Reject removes the layer and records it', async () => {
    await page.getByTestId('editor-next').click();
    const row = rows[1]!;
    await openedWithProposal(row.id);
    expect((await state()).proposal).toMatchObject({ visible: 3, threshold: 0 });
    await page.keyboard.press('v');
    const [x, y] = centre(row, 1);
    const p = await at(x, y);
    await page.mouse.click(p.x, p.y);
    await expect.poll(async () => (await state()).proposal?.remaining).toBe(2);
    expect(await whenSaved()).toBe('saved');
    await expect.poll(async () => (await api<PredictionInfo>('predictions.latest', projectId, row.id)).state).toBe('partial');
    const stored = (await storedMask(row.id)).map!;
    expect(stored.instances()).toHaveLength(1);
    expect(stored.at(Math.floor(x), Math.floor(y))).not.toBe(0);

    await page.getByTestId('proposal-reject').click();
    await expect.poll(async () => (await state()).proposal?.phase).toBe('closed');
    await expect.poll(async () => (await api<PredictionInfo>('predictions.latest', projectId, row.id)).state).toBe('rejected');
    await expect(page.getByTestId('proposal-panel').count()).resolves.toBe(0);
    // the accepted instance stays; nothing else came in
    expect((await storedMask(row.id)).map!.instances()).toHaveLength(1);
    await page.screenshot({ path: path.join(SHOTS, 'editor-proposal-rejected.png') });
  });

  it('Done & next opens the next unlabeled image from the queue in the chosen order', async () => {
    await page.getByTestId('editor-queue-order').selectOption('sequential');
    await page.getByTestId('done-next').click();
    // rows[0] is in progress, rows[1] now done: the queue's only unlabeled image is rows[2]
    await expect.poll(async () => (await state()).imageId, { timeout: 15_000 }).toBe(rows[2]!.id);
    await expect.poll(async () => (await state()).queuedBy?.order).toBe('sequential');
    await expect(page.getByTestId('queued-by').textContent()).resolves.toContain('in order');
    expect((await api<ImageRow>('images.get', projectId, rows[1]!.id)).status).toBe('done');
    // no proposal here: the panel says nothing about one, the accept brush is unavailable
    await expect.poll(async () => (await state()).proposal?.phase).toBe('none');
    expect(await page.getByTestId('tool-accept').isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'editor-proposal-queue-next.png') });
    expect(pageErrors).toEqual([]);
  });

  it('click to refine (stand-in click model): clicks shape the object, Enter adds it as one instance', async () => {
    const row = rows[2]!;
    const calls: Array<{ clicks: Array<{ x: number; y: number; positive: boolean }>; prev: unknown }> = [];
    await page.route('**/api/call/predictions.clickModel', (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: toWireJson({ ok: true, result: { id: 7, name: 'clicks v1', arch: 'unet', isActive: false, createdAt: new Date().toISOString(), backend: 'cpu', parentId: null, metrics: {}, weightsBytes: 1, kind: 'clicks' } }),
      }),
    );
    await page.route('**/api/call/predictions.refine', (route) => {
      const [, , req] = fromWireJson(route.request().postData() ?? '[]') as [string, number, (typeof calls)[number]];
      calls.push(req);
      // a disc around the first positive click, smaller for every negative click
      const c = req.clicks.find((k) => k.positive) ?? req.clicks[0]!;
      const r = Math.max(3, 14 - 5 * req.clicks.filter((k) => !k.positive).length);
      const x0 = Math.max(0, c.x - r);
      const y0 = Math.max(0, c.y - r);
      const w = Math.min(row.width, c.x + r + 1) - x0;
      const h = Math.min(row.height, c.y + r + 1) - y0;
      const mask = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) mask[y * w + x] = Math.hypot(x0 + x - c.x, y0 + y - c.y) <= r ? 1 : 0;
      return route.fulfill({ contentType: 'application/json', body: toWireJson({ ok: true, result: { x: x0, y: y0, width: w, height: h, mask, score: 0.87, ms: 42, modelVersionId: 7 } }) });
    });
    await page.locator('[data-editor-root]').focus();
    await page.keyboard.press('r');
    await expect.poll(async () => (await state()).tool).toBe('refine');
    const cx = Math.floor(row.width * 0.5);
    const cy = Math.floor(row.height * 0.5);
    const p = await at(cx + 0.5, cy + 0.5);
    await page.mouse.click(p.x, p.y);
    await expect.poll(async () => (await state()).refine.lastMs).toBe(42);
    const q = await at(cx + 12.5, cy + 0.5);
    await page.mouse.click(q.x, q.y, { button: 'right' });
    await expect.poll(() => calls.length).toBe(2);
    await expect.poll(async () => (await state()).refine.busy).toBe(false);
    expect(calls[0]).toEqual({ clicks: [{ x: cx, y: cy, positive: true }], box: null, prev: null });
    expect(calls[1]!.clicks).toEqual([{ x: cx, y: cy, positive: true }, { x: cx + 12, y: cy, positive: false }]);
    expect(calls[1]!.prev).toMatchObject({ x: cx - 14, y: cy - 14, width: 29, height: 29 });
    await expect(page.getByTestId('refine-ms').textContent()).resolves.toBe('42 ms');
    await page.mouse.move(p.x + 80, p.y + 60);
    await page.screenshot({ path: path.join(SHOTS, 'editor-proposal-refine.png') });
    const before = (await state()).undoDepth;
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await state()).undoDepth).toBe(before + 1);
    expect(await whenSaved()).toBe('saved');
    const map = (await storedMask(row.id)).map!;
    const id = map.at(cx, cy);
    expect(map.getInstance(id)).toMatchObject({ source: 'model', score: 0.87, classId: (await state()).instances.find((i) => i.id === id)?.classId });
    expect(map.instanceStats(id).area).toBeGreaterThan(100);
    expect(map.at(cx + 12, cy)).toBe(0); // the negative click pushed the edge back
    await page.unroute('**/api/call/predictions.clickModel');
    await page.unroute('**/api/call/predictions.refine');
    expect(pageErrors).toEqual([]);
  });
});
