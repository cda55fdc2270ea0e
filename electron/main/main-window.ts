/** The hardened application window: isolated, sandboxed, no Node, strict CSP, no popups or navigation. */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BrowserWindow, session, shell } from 'electron';
import { ASSET_SCHEME } from '../../core/api/http-routes';
import { isAllowedExternalUrl, isRendererUrl } from './navigation-guards';

const here = path.dirname(fileURLToPath(import.meta.url));
export const RENDERER_INDEX = path.join(here, '../renderer/index.html');
const devServerUrl = process.env.ELECTRON_RENDERER_URL;

export const ELECTRON_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  `img-src 'self' data: blob: ${ASSET_SCHEME}:; connect-src 'self'${devServerUrl ? ' ws://localhost:* http://localhost:*' : ''}; ` +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** URLs the renderer may be loaded from; IPC from anything else is refused. */
export function isTrustedRendererUrl(url: string): boolean {
  return isRendererUrl(url, pathToFileURL(RENDERER_INDEX).href, devServerUrl);
}

export function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } });
  });
}

export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#14161a',
    title: 'Maskwright',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // no new windows; https links to allow-listed hosts open in the system browser
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // the window never leaves the renderer: navigation, redirects and frame navigation alike
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedRendererUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!isTrustedRendererUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-frame-navigate', (event) => {
    if (!isTrustedRendererUrl(event.url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(RENDERER_INDEX);
  return win;
}
