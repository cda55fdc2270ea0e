/** mw-asset://<kind>/<projectId>/<imageId>: thumbnails and display images for the sandboxed renderer. */
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { AppError } from '../../core/api/errors';
import { ASSET_SCHEME } from '../../core/api/http-routes';
import type { AppServices } from '../../core/services/create-services';

/** must run before app 'ready' */
export function registerAssetScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: ASSET_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function handleAssetProtocol(services: AppServices): void {
  protocol.handle(ASSET_SCHEME, async (request) => {
    const url = new URL(request.url);
    const kind = url.hostname;
    const [projectId, imageIdRaw] = url.pathname.replace(/^\/+/, '').split('/');
    const imageId = Number(imageIdRaw);
    if ((kind !== 'thumb' && kind !== 'image') || !projectId || !Number.isInteger(imageId) || imageId <= 0) {
      return new Response('Bad asset address', { status: 400 });
    }
    try {
      const asset = await services.resolveAsset(kind, projectId, imageId);
      const res = await net.fetch(pathToFileURL(asset.file).href);
      return new Response(res.body, { status: 200, headers: { 'Content-Type': asset.contentType } });
    } catch (err) {
      const e = AppError.from(err);
      return new Response(e.message, { status: e.code === 'not-found' ? 404 : 500 });
    }
  });
}
