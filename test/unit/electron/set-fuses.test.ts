// The packaging step that flips Electron's fuses (scripts/set-fuses.mjs, issue 13 point 8), run
// with the real @electron/fuses on a stand-in binary: random bytes around Electron's fuse wire
// (sentinel, wire version 1, length, one byte per fuse). No Electron binary is needed: the
// library finds and rewrites the wire the same way in a real executable.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// FuseV1Options order: RunAsNode, EnableCookieEncryption, EnableNodeOptionsEnvironmentVariable,
// EnableNodeCliInspectArguments, EnableEmbeddedAsarIntegrityValidation, OnlyLoadAppFromAsar,
// LoadBrowserProcessSpecificV8Snapshot, GrantFileProtocolExtraPrivileges, WasmTrapHandlers
const STOCK = '101100011'; // Electron's defaults: node-ish fuses on, cookie encryption off

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fuses-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fakeBinary(wire: string): { file: string; before: Buffer; at: number } {
  const head = crypto.randomBytes(4096);
  const tail = crypto.randomBytes(4096);
  const before = Buffer.concat([head, Buffer.from(SENTINEL), Buffer.from([1, wire.length]), Buffer.from(wire, 'latin1'), tail]);
  const file = path.join(tmp, `electron-${crypto.randomUUID()}`);
  fs.writeFileSync(file, before);
  return { file, before, at: head.length + SENTINEL.length + 2 };
}

describe('scripts/set-fuses.mjs', () => {
  it('turns RunAsNode, NODE_OPTIONS and --inspect off and cookie encryption on, touching nothing else', () => {
    const { file, before, at } = fakeBinary(STOCK);
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/set-fuses.mjs'), file], { encoding: 'utf8' });
    expect(r.stderr.replace(/npm warn.*\n/g, '')).not.toMatch(/not installed/);
    expect(r.status).toBe(0);
    const after = fs.readFileSync(file);
    const wire = after.subarray(at, at + STOCK.length).toString('latin1');
    expect(wire[0]).toBe('0'); // RunAsNode
    expect(wire[1]).toBe('1'); // EnableCookieEncryption
    expect(wire[2]).toBe('0'); // EnableNodeOptionsEnvironmentVariable
    expect(wire[3]).toBe('0'); // EnableNodeCliInspectArguments
    expect(wire.slice(6)).toBe(STOCK.slice(6)); // the rest as Electron shipped them
    // every byte outside the wire is unchanged
    expect(after.subarray(0, at).equals(before.subarray(0, at))).toBe(true);
    expect(after.subarray(at + STOCK.length).equals(before.subarray(at + STOCK.length))).toBe(true);
  });

  it('refuses a file that is not an Electron binary, and a missing path, without writing', () => {
    const file = path.join(tmp, 'not-electron');
    const bytes = crypto.randomBytes(10_000);
    fs.writeFileSync(file, bytes);
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/set-fuses.mjs'), file], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/sentinel/i);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    const missing = spawnSync(process.execPath, [path.join(root, 'scripts/set-fuses.mjs'), path.join(tmp, 'nope')], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/usage/);
  });
});
