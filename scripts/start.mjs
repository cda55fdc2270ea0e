// `npm start`: build, then open the Electron app where its binary exists (or can be
// fetched) and a display is available; otherwise serve browser mode on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findElectronBinary } from './electron-binary.mjs';
import { clearMemo, downloadDecision, memoPath, networkKey, readMemo, writeMemo } from './electron-download-memo.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (!process.argv.includes('--no-build')) run(process.execPath, [path.join(root, 'scripts/build.mjs')]);

function electronBinary() {
  const found = findElectronBinary(root);
  if (found.path || process.env.CI) return found;
  // try to obtain it once (works where Electron's download host is reachable)
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!fs.existsSync(installer)) return found;
  // a download that failed recently on this network is not tried again at every start
  const memoFile = memoPath(root);
  let electron = '';
  try {
    electron = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version ?? '';
  } catch {
    /* no version: treated as a change */
  }
  const network = networkKey();
  const force = process.argv.includes('--retry-electron') || process.env.MASKWRIGHT_RETRY_ELECTRON === '1';
  const decision = downloadDecision(readMemo(memoFile), { now: Date.now(), network, electron, force });
  if (!decision.attempt) return { why: decision.why };
  console.log('The Electron binary is missing; trying to download it (60 s at most)…');
  const r = spawnSync(process.execPath, [installer], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const again = findElectronBinary(root);
  if (again.path) {
    clearMemo(memoFile);
    return again;
  }
  const reason = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|fetch failed/i.test(l))?.trim()?.slice(0, 160) ?? (r.error ? String(r.error.message).slice(0, 160) : undefined);
  writeMemo(memoFile, { failedAt: Date.now(), network, electron, ...(reason ? { reason } : {}) });
  return { why: `the Electron binary is not installed and could not be downloaded${reason ? ` (${reason})` : ''}; the next starts skip the download for a while (npm start -- --retry-electron tries again)` };
}

const forceBrowser = process.argv.includes('--browser') || process.env.MASKWRIGHT_MODE === 'browser';
const bin = forceBrowser ? { why: 'browser mode was asked for' } : electronBinary();
const hasDisplay = process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;

if (bin.path && hasDisplay) {
  const child = spawn(bin.path, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const why = bin.path ? 'no display is available (DISPLAY/WAYLAND_DISPLAY unset)' : bin.why;
  console.log(`Not starting Electron: ${why}. Starting browser mode instead.`);
  const { main } = await import(pathToFileURL(path.join(root, 'out/host/cli.js')).href);
  const port = process.env.PORT ?? '0';
  process.exitCode = await main(['serve', '--port', port]);
}
