/**
 * The issue's oracle for LabelMe's convention: fruits-nuts-coco/instance_labels/ was drawn with PIL
 * `ImageDraw.polygon(outline, fill)` from the COCO polygons, later annotation ids on top. A LabelMe
 * file per image built from those polygons (one shape per polygon, group_id = annotation id, in id
 * order) must import to exactly those pixels: same instances, every pixel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyImport, planImport } from '../../../core/formats';
import { decodePng } from '../../../core/formats/png-codec';
import { DATASETS_GROUP, DATASETS_MISSING, FRUITS_DIR, hasFruits } from '../../helpers/paths';
import { fruitsRows, masksByName, projectWith, tmpDir } from './helpers';

interface Coco {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { id: number; image_id: number; category_id: number; segmentation: number[][] }[];
  categories: { id: number; name: string }[];
}

describe.skipIf(!hasFruits)(`${DATASETS_GROUP} LabelMe built from the fruits-nuts COCO polygons${hasFruits ? '' : ` — ${DATASETS_MISSING}`}`, () => {
  it('imports to exactly instance_labels/ (PIL outline + fill, later id on top): every pixel of 18 images', async () => {
    const root = tmpDir('lm-fruits');
    try {
      const coco = JSON.parse(fs.readFileSync(path.join(FRUITS_DIR, 'annotations_coco.json'), 'utf8')) as Coco;
      const names = new Map(coco.categories.map((c) => [c.id, c.name]));
      const lm = path.join(root, 'lm');
      fs.mkdirSync(lm);
      for (const img of coco.images) {
        const anns = coco.annotations.filter((a) => a.image_id === img.id).sort((a, b) => a.id - b.id);
        const shapes = anns.flatMap((a) =>
          a.segmentation.map((poly) => ({
            label: names.get(a.category_id)!,
            points: poly.flatMap((v, k) => (k % 2 === 0 ? [[v, poly[k + 1]!]] : [])),
            group_id: a.id,
            shape_type: 'polygon',
            flags: {},
          })),
        );
        const doc = { version: '5.5.0', flags: {}, shapes, imagePath: img.file_name, imageData: null, imageHeight: img.height, imageWidth: img.width };
        fs.writeFileSync(path.join(lm, img.file_name.replace(/\.jpg$/, '.json')), JSON.stringify(doc));
      }
      const store = projectWith(path.join(root, 'p'), await fruitsRows());
      const plan = await planImport(store, { format: 'labelme', path: lm });
      expect(plan.ok).toBe(true);
      expect(plan.totals).toMatchObject({ matchedImages: 18, instances: 165 });
      applyImport(store, plan);
      const masks = masksByName(store);
      let differ = 0;
      let instances = 0;
      let pixels = 0;
      for (const item of plan.images) {
        const want = decodePng(fs.readFileSync(path.join(FRUITS_DIR, 'instance_labels', item.fileName.replace(/\.jpg$/, '.png'))));
        const map = masks.get(item.fileName)!;
        // our instance k came from group_id (annotation id) A: refs read "shapes[i] (label), group A"
        const annOf = new Map(map.instances().map((inst, k) => [inst.id, Number(/group (\d+)/.exec(item.refs[k]!)![1])]));
        instances += map.instanceCount;
        for (let i = 0; i < want.data.length; i++) {
          const got = map.ids[i] ? annOf.get(map.ids[i]!)! : 0;
          if (want.data[i]) pixels++;
          if (got !== want.data[i]) differ++;
        }
      }
      console.log(`labelme from fruits COCO polygons vs instance_labels/: ${instances} instances, ${differ} of ${pixels} labelled pixels differ`);
      store.close();
      expect(instances).toBe(165);
      expect(differ).toBe(0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
