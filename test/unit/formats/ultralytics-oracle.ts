/**
 * What Ultralytics makes of YOLO-seg label files at the image's own size, computed by the real
 * numpy and OpenCV (Debian's python3-numpy / python3-opencv): the steps of its YOLODataset
 * (`verify_image_label` parses float32; `update_labels_info` resamples each polygon with
 * `resample_segments` to 1000 points, or the longest + 1, keeping the vertices; `Instances.denormalize`
 * multiplies by width/height in float32; `polygon2mask` casts to int32 and calls `cv2.fillPoly`),
 * written out here step by step. Returns, per file and line, the filled pixels as a crop.
 */
import { runPython } from '../../helpers/python';

const SCRIPT = `
import sys, json, base64
import numpy as np, cv2

def resample(segs, n):
    out = []
    for s in segs:
        if len(s) == n:
            out.append(s)
            continue
        closed = np.concatenate((s, s[:1]), axis=0)
        m = len(closed)
        t = np.linspace(0, m - 1, n - m if m < n else n)
        idx = np.arange(m)
        if m < n:
            t = np.insert(t, np.searchsorted(t, idx), idx)
        xs = np.interp(t, idx, closed[:, 0])
        ys = np.interp(t, idx, closed[:, 1])
        out.append(np.stack([xs, ys], axis=1).astype(np.float32))
    return out

req = json.load(sys.stdin)
res = []
for f in req['files']:
    w, h = f['w'], f['h']
    rows = [l.split() for l in f['text'].strip().splitlines() if len(l)]
    segs = [np.array(r[1:], dtype=np.float32).reshape(-1, 2) for r in rows]
    n = 1000
    if segs:
        longest = max(len(s) for s in segs)
        if n < longest:
            n = longest + 1
        if req['resample']:
            segs = resample(segs, n)
    lines = []
    for s in segs:
        s = s.copy()
        s[:, 0] *= w
        s[:, 1] *= h
        m = np.zeros((h, w), dtype=np.uint8)
        poly = np.asarray([s.reshape(-1)], dtype=np.int32).reshape((1, -1, 2))
        cv2.fillPoly(m, poly, color=1)
        # fillPoly draws nothing outside the box of the (int) points; the box is read back
        p = poly.reshape(-1, 2)
        bx0, by0 = max(0, int(p[:, 0].min())), max(0, int(p[:, 1].min()))
        bx1, by1 = min(w - 1, int(p[:, 0].max())), min(h - 1, int(p[:, 1].max()))
        sub = m[by0:by1 + 1, bx0:bx1 + 1]
        ys, xs = np.nonzero(sub)
        if len(xs) == 0:
            lines.append(None)
            continue
        x0, x1, y0, y1 = int(xs.min()) + bx0, int(xs.max()) + bx0, int(ys.min()) + by0, int(ys.max()) + by0
        crop = np.ascontiguousarray(m[y0:y1 + 1, x0:x1 + 1])
        lines.append({'x': x0, 'y': y0, 'w': x1 - x0 + 1, 'h': y1 - y0 + 1, 'data': base64.b64encode(crop.tobytes()).decode()})
    res.append(lines)
print(json.dumps(res))
`;

export interface OracleCrop {
  x: number;
  y: number;
  w: number;
  h: number;
  data: Uint8Array;
}

/** `resample: false`: plain `cv2.fillPoly` of the int32-cast vertices (what simpler converters do). */
export function ultralyticsOracle(python: string, files: readonly { w: number; h: number; text: string }[], opts: { resample?: boolean } = {}): (OracleCrop | null)[][] {
  const raw = runPython<({ x: number; y: number; w: number; h: number; data: string } | null)[][]>(python, SCRIPT, { files, resample: opts.resample ?? true });
  return raw.map((lines) => lines.map((l) => (l ? { ...l, data: new Uint8Array(Buffer.from(l.data, 'base64')) } : null)));
}

/** Paints a crop into a full-image 0/1 mask (OR). */
export function paintCrop(out: Uint8Array, width: number, c: OracleCrop): void {
  for (let y = 0; y < c.h; y++) for (let x = 0; x < c.w; x++) if (c.data[y * c.w + x]) out[(c.y + y) * width + c.x + x] = 1;
}
