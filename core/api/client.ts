/** The typed API client the renderer uses, over whichever transport it has. */
import type { ServiceClient } from './contract';
import { contract } from './contract';
import type { AppEvent, EventMap, EventName } from './events';

export type AssetKind = 'thumb' | 'image';

export interface Transport {
  invoke(service: string, method: string, args: unknown[]): Promise<unknown>;
  subscribe(listener: (e: AppEvent) => void): () => void;
  assetUrl(kind: AssetKind, projectId: string, imageId: number): string;
  readonly kind: 'electron' | 'browser';
}

export interface MaskwrightClient extends ServiceClient {
  on<K extends EventName>(name: K, cb: (payload: EventMap[K]) => void): () => void;
  assetUrl(kind: AssetKind, projectId: string, imageId: number): string;
  readonly transport: Transport['kind'];
}

export function createClient(transport: Transport): MaskwrightClient {
  const client: Record<string, unknown> = {};
  for (const [service, methods] of Object.entries(contract)) {
    const proxy: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of Object.keys(methods)) proxy[method] = (...args) => transport.invoke(service, method, args);
    client[service] = proxy;
  }
  client.on = <K extends EventName>(name: K, cb: (payload: EventMap[K]) => void) =>
    transport.subscribe((e) => {
      if (e.name === name) cb(e.payload as EventMap[K]);
    });
  client.assetUrl = transport.assetUrl.bind(transport);
  Object.defineProperty(client, 'transport', { value: transport.kind });
  return client as unknown as MaskwrightClient;
}
