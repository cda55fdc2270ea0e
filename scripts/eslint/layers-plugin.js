// The layering of DESIGN.md as one ESLint rule: every relative import (static, re-export or
// dynamic) is resolved to an absolute path, so nested folders (core/editor/tools/*) and long
// '../../..' chains are judged by where the file really is, not by how the path is spelt.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** layer -> the layers it may import (its own is always allowed); dependencies point inward */
export const LAYER_DEPS = {
  'core/api': [],
  'core/mask': ['core/api'],
  'core/editor': ['core/api', 'core/mask'],
  'core/store': ['core/api', 'core/mask'],
  'core/imaging': ['core/api', 'core/mask'],
  'core/ml': ['core/api', 'core/mask', 'core/imaging', 'resources'],
  'core/formats': ['core/api', 'core/mask', 'core/imaging', 'core/store'],
  'core/services': ['core/api', 'core/mask', 'core/editor', 'core/store', 'core/imaging', 'core/ml', 'core/formats', 'resources'],
  'core/host': ['core/api', 'core/mask', 'core/services', 'resources'],
  electron: ['core/api', 'core/mask', 'core/services', 'resources'],
  renderer: ['core/api', 'core/mask', 'core/editor', 'resources'],
  resources: [],
};
const LAYERS = Object.keys(LAYER_DEPS).sort((a, b) => b.length - a.length);

/** the layer an absolute path lies in, or null (tests, scripts, config files) */
export function layerOf(abs) {
  const rel = path.relative(ROOT, abs).split(path.sep).join('/');
  if (rel.startsWith('..')) return null;
  return LAYERS.find((l) => rel === l || rel.startsWith(`${l}/`)) ?? null;
}

const rule = {
  meta: { type: 'problem', schema: [], docs: { description: 'Imports follow the layering of DESIGN.md' } },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const from = layerOf(path.resolve(file));
    if (!from) return {};
    const check = (node) => {
      const spec = node && node.type === 'Literal' && typeof node.value === 'string' ? node.value : null;
      if (!spec || !spec.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(file), spec.split('?')[0]));
      if (!to || to === from || LAYER_DEPS[from].includes(to)) return;
      const ok = LAYER_DEPS[from].length ? LAYER_DEPS[from].join(', ') : 'nothing outside itself';
      context.report({ node, message: `${from} may not import ${to} (it may import ${ok}; see DESIGN.md).` });
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => n.source && check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
    };
  },
};

export default { rules: { layers: rule } };
