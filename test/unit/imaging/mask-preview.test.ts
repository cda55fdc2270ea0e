import { describe, expect, it } from 'vitest';
import { maskPreviewPixels } from '../../../core/imaging/mask-preview';
import { LabelMap } from '../../../core/mask/label-map';
import { naturalKey } from '../../../core/store/image-repo';

describe('grid mask overlay', () => {
  it('shrinks the mask to the asked size, tints inside and outlines the edge, keeps the aspect ratio', () => {
    const m = new LabelMap(200, 100);
    const a = m.addInstance({ classId: 1 });
    for (let y = 20; y < 80; y++) for (let x = 20; x < 120; x++) m.ids[y * 200 + x] = a.id;
    const px = maskPreviewPixels(m, () => [255, 0, 0], 50)!;
    expect([px.width, px.height]).toEqual([50, 25]);
    const alpha = (x: number, y: number) => px.rgba[(y * px.width + x) * 4 + 3];
    expect(alpha(2, 2)).toBe(0); // background
    expect(alpha(5, 5)).toBe(255); // the object's corner: outline
    expect(alpha(15, 12)).toBe(80); // inside: tint
    expect(px.rgba[(12 * px.width + 15) * 4]).toBe(255);
  });

  it('is null for an empty mask and leaves hidden classes out', () => {
    const m = new LabelMap(10, 10);
    expect(maskPreviewPixels(m, () => [1, 2, 3], 10)).toBeNull();
    const a = m.addInstance({ classId: 1 });
    m.ids[55] = a.id;
    const px = maskPreviewPixels(m, () => null, 10)!;
    expect(px.rgba.every((v) => v === 0)).toBe(true);
  });

  it('natural order key: 2.png before 10.png, case folded, leading zeros ignored', () => {
    const names = ['10.jpg', 'b.png', '2.jpg', 'A.png', '1.jpg', 'img-010.png', 'img-9.png', '0.jpg'];
    expect([...names].sort((x, y) => (naturalKey(x) < naturalKey(y) ? -1 : naturalKey(x) > naturalKey(y) ? 1 : 0))).toEqual(['0.jpg', '1.jpg', '2.jpg', '10.jpg', 'A.png', 'b.png', 'img-9.png', 'img-010.png']);
  });
});
