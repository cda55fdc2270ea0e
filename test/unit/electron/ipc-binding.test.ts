/**
 * The IPC binding's checks, run without an Electron binary: `electron` is replaced by a
 * minimal ipcMain registry (the real one cannot load here). What is tested is our code:
 * sender checks, argument validation and error transport.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allChannels } from '../../../core/api/contract';
import { EventHub } from '../../../core/api/events';
import { IPC_CALL_PREFIX, IPC_EVENT_CHANNEL } from '../../../core/api/http-routes';
import { createServices } from '../../../core/services/create-services';
import { REPO_ROOT } from '../../helpers/paths';

type Handler = (event: unknown, args: unknown) => Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }>;
const handlers = new Map<string, Handler>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (ch: string, fn: Handler) => void handlers.set(ch, fn),
    removeHandler: (ch: string) => void handlers.delete(ch),
  },
}));

const { bindIpc } = await import('../../../electron/main/ipc-binding');

let tmp: string;
const sent: unknown[] = [];
const trusted = { id: 1, isDestroyed: () => false, send: (ch: string, e: unknown) => sent.push([ch, e]) };
const TRUSTED_URL = 'file:///app/out/renderer/index.html';
let unbind: () => void;
let svc: ReturnType<typeof createServices>;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-ipc-'));
  const hub = new EventHub();
  svc = createServices({ dataDir: tmp, mode: 'electron', version: 'test', emit: hub.emit });
  unbind = bindIpc({
    impl: svc.impl,
    subscribe: (l) => hub.subscribe(l),
    isTrustedUrl: (u) => u === TRUSTED_URL,
    trustedContents: () => [trusted as never],
  });
});
afterAll(() => {
  unbind();
  svc.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const invoke = (channel: string, args: unknown, sender = { id: 1 }, url = TRUSTED_URL) =>
  handlers.get(IPC_CALL_PREFIX + channel)!({ sender, senderFrame: { url } }, args);

describe('Electron IPC binding', () => {
  it('binds exactly the channels of the contract', () => {
    expect([...handlers.keys()].sort()).toEqual(allChannels().map((c) => IPC_CALL_PREFIX + c).sort());
  });

  it('answers calls from the app window', async () => {
    expect(await invoke('app.info', [])).toMatchObject({ ok: true, result: { mode: 'electron' } });
  });

  it('refuses calls from other frames or web contents', async () => {
    expect(await invoke('app.info', [], { id: 1 }, 'https://evil.example/')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await invoke('app.info', [], { id: 2 })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('validates every argument', async () => {
    expect(await invoke('projects.open', [{ dir: 1 }])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await invoke('projects.open', 'not-an-array')).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await invoke('images.list', ['not-a-uuid', {}])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await invoke('images.setStatus', ['00000000-0000-0000-0000-000000000000', [1], 'finished'])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });

  it('sends events to the trusted window', async () => {
    const r = await invoke('projects.create', [{ dir: path.join(tmp, 'p'), name: 'P' }]);
    const pid = (r.result as { id: string }).id;
    await invoke('classes.create', [pid, { name: 'cell' }]);
    expect(sent.some((s) => (s as [string, { name: string }])[0] === IPC_EVENT_CHANNEL && (s as [string, { name: string }])[1].name === 'projects.onDidChange')).toBe(true);
  });
});

const preload = path.join(REPO_ROOT, 'out/preload/index.cjs');
describe.skipIf(!fs.existsSync(preload))(`built preload${fs.existsSync(preload) ? '' : ' (skipped: out/preload not built)'}`, () => {
  it('requires nothing but electron and allow-lists exactly the contract', () => {
    const src = fs.readFileSync(preload, 'utf8');
    expect([...src.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);
    for (const c of allChannels()) expect(src).toContain(`"${c}"`);
    expect(src).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*\)/);
  });
});
