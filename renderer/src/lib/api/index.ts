/** Picks the transport for where the renderer runs and builds the typed client. */
import { createClient } from '../../../../core/api/client';
import type { MaskwrightClient } from '../../../../core/api/client';
import type { RendererTransport } from './connection';
import { createHttpTransport, removeTokenFromUrl } from './http-transport';
import { createIpcTransport } from './ipc-transport';

export type { ConnectionState, RendererTransport } from './connection';
export { AppError } from '../../../../core/api/errors';

export interface Connection {
  client: MaskwrightClient;
  transport: RendererTransport;
}

export function connect(): Connection {
  const bridge = window.maskwright;
  let transport: RendererTransport;
  if (bridge && typeof bridge.invoke === 'function') {
    transport = createIpcTransport(bridge);
  } else {
    removeTokenFromUrl();
    transport = createHttpTransport();
  }
  return { client: createClient(transport), transport };
}
