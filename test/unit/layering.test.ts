/** The layering rules of DESIGN.md are enforced by ESLint; prove they bite. */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';

const eslint = new ESLint({ cwd: REPO_ROOT });
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
});
