// `npm start`: build, then open the Electron app where its binary exists (or can be
// fetched) and a display is available; otherwise serve browser mode on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (!process.argv.includes('--no-build')) run(process.execPath, [path.join(root, 'scripts/build.mjs')]);

function electronBinary() {
  try {
    const p = require('electron'); // the path of the binary, when it was downloaded
    if (typeof p === 'string' && fs.existsSync(p)) return { path: p };
  } catch (err) {
    return { why: `the Electron binary is not installed (${String(err.message).split('\n')[0]})` };
  }
  // try to obtain it once (works where the download host is reachable)
  const installer = path.join(path.dirname(require.resolve('electron/package.json')), 'install.js');
  if (fs.existsSync(installer) && !process.env.CI) {
    console.log('Electron binary missing; trying to download it (30 s at most)…');
    const r = spawnSync(process.execPath, [installer], { cwd: root, stdio: 'inherit', timeout: 30_000 });
    if (r.status === 0) {
      try {
        const p = require('electron');
        if (fs.existsSync(p)) return { path: p };
      } catch {
        /* fall through */
      }
    }
    return { why: 'the Electron binary is not installed and could not be downloaded on this machine' };
  }
  return { why: 'the Electron binary is not installed' };
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
