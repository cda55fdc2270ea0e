// `npm run bench`: builds nothing, runs the TypeScript benchmark runner with vite-node.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// vite-node, not tsx: the code imports SQL migrations with vite's `?raw`
const r = spawnSync(path.join(root, 'node_modules/.bin/vite-node'), [path.join(root, 'test/bench/run.ts'), '--', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
