// Issue 15: the pure parts of drag and drop onto the grid (which files count, safe names, batches).
import { describe, expect, it } from 'vitest';
import { batchBySize, isImageName, safeRelativeName } from '../../../renderer/src/lib/drop-upload';

describe('drop upload helpers', () => {
  it('takes the formats the importer reads, by extension, case-blind', () => {
    expect(['a.png', 'b.JPG', 'c.jpeg', 'd.tif', 'e.TIFF', 'f.webp', 'g.bmp'].every(isImageName)).toBe(true);
    expect(['notes.txt', 'png', '.png', 'archive.zip', 'x.png.part'].some(isImageName)).toBe(false);
  });

  it('names stay relative and inside the staging folder', () => {
    expect(safeRelativeName('plate1/well A/img 01.png')).toBe('plate1/well A/img 01.png');
    expect(safeRelativeName('../../etc/passwd.png')).toBe('etc/passwd.png');
    expect(safeRelativeName('C:\\data\\x.png')).toBe('C_/data/x.png');
    expect(safeRelativeName('/abs//./x.png')).toBe('abs/x.png');
    expect(safeRelativeName('..')).toBe('file');
  });

  it('batches by size; a file over the limit travels alone', () => {
    const items = [5, 5, 5, 20, 1, 1].map((size, i) => ({ size, i }));
    expect(batchBySize(items, 10).map((b) => b.map((x) => x.i))).toEqual([[0, 1], [2], [3], [4, 5]]);
    expect(batchBySize([], 10)).toEqual([]);
  });
});
