/**
 * VOC exports open in a loader that follows torchvision's `VOCSegmentation` (torchvision itself is
 * not installed): root/VOCdevkit/VOC2012 must be a folder; ImageSets/Segmentation/<image_set>.txt
 * lists ids (`[x.strip() for x in f.readlines()]`); JPEGImages/<id>.jpg opens and converts to RGB;
 * SegmentationClass/<id>.png opens with PIL and `np.array` of it (a palette image: the indices)
 * is the class map. Checked for image_set train, val and trainval, with and without --split, and
 * the class indices against the project's masks.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDataset } from '../../../core/formats';
import type { ProjectStore } from '../../../core/store';
import { NO_PIL, PYTHON_PIL, runPython } from '../../helpers/python';
import { masksByName, projectWith, syntheticRow, tmpDir } from './helpers';
import { hardLabelMap } from './synthetic';

const LOADER = `
import sys, json, os, base64
import numpy as np
from PIL import Image

class VOCSegmentationLike:
    def __init__(self, root, image_set):
        assert image_set in ('train', 'trainval', 'val')
        voc_root = os.path.join(root, 'VOCdevkit', 'VOC2012')
        if not os.path.isdir(voc_root):
            raise RuntimeError('Dataset not found or corrupted.')
        split_f = os.path.join(voc_root, 'ImageSets', 'Segmentation', image_set.rstrip('\\n') + '.txt')
        with open(split_f) as f:
            names = [x.strip() for x in f.readlines()]
        self.names = names
        self.images = [os.path.join(voc_root, 'JPEGImages', x + '.jpg') for x in names]
        self.masks = [os.path.join(voc_root, 'SegmentationClass', x + '.png') for x in names]
        assert len(self.images) == len(self.masks)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.open(self.images[i]).convert('RGB')
        target = Image.open(self.masks[i])
        return img, target

out = {}
req = json.load(sys.stdin)
for image_set in ('train', 'val', 'trainval'):
    ds = VOCSegmentationLike(req['root'], image_set)
    items = []
    for i in range(len(ds)):
        img, target = ds[i]
        a = np.array(target)
        items.append({'name': ds.names[i], 'size': list(img.size), 'mode': target.mode, 'tsize': list(target.size), 'dtype': str(a.dtype), 'data': base64.b64encode(a.astype(np.uint8).tobytes()).decode()})
    out[image_set] = items
print(json.dumps(out))
`;

interface Loaded {
  name: string;
  size: [number, number];
  mode: string;
  tsize: [number, number];
  dtype: string;
  data: string;
}

describe.skipIf(!PYTHON_PIL)(`VOC export (VOCdevkit layout) loads in a torchvision-VOCSegmentation-style loader${PYTHON_PIL ? '' : ` — ${NO_PIL}`}`, () => {
  let root: string;
  let store: ProjectStore;
  const sizes: [number, number][] = [
    [40, 30],
    [33, 47],
    [64, 48],
    [50, 50],
    [27, 31],
  ];
  beforeAll(async () => {
    root = tmpDir('voc-tv');
    const imgDir = path.join(root, 'imgs');
    fs.mkdirSync(imgDir);
    const rows = [];
    for (let i = 0; i < sizes.length; i++) {
      const [w, h] = sizes[i]!;
      // PNG, JPEG named .jpeg and JPEG named .jpg: each must end up as JPEGImages/<id>.jpg
      const ext = i % 3 === 0 ? 'png' : i % 3 === 1 ? 'jpeg' : 'jpg';
      const file = path.join(imgDir, `im${i}.${ext}`);
      const raw = sharp(Buffer.alloc(w * h * 3, 30 + 20 * i), { raw: { width: w, height: h, channels: 3 } });
      const bytes = ext === 'png' ? await raw.png().toBuffer() : await raw.jpeg().toBuffer();
      fs.writeFileSync(file, bytes);
      rows.push(syntheticRow(i, w, h, { fileName: `im${i}.${ext}`, path: file, format: ext === 'png' ? 'png' : 'jpeg', hash: createHash('sha256').update(bytes).digest('hex') }));
    }
    store = projectWith(path.join(root, 'p'), rows, [{ name: 'cell' }, { name: 'debris' }]);
    const classIds = store.classes.list().map((c) => c.id);
    store.images.list().items.forEach((img, i) => store.annotations.save(img.id, hardLabelMap(img.width, img.height, classIds, 40 + i, 8).encode()));
  });
  afterAll(() => {
    store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const check = async (name: string, split: { train: number; val: number; seed: number } | undefined) => {
    const out = path.join(root, name);
    const report = await exportDataset(store, { format: 'voc', outDir: out, voc: { layout: 'vocdevkit' }, ...(split ? { split } : {}) });
    expect(report.skippedImages).toBe(0);
    const got = runPython<Record<'train' | 'val' | 'trainval', Loaded[]>>(PYTHON_PIL!, LOADER, { root: out });
    // class index of every pixel, from the project's masks (VOC index = the export's category id)
    const catOf = new Map<number, number>();
    for (const c of report.categories) for (const id of c.classIds) catOf.set(id, c.id);
    const masks = masksByName(store);
    const byStem = new Map([...masks].map(([n, m]) => [n.replace(/\.[^.]+$/, ''), m]));
    for (const set of ['train', 'val', 'trainval'] as const) {
      for (const it of got[set]) {
        const m = byStem.get(it.name)!;
        expect(it.size).toEqual([m.width, m.height]);
        expect(it.tsize).toEqual([m.width, m.height]);
        expect(it.mode).toBe('P');
        const data = Buffer.from(it.data, 'base64');
        let differ = 0;
        for (let i = 0; i < m.ids.length; i++) {
          const id = m.ids[i]!;
          const want = id ? catOf.get(m.getInstance(id)!.classId)! : 0;
          if (data[i] !== want) differ++;
        }
        expect(differ).toBe(0);
      }
    }
    const names = (s: 'train' | 'val' | 'trainval') => got[s].map((x) => x.name).sort();
    return { train: names('train'), val: names('val'), trainval: names('trainval') };
  };

  it('with --split 0.6,0.4: train and val are disjoint, trainval is both, every item opens and its class map matches', async () => {
    const s = await check('split', { train: 0.6, val: 0.4, seed: 3 });
    expect(s.train.length).toBe(3);
    expect(s.val.length).toBe(2);
    expect(s.trainval).toEqual([...s.train, ...s.val].sort());
  });

  it('without a split: train and trainval list every image, val opens and is empty', async () => {
    const s = await check('nosplit', undefined);
    expect(s.train).toEqual(['im0', 'im1', 'im2', 'im3', 'im4']);
    expect(s.trainval).toEqual(s.train);
    expect(s.val).toEqual([]);
  });
});
