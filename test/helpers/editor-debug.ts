/**
 * The editor's `?debug` hook, `window.__maskwright_debug` (read-only: state, mask checksum,
 * image -> page coordinates, a promise for "all saves done"), typed here and driven from a test.
 * The state is typed by the hook itself (EditorDebugState).
 */
import type { Page } from 'playwright-core';

export interface DebugHook<S> {
  state(): S;
  maskChecksum(): number | null;
  whenSaved(): Promise<string | null>;
  clientPoint(x: number, y: number): { x: number; y: number } | null;
}

/** the page's `?debug` hook (the page defines it) */
type DebugWindow<S> = { __maskwright_debug?: DebugHook<S> };

/** the hook's calls and pointer input at image coordinates, on the page page() returns when called */
export function editorDebug<S>(page: () => Page) {
  const state = (): Promise<S> => page().evaluate(() => (window as unknown as DebugWindow<S>).__maskwright_debug!.state());
  const checksum = (): Promise<number | null> => page().evaluate(() => (window as unknown as DebugWindow<S>).__maskwright_debug!.maskChecksum());
  const whenSaved = (): Promise<string | null> => page().evaluate(() => (window as unknown as DebugWindow<S>).__maskwright_debug!.whenSaved());

  /** image pixel (x, y) in page coordinates */
  async function at(x: number, y: number): Promise<{ x: number; y: number }> {
    const p = await page().evaluate(([ix, iy]) => (window as unknown as DebugWindow<S>).__maskwright_debug!.clientPoint(ix!, iy!), [x, y]);
    if (!p) throw new Error('no canvas');
    return p;
  }

  /** a mouse drag through image points */
  async function drag(points: Array<[number, number]>): Promise<void> {
    const [first, ...rest] = points;
    const p0 = await at(first![0], first![1]);
    await page().mouse.move(p0.x, p0.y);
    await page().mouse.down();
    for (const [x, y] of rest) {
      const p = await at(x, y);
      await page().mouse.move(p.x, p.y, { steps: 8 });
    }
    await page().mouse.up();
  }

  /** a click on an image point */
  async function click(x: number, y: number): Promise<void> {
    const p = await at(x, y);
    await page().mouse.click(p.x, p.y);
  }

  return { state, checksum, whenSaved, at, drag, click };
}

/** opens the page with the `?debug` hook, then the "Nuclei" project, then its first image in the editor */
export async function openFirstImageInEditor(page: Page, openUrl: string): Promise<void> {
  await page.goto(`${openUrl}&debug=1`);
  await page.getByTestId('recent-project').first().getByRole('button', { name: /Open Nuclei/ }).click();
  const first = page.getByTestId('thumb-cell').first();
  await first.waitFor();
  await first.dblclick();
  await page.getByTestId('editor').waitFor();
}
