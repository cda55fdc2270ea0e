// Issue 18 point 5, as a user sees it on the command line: a dry run of a file with a fatal error
// fails; a non-strict --apply that skipped entries exits PARTIAL, and in replace mode the dry run
// says the image's mask would be replaced by a partial one; overlapping instances are reported
// (which one, how many pixels, who won, by which rule); numbers too large for a double are quoted
// as the file has them (COCO, LabelMe, YOLO), not as "null".
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main } from '../../../core/host/cli';
import { EXIT } from '../../../core/host/exit-codes';
import { useCliCapture } from '../../helpers/cli-capture';

const io = useCliCapture('mw-reports-', { home: true });
const { out } = io;

const png = (file: string, w: number, h: number, shade: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: shade, g: shade, b: shade } } }).png().toFile(file);

async function setup(): Promise<string> {
  const proj = path.join(io.tmp, 'proj');
  const imgs = path.join(io.tmp, 'imgs');
  fs.mkdirSync(imgs);
  await png(path.join(imgs, 'a.png'), 8, 6, 10);
  await png(path.join(imgs, 'b.png'), 8, 6, 200);
  expect(await main(['init', proj, '--classes', 'thing'])).toBe(EXIT.OK);
  expect(await main(['import', proj, imgs])).toBe(EXIT.OK);
  out.length = 0;
  return proj;
}

/** COCO text with the segmentations given as raw JSON text (so a literal like 1e999 survives) */
function cocoText(segs: string[]): string {
  const anns = segs.map((s, k) => `{"id": ${k + 1}, "image_id": 1, "category_id": 1, "segmentation": [${s}], "area": 4, "bbox": [0, 0, 2, 2], "iscrowd": 0}`);
  return `{"images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 6}], "annotations": [${anns.join(', ')}], "categories": [{"id": 1, "name": "thing"}]}`;
}

describe('import-annotations reports (issue 18 point 5)', () => {
  it('a dry run of a file with a fatal error exits FAILED (1), and says nothing was written', async () => {
    const proj = await setup();
    const bad = path.join(io.tmp, 'bad.json');
    fs.writeFileSync(bad, '{"images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 6');
    expect(await main(['import-annotations', proj, bad, '--format', 'coco'])).toBe(EXIT.FAILED);
    expect(out.join('\n')).toMatch(/fatal .*truncated/);
    expect(out.join('\n')).toMatch(/Nothing was written: the dataset has a fatal problem/);
    out.length = 0;
    expect(await main(['import-annotations', proj, bad, '--format', 'coco', '--json'])).toBe(EXIT.FAILED);
    expect(JSON.parse(out.join('\n')).plan.ok).toBe(false);
  });

  it('replace mode with skipped entries: the dry run says the mask would be PARTIAL; --apply exits PARTIAL (3)', async () => {
    const proj = await setup();
    const first = path.join(io.tmp, 'first.json');
    fs.writeFileSync(first, cocoText(['[0, 0, 4, 0, 4, 3, 0, 3]', '[4, 3, 8, 3, 8, 6, 4, 6]']));
    expect(await main(['import-annotations', proj, first, '--format', 'coco', '--apply'])).toBe(EXIT.OK);
    const partly = path.join(io.tmp, 'partly.json');
    fs.writeFileSync(partly, cocoText(['[0, 0, 4, 0, 4, 3, 0, 3]', '[4, 3]']));
    out.length = 0;
    expect(await main(['import-annotations', proj, partly, '--format', 'coco'])).toBe(EXIT.OK);
    const dry = out.join('\n');
    expect(dry).toMatch(/skipped .*annotations\[1\] \(id 2\): the polygon has 1 distinct point/);
    expect(dry).toMatch(/a\.png: its mask \(2 instances, 24 px\) would be replaced by a PARTIAL one: 1 of its entries was skipped, 1 instance \(12 px\) remain/);
    out.length = 0;
    expect(await main(['import-annotations', proj, partly, '--format', 'coco', '--apply'])).toBe(EXIT.PARTIAL);
    expect(out.join('\n')).toMatch(/PARTIAL/);
  });

  it('overlapping instances: each pair is reported with its pixels and the winner, by the documented rule', async () => {
    const proj = await setup();
    const f = path.join(io.tmp, 'overlap.json');
    fs.writeFileSync(f, cocoText(['[0, 0, 4, 0, 4, 4, 0, 4]', '[2, 2, 6, 2, 6, 6, 2, 6]']));
    expect(await main(['import-annotations', proj, f, '--format', 'coco'])).toBe(EXIT.OK);
    expect(out.join('\n')).toMatch(/noted +\S+ annotations\[0\] \(id 1\): overlaps annotations\[1\] \(id 2\): 4 pixels go to the later one \(later entries are drawn on top\)/);
  });

  it('a coordinate written 1e999 is quoted as written (COCO, LabelMe, YOLO), not as "null"', async () => {
    const proj = await setup();
    const c = path.join(io.tmp, 'big.json');
    fs.writeFileSync(c, cocoText(['[0, 0, 1e999, 0, 4, 3, 0, 3]']));
    await main(['import-annotations', proj, c, '--format', 'coco']);
    expect(out.join('\n')).toMatch(/coordinate 2 is 1e999 \(too large for a number\), not a finite number/);
    out.length = 0;
    const lm = path.join(io.tmp, 'lm');
    fs.mkdirSync(lm);
    fs.writeFileSync(
      path.join(lm, 'a.json'),
      '{"version": "5.5.0", "flags": {}, "imagePath": "a.png", "imageData": null, "imageWidth": 8, "imageHeight": 6, "shapes": [{"label": "thing", "points": [[0, 0], [1e999, 0], [4, 3]], "shape_type": "polygon", "group_id": null}]}',
    );
    await main(['import-annotations', proj, lm, '--format', 'labelme']);
    expect(out.join('\n')).toMatch(/point 1 x is 1e999 \(too large for a number\), not a finite number/);
    out.length = 0;
    const y = path.join(io.tmp, 'y');
    fs.mkdirSync(path.join(y, 'labels'), { recursive: true });
    fs.writeFileSync(path.join(y, 'data.yaml'), 'names: [thing]\n');
    fs.writeFileSync(path.join(y, 'labels', 'a.txt'), '0 0 0 1e999 0 0.5 0.5\n');
    await main(['import-annotations', proj, y, '--format', 'yolo-seg']);
    expect(out.join('\n')).toMatch(/coordinate 2 \("1e999"\) is not a finite number/);
    expect(out.join('\n')).not.toMatch(/null/);
  });
});
