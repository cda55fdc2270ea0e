/** Learning-rate schedule: linear warm-up, then cosine decay from `lr` to `minLr`. */
export interface CosineLrOptions {
  lr: number;
  minLr?: number;
  warmup?: number;
}

/**
 * The rate at `progress` in [0, 1] of the run (steps done / total, or time used / budget);
 * `warmup` is a fraction of the run.
 */
export function cosineLr(progress: number, opts: CosineLrOptions): number {
  const t = Math.min(Math.max(progress, 0), 1);
  const min = opts.minLr ?? 0;
  const warm = opts.warmup ?? 0;
  if (warm > 0 && t < warm) return opts.lr * Math.max(t / warm, 0.01);
  const u = warm >= 1 ? 1 : (t - warm) / (1 - warm);
  return min + 0.5 * (opts.lr - min) * (1 + Math.cos(Math.PI * u));
}
