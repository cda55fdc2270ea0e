/**
 * Browser mode's host: serves the built renderer and binds the same services as
 * Electron's IPC to HTTP + WebSocket on 127.0.0.1, behind a per-run token.
 * Protocol: core/api/http-routes.ts.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { AppError } from '../api/errors';
import type { AppEvent } from '../api/events';
import { ASSET_PREFIX, CALL_PREFIX, EVENTS_PATH, TOKEN_COOKIE } from '../api/http-routes';
import type { CallResponse } from '../api/http-routes';
import { dispatch } from '../api/rpc';
import { fromWireJson, toWireJson } from '../api/wire';
import type { AppServices } from '../services/create-services';

export interface HttpHostOptions {
  services: AppServices;
  subscribe: (listener: (e: AppEvent) => void) => () => void;
  /** folder of the built renderer (index.html + assets) */
  rendererDir: string;
  port?: number;
  /** fixed token (tests); random per run otherwise */
  token?: string;
  /** request body limit (tests); MAX_BODY_BYTES otherwise */
  maxBodyBytes?: number;
}

export interface HttpHost {
  url: string;
  /** the URL to open, with the token */
  openUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The largest legitimate request is a mask save (masks.save) of the largest supported image
 * (DEFAULT_MAX_PIXELS, 400 MP, e.g. 20000 x 20000): its label-map blob is run-length coded, and
 * 192 MiB of runs is ~10 KB per row (~2500 runs of up to 4 bytes per row, far beyond a drawn
 * mask); base64 makes that 256 MiB of JSON. A larger body is answered 413 without reading it
 * (Content-Length) or as soon as the count passes the limit (chunked); nothing beyond the limit
 * is held, and the limit stays below V8's longest string (~512 MiB), which JSON.parse needs.
 */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;
const HTTP_STATUS: Partial<Record<AppError['code'], number>> = {
  'invalid-argument': 400,
  'not-found': 404,
  'already-exists': 409,
  conflict: 409,
  forbidden: 403,
  'not-available': 501,
  internal: 500,
};
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};
export const BROWSER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

export async function startHttpHost(opts: HttpHostOptions): Promise<HttpHost> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const rendererDir = path.resolve(opts.rendererDir);
  let port = 0;

  const tokenOk = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const requestToken = (req: http.IncomingMessage, url: URL): string | null => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice(7);
    const q = url.searchParams.get('token');
    if (q) return q;
    return parseCookies(req.headers.cookie)[TOKEN_COOKIE] ?? null;
  };

  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  // every failure of a handler is answered (or the connection closed); none escapes as an uncaught exception
  const server = http.createServer((req, res) => {
    const fail = (err: unknown) => {
      try {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'internal', message: String((err as Error)?.message ?? err) } });
        else res.destroy();
      } catch {
        res.destroy();
      }
    };
    try {
      handle(req, res).catch(fail);
    } catch (err) {
      fail(err);
    }
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    // DNS-rebinding guard: only our own host names
    if (!allowedHosts().has(req.headers.host ?? '')) return sendText(res, 421, 'Misdirected request');
    const url = parseUrl(req);
    if (!url) return sendText(res, 400, 'Bad request address');
    if (!tokenOk(requestToken(req, url))) {
      return sendText(res, 401, 'Maskwright: this address needs the token printed when the server started (open the full URL).');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return sendText(res, 403, 'Cross-origin requests are refused.');

    if (url.pathname.startsWith(CALL_PREFIX)) {
      if (req.method !== 'POST') return sendText(res, 405, 'Use POST');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendText(res, 415, 'Content-Type must be application/json');
      const channel = safeDecode(url.pathname.slice(CALL_PREFIX.length));
      if (channel === null) return sendText(res, 400, 'Malformed %-escape in the address');
      const dot = channel.indexOf('.');
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBody) return tooLarge(req, res, maxBody);
      let args: unknown;
      try {
        const body = await readBody(req, maxBody);
        if (body === null) return tooLarge(req, res, maxBody);
        args = fromWireJson(body);
      } catch (err) {
        const e = err instanceof AppError ? err : new AppError('invalid-argument', 'The request body is not valid JSON.');
        return sendJson(res, e.code === 'too-large' ? 413 : (HTTP_STATUS[e.code] ?? 400), { ok: false, error: e.toJSON() });
      }
      try {
        const result = await dispatch(opts.services.impl, channel.slice(0, dot), channel.slice(dot + 1), args);
        return sendJson(res, 200, { ok: true, result: result ?? null });
      } catch (err) {
        const e = AppError.from(err);
        return sendJson(res, HTTP_STATUS[e.code] ?? 422, { ok: false, error: e.toJSON() });
      }
    }

    if (url.pathname.startsWith(ASSET_PREFIX)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Use GET');
      const [kind, projectId, imageIdRaw] = url.pathname.slice(ASSET_PREFIX.length).split('/');
      const imageId = Number(imageIdRaw);
      if ((kind !== 'thumb' && kind !== 'image') || !projectId || !Number.isInteger(imageId) || imageId <= 0) {
        return sendText(res, 400, 'Bad asset address');
      }
      try {
        const asset = await opts.services.resolveAsset(kind, projectId, imageId);
        return sendFile(req, res, asset.file, asset.contentType, 'private, max-age=3600');
      } catch (err) {
        const e = AppError.from(err);
        return sendText(res, HTTP_STATUS[e.code] ?? 500, e.message);
      }
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed');
    // first visit with ?token=: keep it in an HttpOnly cookie so assets and the WebSocket carry it
    if (url.searchParams.get('token')) {
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    const decoded = safeDecode(url.pathname);
    if (decoded === null) return sendText(res, 400, 'Malformed %-escape in the address');
    const rel = url.pathname === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    if (rel.includes('\0')) return sendText(res, 400, 'Bad request address');
    const file = path.resolve(rendererDir, rel);
    if (!file.startsWith(rendererDir + path.sep)) return sendText(res, 403, 'Forbidden');
    const target = fs.existsSync(file) && fs.statSync(file).isFile() ? file : path.join(rendererDir, 'index.html');
    if (!fs.existsSync(target)) return sendText(res, 503, `The UI is not built (${rendererDir} is empty). Run: npm run build`);
    res.setHeader('Content-Security-Policy', BROWSER_CSP);
    return sendFile(req, res, target, MIME[path.extname(target)] ?? 'application/octet-stream', target.endsWith('index.html') ? 'no-store' : 'no-cache');
  }

  // WebSocket events: same token, and the Origin must be ours (no cross-site sockets)
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const reject = (code: number, msg: string) => {
      socket.write(`HTTP/1.1 ${code} ${msg}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    const url = parseUrl(req);
    if (!url) return reject(400, 'Bad Request');
    if (url.pathname !== EVENTS_PATH) return reject(404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return reject(421, 'Misdirected Request');
    if (!allowedOrigins().has(req.headers.origin ?? '')) return reject(403, 'Forbidden');
    if (!tokenOk(requestToken(req, url))) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', () => undefined); // the client only listens
    });
  });
  const unsubscribe = opts.subscribe((e) => {
    const msg = JSON.stringify(e);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    openUrl: `${base}/?token=${token}`,
    token,
    port,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function setSecurityHeaders(res: http.ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** new URL() of a request, or null when the address (or Host) cannot be parsed */
function parseUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', `http://${req.headers.host}`);
  } catch {
    return null;
  }
}

/** decodeURIComponent, or null for a malformed %-escape */
function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** 413 and close: the rest of the body is neither read nor kept */
function tooLarge(req: http.IncomingMessage, res: http.ServerResponse, limit: number): void {
  const err = new AppError('too-large', `The request body is larger than the ${Math.round(limit / 1024 / 1024)} MiB a request may carry.`);
  const data = toWireJson({ ok: false, error: err.toJSON() });
  res.writeHead(413, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(data), Connection: 'close' });
  res.end(data, () => req.socket.destroy());
  req.pause();
}

/**
 * The body as text, counted while it streams: null as soon as it passes `limit` (the chunks read
 * so far are dropped), so no body beyond the limit is ever held. Every failure rejects the promise.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    req.on('data', (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        settle(() => resolve(null));
      } else chunks.push(c);
    });
    req.on('end', () =>
      settle(() => {
        try {
          resolve(Buffer.concat(chunks, size).toString('utf8'));
        } catch (err) {
          reject(new AppError('too-large', `The request body could not be read: ${(err as Error).message}`));
        }
      }),
    );
    req.on('error', (err) => settle(() => reject(new AppError('io', `The request was interrupted: ${err.message}`))));
    req.on('aborted', () => settle(() => reject(new AppError('io', 'The request was aborted.'))));
  });
}

function sendJson(res: http.ServerResponse, status: number, body: CallResponse): void {
  const data = toWireJson(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: string, contentType: string, cache: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return sendText(res, 404, 'Not found');
  }
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': st.size, 'Cache-Control': cache });
  if (req.method === 'HEAD') return void res.end();
  fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
}
