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
}

export interface HttpHost {
  url: string;
  /** the URL to open, with the token */
  openUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 700 * 1024 * 1024; // masks of very large images travel as base64
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

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'internal', message: String((err as Error)?.message ?? err) } });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    // DNS-rebinding guard: only our own host names
    if (!allowedHosts().has(req.headers.host ?? '')) return sendText(res, 421, 'Misdirected request');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (!tokenOk(requestToken(req, url))) {
      return sendText(res, 401, 'Maskwright: this address needs the token printed when the server started (open the full URL).');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return sendText(res, 403, 'Cross-origin requests are refused.');

    if (url.pathname.startsWith(CALL_PREFIX)) {
      if (req.method !== 'POST') return sendText(res, 405, 'Use POST');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendText(res, 415, 'Content-Type must be application/json');
      const channel = decodeURIComponent(url.pathname.slice(CALL_PREFIX.length));
      const dot = channel.indexOf('.');
      let args: unknown;
      try {
        args = fromWireJson(await readBody(req));
      } catch (err) {
        const e = err instanceof AppError ? err : new AppError('invalid-argument', 'The request body is not valid JSON.');
        return sendJson(res, HTTP_STATUS[e.code] ?? 400, { ok: false, error: e.toJSON() });
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
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
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
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const reject = (code: number, msg: string) => {
      socket.write(`HTTP/1.1 ${code} ${msg}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
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

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AppError('invalid-argument', 'Request body too large.'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
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
