/** Every benchmark file `test/bench/*.bench.ts` default-exports a BenchSuite. */
export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  /** e.g. "<= 8 ms"; shown next to the value */
  target?: string;
  /** whether the target was met, when there is one */
  met?: boolean;
  note?: string;
}

export interface BenchResult {
  title: string;
  rows: BenchRow[];
  /** optional markdown shown below the table in BENCHMARKS.md (explanations, curve tables) */
  summary?: string;
  /** free-form details kept in the JSON only */
  details?: Record<string, unknown>;
}

export interface BenchContext {
  /** absolute path of ../shared/datasets */
  datasetsDir: string;
  /** a fresh scratch folder for this suite */
  tmpDir: string;
  /** BENCH_QUICK=1 shrinks sizes for a smoke run */
  quick: boolean;
  log(msg: string): void;
}

export interface BenchSuite {
  name: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}
