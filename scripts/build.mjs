// Builds everything: the Electron main/preload/renderer (electron-vite) and the headless host (esbuild).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
for (const [cmd, args] of [
  [bin('electron-vite'), ['build', '-c', 'electron.config.ts', '--logLevel', 'warn']],
  [process.execPath, [path.join(root, 'scripts/build-host.mjs')]],
]) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
