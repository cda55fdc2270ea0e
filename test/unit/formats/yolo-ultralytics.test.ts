/**
 * YOLO-seg in Ultralytics' convention, both directions:
 * - reader: our rasterisation of label files (ultralyticsRings + cvFillPoly) against the real
 *   numpy/cv2 steps of Ultralytics' YOLODataset (test/unit/formats/ultralytics-oracle), on random
 *   float polygons, short and long (> 1000 points: the resample count follows the longest);
 * - writer: exported masks rebuilt by that oracle give back the stored pixels, on synthetic masks
 *   (no python needed for our own reader; python3-opencv for the oracle) and on the public sets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImport, exportDataset, planImport } from '../../../core/formats';
import { cvFillPoly } from '../../../core/mask/cv-fillpoly';
import type { LabelMap } from '../../../core/mask/label-map';
import { ultralyticsRings } from '../../../core/formats/yolo-seg';
import type { ProjectStore } from '../../../core/store';
import { DATASETS_GROUP, DATASETS_MISSING, DSB_DIR, FRUITS_DIR, hasDsb, hasFruits } from '../../helpers/paths';
import { NO_CV2, PYTHON_CV2 } from '../../helpers/python';
import { dsbRows, fruitsRows, masksByName, projectWith, syntheticRow, tmpDir } from './helpers';
import { hardLabelMap, mulberry32 } from './synthetic';
import { agreement, describeAgreement } from './agreement';
import { paintCrop, ultralyticsOracle, type OracleCrop } from './ultralytics-oracle';

/** Our rasterisation of one label file: per line, the filled full-image 0/1 mask. */
function ourLines(text: string, w: number, h: number): Uint8Array[] {
  const rings = text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/).slice(1).map(Number));
  return ultralyticsRings(rings, w, h).map((r) => {
    const m = new Uint8Array(w * h);
    cvFillPoly(m, w, h, [r], 1);
    return m;
  });
}

function fmt6(v: number): string {
  return v.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

function readLabels(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.txt')) out.set(f.replace(/\.txt$/, ''), fs.readFileSync(path.join(dir, f), 'utf8'));
  return out;
}

function oracleLabels(python: string, masks: Map<string, LabelMap>, texts: Map<string, string>, resample = true): Map<string, (OracleCrop | null)[]> {
  const names = [...masks.keys()];
  const files = names.map((n) => {
    const m = masks.get(n)!;
    return { w: m.width, h: m.height, text: texts.get(n.replace(/\.[^.]+$/, '')) ?? '' };
  });
  const out = new Map<string, (OracleCrop | null)[]>();
  const res = ultralyticsOracle(python, files, { resample });
  names.forEach((n, k) => out.set(n.replace(/\.[^.]+$/, ''), res[k]!));
  return out;
}

describe.skipIf(!PYTHON_CV2)(`YOLO-seg reader matches Ultralytics' YOLODataset + polygon2mask (numpy, cv2)${PYTHON_CV2 ? '' : ` — ${NO_CV2}`}`, () => {
  it('random float polygons, 3 to 1500 points, 6 decimals: identical pixels line by line', () => {
    const rnd = mulberry32(5);
    const files: { w: number; h: number; text: string }[] = [];
    for (let f = 0; f < 60; f++) {
      const w = 10 + Math.floor(rnd() * 90);
      const h = 10 + Math.floor(rnd() * 90);
      const lines: string[] = [];
      const nl = 1 + Math.floor(rnd() * 4);
      for (let l = 0; l < nl; l++) {
        const np = f % 10 === 9 && l === 0 ? 1001 + Math.floor(rnd() * 500) : 3 + Math.floor(rnd() * 12);
        const cx = rnd();
        const cy = rnd();
        const r = 0.05 + rnd() * 0.4;
        const pts: string[] = [];
        for (let p = 0; p < np; p++) {
          const a = (2 * Math.PI * p) / np + rnd() * 0.3;
          const rr = r * (0.5 + rnd() * 0.5);
          pts.push(fmt6(Math.min(1, Math.max(0, cx + rr * Math.cos(a)))), fmt6(Math.min(1, Math.max(0, cy + rr * Math.sin(a)))));
        }
        lines.push(`0 ${pts.join(' ')}`);
      }
      files.push({ w, h, text: lines.join('\n') + '\n' });
    }
    const want = ultralyticsOracle(PYTHON_CV2!, files);
    let bad = 0;
    let lines = 0;
    files.forEach((f, k) => {
      ourLines(f.text, f.w, f.h).forEach((m, l) => {
        lines++;
        const exp = new Uint8Array(f.w * f.h);
        const c = want[k]![l];
        if (c) paintCrop(exp, f.w, c);
        if (!Buffer.from(m).equals(Buffer.from(exp))) bad++;
      });
    });
    console.log(`yolo reader vs Ultralytics (numpy/cv2): ${lines - bad}/${lines} lines identical`);
    expect(bad).toBe(0);
  });
});

describe('YOLO-seg writer: the stored pixels come back through Ultralytics\' rasterisation', () => {
  const sizes: [number, number][] = [
    [61, 47],
    [64, 64],
    [33, 80],
    [120, 90],
    [41, 61],
  ];
  let root: string;
  let src: ProjectStore;
  const rows = sizes.map(([w, h], i) => syntheticRow(i, w, h));
  beforeAll(() => {
    root = tmpDir('yolo-ul');
    src = projectWith(path.join(root, 'src'), rows, [{ name: 'cell' }, { name: 'debris' }, { name: 'nucleus' }]);
    const classIds = src.classes.list().map((c) => c.id);
    const images = src.images.list().items;
    images.forEach((img, i) => {
      const map = hardLabelMap(img.width, img.height, classIds, 300 + i, 14 + i);
      if (i === 4) {
        // a 61x41 rectangle, a thin diagonal line, a 1-pixel-wide ring (the cases of the issue)
        const add = () => map.addInstance({ classId: classIds[0]! }).id;
        map.ids.fill(0);
        for (const inst of map.instances()) map.removeInstance(inst.id, false);
        const rect = add();
        for (let y = 10; y < 51; y++) for (let x = 0; x < 41; x++) map.ids[y * img.width + x] = rect;
        const line = add();
        for (let k = 0; k < 12; k++) map.ids[(2 + k) * img.width + 5 + k] = line;
        const ring = add();
        for (let y = 52; y < 60; y++) for (let x = 20; x < 30; x++) if (y === 52 || y === 59 || x === 20 || x === 29) map.ids[y * img.width + x] = ring;
      }
      src.annotations.save(img.id, map.encode());
    });
  });
  afterAll(() => {
    src.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('our reader gives back every pixel and class (an instance of several parts comes back as one instance per part)', async () => {
    const out = path.join(root, 'out-own');
    const report = await exportDataset(src, { format: 'yolo-seg', outDir: out, images: 'none' });
    expect(report.issues.filter((i) => i.code === 'encoding')).toEqual([]);
    const dst = projectWith(path.join(root, 'dst'), rows);
    const plan = await planImport(dst, { format: 'yolo-seg', path: out });
    expect(plan.issues.filter((i) => i.action !== 'noted')).toEqual([]);
    applyImport(dst, plan);
    const a = masksByName(src);
    const b = masksByName(dst);
    const ca = new Map(src.classes.list().map((c) => [c.id, c.name]));
    const cb = new Map(dst.classes.list().map((c) => [c.id, c.name]));
    let differ = 0;
    for (const [name, x] of a) {
      const y = b.get(name)!;
      // same classes per pixel, and the instances of y refine those of x (a bijection on parts)
      const part = new Map<number, number>();
      for (let i = 0; i < x.ids.length; i++) {
        const u = x.ids[i]!;
        const v = y.ids[i]!;
        if ((u === 0) !== (v === 0)) differ++;
        else if (u !== 0) {
          if (ca.get(x.getInstance(u)!.classId) !== cb.get(y.getInstance(v)!.classId)) differ++;
          if ((part.get(v) ?? u) !== u) differ++;
          part.set(v, u);
        }
      }
    }
    dst.close();
    expect(differ).toBe(0);
  });

  it.skipIf(!PYTHON_CV2)(`Ultralytics' own steps (numpy, cv2) give back every instance exactly${PYTHON_CV2 ? '' : ` — ${NO_CV2}`}`, async () => {
    const out = path.join(root, 'out-ul');
    await exportDataset(src, { format: 'yolo-seg', outDir: out, images: 'none' });
    const masks = masksByName(src);
    const got = agreement(masks, oracleLabels(PYTHON_CV2!, masks, readLabels(path.join(out, 'labels'))));
    const plain = agreement(masks, oracleLabels(PYTHON_CV2!, masks, readLabels(path.join(out, 'labels')), false));
    console.log(`yolo synthetic via Ultralytics: ${describeAgreement(got)}; plain cv2.fillPoly of the vertices: ${describeAgreement(plain)}`);
    expect(got.exact).toBe(got.instances);
    expect(plain.exact).toBe(plain.instances);
    expect(got.extra + got.missing).toBe(0);
  });
});

describe.skipIf(!PYTHON_CV2 || !hasFruits)(`${DATASETS_GROUP} YOLO-seg export of fruits-nuts through Ultralytics' rasterisation${!hasFruits ? ` — ${DATASETS_MISSING}` : !PYTHON_CV2 ? ` — ${NO_CV2}` : ''}`, () => {
  it('every instance comes back exactly (mean IoU 1)', async () => {
    const root = tmpDir('yolo-fruits');
    try {
      const rows = await fruitsRows();
      const src = projectWith(path.join(root, 'src'), rows);
      applyImport(src, await planImport(src, { format: 'coco', path: path.join(FRUITS_DIR, 'annotations_coco.json') }));
      const out = path.join(root, 'out');
      const report = await exportDataset(src, { format: 'yolo-seg', outDir: out, images: 'none' });
      const masks = masksByName(src);
      const got = agreement(masks, oracleLabels(PYTHON_CV2!, masks, readLabels(path.join(out, 'labels'))));
      const plain = agreement(masks, oracleLabels(PYTHON_CV2!, masks, readLabels(path.join(out, 'labels')), false));
      expect(plain.exact).toBe(plain.instances);
      console.log(`yolo fruits-nuts via Ultralytics: ${describeAgreement(got)}; plain cv2.fillPoly of the vertices: ${describeAgreement(plain)}; writer notes: ${JSON.stringify(report.issues.filter((i) => i.code === 'encoding').map((i) => i.message))}`);
      src.close();
      expect(got.instances).toBe(165);
      expect(got.exact).toBe(got.instances);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!PYTHON_CV2 || !hasDsb)(`${DATASETS_GROUP} YOLO-seg export of dsb2018 nuclei through Ultralytics' rasterisation${!hasDsb ? ` — ${DATASETS_MISSING}` : !PYTHON_CV2 ? ` — ${NO_CV2}` : ''}`, () => {
  it('every nucleus comes back exactly (mean IoU 1)', async () => {
    const root = tmpDir('yolo-dsb');
    try {
      const rows = await dsbRows();
      const src = projectWith(path.join(root, 'src'), rows);
      applyImport(src, await planImport(src, { format: 'mask-folder', path: DSB_DIR }));
      const out = path.join(root, 'out');
      const report = await exportDataset(src, { format: 'yolo-seg', outDir: out, images: 'none' });
      const masks = masksByName(src);
      const got = agreement(masks, oracleLabels(PYTHON_CV2!, masks, readLabels(path.join(out, 'labels'))));
      const plain = agreement(masks, oracleLabels(PYTHON_CV2!, masks, readLabels(path.join(out, 'labels')), false));
      expect(plain.exact).toBe(plain.instances);
      console.log(`yolo dsb2018 via Ultralytics: ${describeAgreement(got)}; plain cv2.fillPoly of the vertices: ${describeAgreement(plain)}; writer notes: ${JSON.stringify(report.issues.filter((i) => i.code === 'encoding').map((i) => i.message))}`);
      src.close();
      expect(got.instances).toBe(5269);
      expect(got.exact).toBe(got.instances);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
