// Issue 13 point 3: one request cannot crash or bloat the browser-mode server.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHub } from '../../../core/api/events';
import { MAX_BODY_BYTES, startHttpHost, type HttpHost } from '../../../core/host/http-host';
import { createServices, type AppServices } from '../../../core/services/create-services';

const LIMIT = 1024 * 1024;
let tmp: string;
let host: HttpHost;
let services: AppServices;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-limits-'));
  const rendererDir = path.join(tmp, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Maskwright</title>');
  const hub = new EventHub();
  services = createServices({ dataDir: path.join(tmp, 'data'), mode: 'browser', version: 'test', emit: hub.emit });
  host = await startHttpHost({ services, subscribe: (l) => hub.subscribe(l), rendererDir, token: 't'.repeat(32), maxBodyBytes: LIMIT });
});
afterAll(async () => {
  await host?.close();
  services?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** a raw request: status and body, or the socket error (never hangs) */
function raw(pathname: string, opts: { method?: string; headers?: Record<string, string | number>; body?: (req: http.ClientRequest) => void } = {}): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port: host.port, path: pathname, method: opts.method ?? 'POST', headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => resolve({ status: res.statusCode! }));
      },
    );
    req.on('error', (e) => resolve({ error: e.message }));
    if (opts.body) opts.body(req);
    else req.end();
  });
}

describe('browser-mode host limits', () => {
  it('the default limit covers a mask save of the largest image and stays below the longest string', () => {
    expect(MAX_BODY_BYTES).toBeGreaterThanOrEqual(256 * 1024 * 1024);
    expect(MAX_BODY_BYTES).toBeLessThan(0x1fffffe8);
  });

  it('answers 413 at once for a declared body over the limit, without reading it', async () => {
    const r = await raw('/api/call/app.info', {
      headers: { 'Content-Length': LIMIT * 50 },
      body: (req) => {
        req.write(Buffer.alloc(1000, 32));
        // the rest is never sent: the answer must come anyway
      },
    });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body!).error.code).toBe('too-large');
  });

  it('counts a chunked body while it streams and answers 413 once it passes the limit', async () => {
    const rss0 = process.memoryUsage().rss;
    const r = await raw('/api/call/app.info', {
      headers: { 'Transfer-Encoding': 'chunked' },
      body: (req) => {
        const chunk = Buffer.alloc(64 * 1024, 32);
        let sent = 0;
        const pump = () => {
          while (sent < LIMIT * 40) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        req.on('error', () => undefined);
        pump();
      },
    });
    // either the 413 arrives, or the server closed the socket before the client read it; never a 200
    if (r.status !== undefined) expect(r.status).toBe(413);
    else expect(r.error).toBeTruthy();
    expect(process.memoryUsage().rss - rss0).toBeLessThan(LIMIT * 30);
    // the server is still up
    expect((await raw('/api/call/app.info', { body: (req) => req.end('[]') })).status).toBe(200);
  });

  it('a body just under the limit is read', async () => {
    const body = JSON.stringify([' '.repeat(LIMIT - 100)]);
    const r = await raw('/api/call/app.info', { body: (req) => req.end(body) });
    expect(r.status).toBe(400); // app.info takes no argument: a validation error, answered as one
    expect(JSON.parse(r.body!).error.code).toBe('invalid-argument');
  });

  it('malformed %-escapes answer 400, not 500', async () => {
    expect((await raw('/api/call/app.%E0%A4%A', { body: (req) => req.end('[]') })).status).toBe(400);
    expect((await raw('/%E0%A4%A', { method: 'GET' })).status).toBe(400);
    expect((await raw('/assets/%ZZ.js', { method: 'GET' })).status).toBe(400);
  });

  it('a handler error reaches the client as an error and the server lives on', async () => {
    const bad = await raw('/api/call/projects.open', { body: (req) => req.end(JSON.stringify([{ dir: path.join(tmp, 'nope') }])) });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(bad.body!).ok).toBe(false);
    const notJson = await raw('/api/call/app.info', { body: (req) => req.end('{"a":') });
    expect(notJson.status).toBe(400);
    // a request aborted mid-body
    await new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: host.port, path: '/api/call/app.info', method: 'POST', headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', 'Content-Length': 1000 } });
      req.on('error', () => resolve());
      req.write('[  ');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    // an upgrade with an unparsable address does not throw in the upgrade handler
    const up = await raw('/%%/x', { method: 'GET', headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
    expect(up.status ?? 400).toBeGreaterThanOrEqual(400);
    expect((await raw('/api/call/app.info', { body: (req) => req.end('[]') })).status).toBe(200);
  });
});
