/** Synthetic label maps that are hard on polygon formats: holes, several parts, touching instances, corners. */
import { LabelMap } from '../../../core/mask/label-map';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` instances on a width x height map, classes drawn from `classIds`: rings (holes),
 * two-part blobs, diagonal-only contacts, rectangles flush with the image border, single pixels,
 * and random ellipses painted over each other (so instances touch and partly cover others).
 */
export function hardLabelMap(width: number, height: number, classIds: readonly number[], seed: number, count = 12): LabelMap {
  const rnd = mulberry32(seed);
  const map = new LabelMap(width, height);
  const cls = () => classIds[Math.floor(rnd() * classIds.length)]!;
  let id = 0;
  const add = () => map.addInstance({ id: ++id, classId: cls(), source: 'human' }).id;
  const ellipse = (k: number, cx: number, cy: number, rx: number, ry: number, value: (x: number, y: number, d: number) => boolean) => {
    for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(height - 1, Math.ceil(cy + ry)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x <= Math.min(width - 1, Math.ceil(cx + rx)); x++) {
        const d = ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2;
        if (d <= 1 && value(x, y, d)) map.ids[y * width + x] = k;
      }
    }
  };
  // a ring (hole in the middle)
  const ring = add();
  ellipse(ring, width * 0.3, height * 0.3, width * 0.15, height * 0.2, (_x, _y, d) => d > 0.3);
  // two separate parts of one instance
  const two = add();
  ellipse(two, width * 0.75, height * 0.2, 4, 3, () => true);
  ellipse(two, width * 0.85, height * 0.4, 3, 5, () => true);
  // a checkerboard patch: parts touching only at corners
  const checker = add();
  for (let y = 2; y < 8; y++) for (let x = width - 10; x < width - 4; x++) if ((x + y) % 2 === 0) map.ids[y * width + x] = checker;
  // flush with the bottom-right border
  const border = add();
  for (let y = height - 5; y < height; y++) for (let x = width - 7; x < width; x++) map.ids[y * width + x] = border;
  // a single pixel at the origin
  const dot = add();
  map.ids[0] = dot;
  // a ring with an island inside its hole (the island is another instance)
  const outer = add();
  const island = add();
  ellipse(outer, width * 0.3, height * 0.75, 10, 9, (_x, _y, d) => d > 0.45);
  ellipse(island, width * 0.3, height * 0.75, 3, 3, () => true);
  // random blobs painted over everything
  while (id < count) {
    const k = add();
    ellipse(k, rnd() * width, rnd() * height, 2 + rnd() * width * 0.15, 2 + rnd() * height * 0.15, (x, y) => (x * 7 + y * 3) % 11 !== 0 || rnd() < 0.5);
  }
  // drop instances that ended with no pixels
  const present = new Set(map.pixelIds());
  for (const inst of map.instances()) if (!present.has(inst.id)) map.removeInstance(inst.id, false);
  return map;
}
