// Issue 13 point 5: leftovers of killed processes are removed by the next run; live ones are kept.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventHub } from '../../../core/api/events';
import { exportDataset } from '../../../core/formats/export-dataset';
import { createServices } from '../../../core/services/create-services';
import { cleanStaleExportPartials, isProcessAlive } from '../../../core/store/leftovers';
import { ProjectStore } from '../../../core/store/project-store';

let tmp: string;
let deadPid: number;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-leftovers-'));
  // the pid of a process that has exited
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  deadPid = Number(r.stdout);
  expect(isProcessAlive(deadPid)).toBe(false);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const touch = (p: string, data = '') => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
};

describe('stale leftovers', () => {
  it('the next import removes 0-byte thumbs/**.tmp (and other temp files) of dead processes, not of live ones', async () => {
    const dir = path.join(tmp, 'proj');
    ProjectStore.create(dir, { name: 'p' }).close();
    const dead = [
      touch(path.join(dir, 'thumbs', 'ab', `abcd.webp.${deadPid}.k3j2h1.tmp`)),
      touch(path.join(dir, 'images', `0123-x.png.${deadPid}.1733540000000.tmp`), 'partial copy'),
      touch(path.join(dir, 'previews', 'ab', `abcd.png.${deadPid}.1733540000000.tmp`)),
      touch(path.join(dir, `.project.sqlite.${deadPid}.1733540000000.tmp`)),
    ];
    const live = touch(path.join(dir, 'thumbs', 'cd', `cdef.webp.${process.pid}.zz.tmp`));
    const keep = touch(path.join(dir, 'thumbs', 'cd', 'notes.tmp')); // not one of our temp names
    const hub = new EventHub();
    const s = createServices({ dataDir: path.join(tmp, 'home'), mode: 'cli', version: 't', emit: hub.emit });
    try {
      expect(s.checkProject(dir).leftovers).toEqual(dead.slice().sort());
      const p = await s.impl.projects.open({ dir });
      const { jobId } = await s.impl.imports.start(p.id, { paths: [path.join(tmp, 'nothing-here')] });
      await s.waitForImport(jobId);
    } finally {
      s.dispose();
    }
    for (const f of dead) expect(fs.existsSync(f), f).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(keep)).toBe(true);
  });

  it('the next export to a folder removes its .partial folders of dead processes; an -old one is put back when the folder is missing', async () => {
    const dir = path.join(tmp, 'proj');
    const store = ProjectStore.create(dir, { name: 'p' });
    try {
      const out = path.join(tmp, 'out');
      const stale = path.join(tmp, `.out.partial-${deadPid}-lq2x8`);
      touch(path.join(stale, 'images', '0.jpg'), 'megabytes of copies');
      const liveOne = path.join(tmp, `.out.partial-${process.pid}-lq2x9`);
      touch(path.join(liveOne, 'a.json'), '{}');
      const other = path.join(tmp, `.other.partial-${deadPid}-lq2x8`); // another destination's: not ours to touch
      touch(path.join(other, 'a.json'), '{}');
      await exportDataset(store, { format: 'coco', outDir: out, images: 'none' });
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(liveOne)).toBe(true);
      expect(fs.existsSync(other)).toBe(true);
      expect(fs.existsSync(path.join(out, 'annotations.json')) || fs.readdirSync(out).length > 0).toBe(true);

      // killed between moving the previous export aside and moving the new one in
      const out2 = path.join(tmp, 'out2');
      const old = path.join(tmp, `.out2.partial-${deadPid}-lq2y0-old`);
      touch(path.join(old, 'previous.json'), '{"previous":true}');
      touch(path.join(tmp, `.out2.partial-${deadPid}-lq2y0`, 'new.json'), '{}');
      expect(cleanStaleExportPartials(out2)).toHaveLength(2);
      expect(fs.readFileSync(path.join(out2, 'previous.json'), 'utf8')).toBe('{"previous":true}');
      expect(fs.readdirSync(tmp).filter((n) => n.startsWith('.out2.'))).toEqual([]);
    } finally {
      store.close();
    }
  });
});
