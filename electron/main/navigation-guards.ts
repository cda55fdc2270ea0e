/**
 * Pure decisions of the window's navigation guards (unit-tested without Electron): which URLs the
 * renderer may navigate or redirect to (only its own), and which links may be handed to the
 * system browser (https to an allow-listed host, no credentials, no odd ports).
 */

/** hosts whose https pages links in the UI may open in the system browser */
export const EXTERNAL_HOSTS: readonly string[] = ['github.com', 'www.github.com', 'cocodataset.org', 'docs.ultralytics.com', 'host.robots.ox.ac.uk'];

export function isAllowedExternalUrl(raw: string, hosts: readonly string[] = EXTERNAL_HOSTS): boolean {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && u.username === '' && u.password === '' && (u.port === '' || u.port === '443') && hosts.includes(u.hostname.toLowerCase());
}

/**
 * true when `url` is the renderer itself: the file:// index (with a hash or query) or the dev
 * server's origin. Anything else (other files, other origins, javascript:, data:) is refused.
 */
export function isRendererUrl(url: string, indexUrl: string, devServerUrl?: string): boolean {
  if (devServerUrl) {
    try {
      if (new URL(url).origin === new URL(devServerUrl).origin) return true;
    } catch {
      return false;
    }
  }
  return url === indexUrl || url.startsWith(indexUrl + '#') || url.startsWith(indexUrl + '?');
}
