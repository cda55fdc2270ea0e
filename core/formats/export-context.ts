/**
 * What every format writer shares during an export: the prepared image (its instances already
 * filtered to the exported classes and numbered by category), the category list, a file sink that
 * writes inside the temporary export folder and counts bytes, and the issue list.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageRow } from '../api/types';
import type { Rect } from '../mask/types';
import type { IssueList } from './validation-report';

export type ExportFormat = 'coco' | 'voc' | 'yolo-seg' | 'labelme' | 'index-masks';
export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

/** One exported category: numbered 1..K in project class order after the subset and the remapping. */
export interface ExportCategory {
  id: number;
  name: string;
  /** #rrggbb (the first merged project class's colour) */
  color: string;
  /** project classes exported as this category */
  classIds: number[];
}

export interface ExportInstance {
  /** id in the project's label map */
  id: number;
  categoryId: number;
  /** pixel count */
  area: number;
  bbox: Rect;
}

/** One image as the writers see it. */
export interface ExportItem {
  row: ImageRow;
  split: SplitName | null;
  /** export name without extension (unique in the export) */
  stem: string;
  /** export file name of the image (stem + original extension, or .jpg where converted) */
  fileName: string;
  width: number;
  height: number;
  /** row-major instance ids; pixels of instances left out of the export are 0 */
  ids: Uint32Array;
  /** exported instances by ascending id, each with pixels */
  instances: ExportInstance[];
}

/** Writes files under the temporary export root, creating folders, counting files and bytes. */
export class ExportSink {
  bytes = 0;
  files = 0;
  readonly #dirs = new Set<string>();

  constructor(readonly root: string) {}

  /** absolute path of a relative export path */
  abs(rel: string): string {
    return path.join(this.root, rel);
  }

  async ensureDir(relDir: string): Promise<void> {
    if (this.#dirs.has(relDir)) return;
    await fs.promises.mkdir(path.join(this.root, relDir), { recursive: true });
    this.#dirs.add(relDir);
  }

  async write(rel: string, data: string | Uint8Array): Promise<void> {
    await this.ensureDir(path.dirname(rel));
    await fs.promises.writeFile(path.join(this.root, rel), data);
    this.files++;
    this.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  }

  /** Writes text made of many parts without joining them into one string first. */
  async writeParts(rel: string, parts: Iterable<string>): Promise<void> {
    await this.ensureDir(path.dirname(rel));
    const fh = await fs.promises.open(path.join(this.root, rel), 'w');
    try {
      let buf: string[] = [];
      let len = 0;
      for (const p of parts) {
        buf.push(p);
        len += p.length;
        if (len > 1 << 20) {
          const s = buf.join('');
          await fh.write(s);
          this.bytes += Buffer.byteLength(s);
          buf = [];
          len = 0;
        }
      }
      const s = buf.join('');
      await fh.write(s);
      this.bytes += Buffer.byteLength(s);
    } finally {
      await fh.close();
    }
    this.files++;
  }
}

export interface WriterContext {
  sink: ExportSink;
  categories: readonly ExportCategory[];
  /** the splits in use, or null when the export is not split */
  splits: readonly SplitName[] | null;
  issues: IssueList;
  /** the final export folder (files are written to a temporary one first) */
  outDir?: string;
  /** how images are placed: 'none' means the writer must point at the originals */
  images?: 'copy' | 'link' | 'none';
  /** reads an image's bytes through the containment and content-hash checks (core/store/project-paths) */
  readImage?: (row: ImageRow) => Promise<Buffer>;
  /** one line saying what was exported (COCO writes it as info.description) */
  description?: string;
}

export interface FormatWriter {
  /** where the image file goes, relative to the export root */
  imagePath(item: ExportItem): string;
  /** the format expects JPEG images (VOC's JPEGImages): copies of other formats are converted */
  readonly wantsJpeg?: boolean;
  write(item: ExportItem): Promise<void>;
  finish(): Promise<void>;
}

/** Per pixel: category id of its instance (0 = background). Uint8Array when every id fits a byte. */
export function categoryMap(item: ExportItem, bitDepth: 8 | 16): Uint8Array | Uint16Array {
  return mapIds(item, bitDepth, (inst) => inst.categoryId);
}

/** Per pixel: ordinal (1..N, by ascending instance id) of its instance; 0 = background. */
export function ordinalMap(item: ExportItem, bitDepth: 8 | 16): Uint8Array | Uint16Array {
  const ord = new Map<number, number>(item.instances.map((inst, i) => [inst.id, i + 1]));
  return mapIds(item, bitDepth, (inst) => ord.get(inst.id)!);
}

function mapIds(item: ExportItem, bitDepth: 8 | 16, value: (inst: ExportInstance) => number): Uint8Array | Uint16Array {
  const { ids } = item;
  let maxId = 0;
  for (const inst of item.instances) if (inst.id > maxId) maxId = inst.id;
  if (maxId < 1 << 20) {
    // dense lookup table (ids not exported map to 0)
    const lut = new Uint16Array(maxId + 1);
    for (const inst of item.instances) lut[inst.id] = value(inst);
    return bitDepth === 8 ? lut8(ids, lut, maxId) : lut16(ids, lut, maxId);
  }
  const lut = new Map<number, number>();
  for (const inst of item.instances) lut.set(inst.id, value(inst));
  const out = bitDepth === 8 ? new Uint8Array(ids.length) : new Uint16Array(ids.length);
  let lastId = 0;
  let lastV = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === 0) continue;
    if (id !== lastId) {
      lastId = id;
      lastV = lut.get(id) ?? 0;
    }
    out[i] = lastV;
  }
  return out;
}

function lut8(ids: Uint32Array, lut: Uint16Array, maxId: number): Uint8Array {
  const out = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id !== 0 && id <= maxId) out[i] = lut[id]!;
  }
  return out;
}

function lut16(ids: Uint32Array, lut: Uint16Array, maxId: number): Uint16Array {
  const out = new Uint16Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id !== 0 && id <= maxId) out[i] = lut[id]!;
  }
  return out;
}

/** Images of one split (or all, when not split) in the order they were written. */
export function splitKey(split: SplitName | null): string {
  return split ?? 'all';
}
