// Bundles the headless host (CLI + browser-mode server) into out/host/cli.js for Node 20.
// Packages stay external (better-sqlite3, sharp and tfjs load from node_modules).
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** `import sql from './x.sql?raw'` -> the file's text (what vite does natively). */
const rawPlugin = {
  name: 'raw',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: path.resolve(args.resolveDir, args.path.replace(/\?raw$/, '')), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({ contents: fs.readFileSync(args.path, 'utf8'), loader: 'text' }));
  },
};

await build({
  entryPoints: { cli: path.join(root, 'core/host/cli.ts'), 'training-worker': path.join(root, 'core/ml/worker/training-worker.ts'), 'live-worker': path.join(root, 'core/ml/worker/live-worker.ts') },
  outdir: path.join(root, 'out/host'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  define: { __MASKWRIGHT_VERSION__: JSON.stringify(pkg.version) },
  plugins: [rawPlugin],
  logLevel: 'warning',
});
console.log('built out/host/cli.js');
