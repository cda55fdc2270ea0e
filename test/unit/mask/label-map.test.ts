import { describe, expect, it } from 'vitest';
import {
  crc32,
  decodeLabelMap,
  decodeRle,
  encodeLabelMap,
  LabelMap,
  MaskDecodeError,
  type Instance,
} from '../../../core/mask/index';
import { blobMask, mulberry32, rowsFromMask } from './helpers';

/** A map from rows of id characters ('0' background, '1'..'9'). */
function mapFromRows(rows: string[], instances: Instance[] = []): LabelMap {
  const width = rows[0]!.length;
  const ids = new Uint32Array(width * rows.length);
  rows.forEach((r, y) => {
    for (let x = 0; x < width; x++) ids[y * width + x] = Number(r[x]);
  });
  return new LabelMap(width, rows.length, ids, instances);
}

const cat: Instance = { id: 1, classId: 3, source: 'human', score: null };
const dog: Instance = { id: 2, classId: 7, source: 'model', score: 0.875 };

describe('LabelMap: table and pixels', () => {
  it('starts empty and allocates fresh ids above pixels and rows', () => {
    const m = new LabelMap(4, 3);
    expect(m.ids.length).toBe(12);
    expect(m.instanceCount).toBe(0);
    expect(m.nextFreeId()).toBe(1);
    const a = m.addInstance({ classId: 2 });
    expect(a).toEqual({ id: 1, classId: 2, source: 'human', score: null });
    m.setAt(0, 0, 9);
    expect(m.nextFreeId()).toBe(10);
    expect(m.addInstance({ classId: 1, source: 'model', score: 0.5 }).id).toBe(10);
    expect(() => m.addInstance({ classId: 1, id: 1 })).toThrow(/already exists/);
  });

  it('validates rows', () => {
    const m = new LabelMap(2, 2);
    expect(() => m.setInstance({ id: 0, classId: 1, source: 'human', score: null })).toThrow(RangeError);
    expect(() => m.setInstance({ id: 1, classId: -1, source: 'human', score: null })).toThrow(RangeError);
    expect(() => m.setInstance({ id: 1, classId: 1, source: 'robot' as 'human', score: null })).toThrow(RangeError);
    expect(() => m.setInstance({ id: 1, classId: 1, source: 'model', score: 1.5 })).toThrow(RangeError);
    expect(() => new LabelMap(2, 2, new Uint32Array(3))).toThrow(RangeError);
  });

  it('updates and removes instances, clearing their pixels', () => {
    const m = mapFromRows(['120', '112'], [cat, dog]);
    expect(m.updateInstance(2, { classId: 8, source: 'human', score: null })).toEqual({ id: 2, classId: 8, source: 'human', score: null });
    expect(m.removeInstance(1)).toBe(true);
    expect(rowsFromMask(m.ids, 3, 2)).toEqual(['020', '002']);
    expect(m.hasInstance(1)).toBe(false);
    expect(m.removeInstance(5)).toBe(false);
    expect(() => m.updateInstance(5, { classId: 1 })).toThrow(/no instance 5/);
  });

  it('reads outside the image as background and ignores writes there', () => {
    const m = mapFromRows(['12', '21']);
    expect(m.at(-1, 0)).toBe(0);
    expect(m.at(1, 0)).toBe(2);
    m.setAt(5, 5, 3);
    expect(rowsFromMask(m.ids, 2, 2)).toEqual(['12', '21']);
  });

  it('copies rectangles out and back (undo patches)', () => {
    const m = mapFromRows(['1234', '5678', '9123']);
    const rect = { x: 1, y: 1, width: 2, height: 2 };
    const patch = m.readRect(rect);
    expect(Array.from(patch)).toEqual([6, 7, 1, 2]);
    m.writeRect(rect, new Uint32Array(4));
    expect(rowsFromMask(m.ids, 4, 3)).toEqual(['1234', '5008', '9003']);
    m.writeRect(rect, patch);
    expect(rowsFromMask(m.ids, 4, 3)).toEqual(['1234', '5678', '9123']);
    expect(() => m.readRect({ x: 3, y: 0, width: 2, height: 1 })).toThrow(RangeError);
  });

  it('clones deeply', () => {
    const m = mapFromRows(['12'], [cat, dog]);
    const c = m.clone();
    c.setAt(0, 0, 0);
    c.updateInstance(1, { classId: 99 });
    expect(m.at(0, 0)).toBe(1);
    expect(m.getInstance(1)!.classId).toBe(3);
  });
});

describe('LabelMap: derived views', () => {
  const m = mapFromRows(['0110', '0112', '3002'], [cat, dog, { id: 3, classId: 300, source: 'import', score: null }]);

  it('gives binary masks per instance', () => {
    expect(rowsFromMask(m.binaryMask(1), 4, 3)).toEqual(['0110', '0110', '0000']);
    expect(rowsFromMask(m.binaryMask(9), 4, 3)).toEqual(['0000', '0000', '0000']);
  });

  it('gives a semantic map, Uint16 when a class index exceeds 255', () => {
    const sem = m.semanticMap();
    expect(sem).toBeInstanceOf(Uint16Array);
    expect(Array.from(sem)).toEqual([0, 3, 3, 0, 0, 3, 3, 7, 300, 0, 0, 7]);
    const small = m.semanticMap({ classIndex: (c) => (c === 300 ? 1 : c === 3 ? 2 : 4), background: 255 });
    expect(small).toBeInstanceOf(Uint8Array);
    expect(Array.from(small)).toEqual([255, 2, 2, 255, 255, 2, 2, 4, 1, 255, 255, 4]);
  });

  it('maps pixel ids without a table row to background and lists them', () => {
    const o = mapFromRows(['15'], [cat]);
    expect(Array.from(o.semanticMap())).toEqual([3, 0]);
    expect(o.orphanIds()).toEqual([5]);
    expect(o.pixelIds()).toEqual([1, 5]);
  });

  it('computes area and bbox per instance in one pass', () => {
    const s = m.stats();
    expect([...s.keys()]).toEqual([1, 2, 3]);
    expect(s.get(1)).toEqual({ id: 1, area: 4, bbox: { x: 1, y: 0, width: 2, height: 2 } });
    expect(s.get(2)).toEqual({ id: 2, area: 2, bbox: { x: 3, y: 1, width: 1, height: 2 } });
    expect(m.instanceStats(3)).toEqual({ area: 1, bbox: { x: 0, y: 2, width: 1, height: 1 } });
    expect(m.instanceStats(8)).toEqual({ area: 0, bbox: null });
  });

  it('gives COCO RLEs of all instances', () => {
    const rles = m.toRles();
    expect([...rles.keys()]).toEqual([1, 2, 3]);
    for (const [id, rle] of rles) expect(Array.from(decodeRle(rle))).toEqual(Array.from(m.binaryMask(id)));
    expect([...m.toRles([2]).keys()]).toEqual([2]);
  });

  it('agrees with brute force on random maps', () => {
    const rnd = mulberry32(5);
    const w = 37;
    const h = 23;
    const map = new LabelMap(w, h);
    for (let k = 1; k <= 6; k++) {
      const b = blobMask(rnd, w, h, 2);
      for (let i = 0; i < b.length; i++) if (b[i]) map.ids[i] = k;
    }
    for (const [id, st] of map.stats()) {
      let area = 0;
      let x0 = w;
      let y0 = h;
      let x1 = -1;
      let y1 = -1;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (map.ids[y * w + x] === id) {
            area++;
            x0 = Math.min(x0, x);
            x1 = Math.max(x1, x);
            y0 = Math.min(y0, y);
            y1 = Math.max(y1, y);
          }
        }
      }
      expect(st).toEqual({ id, area, bbox: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } });
    }
  });
});

describe('LabelMap: binary blob', () => {
  function sample(): LabelMap {
    const rnd = mulberry32(11);
    const w = 29;
    const h = 17;
    const map = new LabelMap(w, h);
    for (let k = 1; k <= 4; k++) {
      const b = blobMask(rnd, w, h, 2);
      const id = k === 4 ? 70_000 : k;
      for (let i = 0; i < b.length; i++) if (b[i]) map.ids[i] = id;
      map.setInstance({ id, classId: k, source: k % 2 ? 'model' : 'human', score: k % 2 ? k / 10 : null });
    }
    map.setInstance({ id: 12, classId: 0, source: 'import', score: null }); // a row without pixels
    return map;
  }

  it('round-trips ids and instance table exactly', () => {
    const map = sample();
    const blob = encodeLabelMap(map);
    const back = decodeLabelMap(blob);
    expect(back.width).toBe(map.width);
    expect(back.height).toBe(map.height);
    expect(back.ids).toEqual(map.ids);
    expect(back.instances()).toEqual(map.instances());
    expect(LabelMap.decode(map.encode()).ids).toEqual(map.ids);
    // compact: far smaller than 4 bytes per pixel
    expect(blob.length).toBeLessThan(map.ids.length);
  });

  it('round-trips edge cases: all background, one pixel, orphan ids, huge ids', () => {
    for (const map of [
      new LabelMap(3, 2),
      new LabelMap(1, 1, Uint32Array.of(0xffffffff), [{ id: 0xffffffff, classId: 65535, source: 'model', score: 1 }]),
      mapFromRows(['1230'], [cat]),
    ]) {
      const back = decodeLabelMap(encodeLabelMap(map));
      expect(back.ids).toEqual(map.ids);
      expect(back.instances()).toEqual(map.instances());
    }
  });

  it('writes the documented header', () => {
    const blob = encodeLabelMap(mapFromRows(['0110', '0112'], [cat, dog]));
    const dv = new DataView(blob.buffer, blob.byteOffset);
    expect(String.fromCharCode(...blob.subarray(0, 4))).toBe('MWLM');
    expect(dv.getUint16(4, true)).toBe(1);
    expect([dv.getUint32(8, true), dv.getUint32(12, true), dv.getUint32(16, true)]).toEqual([4, 2, 2]);
    expect([dv.getUint32(32, true), dv.getUint32(36, true)]).toEqual([1, 2]);
    expect(dv.getUint32(28, true)).toBe(crc32(blob, 32));
  });

  it('computes the standard CRC-32', () => {
    const bytes = Uint8Array.from('123456789', (c) => c.charCodeAt(0));
    expect(crc32(bytes)).toBe(0xcbf43926);
  });

  it('throws MaskDecodeError for every truncation', () => {
    const blob = encodeLabelMap(sample());
    for (let len = 0; len < blob.length; len++) {
      expect(() => decodeLabelMap(blob.subarray(0, len))).toThrow(MaskDecodeError);
    }
    expect(() => decodeLabelMap(blob.subarray(0, 10))).toThrow(/truncated: 10 bytes/);
  });

  it('throws MaskDecodeError for every single-byte corruption and for trailing bytes', () => {
    const blob = encodeLabelMap(mapFromRows(['0110', '0112', '3000'], [cat, dog, { id: 3, classId: 1, source: 'import', score: null }]));
    for (let i = 0; i < blob.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const bad = blob.slice();
        bad[i] = bad[i]! ^ flip;
        expect(() => decodeLabelMap(bad), `byte ${i} ^ ${flip}`).toThrow(MaskDecodeError);
      }
    }
    const longer = new Uint8Array(blob.length + 1);
    longer.set(blob);
    expect(() => decodeLabelMap(longer)).toThrow(/trailing/);
  });

  it('names the problem in clear messages', () => {
    const blob = encodeLabelMap(mapFromRows(['12'], [cat, dog]));
    const wrongMagic = blob.slice();
    wrongMagic[0] = 0x50;
    expect(() => decodeLabelMap(wrongMagic)).toThrow(/bad magic/);
    const future = blob.slice();
    new DataView(future.buffer).setUint16(4, 2, true);
    expect(() => decodeLabelMap(future)).toThrow(/unsupported format version 2/);
    const payload = blob.slice();
    payload[payload.length - 2] = payload[payload.length - 2]! ^ 0x04;
    expect(() => decodeLabelMap(payload)).toThrow(/checksum mismatch/);
  });

  /** Re-seals a hand-edited blob with a correct checksum, to reach the content checks. */
  function reseal(blob: Uint8Array): Uint8Array {
    new DataView(blob.buffer, blob.byteOffset).setUint32(28, crc32(blob, 32), true);
    return blob;
  }

  it('checks content even when the checksum is right', () => {
    const base = encodeLabelMap(mapFromRows(['12'], [cat, dog]));
    const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset);

    const unsorted = base.slice();
    dv(unsorted).setUint32(32, 5, true); // palette [5, 2]
    expect(() => decodeLabelMap(reseal(unsorted))).toThrow(/strictly ascending/);

    // runs: (1, 0) (2, 0) -> make the second run point at palette entry 3
    const badIndex = base.slice();
    badIndex[32 + 8 + 2] = 3;
    expect(() => decodeLabelMap(reseal(badIndex))).toThrow(/palette entry 3/);

    const tooLong = base.slice();
    tooLong[32 + 8 + 3] = 1; // second run of length 2 overflows the 2x1 map
    expect(() => decodeLabelMap(reseal(tooLong))).toThrow(/more than the 2x1 pixels/);

    const json = base.slice();
    json[json.length - 1] = '}'.charCodeAt(0);
    expect(() => decodeLabelMap(reseal(json))).toThrow(/not valid JSON/);
  });

  it('rejects duplicate and invalid instance rows', () => {
    const make = (rows: unknown[]): Uint8Array => {
      const good = encodeLabelMap(mapFromRows(['12'], [cat, dog]));
      const dv = new DataView(good.buffer);
      const jsonStart = 32 + 4 * dv.getUint32(16, true) + dv.getUint32(20, true);
      const text = JSON.stringify(rows);
      const out = new Uint8Array(jsonStart + text.length);
      out.set(good.subarray(0, jsonStart));
      for (let k = 0; k < text.length; k++) out[jsonStart + k] = text.charCodeAt(k);
      new DataView(out.buffer).setUint32(24, text.length, true);
      return reseal(out);
    };
    expect(decodeLabelMap(make([cat])).instances()).toEqual([cat]);
    expect(() => decodeLabelMap(make([cat, cat]))).toThrow(/appears twice/);
    expect(() => decodeLabelMap(make([{ ...cat, source: 'alien' }]))).toThrow(/bad instance row/);
    expect(() => decodeLabelMap(make([{ ...cat, id: 4 }]))).toThrow(/missing from the palette/);
    expect(() => decodeLabelMap(make([{ id: 1 }]))).toThrow(MaskDecodeError);
    expect(() => decodeLabelMap(make({ a: 1 } as unknown as unknown[]))).toThrow(/JSON array/);
  });
});

describe('checkLabelMapBlob', () => {
  it('validates a blob like decode does, without allocating the pixel map', async () => {
    const { checkLabelMapBlob, LabelMap } = await import('../../../core/mask/label-map');
    const m = new LabelMap(50, 40);
    m.addInstance({ classId: 2, id: 7 });
    m.ids.fill(7, 100, 300);
    const blob = m.encode();
    expect(checkLabelMapBlob(blob)).toMatchObject({ width: 50, height: 40, instances: [{ id: 7, classId: 2 }] });
    for (const cut of [10, 33, blob.length - 1]) expect(() => checkLabelMapBlob(blob.subarray(0, cut))).toThrow(/truncated|checksum/);
    const flipped = blob.slice();
    flipped[40]! ^= 1;
    expect(() => checkLabelMapBlob(flipped)).toThrow();
  });
});
