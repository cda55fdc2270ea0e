// `npm start` tries to download the Electron binary where it is missing; where that fails (no
// network, a proxy, a blocked host) every start used to spend ~15 s failing again. The failure is
// remembered in node_modules/.cache/maskwright/electron-download.json with the time, the network
// (a hash of this machine's non-loopback addresses) and the electron version; the next start skips
// the download until RETRY_AFTER_MS has passed, the network changed, electron was reinstalled at
// another version, or `--retry-electron` / MASKWRIGHT_RETRY_ELECTRON=1 asks for it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

export function memoPath(root) {
  return path.join(root, 'node_modules', '.cache', 'maskwright', 'electron-download.json');
}

/** a short hash of the machine's non-internal addresses: changes when the network does */
export function networkKey(interfaces = os.networkInterfaces()) {
  const addrs = [];
  for (const list of Object.values(interfaces)) for (const a of list ?? []) if (!a.internal) addrs.push(a.address);
  addrs.sort();
  return crypto.createHash('sha256').update(addrs.join(',')).digest('hex').slice(0, 12);
}

function ago(ms) {
  const min = Math.round(ms / 60_000);
  return min < 1 ? 'under a minute' : min < 60 ? `${min} min` : `${Math.round(min / 60)} h`;
}

/**
 * Whether to try the download now. memo: the remembered failure ({ failedAt, network, electron,
 * reason }) or null. Returns { attempt: true, why } or { attempt: false, why } (why: one line for
 * the console).
 */
export function downloadDecision(memo, { now, network, electron, force = false, retryAfterMs = RETRY_AFTER_MS }) {
  if (force) return { attempt: true, why: 'a retry was asked for' };
  if (!memo || typeof memo.failedAt !== 'number') return { attempt: true, why: 'no earlier failure is known' };
  if (memo.network !== network) return { attempt: true, why: 'the network changed since the last failed download' };
  if (memo.electron !== electron) return { attempt: true, why: 'electron was reinstalled at another version' };
  const since = now - memo.failedAt;
  if (since < 0 || since >= retryAfterMs) return { attempt: true, why: `the last failed download was ${ago(Math.max(0, since))} ago` };
  return {
    attempt: false,
    why: `the Electron download failed ${ago(since)} ago${memo.reason ? ` (${memo.reason})` : ''}; not retrying for ${ago(retryAfterMs - since)} or until the network changes (npm start -- --retry-electron tries now)`,
  };
}

export function readMemo(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export function writeMemo(file, memo) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(memo)}\n`);
  } catch {
    /* a read-only node_modules: the next start tries again */
  }
}

export function clearMemo(file) {
  fs.rmSync(file, { force: true });
}
