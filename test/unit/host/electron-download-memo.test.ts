// Issue 15: `npm start` remembers a failed Electron download instead of failing again (~15 s)
// at every start; it retries after some hours, on a network change, or when asked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RETRY_AFTER_MS, clearMemo, downloadDecision, memoPath, networkKey, readMemo, writeMemo } from '../../../scripts/electron-download-memo.mjs';

const H = 60 * 60 * 1000;
const memo = { failedAt: 1_000_000, network: 'net-a', electron: '45.5.0', reason: 'getaddrinfo ENOTFOUND github.com' };

describe('Electron download memo', () => {
  it('tries when nothing failed before, and skips a recent failure on the same network', () => {
    expect(downloadDecision(null, { now: 5, network: 'net-a', electron: '45.5.0' }).attempt).toBe(true);
    const skip = downloadDecision(memo, { now: memo.failedAt + 10 * 60_000, network: 'net-a', electron: '45.5.0' });
    expect(skip.attempt).toBe(false);
    expect(skip.why).toMatch(/failed 10 min ago \(getaddrinfo ENOTFOUND github\.com\); not retrying for 6 h/);
    expect(skip.why).toMatch(/--retry-electron/);
  });

  it('retries after RETRY_AFTER_MS, on another network, another electron version, or when forced', () => {
    expect(RETRY_AFTER_MS).toBe(6 * H);
    const at = (now: number, over: object = {}) => downloadDecision(memo, { now, network: 'net-a', electron: '45.5.0', ...over });
    expect(at(memo.failedAt + 6 * H - 1).attempt).toBe(false);
    expect(at(memo.failedAt + 6 * H).attempt).toBe(true);
    expect(at(memo.failedAt + 1, { network: 'net-b' })).toEqual({ attempt: true, why: 'the network changed since the last failed download' });
    expect(at(memo.failedAt + 1, { electron: '46.0.0' }).attempt).toBe(true);
    expect(at(memo.failedAt + 1, { force: true }).attempt).toBe(true);
    expect(at(memo.failedAt - H).attempt).toBe(true); // a clock that went back
    expect(downloadDecision({ garbage: true } as never, { now: 1, network: 'net-a', electron: '45.5.0' }).attempt).toBe(true);
  });

  it('the network key ignores loopback and the order of interfaces', () => {
    const a = { lo: [{ address: '127.0.0.1', internal: true }], eth0: [{ address: '10.0.0.5', internal: false }], wlan0: [{ address: '192.168.1.4', internal: false }] };
    const b = { wlan0: [{ address: '192.168.1.4', internal: false }], eth0: [{ address: '10.0.0.5', internal: false }] };
    const c = { eth0: [{ address: '10.0.0.6', internal: false }] };
    expect(networkKey(a as never)).toBe(networkKey(b as never));
    expect(networkKey(a as never)).not.toBe(networkKey(c as never));
    expect(networkKey()).toMatch(/^[0-9a-f]{12}$/);
  });

  it('the memo is written under node_modules/.cache, read back, and a broken file reads as none', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-memo-'));
    try {
      const file = memoPath(root);
      expect(file).toBe(path.join(root, 'node_modules', '.cache', 'maskwright', 'electron-download.json'));
      expect(readMemo(file)).toBeNull();
      writeMemo(file, memo);
      expect(readMemo(file)).toEqual(memo);
      fs.writeFileSync(file, '{not json');
      expect(readMemo(file)).toBeNull();
      clearMemo(file);
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
