/**
 * A simulated annotator's scribbles from a ground-truth instance map (benchmarks and tests):
 * for up to `objects` random objects, one stroke along the object's main axis through its
 * innermost pixel (a stand-in for its skeleton), kept `insideMarginPx` inside the object; and
 * `backgroundStrokes` straight strokes on the background, kept `backgroundMarginPx` away from
 * every object. Output: a live label map (0 unknown, 1 background, class + 1 on objects).
 */
import { distanceTransform } from '../clicks/distance-transform';
import type { Rng } from '../train/rng';

export interface ScribbleOptions {
  objects?: number;
  backgroundStrokes?: number;
  brushRadiusPx?: number;
  insideMarginPx?: number;
  backgroundMarginPx?: number;
  /** longest background stroke, px (default a third of the shorter side) */
  backgroundLengthPx?: number;
}

/**
 * instances: instance id per pixel (0 background); classOf: foreground class (1..) of an
 * instance id (default 1).
 */
export function simulateScribbles(instances: ArrayLike<number>, width: number, height: number, rng: Rng, opts: ScribbleOptions = {}, classOf: (id: number) => number = () => 1): Uint8Array {
  const n = width * height;
  const labels = new Uint8Array(n);
  const br = opts.brushRadiusPx ?? 1;
  const inMargin = opts.insideMarginPx ?? 1.5;
  const bgMargin = opts.backgroundMarginPx ?? 4;
  const fg = new Uint8Array(n);
  for (let i = 0; i < n; i++) fg[i] = instances[i] ? 1 : 0;
  const bg = Uint8Array.from(fg, (v) => 1 - v);
  const dBg = distanceTransform(bg, width, height);
  // per-object inner distance: distance to anything that is not this object
  const own = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const id = instances[i]!;
    const x = i % width;
    const y = (i / width) | 0;
    own[i] = id !== 0 && (x === 0 || instances[i - 1] === id) && (x === width - 1 || instances[i + 1] === id) && (y === 0 || instances[i - width] === id) && (y === height - 1 || instances[i + width] === id) ? 1 : 0;
  }
  const dIn = distanceTransform(own, width, height);
  const paint = (cx: number, cy: number, label: number, ok: (i: number) => boolean) => {
    for (let dy = -br; dy <= br; dy++) {
      for (let dx = -br; dx <= br; dx++) {
        if (dx * dx + dy * dy > br * br) continue;
        const x = Math.round(cx) + dx;
        const y = Math.round(cy) + dy;
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const i = y * width + x;
        if (ok(i)) labels[i] = label;
      }
    }
  };
  // objects: moments per instance
  const stats = new Map<number, { n: number; sx: number; sy: number; sxx: number; syy: number; sxy: number; best: number; bestD: number }>();
  for (let i = 0; i < n; i++) {
    const id = instances[i]!;
    if (!id) continue;
    const x = i % width;
    const y = (i / width) | 0;
    let s = stats.get(id);
    if (!s) stats.set(id, (s = { n: 0, sx: 0, sy: 0, sxx: 0, syy: 0, sxy: 0, best: i, bestD: -1 }));
    s.n++;
    s.sx += x;
    s.sy += y;
    s.sxx += x * x;
    s.syy += y * y;
    s.sxy += x * y;
    if (dIn[i]! > s.bestD) {
      s.bestD = dIn[i]!;
      s.best = i;
    }
  }
  const ids = [...stats.keys()].filter((id) => stats.get(id)!.bestD > inMargin);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  for (const id of ids.slice(0, opts.objects ?? 10)) {
    const s = stats.get(id)!;
    const mx = s.sx / s.n;
    const my = s.sy / s.n;
    const a = s.sxx / s.n - mx * mx;
    const b = s.sxy / s.n - mx * my;
    const c = s.syy / s.n - my * my;
    const theta = 0.5 * Math.atan2(2 * b, a - c);
    const ux = Math.cos(theta);
    const uy = Math.sin(theta);
    const x0 = s.best % width;
    const y0 = (s.best / width) | 0;
    const label = classOf(id) + 1;
    const inside = (i: number) => instances[i] === id;
    for (const dir of [1, -1]) {
      for (let t = 0; ; t += 0.5) {
        const x = x0 + dir * t * ux;
        const y = y0 + dir * t * uy;
        const xi = Math.round(x);
        const yi = Math.round(y);
        if (xi < 0 || yi < 0 || xi >= width || yi >= height) break;
        const i = yi * width + xi;
        if (instances[i] !== id || dIn[i]! < inMargin + br) break;
        paint(x, y, label, inside);
      }
    }
  }
  // background strokes
  const len = opts.backgroundLengthPx ?? Math.min(width, height) / 3;
  const need = bgMargin + br;
  const far = (i: number) => dBg[i]! >= bgMargin;
  for (let k = 0, tries = 0; k < (opts.backgroundStrokes ?? 6) && tries < 200; tries++) {
    const i0 = Math.floor(rng.next() * n);
    if (dBg[i0]! < need) continue;
    k++;
    const ang = rng.next() * Math.PI;
    const x0 = i0 % width;
    const y0 = (i0 / width) | 0;
    for (const dir of [1, -1]) {
      for (let t = 0; t <= len / 2; t += 0.5) {
        const x = x0 + dir * t * Math.cos(ang);
        const y = y0 + dir * t * Math.sin(ang);
        const xi = Math.round(x);
        const yi = Math.round(y);
        if (xi < 0 || yi < 0 || xi >= width || yi >= height || dBg[yi * width + xi]! < need) break;
        paint(x, y, 1, far);
      }
    }
  }
  return labels;
}
