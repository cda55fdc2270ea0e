/**
 * Import throughput (images/s) on the dsb2018 set and on 1,000 synthetic 1024x1024 PNGs,
 * and the time to list/filter/search 100,000 image rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { EventHub } from '../../core/api/events';
import { IMAGE_STATUSES } from '../../core/api/types';
import { createServices } from '../../core/services/create-services';
import { ProjectStore } from '../../core/store';
import type { BenchContext, BenchResult, BenchRow, BenchSuite } from './bench-types';
import { median, percentile } from './bench-types';

async function importFolder(ctx: BenchContext, name: string, dir: string): Promise<{ n: number; seconds: number }> {
  const hub = new EventHub();
  const svc = createServices({ dataDir: path.join(ctx.tmpDir, `home-${name}`), mode: 'cli', version: 'bench', emit: hub.emit });
  try {
    const p = await svc.impl.projects.create({ dir: path.join(ctx.tmpDir, `proj-${name}`), name });
    const t0 = performance.now();
    const { jobId } = await svc.impl.imports.start(p.id, { paths: [dir] });
    const r = await svc.waitForImport(jobId);
    const seconds = (performance.now() - t0) / 1000;
    if (r.skipped.length) ctx.log(`${name}: ${r.skipped.length} skipped (${r.skipped[0]?.message})`);
    return { n: r.imported, seconds };
  } finally {
    svc.dispose();
  }
}

/** microscopy-like synthetic images: dark background, bright blobs, noise (so PNG compression is realistic) */
async function makeSynthetic(dir: string, count: number, sizePx: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const base = new Uint8Array(sizePx * sizePx);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < count; i++) {
    base.fill(0);
    for (let b = 0; b < 30; b++) {
      const cx = rnd() * sizePx;
      const cy = rnd() * sizePx;
      const r = 10 + rnd() * 30;
      const v = 120 + rnd() * 120;
      for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(sizePx, cy + r); y++) {
        for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(sizePx, cx + r); x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) base[y * sizePx + x] = v;
        }
      }
    }
    for (let k = 0; k < base.length; k += 7) base[k] = Math.min(255, base[k]! + ((rnd() * 16) | 0));
    await sharp(base, { raw: { width: sizePx, height: sizePx, channels: 1 } }).png({ compressionLevel: 1 }).toFile(path.join(dir, `syn-${String(i).padStart(5, '0')}.png`));
  }
}

async function listRows(ctx: BenchContext, rows: number): Promise<BenchRow[]> {
  const store = ProjectStore.create(path.join(ctx.tmpDir, 'rows'), { name: 'rows' });
  try {
    const now = Date.now();
    store.transaction(() => {
      for (let i = 0; i < rows; i++) {
        store.images.insert({
          fileName: `plate-${String(i % 977).padStart(3, '0')}-well-${i}.tif`,
          path: `/data/img-${i}.tif`,
          storage: 'reference',
          hash: (i + now).toString(16).padStart(64, '0'),
          sizeBytes: 1_000_000,
          format: 'tiff',
          width: 1024,
          height: 1024,
          bitDepth: 16,
          channels: 1,
          orientation: 1,
          thumbPath: null,
        });
      }
    });
    // a realistic status mix
    store.db.prepare("UPDATE image SET status = CASE id % 10 WHEN 0 THEN 'done' WHEN 1 THEN 'reviewed' WHEN 2 THEN 'in_progress' ELSE 'unlabeled' END").run();
    const time = (fn: () => void, n = 30) => {
      const t: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        fn();
        t.push(performance.now() - t0);
      }
      return { med: median(t), p95: percentile(t, 95) };
    };
    const first = time(() => store.images.list({ offset: 0, limit: 200 }));
    const deep = time(() => store.images.list({ offset: rows - 200, limit: 200 }));
    const filt = time(() => store.images.list({ status: 'done', offset: 5000, limit: 200 }));
    const search = time(() => store.images.list({ search: 'plate-042', limit: 200 }));
    const byName = time(() => store.images.list({ sort: 'name', offset: rows / 2, limit: 200 }));
    const counts = time(() => store.images.statusCounts());
    const note = `${rows.toLocaleString('en')} rows, page of 200`;
    return [
      { metric: 'list first page', value: first.med, unit: 'ms', target: '<= 50 ms', met: first.med <= 50, note },
      { metric: 'list last page', value: deep.med, unit: 'ms', target: '<= 50 ms', met: deep.med <= 50, note },
      { metric: 'filter by status (done), page at 5,000', value: filt.med, unit: 'ms', target: '<= 50 ms', met: filt.med <= 50, note },
      { metric: 'search file name substring', value: search.med, unit: 'ms', target: '<= 100 ms', met: search.med <= 100, note: `${note}; full scan (LIKE %…%)` },
      { metric: 'sort by name, middle page', value: byName.med, unit: 'ms', target: '<= 100 ms', met: byName.med <= 100, note },
      { metric: `status counts (${IMAGE_STATUSES.length} statuses)`, value: counts.med, unit: 'ms', note },
    ];
  } finally {
    store.close();
  }
}

const suite: BenchSuite = {
  name: 'import',
  async run(ctx): Promise<BenchResult> {
    const rows: BenchRow[] = [];
    const dsb = path.join(ctx.datasetsDir, 'dsb2018-nuclei/images');
    if (fs.existsSync(dsb)) {
      const r = await importFolder(ctx, 'dsb', dsb);
      rows.push({ metric: 'import dsb2018 (99 PNG, 256² to 1388x1040)', value: r.n / r.seconds, unit: 'images/s', note: `${r.n} images in ${r.seconds.toFixed(1)} s (hash, full decode, thumbnail, row)` });
    } else ctx.log(`dsb2018 missing at ${dsb}: skipped`);

    const count = ctx.quick ? 50 : 1000;
    const synDir = path.join(ctx.tmpDir, 'synthetic');
    const tGen = performance.now();
    await makeSynthetic(synDir, count, 1024);
    ctx.log(`made ${count} synthetic 1024x1024 PNGs in ${((performance.now() - tGen) / 1000).toFixed(0)} s`);
    const s = await importFolder(ctx, 'synthetic', synDir);
    rows.push({ metric: `import ${count} synthetic 1024x1024 PNG`, value: s.n / s.seconds, unit: 'images/s', note: `${s.n} images in ${s.seconds.toFixed(1)} s` });

    rows.push(...(await listRows(ctx, ctx.quick ? 10_000 : 100_000)));
    return { title: 'Import and image listing', rows };
  },
};
export default suite;
