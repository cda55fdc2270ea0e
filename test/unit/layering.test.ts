/** The layering rules of DESIGN.md are enforced by ESLint; prove they bite. */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';
// @ts-expect-error -- a plain-JS ESLint plugin without types
import { LAYER_DEPS, layerOf } from '../../scripts/eslint/layers-plugin.js';

const eslint = new ESLint({ cwd: REPO_ROOT });
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return (r?.messages ?? []).filter((m) => m.ruleId === 'maskwright/layers').map((m) => m.message);
}

async function restricted(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals').map((m) => m.message);
}

describe('layering rules', () => {
  it('core/ may not import electron or svelte, nor touch DOM globals', async () => {
    expect(await restricted('core/store/probe.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
    expect(await restricted('core/services/probe.ts', "import { mount } from 'svelte';\nexport const m = mount;\n")).toHaveLength(1);
    expect(await restricted('core/services/probe.ts', 'export const w = window.innerWidth;\n')).toHaveLength(1);
    expect(await restricted('core/store/probe.ts', "import fs from 'node:fs';\nexport const f = fs;\n")).toEqual([]);
  });

  it('pure layers (api, mask, editor) may not import Node built-ins or native packages', async () => {
    expect(await restricted('core/mask/probe.ts', "import fs from 'node:fs';\nexport const f = fs;\n")).toHaveLength(1);
    expect(await restricted('core/api/probe.ts', "import path from 'path';\nexport const p = path;\n")).toHaveLength(1);
    expect(await restricted('core/editor/probe.ts', "import Database from 'better-sqlite3';\nexport const d = Database;\n")).toHaveLength(1);
    expect(await restricted('core/editor/probe.ts', "import { ProjectStore } from '../store/project-store';\nexport const s = ProjectStore;\n")).toHaveLength(1);
    expect(await restricted('core/api/probe.ts', "import { EventHub } from './events';\nexport const e = EventHub;\n")).toEqual([]);
  });

  it('the renderer may import only core/{api,mask,editor}, never Node or electron', async () => {
    expect(await restricted('renderer/src/probe.ts', "import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;\n")).toHaveLength(1);
    expect(await restricted('renderer/src/probe.ts', "import fs from 'node:fs';\nexport const f = fs;\n")).toHaveLength(1);
    expect(await restricted('renderer/src/probe.ts', "import { createServices } from '../../core/services/create-services';\nexport const c = createServices;\n")).toHaveLength(1);
    expect(await restricted('renderer/src/probe.ts', "import { createClient } from '../../core/api/client';\nexport const c = createClient;\n")).toEqual([]);
  });

  it('each layer may import exactly the layers DESIGN.md allows, judged by the resolved path', async () => {
    const deps = LAYER_DEPS as Record<string, string[]>;
    const layers = Object.keys(deps);
    // one probe file per layer, one folder deep, importing a file of every other layer
    // resources/ holds data, no code to lint; every other layer is probed
    for (const from of layers.filter((l) => l !== 'resources')) {
      const file = `${from}/sub/probe.ts`;
      const imports = layers.filter((to) => to !== from).map((to, i) => `import * as m${i} from '../../${from.includes('/') ? '../' : ''}${to}/x';\nexport const e${i} = m${i};`);
      const errors = await layerErrors(file, imports.join('\n') + '\n');
      const denied = layers.filter((to) => to !== from && !deps[from]!.includes(to));
      expect(errors.map((e) => e.split(' may not import ')[1]!.split(' (')[0]).sort(), from).toEqual(denied.sort());
    }
  });

  it('fires on the imports that used to slip through: nested tools, store -> services, ml -> store/host, formats -> services', async () => {
    expect(await layerErrors('core/editor/tools/probe.ts', "import { ProjectStore } from '../../store/project-store';\nexport const s = ProjectStore;\n")).toEqual([
      'core/editor may not import core/store (it may import core/api, core/mask; see DESIGN.md).',
    ]);
    expect(await layerErrors('core/store/probe.ts', "import { createServices } from '../services/create-services';\nexport const c = createServices;\n")).toHaveLength(1);
    expect(await layerErrors('core/ml/train/probe.ts', "import { ProjectStore } from '../../store/project-store';\nexport const s = ProjectStore;\n")).toHaveLength(1);
    expect(await layerErrors('core/ml/probe.ts', "export { serve } from '../host/serve';\n")).toHaveLength(1);
    expect(await layerErrors('core/ml/probe.ts', "export const l = () => import('../host/cli');\n")).toHaveLength(1);
    expect(await layerErrors('core/formats/probe.ts', "export * from '../services/dataset-service';\n")).toHaveLength(1);
    expect(await layerErrors('electron/main/probe.ts', "import { x } from '../../renderer/src/x';\nexport const y = x;\n")).toHaveLength(1);
    // allowed: inward imports, the layer's own files, a raw-text query suffix
    expect(await layerErrors('core/services/probe.ts', "import { ProjectStore } from '../store/project-store';\nexport const s = ProjectStore;\n")).toEqual([]);
    expect(await layerErrors('core/store/migrations/probe.ts', "import sql from './0001-init.sql?raw';\nexport const q = sql;\n")).toEqual([]);
    expect(await layerErrors('core/ml/models/probe.ts', "import d from '../../../resources/models/defaults.json';\nexport const x = d;\n")).toEqual([]);
  });

  it('knows which layer a path is in (tests and scripts are in none)', () => {
    expect(layerOf(path.join(REPO_ROOT, 'core/editor/tools/brush.ts'))).toBe('core/editor');
    expect(layerOf(path.join(REPO_ROOT, 'core/mask'))).toBe('core/mask');
    expect(layerOf(path.join(REPO_ROOT, 'core/masks/x.ts'))).toBeNull();
    expect(layerOf(path.join(REPO_ROOT, 'test/unit/x.ts'))).toBeNull();
  });
});
