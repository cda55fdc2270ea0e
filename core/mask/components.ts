/**
 * Connected-component labelling (two passes with union-find, no recursion). Labels are numbered
 * 1..count in the row-major order of each component's first pixel; background is 0.
 */
import { LabelMap, type InstanceSource } from './label-map';
import type { Connectivity } from './types';
import { assertDims } from './types';

export interface Components {
  /** row-major component label per pixel, 0 = background */
  labels: Uint32Array;
  count: number;
  /** pixel count per label (index 0 unused) */
  areas: Uint32Array;
}

export interface SemanticComponents extends Components {
  /** class value of each label (index 0 = background value) */
  classes: Uint32Array;
}

function find(parent: Uint32Array, a: number): number {
  while (parent[a] !== a) {
    const g = parent[parent[a]!]!;
    parent[a] = g;
    a = g;
  }
  return a;
}

function union(parent: Uint32Array, a: number, b: number): number {
  a = find(parent, a);
  b = find(parent, b);
  if (a === b) return a;
  if (a < b) {
    parent[b] = a;
    return a;
  }
  parent[a] = b;
  return b;
}

/**
 * Core labeller: pixels with `values[i] !== background` are foreground; with `sameValue` two
 * neighbours join only when their values are equal, otherwise any two foreground pixels join.
 */
function label(
  values: ArrayLike<number>,
  width: number,
  height: number,
  connectivity: Connectivity,
  background: number,
  sameValue: boolean,
): Components {
  assertDims(width, height, values.length, 'input');
  if (connectivity !== 4 && connectivity !== 8) throw new RangeError(`connectivity must be 4 or 8, got ${String(connectivity)}`);
  const n = width * height;
  const labels = new Uint32Array(n);
  const parent = new Uint32Array(n + 1);
  let next = 1;
  const joins = (i: number, j: number): boolean => (sameValue ? values[i] === values[j] : values[j] !== background);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (values[i] === background) continue;
      let lab = 0;
      // neighbours already visited: W, N, and for 8-connectivity NW, NE
      if (x > 0 && joins(i, i - 1)) lab = labels[i - 1]!;
      if (y > 0) {
        const up = i - width;
        if (joins(i, up)) lab = lab ? union(parent, lab, labels[up]!) : labels[up]!;
        if (connectivity === 8) {
          if (x > 0 && joins(i, up - 1)) lab = lab ? union(parent, lab, labels[up - 1]!) : labels[up - 1]!;
          if (x + 1 < width && joins(i, up + 1)) lab = lab ? union(parent, lab, labels[up + 1]!) : labels[up + 1]!;
        }
      }
      if (lab === 0) {
        lab = next++;
        parent[lab] = lab;
      }
      labels[i] = lab;
    }
  }
  // Resolve: provisional labels are created in row-major order and roots are minimal, so
  // numbering roots in increasing order follows each component's first pixel.
  const final = new Uint32Array(next);
  let count = 0;
  for (let l = 1; l < next; l++) {
    const r = find(parent, l);
    final[l] = r === l ? ++count : final[r]!;
  }
  const areas = new Uint32Array(count + 1);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l) {
      const f = final[l]!;
      labels[i] = f;
      areas[f]!++;
    }
  }
  return { labels, count, areas };
}

/** Components of a binary mask (any nonzero value is foreground). */
export function labelComponents(mask: ArrayLike<number>, width: number, height: number, connectivity: Connectivity = 8): Components {
  return label(mask, width, height, connectivity, 0, false);
}

/** Components of a semantic map: connected pixels of the same class value (not `background`). */
export function labelSemanticComponents(
  semantic: ArrayLike<number>,
  width: number,
  height: number,
  connectivity: Connectivity = 8,
  background = 0,
): SemanticComponents {
  const c = label(semantic, width, height, connectivity, background, true);
  const classes = new Uint32Array(c.count + 1);
  classes[0] = background;
  for (let i = 0; i < c.labels.length; i++) {
    const l = c.labels[i]!;
    if (l) classes[l] = semantic[i]!;
  }
  return { ...c, classes };
}

export interface InstancesFromSemanticOptions {
  connectivity?: Connectivity;
  /** class value of unlabelled pixels (default 0) */
  background?: number;
  /** components smaller than this become background (default 0: keep all) */
  minAreaPx?: number;
  source?: InstanceSource;
  /** maps a semantic value to the instance's classId (default: identity) */
  classIdOf?: (value: number) => number;
}

/** Splits a semantic map into instances (one per connected region of one class) as a LabelMap. */
export function instancesFromSemantic(
  semantic: ArrayLike<number>,
  width: number,
  height: number,
  options: InstancesFromSemanticOptions = {},
): LabelMap {
  const c = labelSemanticComponents(semantic, width, height, options.connectivity ?? 8, options.background ?? 0);
  const minArea = options.minAreaPx ?? 0;
  const newId = new Uint32Array(c.count + 1);
  const map = new LabelMap(width, height);
  let id = 0;
  for (let l = 1; l <= c.count; l++) {
    if (c.areas[l]! < minArea) continue;
    newId[l] = ++id;
    const v = c.classes[l]!;
    map.setInstance({ id, classId: options.classIdOf ? options.classIdOf(v) : v, source: options.source ?? 'import', score: null });
  }
  const ids = map.ids;
  for (let i = 0; i < ids.length; i++) ids[i] = newId[c.labels[i]!]!;
  return map;
}
