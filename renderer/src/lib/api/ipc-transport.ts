/**
 * Electron transport: the preload exposes an allow-listed `window.maskwright`
 * bridge (contextBridge); this file never sees ipcRenderer itself.
 */
import { AppError } from '../../../../core/api/errors';
import type { AppEvent } from '../../../../core/api/events';
import type { AssetKind } from '../../../../core/api/client';
import { channelOf } from '../../../../core/api/contract';
import { ASSET_SCHEME } from '../../../../core/api/http-routes';
import type { ConnectionState, RendererTransport } from './connection';

export interface MaskwrightBridge {
  invoke(channel: string, args: unknown[]): Promise<unknown>;
  onEvent(listener: (e: AppEvent) => void): () => void;
}

declare global {
  interface Window {
    maskwright?: MaskwrightBridge;
  }
}

/** Electron wraps rejections as `Error invoking remote method 'x': Error: message`; keep the person's part. */
const REMOTE_PREFIX = /^Error invoking remote method '[^']*': (?:\w*Error: )?/;

export function toAppError(err: unknown): AppError {
  if (err instanceof Error && !(err instanceof AppError) && REMOTE_PREFIX.test(err.message)) {
    const rest = err.message.replace(REMOTE_PREFIX, '');
    const code = (err as { code?: unknown }).code;
    return AppError.from(typeof code === 'string' ? { code, message: rest } : new Error(rest));
  }
  return AppError.from(err);
}

export function createIpcTransport(bridge: MaskwrightBridge): RendererTransport {
  return {
    kind: 'electron',
    connection: 'connected' satisfies ConnectionState,
    async invoke(service: string, method: string, args: unknown[]): Promise<unknown> {
      try {
        return await bridge.invoke(channelOf(service, method), args);
      } catch (err) {
        throw toAppError(err);
      }
    },
    subscribe(listener: (e: AppEvent) => void): () => void {
      return bridge.onEvent(listener);
    },
    assetUrl(kind: AssetKind, projectId: string, imageId: number): string {
      return `${ASSET_SCHEME}://${kind}/${encodeURIComponent(projectId)}/${imageId}`;
    },
    onConnectionChange(cb) {
      // IPC is in-process: it is always connected.
      cb('connected', false);
      return () => {};
    },
  };
}
