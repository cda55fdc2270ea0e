/**
 * Browser mode's wire protocol (shared by core/host/serve.ts and the renderer's
 * HTTP transport). Everything is on 127.0.0.1 and needs the per-run token:
 *
 *   GET  /?token=T                      -> sets the HttpOnly SameSite=Strict cookie and serves the UI
 *   POST /api/call/<service>.<method>   body: JSON array of arguments (Uint8Array as {"$b64": ...}, see wire.ts)
 *        -> 200 { ok: true, result } | 4xx/5xx { ok: false, error: { code, message } }
 *        needs Content-Type application/json and, when an Origin header is sent, the host's own origin
 *   GET  /api/asset/<kind>/<projectId>/<imageId> -> image bytes (kind: thumb | image)
 *   WS   /api/events                    -> server pushes { name, payload } (AppEvent); Origin must be ours
 *
 * The token is accepted from the cookie, an `Authorization: Bearer T` header or `?token=T`.
 */
export const TOKEN_COOKIE = 'mw_token';
export const CALL_PREFIX = '/api/call/';
export const ASSET_PREFIX = '/api/asset/';
export const EVENTS_PATH = '/api/events';

export type CallResponse = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** Electron: the custom protocol serving thumbnails and images to the sandboxed renderer. */
export const ASSET_SCHEME = 'mw-asset';
/** Electron IPC channel names */
export const IPC_CALL_PREFIX = 'mw:call:';
export const IPC_EVENT_CHANNEL = 'mw:event';
