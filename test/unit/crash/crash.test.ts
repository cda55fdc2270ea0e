// Issue 13 crash tests: SIGKILL at random points during import, import-annotations --apply,
// export, a browser-mode mask save and training; then SQLite's integrity check, the consistency
// check (`check`: every row has its files), and a re-run that completes and leaves no leftovers.
// Small sizes; the host is bundled once into out/crash-host-<pid>/ (as `npm run build:host` does).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { build, type PluginBuild } from 'esbuild';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWireJson } from '../../../core/api/wire';
import { LabelMap } from '../../../core/mask/label-map';
import { REPO_ROOT } from '../../helpers/paths';

const HOST_DIR = path.join(REPO_ROOT, 'out', `crash-host-${process.pid}`);
let tmp: string;
let imgs: string;
const seed = Number(process.env.MW_CRASH_SEED ?? Date.now() % 100000);
let state = seed >>> 0;
const rand = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 4294967296;
};

beforeAll(async () => {
  const rawPlugin = {
    name: 'raw',
    setup(b: PluginBuild) {
      b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: path.resolve(args.resolveDir, args.path.replace(/\?raw$/, '')), namespace: 'raw' }));
      b.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({ contents: fs.readFileSync(args.path, 'utf8'), loader: 'text' }));
    },
  };
  await build({
    entryPoints: { cli: path.join(REPO_ROOT, 'core/host/cli.ts'), 'training-worker': path.join(REPO_ROOT, 'core/ml/worker/training-worker.ts') },
    outdir: HOST_DIR,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    define: { __MASKWRIGHT_VERSION__: '"crash-test"' },
    plugins: [rawPlugin],
    logLevel: 'error',
  });
  fs.writeFileSync(path.join(HOST_DIR, 'run.mjs'), "import { main } from './cli.js';\nprocess.exitCode = await main(process.argv.slice(2));\n");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-crash-'));
  imgs = path.join(tmp, 'imgs');
  fs.mkdirSync(imgs);
  for (let i = 0; i < 24; i++) {
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: 128 } } })
      .png()
      .toFile(path.join(imgs, `im${String(i).padStart(2, '0')}.png`));
  }
  console.log(`crash tests: seed ${seed} (MW_CRASH_SEED=${seed} repeats the kill points)`);
}, 120_000);
afterAll(() => {
  fs.rmSync(HOST_DIR, { recursive: true, force: true });
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[]): ChildProcess {
  // a file, not -e: worker threads inherit the process's exec arguments
  return spawn(process.execPath, [path.join(HOST_DIR, 'run.mjs'), ...args], {
    env: { ...process.env, MASKWRIGHT_HOME: path.join(tmp, 'home') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = cli(args);
    let out = '';
    p.stdout!.on('data', (c) => (out += c));
    p.stderr!.on('data', (c) => (out += c));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

/** starts the command and SIGKILLs it after a random delay in [minMs, maxMs) (if still running) */
function killedRun(args: string[], minMs: number, maxMs: number): Promise<{ killed: boolean }> {
  return new Promise((resolve) => {
    const p = cli(args);
    p.stdout!.resume();
    p.stderr!.resume();
    const t = setTimeout(() => p.kill('SIGKILL'), minMs + rand() * (maxMs - minMs));
    p.on('exit', (_code, signal) => {
      clearTimeout(t);
      resolve({ killed: signal === 'SIGKILL' });
    });
  });
}

function integrity(proj: string): string {
  const db = new Database(path.join(proj, 'project.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as Record<string, string>[]).map((r) => Object.values(r)[0]).join('; ');
  } finally {
    db.close();
  }
}

/** the `check` command's report: rows have files, masks decode; orphans and leftovers listed */
async function consistency(proj: string): Promise<{ integrity: string[]; problems: unknown[]; orphans: string[]; leftovers: string[] }> {
  const r = await run(['check', proj, '--json']);
  return JSON.parse(r.out.slice(r.out.indexOf('{'))) as { integrity: string[]; problems: unknown[]; orphans: string[]; leftovers: string[] };
}

async function afterKill(proj: string): Promise<void> {
  expect(integrity(proj)).toBe('ok');
  const c = await consistency(proj);
  expect(c.integrity).toEqual([]);
  expect(c.problems).toEqual([]);
}

describe('crash tests (SIGKILL at random points)', () => {
  it('import: killed, then consistent, and a re-run completes with no leftovers', async () => {
    const proj = path.join(tmp, 'p-import');
    expect((await run(['init', proj, '--classes', 'a'])).code).toBe(0);
    for (let k = 0; k < 3; k++) {
      await killedRun(['import', proj, imgs, '--copy'], 250, 900);
      await afterKill(proj);
    }
    const re = await run(['import', proj, imgs, '--copy', '--json']);
    expect(re.code, re.out).toBe(0);
    const c = await consistency(proj);
    expect(c.leftovers).toEqual([]);
    const ls = await run(['ls', proj, '--json', '--limit', '0']);
    expect((JSON.parse(ls.out) as { total: number }).total).toBe(24);
  });

  it('import-annotations --apply and export: killed, then consistent, re-runs complete', async () => {
    const proj = path.join(tmp, 'p-ann');
    expect((await run(['init', proj, '--classes', 'thing'])).code).toBe(0);
    expect((await run(['import', proj, imgs])).code).toBe(0);
    const coco = path.join(tmp, 'ann.json');
    const images = fs.readdirSync(imgs).sort().map((f, i) => ({ id: i + 1, file_name: f, width: 64, height: 48 }));
    const annotations = images.flatMap((im) =>
      [0, 1, 2].map((k) => ({ id: im.id * 10 + k, image_id: im.id, category_id: 1, segmentation: [[2 + k * 20, 2, 16 + k * 20, 2, 16 + k * 20, 40, 2 + k * 20, 40]], area: 500, bbox: [2 + k * 20, 2, 14, 38], iscrowd: 0 })),
    );
    fs.writeFileSync(coco, JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'thing' }] }));
    for (let k = 0; k < 2; k++) {
      await killedRun(['import-annotations', proj, coco, '--format', 'coco', '--apply'], 250, 900);
      await afterKill(proj);
    }
    const applied = await run(['import-annotations', proj, coco, '--format', 'coco', '--apply', '--json']);
    expect(applied.code, applied.out).toBe(0);
    const out = path.join(tmp, 'export-out');
    for (let k = 0; k < 2; k++) {
      await killedRun(['export', proj, out, '--format', 'voc'], 250, 900);
      await afterKill(proj);
    }
    const ex = await run(['export', proj, out, '--format', 'voc', '--overwrite', '--json']);
    expect(ex.code, ex.out).toBe(0);
    expect((JSON.parse(ex.out.slice(ex.out.indexOf('{'))) as { images: number }).images).toBe(24);
    // the killed exports' .partial folders are gone after the re-run
    expect(fs.readdirSync(tmp).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('browser-mode mask saves: the server killed mid-save keeps every saved mask whole', async () => {
    const proj = path.join(tmp, 'p-serve');
    expect((await run(['init', proj, '--classes', 'a'])).code).toBe(0);
    expect((await run(['import', proj, imgs])).code).toBe(0);
    for (let round = 0; round < 2; round++) {
      const p = cli(['serve', '--project', proj]);
      p.stderr!.resume();
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        p.stdout!.on('data', (c) => {
          buf += c;
          const m = /Open: (\S+)/.exec(buf);
          if (m) resolve(m[1]!);
        });
        p.on('exit', () => reject(new Error(`serve exited: ${buf}`)));
      });
      const u = new URL(url);
      const token = u.searchParams.get('token')!;
      const call = async (ch: string, args: unknown[]) => {
        const r = await fetch(`${u.origin}/api/call/${ch}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: toWireJson(args) });
        return (await r.json()) as { ok: boolean; result: unknown };
      };
      const recent = (await call('projects.listRecent', [])).result as { id: string }[];
      const pid = recent[0]!.id;
      const exited = new Promise<void>((r) => p.on('exit', () => r()));
      setTimeout(() => p.kill('SIGKILL'), 300 + rand() * 600);
      let saves = 0;
      try {
        for (let i = 0; i < 100_000; i++) {
          const iid = (i % 24) + 1;
          const m = new LabelMap(64, 48);
          const inst = m.addInstance({ classId: 1, source: 'human' });
          for (let k = i % 7; k < m.ids.length; k += 5) m.ids[k] = inst.id;
          const cur = (await call('masks.load', [pid, iid])).result as { version: number };
          const r = await call('masks.save', [pid, iid, { labelMap: m.encode(), expectedVersion: cur.version, addTimeMs: 10, addEdits: 1 }]);
          if (r.ok) saves++;
        }
      } catch {
        // the server was killed mid-request
      }
      await exited;
      expect(saves).toBeGreaterThan(0);
      await afterKill(proj);
    }
  });

  it('training: killed mid-run, then consistent; the run is marked failed on the next open and a re-run completes', async () => {
    const proj = path.join(tmp, 'p-ann'); // has masks from the import-annotations test
    await killedRun(['train', proj, '--budget-s', '20', '--max-steps', '3'], 1500, 4000);
    await afterKill(proj);
    const re = await run(['train', proj, '--budget-s', '20', '--max-steps', '2', '--json']);
    expect(re.code, re.out).toBe(0);
    const db = new Database(path.join(proj, 'project.sqlite'), { readonly: true });
    try {
      const running = db.prepare("SELECT COUNT(*) AS n FROM training_run WHERE status = 'running'").get() as { n: number };
      expect(running.n).toBe(0);
    } finally {
      db.close();
    }
    await afterKill(proj);
  }, 120_000);
});
