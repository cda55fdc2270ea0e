/**
 * Browser-mode transport (protocol in core/api/http-routes.ts): calls are
 * POSTs with a JSON argument array, events come over one WebSocket that
 * reconnects by itself, and the per-run token lives in an HttpOnly cookie
 * that the host set when it served the page.
 */
import { fromWireJson, toWireJson } from '../../../../core/api/wire';
import { AppError } from '../../../../core/api/errors';
import type { AppEvent } from '../../../../core/api/events';
import type { AssetKind } from '../../../../core/api/client';
import { channelOf } from '../../../../core/api/contract';
import { ASSET_PREFIX, CALL_PREFIX, EVENTS_PATH } from '../../../../core/api/http-routes';
import type { CallResponse } from '../../../../core/api/http-routes';
import type { ConnectionState, RendererTransport } from './connection';

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;

/**
 * The host hands the token over as `?token=` once; it has set the cookie by
 * now, so take the token out of the address bar (and out of history and
 * screenshots) without reloading.
 */
export function removeTokenFromUrl(loc: Location = window.location, hist: History = window.history): void {
  const url = new URL(loc.href);
  if (!url.searchParams.has('token')) return;
  url.searchParams.delete('token');
  hist.replaceState(hist.state, '', url.pathname + url.search + url.hash);
}

export interface HttpTransportOptions {
  /** origin of the host, e.g. http://127.0.0.1:4321 (default: this page's origin) */
  origin?: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

export function createHttpTransport(opts: HttpTransportOptions = {}): RendererTransport {
  const origin = opts.origin ?? window.location.origin;
  const doFetch = opts.fetch ?? window.fetch.bind(window);
  const WS = opts.WebSocket ?? window.WebSocket;

  const listeners = new Set<(e: AppEvent) => void>();
  const statusListeners = new Set<(s: ConnectionState, reconnected: boolean) => void>();
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | null = null;
  let everConnected = false;
  let retryMs = RECONNECT_MIN_MS;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  function setState(next: ConnectionState, reconnected = false): void {
    if (next === state && !reconnected) return;
    state = next;
    for (const cb of [...statusListeners]) cb(next, reconnected);
  }

  function connect(): void {
    if (socket || listeners.size === 0) return;
    const url = new URL(EVENTS_PATH, origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws: WebSocket;
    try {
      ws = new WS(url.href);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      retryMs = RECONNECT_MIN_MS;
      const reconnected = everConnected;
      everConnected = true;
      setState('connected', reconnected);
    };
    ws.onmessage = (msg) => {
      if (typeof msg.data !== 'string') return;
      let e: AppEvent;
      try {
        e = JSON.parse(msg.data) as AppEvent;
      } catch {
        return;
      }
      if (!e || typeof e.name !== 'string') return;
      for (const l of [...listeners]) l(e);
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      setState(everConnected ? 'offline' : 'connecting');
      scheduleReconnect();
    };
    ws.onerror = () => {
      /* onclose follows and schedules the retry */
    };
  }

  function scheduleReconnect(): void {
    if (retryTimer || listeners.size === 0) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, retryMs);
    retryMs = Math.min(RECONNECT_MAX_MS, retryMs * 2);
  }

  function disconnectIfIdle(): void {
    if (listeners.size > 0) return;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    const ws = socket;
    socket = null;
    ws?.close();
  }

  return {
    kind: 'browser',
    get connection() {
      return state;
    },
    async invoke(service: string, method: string, args: unknown[]): Promise<unknown> {
      let res: Response;
      try {
        res = await doFetch(new URL(CALL_PREFIX + channelOf(service, method), origin).href, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: toWireJson(args),
          credentials: 'same-origin',
          cache: 'no-store',
        });
      } catch {
        throw new AppError('io', 'Cannot reach the Maskwright host. Is `maskwright serve` still running?');
      }
      let body: CallResponse | null = null;
      try {
        body = fromWireJson(await res.text()) as CallResponse;
      } catch {
        body = null;
      }
      if (body && typeof body === 'object' && 'ok' in body) {
        if (body.ok) return body.result;
        throw AppError.from(body.error);
      }
      if (res.status === 401 || res.status === 403) {
        throw new AppError('forbidden', 'This page is not authorised. Open the link with the token that `maskwright serve` printed.');
      }
      throw new AppError('internal', `${service}.${method}: unexpected answer from the host (HTTP ${res.status})`);
    },
    subscribe(listener: (e: AppEvent) => void): () => void {
      listeners.add(listener);
      connect();
      return () => {
        listeners.delete(listener);
        disconnectIfIdle();
      };
    },
    assetUrl(kind: AssetKind, projectId: string, imageId: number): string {
      return `${ASSET_PREFIX}${kind}/${encodeURIComponent(projectId)}/${imageId}`;
    },
    onConnectionChange(cb) {
      statusListeners.add(cb);
      cb(state, false);
      return () => statusListeners.delete(cb);
    },
  };
}
