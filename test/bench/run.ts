/**
 * `npm run bench [name...]`: runs test/bench/*.bench.ts one after another (every file found
 * here is a suite, e.g. annotator-loop.bench.ts -> `npm run bench annotator-loop`), writes
 * bench-results/<name>.json (machine-readable) and regenerates BENCHMARKS.md from every
 * results file present (suites not run this time keep their last results, with their date).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult, BenchSuite } from './bench-types';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench-results');
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const quick = process.env.BENCH_QUICK === '1';

interface StoredResult extends BenchResult {
  suite: string;
  at: string;
  machine: { cpu: string; cores: number; memGiB: number; node: string; platform: string };
  durationS: number;
  quick: boolean;
}

function machine() {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

async function main() {
  fs.mkdirSync(resultsDir, { recursive: true });
  const files = fs.readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
  for (const f of files) {
    const name = f.replace(/\.bench\.ts$/, '');
    if (only.length && !only.includes(name)) continue;
    const suite = (await import(pathToFileURL(path.join(here, f)).href)).default as BenchSuite;
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `mw-bench-${name}-`));
    console.log(`\n▶ ${name}${quick ? ' (quick)' : ''}`);
    const t0 = performance.now();
    try {
      const r = await suite.run({
        datasetsDir: path.resolve(root, '../shared/datasets'),
        tmpDir,
        quick,
        log: (m) => console.log(`  ${m}`),
      });
      const stored: StoredResult = { ...r, suite: name, at: new Date().toISOString(), machine: machine(), durationS: (performance.now() - t0) / 1000, quick };
      fs.writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify(stored, null, 2) + '\n');
      for (const row of r.rows) console.log(`  ${row.metric}: ${fmt(row.value)} ${row.unit}${row.target ? `  (target ${row.target}: ${row.met ? 'met' : 'NOT met'})` : ''}`);
    } catch (err) {
      console.error(`  ✖ ${name} failed:`, err);
      process.exitCode = 1;
    } finally {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  }
  writeMarkdown();
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

function writeMarkdown() {
  const results: StoredResult[] = fs
    .readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(resultsDir, f), 'utf8')) as StoredResult);
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (raw results: `bench-results/*.json`). Medians of repeated runs; ratios',
    'are measured in the same run. These machines are shared and noisy (30-40 % swings), so compare',
    'ratios rather than absolute times across runs.',
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.title}`, '');
    lines.push(`${r.at.slice(0, 16).replace('T', ' ')} UTC, ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGiB} GiB, Node ${r.machine.node}${r.quick ? ' — QUICK run (reduced sizes)' : ''}; took ${r.durationS.toFixed(0)} s.`, '');
    lines.push('| metric | value | unit | target | met | note |', '|---|---:|---|---|---|---|');
    for (const row of r.rows) {
      lines.push(`| ${row.metric} | ${fmt(row.value)} | ${row.unit} | ${row.target ?? ''} | ${row.target ? (row.met ? 'yes' : '**no**') : ''} | ${row.note ?? ''} |`);
    }
    lines.push('');
    if (r.summary) lines.push(r.summary, '');
  }
  fs.writeFileSync(path.join(root, 'BENCHMARKS.md'), lines.join('\n'));
  console.log(`\nwrote BENCHMARKS.md (${results.length} suites)`);
}

await main();
