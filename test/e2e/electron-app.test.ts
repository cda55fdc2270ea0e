/**
 * The same flow in the Electron window, through Playwright's _electron driver. It needs the
 * Electron binary (and a display); where that is missing the test is reported as skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { makeSyntheticMicroscopy } from '../fixtures/make-synthetic-photos';
import { REPO_ROOT } from '../helpers/paths';

function electronBinary(): string | null {
  // not require('electron'): in Electron 45 that starts a download when the binary is missing
  const pathFile = path.join(REPO_ROOT, 'node_modules/electron/path.txt');
  const rel = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : '';
  const full = rel ? path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(REPO_ROOT, 'node_modules/electron/dist'), rel) : '';
  return full && fs.existsSync(full) ? full : null;
}
const bin = electronBinary();
const hasDisplay = !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY || process.platform !== 'linux';
const built = fs.existsSync(path.join(REPO_ROOT, 'out/main/index.js'));
const reason = !bin
  ? 'skipped: Electron binary not available'
  : !hasDisplay
    ? 'skipped: no display for the Electron window (run under xvfb-run)'
    : !built
      ? 'skipped: out/main not built'
      : '';

describe.skipIf(reason !== '')(`Electron app: create, import, browse${reason ? ` (${reason})` : ''}`, () => {
  it('creates a project, imports a folder and shows thumbnails in a hardened window', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-electron-'));
    const set = await makeSyntheticMicroscopy(path.join(tmp, 'synthetic'), { count: 6 });
    const app = await electron.launch({ executablePath: bin!, args: [REPO_ROOT], env: { ...process.env, MASKWRIGHT_HOME: path.join(tmp, 'home') } });
    try {
      const win = await app.firstWindow();
      // hardening: no Node in the renderer, only the allow-listed bridge
      expect(await win.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await win.evaluate(() => Object.keys((globalThis as unknown as { maskwright: object }).maskwright).sort())).toEqual(['invoke', 'onEvent']);
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const w = BrowserWindow.getAllWindows()[0]!;
        const p = (w.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> | null }).getLastWebPreferences();
        return { contextIsolation: p?.contextIsolation, sandbox: p?.sandbox, nodeIntegration: p?.nodeIntegration };
      });
      expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });

      await win.getByTestId('new-project-name').fill('Nuclei');
      await win.getByTestId('new-project-dir').fill(path.join(tmp, 'proj'));
      await win.getByTestId('create-project').click();
      await win.getByTestId('import-button').click();
      await win.getByTestId('import-paths').fill(set.imagesDir);
      await win.getByTestId('import-start').click();
      await win.getByTestId('import-report').waitFor({ timeout: 90_000 });
      await win.getByTestId('import-close').click();
      await expect.poll(() => win.getByTestId('thumb-cell').count()).toBeGreaterThan(0);
      await win.screenshot({ path: path.join(REPO_ROOT, 'test-results', 'electron-project-grid.png') });
    } finally {
      await app.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
