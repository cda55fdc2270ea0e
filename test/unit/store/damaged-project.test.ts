// Issue 13 point 4: damaged projects are refused (or opened read-only by `check`), never written,
// never used silently; a 0-byte project.sqlite is refused with advice.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../core/host/cli';
import { EXIT } from '../../../core/host/exit-codes';
import { ProjectStore } from '../../../core/store/project-store';
import { mulberry32 } from '../../../core/formats/assign-splits';
import { useCliCapture } from '../../helpers/cli-capture';

let template: string;
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

beforeAll(async () => {
  // one small project with images and masks, built once and copied per test
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-damaged-tpl-'));
  process.env.MASKWRIGHT_HOME = path.join(base, 'home');
  template = path.join(base, 'proj');
  const imgs = path.join(base, 'imgs');
  fs.mkdirSync(imgs);
  for (let i = 0; i < 6; i++) {
    await sharp({ create: { width: 32 + i, height: 24, channels: 3, background: { r: 20 * i, g: 80, b: 160 } } }).png().toFile(path.join(imgs, `im${i}.png`));
  }
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  expect(await main(['init', template, '--classes', 'a,b'])).toBe(0);
  expect(await main(['import', template, imgs, '--copy'])).toBe(0);
  vi.restoreAllMocks();
  const store = ProjectStore.open(template);
  const { LabelMap } = await import('../../../core/mask/label-map');
  const cls = store.classes.list()[0]!.id;
  for (const r of store.images.list().items) {
    const m = new LabelMap(r.width, r.height);
    const inst = m.addInstance({ classId: cls, source: 'human' });
    for (let k = 0; k < m.ids.length; k += 3) m.ids[k] = inst.id;
    store.annotations.save(r.id, m.encode());
  }
  store.close();
});

const io = useCliCapture('mw-damaged-');
const { out, err } = io;

function copyProject(name: string): string {
  const dir = path.join(io.tmp, name);
  fs.cpSync(template, dir, { recursive: true });
  return dir;
}


function integrityOk(file: string): boolean {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.pragma('integrity_check') as Record<string, string>[];
      return rows.length === 1 && Object.values(rows[0]!)[0] === 'ok';
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

describe('damaged projects', () => {
  it('a sound project passes `check`', async () => {
    const dir = copyProject('sound');
    expect(await main(['check', dir])).toBe(EXIT.OK);
    expect(out.join('\n')).toMatch(/integrity: ok[\s\S]*No problems found/);
  });

  it('a 0-byte project.sqlite is refused with advice and stays 0 bytes', async () => {
    const dir = path.join(io.tmp, 'empty');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'project.sqlite'), '');
    expect(() => ProjectStore.open(dir)).toThrow(/empty \(0 bytes\)[\s\S]*backup[\s\S]*maskwright init/);
    expect(await main(['ls', dir])).toBe(EXIT.DAMAGED);
    expect(await main(['import', dir, io.tmp])).toBe(EXIT.DAMAGED);
    expect(await main(['check', dir])).toBe(EXIT.DAMAGED);
    expect(err.join('\n')).toMatch(/0 bytes/);
    expect(fs.statSync(path.join(dir, 'project.sqlite')).size).toBe(0);
  });

  it('`check` reports rows whose files are missing, and orphans', async () => {
    const dir = copyProject('missing');
    const imgs = fs.readdirSync(path.join(dir, 'images'));
    fs.rmSync(path.join(dir, 'images', imgs[0]!));
    fs.writeFileSync(path.join(dir, 'thumbs', 'orphan.webp'), 'x');
    expect(await main(['check', dir, '--json'])).toBe(EXIT.FAILED);
    const r = JSON.parse(out.join('\n'));
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'missing-file' })]);
    expect(r.orphans).toEqual([path.join(dir, 'thumbs', 'orphan.webp')]);
  });

  it('fuzz: 64 flipped bytes are refused or reported, the file is never written, nothing exits 0 silently', async () => {
    let damagedTrials = 0;
    const trials = 10;
    for (let t = 0; t < trials; t++) {
      const dir = copyProject(`fuzz${t}`);
      const db = path.join(dir, 'project.sqlite');
      const bytes = fs.readFileSync(db);
      const rand = mulberry32(1000 + t);
      for (let k = 0; k < 64; k++) {
        const at = 100 + Math.floor(rand() * (bytes.length - 100)); // past the 100-byte header: its damage is refused by SQLite itself
        bytes[at] = bytes[at]! ^ (1 + Math.floor(rand() * 255));
      }
      fs.writeFileSync(db, bytes);
      const before = sha(db);
      const sound = integrityOk(db);
      if (!sound) damagedTrials++;
      const codes: Record<string, number> = {};
      for (const args of [['ls', dir], ['import', dir, path.join(io.tmp, 'nothing')], ['export', dir, path.join(io.tmp, `out${t}`), '--format', 'coco'], ['check', dir]]) {
        out.length = 0;
        err.length = 0;
        const code = await main(args);
        codes[args[0]!] = code;
        if (!sound) {
          expect(code, `trial ${t}: ${args[0]}`).not.toBe(EXIT.OK);
          expect(err.join('\n') + out.join('\n'), `trial ${t}: ${args[0]}`).toMatch(/damaged|malformed|not a database|integrity/i);
        }
        expect(sha(db), `trial ${t}: ${args[0]} wrote into the damaged file`).toBe(before);
      }
      if (!sound) expect(codes.check).toBe(EXIT.DAMAGED);
      expect(fs.existsSync(path.join(io.tmp, `out${t}`)) && !sound).toBe(false);
    }
    expect(damagedTrials).toBeGreaterThanOrEqual(trials - 2);
  });
});
