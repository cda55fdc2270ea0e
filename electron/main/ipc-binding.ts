/**
 * The one generic binding from the core/api contract to Electron IPC: every
 * `service.method` gets an ipcMain.handle channel that checks the sender and
 * validates every argument (core/api/rpc.ts) before calling the service.
 */
import { ipcMain } from 'electron';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import type { ServiceImpl } from '../../core/api/contract';
import { allChannels } from '../../core/api/contract';
import { AppError } from '../../core/api/errors';
import type { AppEvent } from '../../core/api/events';
import { IPC_CALL_PREFIX, IPC_EVENT_CHANNEL } from '../../core/api/http-routes';
import { dispatch } from '../../core/api/rpc';

export interface IpcBindingOptions {
  impl: ServiceImpl;
  subscribe: (listener: (e: AppEvent) => void) => () => void;
  /** is this frame URL one of ours (the app's renderer)? */
  isTrustedUrl: (url: string) => boolean;
  /** the web contents that may call and receive events */
  trustedContents: () => WebContents[];
}

export function bindIpc(opts: IpcBindingOptions): () => void {
  const channels = allChannels();
  const check = (event: IpcMainInvokeEvent) => {
    const frameUrl = event.senderFrame?.url ?? '';
    const known = opts.trustedContents().some((wc) => wc.id === event.sender.id);
    if (!known || !opts.isTrustedUrl(frameUrl)) throw new AppError('forbidden', 'IPC call from an untrusted frame was refused.');
  };
  for (const channel of channels) {
    const dot = channel.indexOf('.');
    const service = channel.slice(0, dot);
    const method = channel.slice(dot + 1);
    ipcMain.handle(IPC_CALL_PREFIX + channel, async (event, args: unknown) => {
      try {
        check(event);
        return { ok: true, result: (await dispatch(opts.impl, service, method, args)) ?? null };
      } catch (err) {
        // errors travel as data: Electron would otherwise flatten them into a string
        return { ok: false, error: AppError.from(err).toJSON() };
      }
    });
  }
  const unsubscribe = opts.subscribe((e) => {
    for (const wc of opts.trustedContents()) if (!wc.isDestroyed()) wc.send(IPC_EVENT_CHANNEL, e);
  });
  return () => {
    unsubscribe();
    for (const channel of channels) ipcMain.removeHandler(IPC_CALL_PREFIX + channel);
  };
}
