// Layering rules from DESIGN.md, enforced: dependencies point inward.
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';
import layers from './scripts/eslint/layers-plugin.js';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'url', 'worker_threads', 'stream', 'zlib', 'util', 'events', 'buffer', 'process'];
const nodeImports = [
  { group: ['node:*'], message: 'Pure layers and the renderer must not import Node built-ins.' },
  { group: ['better-sqlite3', 'sharp', '@tensorflow/*', 'ws'], message: 'Native/Node-only packages stay in core/{store,imaging,ml,host}.' },
];
// bare built-in names: exact paths (a pattern would also match a local './events')
const nodePaths = nodeBuiltins.map((name) => ({ name, message: 'Pure layers and the renderer must not import Node built-ins.' }));
const uiImports = [
  { group: ['electron', 'electron/*'], message: 'core/ never imports electron.' },
  { group: ['svelte', 'svelte/*', '*.svelte'], message: 'core/ never imports svelte.' },
];
const domGlobals = ['window', 'document', 'navigator', 'localStorage', 'HTMLElement', 'HTMLCanvasElement'].map((name) => ({
  name,
  message: 'core/ must run without a DOM.',
}));

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'bench-results/**'] },
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser } },
  },
  {
    // which layer may import which (scripts/eslint/layers-plugin.js: LAYER_DEPS)
    files: ['core/**/*.ts', 'electron/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.svelte'],
    plugins: { maskwright: layers },
    rules: { 'maskwright/layers': 'error' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['core/**/*.ts'],
    ignores: ['core/api/**', 'core/mask/**', 'core/editor/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: uiImports }],
      'no-restricted-globals': ['error', ...domGlobals],
    },
  },
  {
    files: ['core/api/**/*.ts', 'core/mask/**/*.ts', 'core/editor/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodePaths,
          patterns: [
            ...uiImports,
            ...nodeImports,
            { group: ['../store/*', '../imaging/*', '../ml/*', '../formats/*', '../services/*', '../host/*'], message: 'Pure layers import only other pure layers.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...domGlobals],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodePaths,
          patterns: [
            ...nodeImports,
            { group: ['electron', 'electron/*'], message: 'The renderer talks to the app only through the API client.' },
            { group: ['**/core/store/**', '**/core/imaging/**', '**/core/ml/**', '**/core/formats/**', '**/core/services/**', '**/core/host/**'], message: 'The renderer may import only core/{api,mask,editor}.' },
          ],
        },
      ],
    },
  },
);
