// `npm test`: lint, type-check every layer, build (the e2e tests drive the built app), then run
// every test with vitest. Stops at the first failing stage.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const npmRun = (script) => [process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', script]];
const stages = [
  ['lint', ...npmRun('lint')],
  ['typecheck', ...npmRun('typecheck')],
  ['build', ...npmRun('build')],
  ['tests', path.join(root, 'node_modules/.bin/vitest'), ['run', ...process.argv.slice(2)]],
];
for (const [name, cmd, args] of stages) {
  const t0 = Date.now();
  console.log(`\n▶ ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n✖ ${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  console.log(`✔ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
