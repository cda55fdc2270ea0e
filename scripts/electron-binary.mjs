// Finds the Electron binary without require('electron'), which (Electron 45) tries to
// download it on first use. Returns { path } or { why }.
import fs from 'node:fs';
import path from 'node:path';

export function findElectronBinary(root) {
  const pkgDir = path.join(root, 'node_modules', 'electron');
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) return { why: 'the electron package is not installed (run npm install)' };
  const pathFile = path.join(pkgDir, 'path.txt');
  const rel = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : '';
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(pkgDir, 'dist');
  if (rel && fs.existsSync(path.join(dist, rel))) return { path: path.join(dist, rel) };
  return { why: 'the Electron binary is not installed (node_modules/electron has no dist/)' };
}
