/**
 * Our port of PIL's polygon, rectangle and ellipse fills against the real Pillow (Debian's
 * python3-pil, 9.4), on random shapes: integer and fractional vertices, thin and self-touching
 * polygons, shapes partly outside the image.
 */
import { describe, expect, it } from 'vitest';
import { pilEllipse, pilPolygon, pilRectangle } from '../../../core/mask/pil-raster';
import { mulberry32 } from '../formats/synthetic';
import { NO_PIL, PYTHON_PIL, runPython } from '../../helpers/python';

interface Case {
  kind: 'polygon' | 'rectangle' | 'ellipse';
  w: number;
  h: number;
  xy: number[];
}

const SCRIPT = `
import sys, json, base64
import numpy as np
from PIL import Image, ImageDraw
out = []
for c in json.load(sys.stdin):
    im = Image.new('L', (c['w'], c['h']), 0)
    d = ImageDraw.Draw(im)
    xy = c['xy']
    pts = [(xy[i], xy[i + 1]) for i in range(0, len(xy), 2)]
    if c['kind'] == 'polygon':
        d.polygon(pts, outline=1, fill=1)
    elif c['kind'] == 'rectangle':
        d.rectangle(pts, outline=1, fill=1)
    else:
        d.ellipse(pts, outline=1, fill=1)
    out.append(base64.b64encode(np.array(im, dtype=np.uint8).tobytes()).decode())
print(json.dumps(out))
`;

function cases(seed: number, n: number): Case[] {
  const rnd = mulberry32(seed);
  const out: Case[] = [];
  for (let k = 0; k < n; k++) {
    const w = 8 + Math.floor(rnd() * 20);
    const h = 8 + Math.floor(rnd() * 20);
    const kind = k % 5 === 3 ? 'rectangle' : k % 5 === 4 ? 'ellipse' : 'polygon';
    const frac = k % 3 === 0;
    const coord = (m: number) => {
      const v = -3 + rnd() * (m + 6);
      return frac ? Math.round(v * 100) / 100 : Math.round(v);
    };
    if (kind === 'polygon') {
      const v = 3 + Math.floor(rnd() * 7);
      const xy: number[] = [];
      for (let j = 0; j < v; j++) {
        // sometimes step by one pixel (outlines through pixel centres), sometimes jump
        if (j > 0 && rnd() < 0.4) {
          xy.push(xy[xy.length - 2]! + Math.floor(rnd() * 3) - 1, xy[xy.length - 1]! + Math.floor(rnd() * 3) - 1);
        } else xy.push(coord(w), coord(h));
      }
      out.push({ kind, w, h, xy });
    } else if (kind === 'rectangle') {
      const x0 = coord(w);
      const y0 = coord(h);
      out.push({ kind, w, h, xy: [x0, y0, x0 + Math.abs(coord(w)) / 2, y0 + Math.abs(coord(h)) / 2] });
    } else {
      const x0 = coord(w);
      const y0 = coord(h);
      out.push({ kind, w, h, xy: [x0, y0, x0 + Math.abs(coord(w)), y0 + Math.abs(coord(h))] });
    }
  }
  return out;
}

function ours(c: Case): Uint8Array {
  const m = new Uint8Array(c.w * c.h);
  if (c.kind === 'polygon') pilPolygon(m, c.w, c.h, c.xy, 1, '9.4');
  else if (c.kind === 'rectangle') pilRectangle(m, c.w, c.h, c.xy[0]!, c.xy[1]!, c.xy[2]!, c.xy[3]!, 1);
  else pilEllipse(m, c.w, c.h, c.xy[0]!, c.xy[1]!, c.xy[2]!, c.xy[3]!, 1);
  return m;
}

describe('PIL rasteriser port', () => {
  it('draws the unit cases PIL draws (no python needed)', () => {
    // a 3x2 rectangle through pixel centres covers 4x3 pixels (PIL fills the boundary)
    const m = new Uint8Array(6 * 5);
    pilPolygon(m, 6, 5, [1, 1, 4, 1, 4, 3, 1, 3], 1);
    expect(m.reduce((s, v) => s + v, 0)).toBe(12);
    // one point repeated: one pixel
    const p = new Uint8Array(5 * 5);
    pilPolygon(p, 5, 5, [2, 2, 2, 2, 2, 2], 1);
    expect([...p].map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).toEqual([12]);
    // a circle of radius 2 (box 5x5): 21 pixels
    const e = new Uint8Array(9 * 9);
    pilEllipse(e, 9, 9, 2, 2, 6, 6, 1);
    expect(e.reduce((s, v) => s + v, 0)).toBe(21);
  });

  it.skipIf(!PYTHON_PIL)(`matches Pillow pixel for pixel on 600 random shapes${PYTHON_PIL ? '' : ` (${NO_PIL})`}`, () => {
    const cs = cases(7, 600);
    const ref = runPython<string[]>(PYTHON_PIL!, SCRIPT, cs);
    const bad: string[] = [];
    cs.forEach((c, k) => {
      const want = Buffer.from(ref[k]!, 'base64');
      const got = ours(c);
      let diff = 0;
      for (let i = 0; i < got.length; i++) if ((got[i] !== 0) !== (want[i] !== 0)) diff++;
      if (diff) bad.push(`${c.kind} ${c.w}x${c.h} ${JSON.stringify(c.xy)}: ${diff} px`);
    });
    expect(bad).toEqual([]);
  });
});
if (!PYTHON_PIL) console.log(`pil-raster.test: ${NO_PIL}`);
