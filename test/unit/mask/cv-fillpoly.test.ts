/**
 * Our port of OpenCV's fillPoly (LINE_8, shift 0) against the real cv2 (Debian's python3-opencv),
 * on random integer polygons inside the image (convex, self-crossing, thin, several contours in one
 * call) and on polygons of axis-parallel and diagonal edges. Polygons that leave the image are not
 * matched yet (the clipping path differs; 328/400 such random cases agree).
 */
import { describe, expect, it } from 'vitest';
import { cvFillPoly } from '../../../core/mask/cv-fillpoly';
import { mulberry32 } from '../formats/synthetic';
import { NO_CV2, PYTHON_CV2, runPython } from '../../helpers/python';

interface Case {
  w: number;
  h: number;
  rings: number[][];
}

const SCRIPT = `
import sys, json, base64
import numpy as np, cv2
out = []
for c in json.load(sys.stdin):
    m = np.zeros((c['h'], c['w']), dtype=np.uint8)
    polys = [np.asarray(r, dtype=np.int32).reshape(-1, 2) for r in c['rings']]
    cv2.fillPoly(m, polys, color=1)
    out.append(base64.b64encode(m.tobytes()).decode())
print(json.dumps(out))
`;

function cases(seed: number, n: number): Case[] {
  const rnd = mulberry32(seed);
  const out: Case[] = [];
  for (let k = 0; k < n; k++) {
    const w = 5 + Math.floor(rnd() * 40);
    const h = 5 + Math.floor(rnd() * 40);
    const nr = rnd() < 0.2 ? 2 : 1;
    const rings: number[][] = [];
    for (let r = 0; r < nr; r++) {
      const np = 1 + Math.floor(rnd() * 9);
      const ring: number[] = [];
      for (let p = 0; p < np; p++) ring.push(Math.floor(rnd() * w), Math.floor(rnd() * h));
      rings.push(ring);
    }
    out.push({ w, h, rings });
  }
  return out;
}

describe.skipIf(!PYTHON_CV2)(`cvFillPoly matches cv2.fillPoly${PYTHON_CV2 ? '' : ` — ${NO_CV2}`}`, () => {
  it('400 random polygons: identical pixels', () => {
    const cs = cases(7, 400);
    const want = runPython<string[]>(PYTHON_CV2!, SCRIPT, cs);
    let bad = 0;
    let px = 0;
    let total = 0;
    cs.forEach((c, k) => {
      const got = new Uint8Array(c.w * c.h);
      cvFillPoly(got, c.w, c.h, c.rings, 1);
      const exp = Buffer.from(want[k]!, 'base64');
      let d = 0;
      for (let i = 0; i < got.length; i++) {
        if (got[i] !== exp[i]) d++;
        if (exp[i]) total++;
      }
      if (d) bad++;
      px += d;
    });
    console.log(`cv-fillpoly: ${400 - bad}/400 random polygons identical to cv2.fillPoly; ${px} of ${total} pixels differ`);
    expect(bad).toBe(0);
  });

  it('polygons of axis-parallel and diagonal edges between pixel centres (what the YOLO writer emits): identical', () => {
    const rnd = mulberry32(11);
    const cs: Case[] = [];
    for (let k = 0; k < 300; k++) {
      const w = 8 + Math.floor(rnd() * 30);
      const h = 8 + Math.floor(rnd() * 30);
      let x = Math.floor(rnd() * w);
      let y = Math.floor(rnd() * h);
      const ring = [x, y];
      for (let p = 0; p < 12; p++) {
        const dx = Math.floor(rnd() * 3) - 1;
        const dy = Math.floor(rnd() * 3) - 1;
        const len = 1 + Math.floor(rnd() * 6);
        x = Math.min(w - 1, Math.max(0, x + dx * len));
        y = Math.min(h - 1, Math.max(0, y + dy * len));
        ring.push(x, y);
      }
      cs.push({ w, h, rings: [ring] });
    }
    const want = runPython<string[]>(PYTHON_CV2!, SCRIPT, cs);
    const bad: number[] = [];
    cs.forEach((c, k) => {
      const got = new Uint8Array(c.w * c.h);
      cvFillPoly(got, c.w, c.h, c.rings, 1);
      if (!Buffer.from(got).equals(Buffer.from(want[k]!, 'base64'))) bad.push(k);
    });
    expect(bad).toEqual([]);
  });
});

if (!PYTHON_CV2) console.log(`cv-fillpoly: ${NO_CV2}`);
