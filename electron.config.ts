/**
 * electron-vite build of the desktop app (non-default name: scripts pass `-c electron.config.ts`).
 * Layout (DESIGN.md): electron/main -> out/main, electron/preload -> out/preload (CommonJS, as
 * sandboxed preloads must be), renderer/ -> out/renderer (also served by browser mode).
 */
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import pkg from './package.json' with { type: 'json' };
import { allChannels } from './core/api/contract';

const define = { __MASKWRIGHT_VERSION__: JSON.stringify(pkg.version) };

export default defineConfig({
  main: {
    define,
    build: {
      outDir: 'out/main',
      // the ML worker (training and batch pre-labelling) is loaded from beside the main bundle
      rollupOptions: {
        input: { index: resolve(__dirname, 'electron/main/index.ts'), 'training-worker': resolve(__dirname, 'core/ml/worker/training-worker.ts'), 'live-worker': resolve(__dirname, 'core/ml/worker/live-worker.ts') },
      },
    },
  },
  preload: {
    // the allow-list is computed here so the preload stays tiny (no zod, no contract code)
    define: { __MASKWRIGHT_CHANNELS__: JSON.stringify(allChannels()) },
    build: {
      outDir: 'out/preload',
      // a sandboxed preload cannot require packages: bundle everything it uses
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    define,
    plugins: [svelte()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: resolve(__dirname, 'renderer/index.html') },
    },
  },
});
