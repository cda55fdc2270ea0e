/**
 * The preload: exposes only an allow-listed invoke and an event subscription.
 * No ipcRenderer, no Node, nothing else crosses the context bridge.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { IPC_CALL_PREFIX, IPC_EVENT_CHANNEL } from '../../core/api/http-routes';

/** every `service.method` of core/api/contract, injected at build time by electron.config.ts */
declare const __MASKWRIGHT_CHANNELS__: string[];
const allowed = new Set(__MASKWRIGHT_CHANNELS__);

contextBridge.exposeInMainWorld('maskwright', {
  async invoke(channel: string, args: unknown[]): Promise<unknown> {
    if (typeof channel !== 'string' || !allowed.has(channel)) throw new Error(`Unknown call ${String(channel)}`);
    const res = (await ipcRenderer.invoke(IPC_CALL_PREFIX + channel, args)) as { ok: boolean; result?: unknown; error?: unknown };
    if (res.ok) return res.result;
    throw res.error;
  },
  onEvent(listener: (e: unknown) => void): () => void {
    const wrapped = (_event: IpcRendererEvent, e: unknown) => listener(e);
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
  },
});
