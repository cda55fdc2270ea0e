import { describe, expect, it } from 'vitest';
import { instancesFromSemantic, labelComponents, labelSemanticComponents } from '../../../core/mask/index';
import { maskFromRows, mulberry32, noiseMask, rowsFromMask } from './helpers';

describe('connected components', () => {
  const { mask, width, height } = maskFromRows(['11000', '11001', '00110', '10000']);

  it('labels 4-connected components in first-pixel order', () => {
    const c = labelComponents(mask, width, height, 4);
    expect(c.count).toBe(4);
    expect(rowsFromMask(c.labels, width, height)).toEqual(['11000', '11002', '00330', '40000']);
    expect(Array.from(c.areas)).toEqual([0, 4, 1, 2, 1]);
  });

  it('joins diagonal neighbours with 8-connectivity', () => {
    const c = labelComponents(mask, width, height, 8);
    expect(c.count).toBe(2);
    expect(rowsFromMask(c.labels, width, height)).toEqual(['11000', '11001', '00110', '20000']);
  });

  it('merges labels that meet late (U shapes, union-find)', () => {
    const u = maskFromRows(['1010101', '1010101', '1111111']);
    expect(labelComponents(u.mask, u.width, u.height, 4).count).toBe(1);
    const stairs = maskFromRows(['0001', '0010', '0100', '1000']);
    expect(labelComponents(stairs.mask, 4, 4, 4).count).toBe(4);
    expect(labelComponents(stairs.mask, 4, 4, 8).count).toBe(1);
  });

  it('counts match a flood-fill reference on random masks', () => {
    const rnd = mulberry32(8);
    for (let t = 0; t < 40; t++) {
      const w = 1 + Math.floor(rnd() * 30);
      const h = 1 + Math.floor(rnd() * 30);
      const m = noiseMask(rnd, w, h, rnd());
      for (const conn of [4, 8] as const) {
        const c = labelComponents(m, w, h, conn);
        // every pair of neighbouring foreground pixels shares a label; labels are 1..count
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const i = y * w + x;
            expect(c.labels[i] === 0).toBe(m[i] === 0);
            const nbrs = conn === 4 ? [[1, 0], [0, 1]] : [[1, 0], [0, 1], [1, 1], [-1, 1]];
            for (const [dx, dy] of nbrs) {
              const nx = x + dx!;
              const ny = y + dy!;
              if (nx < 0 || nx >= w || ny >= h) continue;
              const j = ny * w + nx;
              if (m[i] && m[j]) expect(c.labels[j]).toBe(c.labels[i]);
            }
          }
        }
        expect(new Set(Array.from(c.labels).filter((v) => v)).size).toBe(c.count);
      }
    }
  });
});

describe('semantic map -> instances', () => {
  const sem = Uint8Array.from([1, 1, 2, 2, 0, 1, 0, 2, 2, 0, 0, 0, 3, 3, 1]);
  // rows: 11220 / 10220 / 00331 (5x3)

  it('splits each class into connected regions', () => {
    const c = labelSemanticComponents(sem, 5, 3, 4);
    expect(rowsFromMask(c.labels, 5, 3)).toEqual(['11220', '10220', '00334']);
    expect(Array.from(c.classes)).toEqual([0, 1, 2, 3, 1]);
  });

  it('builds a LabelMap with one instance per region', () => {
    const map = instancesFromSemantic(sem, 5, 3, { connectivity: 4, source: 'model', classIdOf: (v) => v * 10 });
    expect(rowsFromMask(map.ids, 5, 3)).toEqual(['11220', '10220', '00334']);
    expect(map.instances()).toEqual([
      { id: 1, classId: 10, source: 'model', score: null },
      { id: 2, classId: 20, source: 'model', score: null },
      { id: 3, classId: 30, source: 'model', score: null },
      { id: 4, classId: 10, source: 'model', score: null },
    ]);
    expect(Array.from(map.semanticMap())).toEqual(Array.from(sem, (v) => v * 10));
  });

  it('drops regions below minAreaPx and renumbers', () => {
    const map = instancesFromSemantic(sem, 5, 3, { minAreaPx: 2 });
    expect(rowsFromMask(map.ids, 5, 3)).toEqual(['11220', '10220', '00330']);
    expect(map.instances().map((i) => i.classId)).toEqual([1, 2, 3]);
  });

  it('honours a non-zero background value', () => {
    const c = labelSemanticComponents(Uint8Array.from([255, 1, 255, 1]), 4, 1, 8, 255);
    expect(Array.from(c.labels)).toEqual([0, 1, 0, 2]);
  });
});
