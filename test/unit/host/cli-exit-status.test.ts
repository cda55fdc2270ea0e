// Issue 13 points 6 and 7: exit status tells scripts about skipped items (EXIT.PARTIAL, --strict ->
// FAILED), and file names with control characters are escaped in human output (JSON stays exact).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main } from '../../../core/host/cli';
import { EXIT } from '../../../core/host/exit-codes';
import { termSafe } from '../../../core/host/term-safe';
import { useCliCapture } from '../../helpers/cli-capture';

const io = useCliCapture('mw-exit-', { home: true });
const { out, err } = io;

const png = (file: string, w: number, h: number, shade: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: shade, g: shade, b: shade } } }).png().toFile(file);

/** a project with images a.png, b.png (and an empty file that import skips) */
async function setup(): Promise<{ proj: string; imgs: string }> {
  const proj = path.join(io.tmp, 'proj');
  const imgs = path.join(io.tmp, 'imgs');
  fs.mkdirSync(imgs);
  await png(path.join(imgs, 'a.png'), 8, 6, 10);
  await png(path.join(imgs, 'b.png'), 8, 6, 200);
  expect(await main(['init', proj, '--classes', 'thing'])).toBe(EXIT.OK);
  return { proj, imgs };
}

function cocoFile(file: string, entries: { image: string; segs: number[][] }[]): void {
  const images = entries.map((e, i) => ({ id: i + 1, file_name: e.image, width: 8, height: 6 }));
  const annotations = entries.flatMap((e, i) => e.segs.map((seg, k) => ({ id: (i + 1) * 100 + k, image_id: i + 1, category_id: 1, segmentation: [seg], area: 4, bbox: [0, 0, 2, 2], iscrowd: 0 })));
  fs.writeFileSync(file, JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'thing' }] }));
}

describe('exit status', () => {
  it('import: 0 when all were imported (duplicates are not failures), 3 when files were skipped, 1 with --strict', async () => {
    const { proj, imgs } = await setup();
    expect(await main(['import', proj, imgs])).toBe(EXIT.OK);
    expect(await main(['import', proj, imgs])).toBe(EXIT.OK); // all duplicates
    const more = path.join(io.tmp, 'more');
    fs.mkdirSync(more);
    await png(path.join(more, 'c.png'), 8, 6, 90);
    fs.writeFileSync(path.join(more, 'broken.png'), 'not a png');
    expect(await main(['import', proj, more])).toBe(EXIT.PARTIAL);
    fs.writeFileSync(path.join(more, 'broken2.png'), 'not a png either');
    expect(await main(['import', proj, path.join(more, 'broken2.png'), '--strict'])).toBe(EXIT.FAILED);
  });

  it('import-annotations --apply: 3 when entries were skipped, --strict refuses (1) and writes nothing; export: 3 when items were left out, --strict writes nothing', async () => {
    const { proj, imgs } = await setup();
    expect(await main(['import', proj, imgs])).toBe(EXIT.OK);
    const good = path.join(io.tmp, 'good.json');
    cocoFile(good, [{ image: 'a.png', segs: [[1, 1, 5, 1, 5, 4, 1, 4]] }, { image: 'b.png', segs: [[2, 2, 6, 2, 6, 5]] }]);
    expect(await main(['import-annotations', proj, good, '--format', 'coco', '--apply'])).toBe(EXIT.OK);
    const partly = path.join(io.tmp, 'partly.json');
    cocoFile(partly, [{ image: 'a.png', segs: [[1, 1, 5, 1, 5, 4, 1, 4], [1, 1]] }]); // the second polygon is invalid
    expect(await main(['import-annotations', proj, partly, '--format', 'coco', '--apply', '--strict'])).toBe(EXIT.FAILED);
    expect(await main(['import-annotations', proj, partly, '--format', 'coco', '--apply', '--merge'])).toBe(EXIT.PARTIAL);

    expect(await main(['export', proj, path.join(io.tmp, 'ok'), '--format', 'coco'])).toBe(EXIT.OK);
    // a missing image file is left out
    fs.rmSync(path.join(imgs, 'b.png'));
    expect(await main(['export', proj, path.join(io.tmp, 'strict'), '--format', 'coco', '--strict'])).toBe(EXIT.FAILED);
    expect(fs.existsSync(path.join(io.tmp, 'strict'))).toBe(false);
    expect(fs.readdirSync(io.tmp).filter((n) => n.includes('.partial-'))).toEqual([]);
    expect(await main(['export', proj, path.join(io.tmp, 'partial'), '--format', 'coco'])).toBe(EXIT.PARTIAL);
    expect(err.join('\n') + out.join('\n')).toMatch(/--strict/);
  });
});

describe('terminal escaping', () => {
  it('termSafe escapes newlines, ESC/CSI/OSC sequences, C1 controls and bidi overrides; plain text is unchanged', () => {
    expect(termSafe('plain name é 漢字.png')).toBe('plain name é 漢字.png');
    expect(termSafe('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(termSafe('\u001b[2Jx')).toBe('\\x1b[2Jx');
    expect(termSafe('\u001b]0;owned\u0007')).toBe('\\x1b]0;owned\\x07');
    expect(termSafe('\u009b31m \u007f')).toBe('\\x9b31m \\x7f');
    expect(termSafe('gnp.\u202eexe')).toBe('gnp.\\u202eexe');
  });

  it('import and ls print escaped names; --json keeps them exact', async () => {
    const { proj } = await setup();
    const evil = path.join(io.tmp, 'evil');
    fs.mkdirSync(evil);
    const name = 'x\n  skipped  fake\u001b[2J\u001b]0;title\u0007.png';
    await png(path.join(evil, name), 8, 6, 77);
    fs.writeFileSync(path.join(evil, `bad\u001b[31m.png`), 'not an image');
    expect(await main(['import', proj, evil])).toBe(EXIT.PARTIAL);
    const human = out.join('\n');
    expect(human).not.toMatch(/\u001b/);
    expect(human).toContain('bad\\x1b[31m.png');
    out.length = 0;
    expect(await main(['ls', proj])).toBe(EXIT.OK);
    const listing = out.join('\n');
    expect(listing).not.toMatch(/\u001b|\u0007/);
    expect(listing.split('\n')).toHaveLength(2); // the header and one row: the newline in the name forged no line
    expect(listing).toContain('x\\n  skipped  fake\\x1b[2J\\x1b]0;title\\x07.png');
    out.length = 0;
    expect(await main(['ls', proj, '--json'])).toBe(EXIT.OK);
    expect(JSON.parse(out.join('\n')).items[0].fileName).toBe(name);
  });
});

describe('export with nothing to export (issue 15)', () => {
  it('says why and exits PARTIAL (images without masks), FAILED with --strict or for a project without images', async () => {
    const { proj, imgs } = await setup();
    out.length = 0;
    err.length = 0;
    expect(await main(['export', proj, path.join(io.tmp, 'empty0'), '--format', 'coco'])).toBe(EXIT.FAILED);
    expect(err.join('\n')).toMatch(/Nothing was exported: the project has no images yet/);
    expect(await main(['import', proj, imgs])).toBe(EXIT.OK);
    err.length = 0;
    expect(await main(['export', proj, path.join(io.tmp, 'empty1'), '--format', 'coco'])).toBe(EXIT.PARTIAL);
    expect(err.join('\n')).toMatch(/none of the 2 images have a mask yet \(2 unlabelled\).*--include-unannotated/);
    expect(await main(['export', proj, path.join(io.tmp, 'empty2'), '--format', 'coco', '--strict'])).toBe(EXIT.FAILED);
    err.length = 0;
    expect(await main(['export', proj, path.join(io.tmp, 'empty3'), '--format', 'coco', '--status', 'done'])).toBe(EXIT.PARTIAL);
    expect(err.join('\n')).toMatch(/no image has the status done \(the project's 2 images are: 2 unlabelled\)/);
    // asked for the images without masks: exported, OK
    expect(await main(['export', proj, path.join(io.tmp, 'empty4'), '--format', 'coco', '--include-unannotated'])).toBe(EXIT.OK);
  });
});
