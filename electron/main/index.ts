/** Composition root of the Electron main process. */
import { BrowserWindow, app, dialog } from 'electron';
import { EventHub } from '../../core/api/events';
import { createServices } from '../../core/services/create-services';
import { handleAssetProtocol, registerAssetScheme } from './asset-protocol';
import { bindIpc } from './ipc-binding';
import { createMainWindow, hardenSession, isTrustedRendererUrl } from './main-window';

registerAssetScheme();
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void app.whenReady().then(() => {
    hardenSession();
    const hub = new EventHub();
    const services = createServices({
      dataDir: process.env.MASKWRIGHT_HOME ?? app.getPath('userData'),
      mode: 'electron',
      version: app.getVersion(),
      emit: hub.emit,
      pickDirectory: async (title) => {
        const win = BrowserWindow.getFocusedWindow();
        const opts = { title: title ?? 'Choose a folder', properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[] };
        const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
    });
    handleAssetProtocol(services);
    bindIpc({
      impl: services.impl,
      subscribe: (l) => hub.subscribe(l),
      isTrustedUrl: isTrustedRendererUrl,
      trustedContents: () => BrowserWindow.getAllWindows().map((w) => w.webContents),
    });
    createMainWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createMainWindow();
    });
    app.on('will-quit', () => services.dispose());
  });
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // never let the renderer create webviews or navigate elsewhere, in any window
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
