import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serve } from '../../../core/host/serve';
import type { RunningServer } from '../../../core/host/serve';

let tmp: string;
let server: RunningServer;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-host-'));
  const rendererDir = path.join(tmp, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Maskwright</title>');
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'outside the renderer folder');
  server = await serve({ dataDir: path.join(tmp, 'data'), rendererDir });
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const call = (channel: string, args: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/call/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(args),
  });
const auth = () => ({ Authorization: `Bearer ${server.token}` });

function wsOpen(url: string, headers: Record<string, string>): Promise<{ opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.on('error', () => resolve({ opened: false }));
  });
}

describe('browser-mode host', () => {
  it('listens on 127.0.0.1 only, with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
    expect(server.openUrl).toBe(`${server.url}/?token=${server.token}`);
  });

  it('rejects requests without the token, or with a wrong one', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(401);
    expect((await call('app.info', [])).status).toBe(401);
    expect((await call('app.info', [], { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await fetch(`${server.url}/?token=${server.token}x`)).status).toBe(401);
  });

  it('serves the UI with the token and sets an HttpOnly SameSite=Strict cookie and a CSP', async () => {
    const res = await fetch(server.openUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Maskwright</title>');
    expect(res.headers.get('set-cookie')).toMatch(/mw_token=.+; HttpOnly; SameSite=Strict/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    // the cookie alone then authenticates
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const info = await call('app.info', [], { Cookie: cookie });
    expect(info.status).toBe(200);
    expect((await info.json()).result.mode).toBe('browser');
  });

  it('validates every argument and answers typed errors', async () => {
    const bad = await call('projects.open', [{ dir: 42 }], auth());
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid-argument');
    const extra = await call('projects.create', [{ dir: '/tmp/x', name: 'n', evil: true }], auth());
    expect(extra.status).toBe(400);
    const unknown = await call('projects.dropDatabase', [], auth());
    expect(unknown.status).toBe(404);
    const proto = await call('__proto__.constructor', [], auth());
    expect(proto.status).toBe(404);
    const notJson = await fetch(`${server.url}/api/call/app.info`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'text/plain' }, body: '[]' });
    expect(notJson.status).toBe(415);
    const missing = await call('projects.open', [{ dir: path.join(tmp, 'nowhere') }], auth());
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.message).toMatch(/does not exist/);
  });

  it('refuses cross-origin calls and foreign Host headers', async () => {
    const res = await call('app.info', [], { ...auth(), Origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    const same = await call('app.info', [], { ...auth(), Origin: server.url });
    expect(same.status).toBe(200);
  });

  it('does not serve files outside the renderer folder', async () => {
    const res = await fetch(`${server.url}/..%2Fsecret.txt?token=${server.token}`);
    expect(await res.text()).not.toContain('outside the renderer folder');
  });

  it('accepts the event WebSocket only from its own origin and with the token', async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/api/events`;
    expect(await wsOpen(wsUrl, { Origin: 'http://evil.example', Authorization: `Bearer ${server.token}` })).toEqual({ opened: false, status: 403 });
    expect(await wsOpen(wsUrl, { Origin: server.url })).toEqual({ opened: false, status: 401 });
    expect((await wsOpen(wsUrl, { Origin: server.url, Authorization: `Bearer ${server.token}` })).opened).toBe(true);
  });

  it('pushes events to connected sockets', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/events`, { headers: { Origin: server.url, Authorization: `Bearer ${server.token}` } });
    await new Promise((r) => ws.once('open', r));
    const got = new Promise<{ name: string }>((r) => ws.once('message', (m) => r(JSON.parse(String(m)))));
    const created = await call('projects.create', [{ dir: path.join(tmp, 'proj'), name: 'P' }], auth());
    const pid = (await created.json()).result.id;
    await call('classes.create', [pid, { name: 'cell' }], auth());
    expect((await got).name).toBe('projects.onDidChange');
    ws.close();
  });
});

describe('compute status', () => {
  it('reports the backend in use and why better ones were not used', async () => {
    const res = await call('app.compute', [], auth());
    expect(res.status).toBe(200);
    const info = (await res.json()).result;
    // no GPU and no tfjs-node here: wasm with our kernels; the two native backends are explained
    expect(['wasm', 'tensorflow', 'tensorflow-gpu', 'cpu']).toContain(info.name);
    expect(info.summary.length).toBeGreaterThan(10);
    expect(info.tried.length).toBeGreaterThanOrEqual(1);
    for (const t of info.tried) if (!t.ok) expect(t.reason.length).toBeGreaterThan(5);
  });
});
