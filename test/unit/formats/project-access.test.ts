/**
 * The formats see a project only through DatasetSource / DatasetSink (core/formats/project-access.ts):
 * an export, a dry run and an applied import all work through a view that holds exactly those
 * members, and any other access to the store would throw.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyImport, exportDataset, planImport, type DatasetSource, type DatasetSink } from '../../../core/formats';
import { encodePng } from '../../../core/formats/png-codec';
import { LabelMap } from '../../../core/mask/label-map';
import type { ProjectStore } from '../../../core/store';
import { masksByName, projectWith, syntheticRow, tmpDir } from './helpers';

const W = 12;
const H = 10;

/** only the members the interfaces name; a getter on anything else throws */
function narrow(store: ProjectStore): DatasetSink {
  const pick = <T extends object>(o: T, keys: string[]) =>
    new Proxy(o, {
      get(target, k, recv) {
        if (typeof k === 'string' && !keys.includes(k)) throw new Error(`formats touched store.${String(k)}`);
        const v = Reflect.get(target, k, recv) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const view: DatasetSink = {
    id: store.id,
    dir: store.dir,
    classes: pick(store.classes, ['list', 'create']),
    images: pick(store.images, ['list', 'get']),
    annotations: pick(store.annotations, ['get', 'annotatedImageIds', 'save']),
    predictions: pick(store.predictions, ['imageIds', 'latest']),
    models: pick(store.models, ['getVersion']),
    transaction: (fn) => store.transaction(fn),
  };
  return pick(view, ['id', 'dir', 'classes', 'images', 'annotations', 'predictions', 'models', 'transaction', 'then']);
}

let tmp: string | undefined;
const open: ProjectStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function makeProject(dir: string, withMasks: boolean): ProjectStore {
  const imgDir = path.join(tmp!, 'imgs');
  fs.mkdirSync(imgDir, { recursive: true });
  const rows = [0, 1, 2].map((i) => {
    const file = path.join(imgDir, `im${i}.png`);
    const png = encodePng({ width: W, height: H, bitDepth: 8, kind: 'grey', data: new Uint8Array(W * H).fill(30 + 20 * i) });
    fs.writeFileSync(file, png);
    return syntheticRow(i, W, H, { fileName: `im${i}.png`, path: file, hash: createHash('sha256').update(png).digest('hex') });
  });
  const store = projectWith(dir, rows, withMasks ? [{ name: 'cell' }] : []);
  open.push(store);
  if (withMasks) {
    const cell = store.classes.list()[0]!.id;
    for (const [i, img] of store.images.list().items.entries()) {
      const m = new LabelMap(W, H);
      m.addInstance({ id: 1, classId: cell });
      for (let y = 2; y < 6 + i; y++) for (let x = 3; x < 9; x++) m.ids[y * W + x] = 1;
      store.annotations.save(img.id, m.encode());
    }
  }
  return store;
}

describe('formats through DatasetSource / DatasetSink', () => {
  it('export, dry run and import touch nothing of the store beyond the interfaces, and round-trip the masks', async () => {
    tmp = tmpDir('access');
    const a = makeProject(path.join(tmp, 'a'), true);
    const source: DatasetSource = narrow(a);
    const out = path.join(tmp, 'coco');
    const report = await exportDataset(source, { format: 'coco', outDir: out, images: 'none' });
    expect(report.images).toBe(3);

    const b = makeProject(path.join(tmp, 'b'), false);
    const sink = narrow(b);
    const plan = await planImport(sink, { format: 'coco', path: path.join(out, 'annotations.json') });
    expect(plan.ok).toBe(true);
    const result = applyImport(sink, plan);
    expect(result.images).toBe(3);
    expect(result.classesCreated).toEqual(['cell']);
    const ma = masksByName(a);
    const mb = masksByName(b);
    expect([...mb.keys()].sort()).toEqual([...ma.keys()].sort());
    for (const [name, m] of ma) expect(Array.from(mb.get(name)!.ids).map((v) => (v ? 1 : 0))).toEqual(Array.from(m.ids).map((v) => (v ? 1 : 0)));
  });

  it('the narrowed view really refuses other members (the test above would notice a new dependency)', () => {
    tmp = tmpDir('access');
    const a = makeProject(path.join(tmp, 'a'), false);
    const view = narrow(a) as unknown as ProjectStore;
    expect(() => view.close).toThrow(/formats touched store.close/);
    expect(() => view.models.active).toThrow(/formats touched store.active/);
    expect(() => view.images.insert).toThrow(/formats touched store.insert/);
  });
});
