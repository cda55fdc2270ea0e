/**
 * LabelMe exports read back with labelme's own rule, by the real Pillow (Debian's python3-pil):
 * `shape_to_mask` (polygon: `ImageDraw.polygon(xy, outline=1, fill=1)`; rectangle:
 * `ImageDraw.rectangle`; mask shapes pasted at their box), shapes of one group_id OR-ed into one
 * instance, compared with the stored masks: synthetic masks with the issue's cases (a 61x41
 * rectangle, a thin diagonal line, a 1-pixel ring, holes, parts, corner contacts), and the public sets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImport, exportDataset, planImport } from '../../../core/formats';
import type { ProjectStore } from '../../../core/store';
import { DATASETS_GROUP, DATASETS_MISSING, DSB_DIR, FRUITS_DIR, hasDsb, hasFruits } from '../../helpers/paths';
import { NO_PIL, PYTHON_PIL, runPython } from '../../helpers/python';
import { agreement, describeAgreement } from './agreement';
import { dsbRows, fruitsRows, masksByName, projectWith, syntheticRow, tmpDir } from './helpers';
import { hardLabelMap } from './synthetic';
import type { OracleCrop } from './ultralytics-oracle';

const SCRIPT = `
import sys, json, base64, io
import numpy as np
from PIL import Image, ImageDraw

def shape_to_mask(shape, w, h):
    """labelme's shape_to_mask, as a PIL image (mask shapes: pasted at their box)"""
    if shape.get('shape_type') == 'mask':
        m = np.zeros((h, w), dtype=bool)
        (x1, y1), (x2, y2) = np.asarray(shape['points']).astype(int)
        m[y1:y2 + 1, x1:x2 + 1] = np.array(Image.open(io.BytesIO(base64.b64decode(shape['mask'])))) > 0
        return Image.fromarray(m.astype(np.uint8))
    im = Image.fromarray(np.zeros((h, w), dtype=np.uint8))
    d = ImageDraw.Draw(im)
    xy = [tuple(p) for p in shape['points']]
    if shape.get('shape_type') == 'rectangle':
        d.rectangle(xy, outline=1, fill=1)
    else:
        assert len(xy) > 2
        d.polygon(xy=xy, outline=1, fill=1)
    return im

res = []
for f in json.load(sys.stdin):
    w, h = f['w'], f['h']
    out = []
    for s in f['shapes']:
        im = shape_to_mask(s, w, h)
        box = im.getbbox()  # the box of the nonzero pixels
        if box is None:
            out.append(None)
            continue
        x0, y0, x1, y1 = box
        crop = np.ascontiguousarray(np.array(im.crop(box), dtype=np.uint8))
        out.append({'x': x0, 'y': y0, 'w': x1 - x0, 'h': y1 - y0, 'data': base64.b64encode(crop.tobytes()).decode()})
    res.append(out)
print(json.dumps(res))
`;

/** Every shape of every exported JSON, rasterised by labelme's rule in Pillow. */
function pilShapes(outDir: string, masks: Map<string, unknown>): Map<string, (OracleCrop | null)[]> {
  const names = [...masks.keys()].map((n) => n.replace(/\.[^.]+$/, ''));
  const docs = names.map((n) => JSON.parse(fs.readFileSync(path.join(outDir, `${n}.json`), 'utf8')) as { imageWidth: number; imageHeight: number; shapes: object[] });
  const raw = runPython<({ x: number; y: number; w: number; h: number; data: string } | null)[][]>(
    PYTHON_PIL!,
    SCRIPT,
    docs.map((d) => ({ w: d.imageWidth, h: d.imageHeight, shapes: d.shapes })),
  );
  return new Map(names.map((n, k) => [n, raw[k]!.map((c) => (c ? { ...c, data: new Uint8Array(Buffer.from(c.data, 'base64')) } : null))]));
}

describe.skipIf(!PYTHON_PIL)(`LabelMe export read back by labelme's shape_to_mask in Pillow${PYTHON_PIL ? '' : ` — ${NO_PIL}`}`, () => {
  let root: string;
  let src: ProjectStore;
  const sizes: [number, number][] = [
    [61, 47],
    [64, 64],
    [33, 80],
    [120, 90],
    [70, 70],
  ];
  beforeAll(() => {
    root = tmpDir('lm-pil');
    const rows = sizes.map(([w, h], i) => syntheticRow(i, w, h));
    src = projectWith(path.join(root, 'src'), rows, [{ name: 'cell' }, { name: 'debris' }, { name: 'nucleus' }]);
    const classIds = src.classes.list().map((c) => c.id);
    src.images.list().items.forEach((img, i) => {
      const map = hardLabelMap(img.width, img.height, classIds, 500 + i, 14 + i);
      if (i === 4) {
        map.ids.fill(0);
        for (const inst of map.instances()) map.removeInstance(inst.id, false);
        const add = () => map.addInstance({ classId: classIds[0]! }).id;
        const rect = add(); // the issue's 61x41 rectangle
        for (let y = 10; y < 51; y++) for (let x = 0; x < 61; x++) map.ids[y * img.width + x] = rect;
        const line = add(); // a thin diagonal line
        for (let k = 0; k < 9; k++) map.ids[(0 + k) * img.width + 10 + k] = line;
        const ring = add(); // a 1-pixel ring
        for (let y = 52; y < 60; y++) for (let x = 20; x < 30; x++) if (y === 52 || y === 59 || x === 20 || x === 29) map.ids[y * img.width + x] = ring;
        const disc = add(); // a circle
        for (let y = 52; y < 70; y++) for (let x = 40; x < 60; x++) if ((x - 50) ** 2 + (y - 61) ** 2 <= 64) map.ids[y * img.width + x] = disc;
      }
      src.annotations.save(img.id, map.encode());
    });
  });
  afterAll(() => {
    src.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('polygon shapes (rectangles where a polygon cannot be exact): every instance exact', async () => {
    const out = path.join(root, 'lm');
    await exportDataset(src, { format: 'labelme', outDir: out, images: 'none' });
    const masks = masksByName(src);
    const got = agreement(masks, pilShapes(out, masks));
    console.log(`labelme synthetic via Pillow shape_to_mask: ${describeAgreement(got)}`);
    expect(got.exact).toBe(got.instances);
  });
});

for (const set of [
  { name: 'fruits-nuts', has: hasFruits, instances: 165, load: async (s: ProjectStore) => applyImport(s, await planImport(s, { format: 'coco', path: path.join(FRUITS_DIR, 'annotations_coco.json') })), rows: fruitsRows },
  { name: 'dsb2018', has: hasDsb, instances: 5269, load: async (s: ProjectStore) => applyImport(s, await planImport(s, { format: 'mask-folder', path: DSB_DIR })), rows: dsbRows },
]) {
  describe.skipIf(!PYTHON_PIL || !set.has)(`${DATASETS_GROUP} LabelMe export of ${set.name} read back by labelme's rule in Pillow${!set.has ? ` — ${DATASETS_MISSING}` : !PYTHON_PIL ? ` — ${NO_PIL}` : ''}`, () => {
    it(`every instance exact (${set.instances})`, async () => {
      const root = tmpDir(`lm-pil-${set.name}`);
      try {
        const src = projectWith(path.join(root, 'src'), await set.rows());
        await set.load(src);
        const out = path.join(root, 'lm');
        await exportDataset(src, { format: 'labelme', outDir: out, images: 'none' });
        const masks = masksByName(src);
        const got = agreement(masks, pilShapes(out, masks));
        console.log(`labelme ${set.name} via Pillow shape_to_mask: ${describeAgreement(got)}`);
        src.close();
        expect(got.instances).toBe(set.instances);
        expect(got.exact).toBe(got.instances);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });
}
