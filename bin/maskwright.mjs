#!/usr/bin/env node
// The `maskwright` command: runs the bundled CLI (out/host/cli.js, made by `npm run build`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundled = path.join(root, 'out', 'host', 'cli.js');
if (!fs.existsSync(bundled)) {
  console.error(`maskwright: ${bundled} is missing; run \`npm run build\` in ${root} first.`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(bundled).href);
process.exitCode = await main(process.argv.slice(2));
