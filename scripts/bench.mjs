// `npm run bench`: builds nothing, runs the TypeScript benchmark runner with tsx.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'test/bench/run.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
