/**
 * Dataset export throughput: 1,000 images of 1024x1024 with ~20 instances each (quick mode: 50),
 * exported as COCO with RLE, COCO with polygons (auto: exact traced outlines, RLE where an
 * instance has a hole) and Pascal VOC (palette PNGs), annotations only (images: 'none'), from a
 * real project database. Reports images/s and MB written. RLE encode/decode throughput itself is
 * measured by mask-rle.bench.ts.
 *
 * Masks: 24 distinct synthetic label maps (20 random rotated ellipses each, 3 classes; later
 * ellipses cover earlier ones, and every fourth instance has a hole), reused cyclically over the
 * image rows; every export still reads and decodes each image's mask from SQLite.
 */
import fs from 'node:fs';
import path from 'node:path';
import { exportDataset, type ExportOptions } from '../../core/formats';
import { LabelMap } from '../../core/mask/label-map';
import { ProjectStore } from '../../core/store';
import type { BenchContext, BenchResult, BenchRow, BenchSuite } from './bench-types';

const SIZE = 1024;
const INSTANCES = 20;
const DISTINCT_MAPS = 24;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticMap(seed: number, classIds: number[]): LabelMap {
  const rnd = mulberry32(seed);
  const map = new LabelMap(SIZE, SIZE);
  for (let id = 1; id <= INSTANCES; id++) {
    map.addInstance({ id, classId: classIds[id % classIds.length]!, source: 'human' });
    const cx = rnd() * SIZE;
    const cy = rnd() * SIZE;
    const a = 15 + rnd() * 58.5;
    const b = 15 + rnd() * 58.5;
    const th = rnd() * Math.PI;
    const c = Math.cos(th);
    const s = Math.sin(th);
    const r = Math.max(a, b);
    const hole = id % 4 === 0;
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(SIZE - 1, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(SIZE - 1, Math.ceil(cx + r)); x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const u = (dx * c + dy * s) / a;
        const v = (-dx * s + dy * c) / b;
        const d = u * u + v * v;
        if (d <= 1 && !(hole && d < 0.15)) map.ids[y * SIZE + x] = id;
      }
    }
  }
  for (const inst of map.instances()) if (!map.ids.includes(inst.id)) map.removeInstance(inst.id, false);
  return map;
}

function buildProject(ctx: BenchContext, images: number): ProjectStore {
  const store = ProjectStore.create(path.join(ctx.tmpDir, 'project'), { name: 'export bench', classes: [{ name: 'cell' }, { name: 'debris' }, { name: 'nucleus' }] });
  const classIds = store.classes.list().map((c) => c.id);
  const blobs = Array.from({ length: DISTINCT_MAPS }, (_, i) => syntheticMap(1000 + i, classIds).encode());
  store.transaction(() => {
    for (let i = 0; i < images; i++) {
      const id = store.images.insert({
        fileName: `img-${String(i).padStart(5, '0')}.png`,
        path: `/bench/img-${i}.png`,
        storage: 'reference',
        hash: i.toString(16).padStart(64, '0'),
        sizeBytes: 1,
        format: 'png',
        width: SIZE,
        height: SIZE,
        bitDepth: 8,
        channels: 3,
        orientation: 1,
        thumbPath: null,
      });
      store.annotations.save(id, blobs[i % DISTINCT_MAPS]!);
    }
  });
  return store;
}

const suite: BenchSuite = {
  name: 'formats',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const images = ctx.quick ? 50 : 1000;
    const t0 = performance.now();
    const store = buildProject(ctx, images);
    ctx.log(`project of ${images} images ${SIZE}x${SIZE} built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = {};
    const cases: [string, Partial<ExportOptions> & { format: ExportOptions['format'] }][] = [
      ['COCO, RLE', { format: 'coco', coco: { encoding: 'rle' } }],
      ['COCO, polygons (auto)', { format: 'coco', coco: { encoding: 'auto' } }],
      ['Pascal VOC', { format: 'voc' }],
    ];
    try {
      // warm-up (JIT) on a few images, not measured
      const few = store.images.list({ limit: 5 }).items.map((r) => r.id);
      store.images.setStatus(few, 'done');
      for (const [, opts] of cases) {
        await exportDataset(store, { ...opts, outDir: path.join(ctx.tmpDir, `warm-${opts.format}-${opts.coco?.encoding ?? ''}`), images: 'none', statuses: ['done'] });
      }
      for (const [name, opts] of cases) {
        const outDir = path.join(ctx.tmpDir, `out-${opts.format}-${opts.coco?.encoding ?? ''}`);
        const r = await exportDataset(store, { ...opts, outDir, images: 'none' });
        const seconds = r.durationMs / 1000;
        const mb = r.bytesWritten / 2 ** 20;
        ctx.log(`${name}: ${r.images} images, ${r.instances} instances in ${seconds.toFixed(1)} s, ${mb.toFixed(1)} MB${r.coco ? ` (${r.coco.polygon} polygons, ${r.coco.rle} RLE)` : ''}`);
        rows.push({
          metric: `export ${name}`,
          value: r.images / seconds,
          unit: 'images/s',
          note: `${r.images} images 1024² with ${(r.instances / r.images).toFixed(1)} instances each in ${seconds.toFixed(1)} s${r.coco ? `; ${r.coco.polygon} polygons, ${r.coco.rle} RLE` : ''}`,
        });
        rows.push({ metric: `export ${name}: written`, value: mb, unit: 'MB', note: `${r.files} files, ${(r.bytesWritten / r.images / 1024).toFixed(1)} KB per image` });
        details[name] = { images: r.images, instances: r.instances, seconds, bytes: r.bytesWritten, files: r.files, coco: r.coco, issues: r.issueCounts };
        fs.rmSync(outDir, { recursive: true, force: true });
      }
    } finally {
      store.close();
    }
    return { title: `Dataset export (${images} images of 1024x1024, ~${INSTANCES} instances each)`, rows, details };
  },
};

export default suite;
