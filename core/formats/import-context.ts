/**
 * What every format reader shares while planning an import: matching dataset images to project
 * images by file name, mapping dataset classes to project classes, collecting issues, and turning
 * a painted id map into a planned mask (empty instances dropped, ids renumbered 1..n in paint order).
 */
import path from 'node:path';
import type { ImageRow } from '../api/types';
import { LabelMap } from '../mask/label-map';
import { forEachRleColumnRun, type Rle } from '../mask/rle';
import { IssueList } from './validation-report';
import type { DatasetSource } from './project-access';

/** Where the instances of one dataset class go. */
export interface PlannedClass {
  /** the class name in the dataset */
  sourceName: string;
  /** project class name it is imported as; null when the class mapping leaves it out */
  targetName: string | null;
  /** id of an existing project class, or null when `targetName` will be created */
  projectClassId: number | null;
  /** colour used when the class is created (from the dataset when it has one) */
  color: string | null;
  /** instances of this class in the planned masks (for a left-out class: instances left out) */
  instances: number;
}

/** One project image and the mask it will get. */
export interface PlannedImage {
  imageId: number;
  fileName: string;
  /** the dataset file its annotations come from */
  source: string;
  width: number;
  height: number;
  instances: number;
  /** whether the image already has a mask (replaced or merged, see ImportPlan.existingMasks) */
  hasExistingMask: boolean;
  /** label-map blob; each instance's classId is a 1-based index into ImportPlan.classes */
  labelMap: Uint8Array;
  /** refs[k - 1] says where instance k came from, e.g. 'annotations[4] (id 5)' */
  refs: string[];
  /** entries for this image that were skipped (its planned mask lacks them) */
  skippedEntries: number;
  /** labelled pixels of the planned mask */
  pixels: number;
  /** the image's current mask, when it has one */
  existing: ExistingMask | null;
}

/** What an image's current mask holds (for the dry run's warnings and the human-mask rule). */
export interface ExistingMask {
  instances: number;
  /** instances drawn by a person (source 'human') */
  humanInstances: number;
  pixels: number;
}

/** A dataset image with no project image to go to. */
export interface UnmatchedImage {
  name: string;
  file: string;
  reason: 'not-in-project' | 'ambiguous' | 'duplicate';
}

/** Source class name -> project class name, project class id, or null to leave the class out. */
export type ClassMapping = Record<string, string | number | null>;

function lowerKey(s: string): string {
  return s.toLowerCase();
}

export function stemOf(fileName: string): string {
  const base = baseName(fileName);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Last path component, for both / and \ separators. */
export function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? p;
}

export class ImportContext {
  readonly issues = new IssueList();
  readonly classes: PlannedClass[] = [];
  readonly items: PlannedImage[] = [];
  readonly unmatched: UnmatchedImage[] = [];
  /** dataset images seen (matched or not) */
  datasetImages = 0;
  readonly #byName = new Map<string, ImageRow[]>();
  readonly #byNameLower = new Map<string, ImageRow[]>();
  readonly #byStem = new Map<string, ImageRow[]>();
  readonly #byStemLower = new Map<string, ImageRow[]>();
  readonly #used = new Map<number, string>();
  readonly #annotated: Set<number>;
  readonly #slots = new Map<string, number>();
  readonly #entries = new Map<string, PlannedClass>();
  readonly #projectClasses: { id: number; name: string }[];
  readonly #store: DatasetSource;
  /** skipped-issue count when each image was matched (entries skipped after that are its own) */
  readonly #skipBase = new Map<number, number>();
  /** per painted map: under id -> over id -> pixels taken */
  readonly #overlaps = new WeakMap<LabelMap, Map<number, Map<number, number>>>();

  constructor(
    store: DatasetSource,
    private readonly mapping: ClassMapping = {},
  ) {
    const add = (m: Map<string, ImageRow[]>, k: string, r: ImageRow) => {
      const list = m.get(k);
      if (list) list.push(r);
      else m.set(k, [r]);
    };
    for (let offset = 0; ; ) {
      const page = store.images.list({ offset, limit: 5000 });
      for (const r of page.items) {
        add(this.#byName, r.fileName, r);
        add(this.#byNameLower, lowerKey(r.fileName), r);
        add(this.#byStem, stemOf(r.fileName), r);
        add(this.#byStemLower, lowerKey(stemOf(r.fileName)), r);
      }
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) break;
    }
    this.#store = store;
    this.#annotated = new Set(store.annotations.annotatedImageIds());
    this.#projectClasses = store.classes.list().map((c) => ({ id: c.id, name: c.name }));
  }

  /**
   * Finds the project image for a dataset image, by file name (`by: 'name'`, e.g. COCO file_name,
   * LabelMe imagePath) or by name without extension (`by: 'stem'`, for mask files such as
   * `0.png` of image `0.jpg`). Exact match first, then ignoring case; when several project images
   * qualify, the one whose path ends with the dataset's relative path wins. Reports and returns
   * null when there is none, several, or the image was already claimed by another dataset entry.
   */
  matchImage(name: string, file: string, entry: string | null, by: 'name' | 'stem'): ImageRow | null {
    this.datasetImages++;
    const key = by === 'name' ? baseName(name) : stemOf(name);
    let cands = (by === 'name' ? this.#byName : this.#byStem).get(key) ?? [];
    if (cands.length === 0) cands = (by === 'name' ? this.#byNameLower : this.#byStemLower).get(lowerKey(key)) ?? [];
    if (cands.length > 1 && by === 'name' && /[\\/]/.test(name)) {
      const rel = name.replace(/\\/g, '/');
      const bySuffix = cands.filter((r) => r.path.replace(/\\/g, '/').endsWith('/' + rel));
      if (bySuffix.length === 1) cands = bySuffix;
    }
    if (cands.length === 0) {
      this.unmatched.push({ name, file, reason: 'not-in-project' });
      this.issues.add('unmatched-image', 'skipped', file, entry, `no image named "${key}" in the project; its annotations are not imported`);
      return null;
    }
    if (cands.length > 1) {
      this.unmatched.push({ name, file, reason: 'ambiguous' });
      this.issues.add(
        'ambiguous-image',
        'skipped',
        file,
        entry,
        `${cands.length} project images are named "${key}" (${cands.slice(0, 3).map((r) => r.path).join(', ')}${cands.length > 3 ? ', ...' : ''}); its annotations are not imported`,
      );
      return null;
    }
    const row = cands[0]!;
    const prev = this.#used.get(row.id);
    if (prev !== undefined) {
      this.unmatched.push({ name, file, reason: 'duplicate' });
      this.issues.add('duplicate-id', 'skipped', file, entry, `image "${row.fileName}" already gets annotations from ${prev}; this entry is ignored`);
      return null;
    }
    this.#used.set(row.id, entry ? `${path.basename(file)} [${entry}]` : file);
    this.#skipBase.set(row.id, this.issues.counts.byAction.skipped ?? 0);
    return row;
  }

  /**
   * 1-based slot of a dataset class in ImportPlan.classes (registered on first use), or 0 when the
   * class mapping leaves it out.
   */
  classSlot(sourceName: string, color: string | null = null): number {
    const known = this.#slots.get(sourceName);
    if (known !== undefined) return known;
    const mapped = Object.prototype.hasOwnProperty.call(this.mapping, sourceName) ? this.mapping[sourceName] : undefined;
    let slot = 0;
    if (mapped !== null) {
      let targetName: string;
      let projectClassId: number | null = null;
      if (typeof mapped === 'number') {
        const pc = this.#projectClasses.find((c) => c.id === mapped);
        if (!pc) {
          this.issues.add('unknown-category', 'fatal', '(class mapping)', sourceName, `the class mapping sends "${sourceName}" to class id ${mapped}, which this project does not have`);
          targetName = sourceName;
        } else {
          targetName = pc.name;
          projectClassId = pc.id;
        }
      } else {
        targetName = (mapped ?? sourceName).trim();
        const exact = this.#projectClasses.find((c) => c.name === targetName);
        const loose = exact ?? this.#projectClasses.find((c) => lowerKey(c.name) === lowerKey(targetName));
        if (loose) {
          targetName = loose.name;
          projectClassId = loose.id;
        }
      }
      this.classes.push({ sourceName, targetName, projectClassId, color, instances: 0 });
      slot = this.classes.length;
    } else {
      this.classes.push({ sourceName, targetName: null, projectClassId: null, color, instances: 0 });
      slot = 0;
    }
    this.#slots.set(sourceName, slot);
    this.#entries.set(sourceName, this.classes[this.classes.length - 1]!);
    return slot;
  }

  /** Counts an instance of a class that the class mapping leaves out. */
  leftOut(sourceName: string): void {
    const e = this.#entries.get(sourceName);
    if (e) e.instances++;
  }

  /** How the reader resolves overlaps, for the overlap report (a reader that paints in another order sets it). */
  overlapRule = { winner: 'the later one', rule: 'later entries are drawn on top' };

  /**
   * Paints instance `id` where `scratch` (row-major, image size) is set inside `box` (inclusive
   * [x0, y0, x1, y1]), clearing `scratch` there; pixels taken from an earlier instance are counted
   * for the overlap report. Later instances are drawn on top (the rule every reader follows).
   */
  paintPixels(map: LabelMap, scratch: Uint8Array, box: readonly [number, number, number, number], id: number): void {
    const { ids, width } = map;
    const [x0, y0, x1, y1] = box;
    let lost: Map<number, number> | null = null;
    let lastUnder = 0;
    let n = 0;
    for (let y = y0; y <= y1; y++) {
      for (let i = y * width + x0, end = y * width + x1; i <= end; i++) {
        if (!scratch[i]) continue;
        scratch[i] = 0;
        const u = ids[i]!;
        if (u !== 0 && u !== id) {
          if (u !== lastUnder) {
            if (lastUnder) (lost ??= new Map()).set(lastUnder, (lost.get(lastUnder) ?? 0) + n);
            lastUnder = u;
            n = 0;
          }
          n++;
        }
        ids[i] = id;
      }
    }
    if (lastUnder) (lost ??= new Map()).set(lastUnder, (lost.get(lastUnder) ?? 0) + n);
    if (lost) this.#noteOverlaps(map, id, lost);
  }

  /** paintRle with the overlap accounting of paintPixels. */
  paintRle(map: LabelMap, rle: Rle, id: number): void {
    const { ids, width } = map;
    let lost: Map<number, number> | null = null;
    forEachRleColumnRun(rle, (start, end) => {
      for (let idx = start; idx < end; idx += width) {
        const u = ids[idx]!;
        if (u !== 0 && u !== id) (lost ??= new Map()).set(u, (lost.get(u) ?? 0) + 1);
        ids[idx] = id;
      }
    });
    if (lost) this.#noteOverlaps(map, id, lost);
  }

  #noteOverlaps(map: LabelMap, over: number, lost: Map<number, number>): void {
    let m = this.#overlaps.get(map);
    if (!m) this.#overlaps.set(map, (m = new Map()));
    for (const [under, px] of lost) {
      let o = m.get(under);
      if (!o) m.set(under, (o = new Map()));
      o.set(over, (o.get(over) ?? 0) + px);
    }
  }

  /** The image's current mask: instance and pixel counts (null when it has none or it cannot be read). */
  #existing(imageId: number): ExistingMask | null {
    if (!this.#annotated.has(imageId)) return null;
    const stored = this.#store.annotations.get(imageId);
    if (!stored) return null;
    try {
      const m = LabelMap.decode(stored.labelMap);
      const stats = m.stats();
      let pixels = 0;
      for (const s of stats.values()) pixels += s.area;
      const present = m.instances().filter((i) => stats.has(i.id));
      return { instances: present.length, humanInstances: present.filter((i) => i.source === 'human').length, pixels };
    } catch {
      return null;
    }
  }

  /**
   * Takes a painted id map (instance k painted k-th; classId = slot) and records it as a planned
   * mask: instances with no pixel left are dropped and reported, the rest renumbered 1..n.
   * Overlaps between instances (later ones drawn on top) are reported per pair. `skipped` is the
   * number of this image's entries that were skipped; by default every entry skipped since the
   * image was matched (right for readers that read one image at a time).
   */
  finishImage(row: ImageRow, map: LabelMap, refs: readonly string[], source: string, skipped?: number): void {
    const skippedEntries = skipped ?? (this.issues.counts.byAction.skipped ?? 0) - (this.#skipBase.get(row.id) ?? 0);
    const overlaps = this.#overlaps.get(map);
    if (overlaps) {
      for (const [under, byOver] of overlaps) {
        for (const [over, px] of byOver) {
          this.issues.add(
            'overlap',
            'noted',
            source,
            refs[under - 1] ?? `instance ${under}`,
            `overlaps ${refs[over - 1] ?? `instance ${over}`}: ${px} pixel${px === 1 ? ' goes' : 's go'} to ${this.overlapRule.winner} (${this.overlapRule.rule})`,
          );
        }
      }
    }
    const { ids } = map;
    const table = map.instances();
    let maxId = 0;
    for (const t of table) if (t.id > maxId) maxId = t.id;
    const area = new Float64Array(maxId + 1);
    for (let i = 0; i < ids.length; i++) area[ids[i]!]!++;
    const lut = new Uint32Array(maxId + 1);
    const out = new LabelMap(map.width, map.height);
    const outRefs: string[] = [];
    let next = 0;
    let dropped = 0;
    for (const t of table) {
      const ref = refs[t.id - 1] ?? `instance ${t.id}`;
      if (area[t.id] === 0) {
        this.issues.add('empty-mask', 'skipped', source, ref, 'covers no pixel inside the image (degenerate, outside the image, or entirely under later annotations)');
        dropped++;
        continue;
      }
      lut[t.id] = ++next;
      out.setInstance({ id: next, classId: t.classId, source: 'import', score: null });
      outRefs.push(ref);
      const pc = this.classes[t.classId - 1];
      if (pc) pc.instances++;
    }
    const o = out.ids;
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (v !== 0) o[i] = v <= maxId ? lut[v]! : 0;
    }
    let pixels = 0;
    for (let i = 0; i < o.length; i++) if (o[i] !== 0) pixels++;
    const existing = this.#existing(row.id);
    const skippedAll = skippedEntries + dropped;
    if (next === 0 && skippedAll > 0) {
      // nothing usable for this image: its mask (if any) is left as it is
      this.issues.add(
        'all-skipped',
        'skipped',
        source,
        row.fileName,
        `${skippedAll === 1 ? 'the only entry for this image was skipped' : `all ${skippedAll} entries for this image were skipped`}; ${existing ? `its current mask (${existing.instances} instance${existing.instances === 1 ? '' : 's'}) is kept` : 'it gets no mask'}`,
      );
      return;
    }
    this.items.push({
      imageId: row.id,
      fileName: row.fileName,
      source,
      width: row.width,
      height: row.height,
      instances: next,
      hasExistingMask: this.#annotated.has(row.id),
      labelMap: out.encode(),
      refs: outRefs,
      skippedEntries: skippedAll,
      pixels,
      existing,
    });
  }

  /** Reports a size mismatch and returns false when the dataset's size differs from the project image. */
  checkSize(row: ImageRow, width: number, height: number, file: string, entry: string | null): boolean {
    if (row.width === width && row.height === height) return true;
    this.issues.add(
      'size-mismatch',
      'skipped',
      file,
      entry,
      `the dataset says ${width}x${height} but the project image "${row.fileName}" is ${row.width}x${row.height}; its annotations are not imported`,
    );
    return false;
  }
}
