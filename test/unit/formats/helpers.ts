/** Helpers for the dataset format tests: projects with image rows, mask comparisons. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeImage } from '../../../core/imaging';
import { labelComponents } from '../../../core/mask/components';
import { LabelMap } from '../../../core/mask/label-map';
import { ProjectStore, type NewImage } from '../../../core/store';
import { DSB_DIR, FRUITS_DIR } from '../../helpers/paths';

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mw-formats-${prefix}-`));
}

let fruitsRowsCache: Promise<NewImage[]> | null = null;
let dsbRowsCache: Promise<NewImage[]> | null = null;

/** Image rows for the fruits-nuts images, referenced in place (probed once per test file). */
export function fruitsRows(): Promise<NewImage[]> {
  fruitsRowsCache ??= datasetRows(path.join(FRUITS_DIR, 'images'), '.jpg');
  return fruitsRowsCache;
}

/** Image rows for the dsb2018 nuclei images, referenced in place (probed once per test file). */
export function dsbRows(): Promise<NewImage[]> {
  dsbRowsCache ??= datasetRows(path.join(DSB_DIR, 'images'), '.png');
  return dsbRowsCache;
}

function datasetRows(dir: string, ext: string): Promise<NewImage[]> {
  return (async () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(ext)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const rows: NewImage[] = [];
    for (const f of files) {
      const p = path.join(dir, f);
      const probe = await probeImage(p, { verifyPixels: false });
      rows.push({
        fileName: f,
        path: p,
        storage: 'reference',
        hash: probe.hash,
        sizeBytes: probe.sizeBytes,
        format: probe.format,
        width: probe.width,
        height: probe.height,
        bitDepth: probe.bitDepth,
        channels: probe.channels,
        orientation: probe.orientation,
        thumbPath: null,
      });
    }
    return rows;
  })();
}

/** A fresh project in `dir` holding `rows`. */
export function projectWith(dir: string, rows: readonly NewImage[], classes: { name: string; color?: string }[] = []): ProjectStore {
  const store = ProjectStore.create(dir, { name: path.basename(dir), classes });
  store.transaction(() => {
    for (const r of rows) store.images.insert(r);
  });
  return store;
}

/** A synthetic image row (no file behind it unless `file` is given). */
export function syntheticRow(i: number, width: number, height: number, over: Partial<NewImage> = {}): NewImage {
  return {
    fileName: `img-${i}.png`,
    path: `/nonexistent/img-${i}.png`,
    storage: 'reference',
    hash: `h${i}`.padStart(64, '0'),
    sizeBytes: 1,
    format: 'png',
    width,
    height,
    bitDepth: 8,
    channels: 3,
    orientation: 1,
    thumbPath: null,
    ...over,
  };
}

/** fileName -> decoded mask of every image of a project that has one. */
export function masksByName(store: ProjectStore): Map<string, LabelMap> {
  const out = new Map<string, LabelMap>();
  const names = new Map(store.images.list({ limit: 100000 }).items.map((r) => [r.id, r.fileName]));
  for (const id of store.annotations.annotatedImageIds()) out.set(names.get(id)!, LabelMap.decode(store.annotations.get(id)!.labelMap));
  return out;
}

export interface MaskDiff {
  images: number;
  /** images whose id maps differ */
  differingImages: number;
  /** pixels whose instance id differs */
  differingPixels: number;
  /** instances whose class name differs */
  classMismatches: number;
  totalPixels: number;
}

/**
 * Each instance split into its 8-connected parts (instance order, then parts in raster order): what
 * a format that has no grouping of parts (YOLO-seg, one polygon per line) gives back.
 */
export function splitParts(m: LabelMap): LabelMap {
  const out = new LabelMap(m.width, m.height);
  let next = 0;
  for (const inst of m.instances()) {
    const bin = new Uint8Array(m.ids.length);
    for (let i = 0; i < bin.length; i++) if (m.ids[i] === inst.id) bin[i] = 1;
    const c = labelComponents(bin, m.width, m.height, 8);
    const base = next;
    for (let k = 1; k <= c.count; k++) out.setInstance({ ...inst, id: base + k });
    for (let i = 0; i < bin.length; i++) if (c.labels[i]) out.ids[i] = base + c.labels[i]!;
    next += c.count;
  }
  return out;
}

/** Compares two projects' masks image by image (ids pixel by pixel, classes by name); `parts`: a's instances split into parts first. */
export function compareProjects(a: ProjectStore, b: ProjectStore, opts: { parts?: boolean } = {}): MaskDiff {
  const ma = masksByName(a);
  if (opts.parts) for (const [k, m] of ma) ma.set(k, splitParts(m));
  const mb = masksByName(b);
  const ca = new Map(a.classes.list().map((c) => [c.id, c.name]));
  const cb = new Map(b.classes.list().map((c) => [c.id, c.name]));
  const d: MaskDiff = { images: 0, differingImages: 0, differingPixels: 0, classMismatches: 0, totalPixels: 0 };
  const names = new Set([...ma.keys(), ...mb.keys()]);
  for (const n of names) {
    d.images++;
    const x = ma.get(n);
    const y = mb.get(n);
    if (!x || !y) {
      const m = (x ?? y)!;
      d.differingImages++;
      d.differingPixels += m.ids.filter((v) => v !== 0).length;
      continue;
    }
    d.totalPixels += x.ids.length;
    // Ids are compared by rank (1 = smallest id of the map), so 3,7,9 and 1,2,3 are the same labelling.
    const rx = ranks(x);
    const ry = ranks(y);
    let diff = 0;
    for (let i = 0; i < x.ids.length; i++) if ((rx.get(x.ids[i]!) ?? -1) !== (ry.get(y.ids[i]!) ?? -1)) diff++;
    if (diff) d.differingImages++;
    d.differingPixels += diff;
    const xs = x.instances();
    const ys = y.instances();
    xs.forEach((inst, k) => {
      const other = ys[k];
      if (!other || ca.get(inst.classId) !== cb.get(other.classId)) d.classMismatches++;
    });
    if (y.instanceCount !== x.instanceCount) d.classMismatches += Math.abs(y.instanceCount - x.instanceCount);
  }
  return d;
}

function ranks(m: LabelMap): Map<number, number> {
  const r = new Map<number, number>([[0, 0]]);
  m.instances().forEach((inst, k) => r.set(inst.id, k + 1));
  return r;
}

/** Row-major 0/1 mask from rows of '0'/'1'. */
export function maskFromRows(rows: readonly string[]): { mask: Uint8Array; width: number; height: number } {
  const height = rows.length;
  const width = rows[0]!.length;
  const mask = new Uint8Array(width * height);
  rows.forEach((r, y) => {
    for (let x = 0; x < width; x++) mask[y * width + x] = r[x] === '1' ? 1 : 0;
  });
  return { mask, width, height };
}

export function rowsFromMask(mask: ArrayLike<number>, width: number, height: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    let s = '';
    for (let x = 0; x < width; x++) s += mask[y * width + x] ? '1' : '0';
    rows.push(s);
  }
  return rows;
}

/** Snapshot of what a project holds (to assert "unchanged"). */
export function projectSnapshot(store: ProjectStore): string {
  const rows = store.db.prepare('SELECT image_id, version, hex(label_map) AS m FROM annotation ORDER BY image_id').all();
  const revs = store.db.prepare('SELECT COUNT(*) AS n FROM annotation_revision').get();
  return JSON.stringify({ classes: store.classes.list(), rows, revs });
}
