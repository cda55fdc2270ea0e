/**
 * Seeded train/val/test split. The image ids are sorted, shuffled with a seeded PRNG
 * (mulberry32 + Fisher-Yates), and cut into parts whose sizes are the fractions of the total
 * (rounded; test takes the rest). The same ids and seed always give the same split.
 */
import type { SplitName } from './export-context';

export interface SplitSpec {
  /** fractions (or weights); they are normalised by their sum */
  train: number;
  val: number;
  test?: number;
  seed: number;
}

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

/** Checks the fractions; returns a message when they are unusable, else null. */
export function splitSpecProblem(spec: SplitSpec): string | null {
  const parts = [spec.train, spec.val, spec.test ?? 0];
  if (!parts.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) return 'split fractions must be non-negative numbers';
  if (parts[0]! + parts[1]! + parts[2]! <= 0) return 'split fractions must not all be zero';
  if (!Number.isInteger(spec.seed)) return 'the split seed must be an integer';
  return null;
}

/** image id -> split */
export function assignSplits(imageIds: readonly number[], spec: SplitSpec): Map<number, SplitName> {
  const ids = [...imageIds].sort((a, b) => a - b);
  const rnd = mulberry32(spec.seed);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  const total = spec.train + spec.val + (spec.test ?? 0);
  const n = ids.length;
  const nTrain = Math.round((n * spec.train) / total);
  const nVal = Math.min(n - nTrain, Math.round((n * spec.val) / total));
  const out = new Map<number, SplitName>();
  ids.forEach((id, k) => out.set(id, k < nTrain ? 'train' : k < nTrain + nVal ? 'val' : 'test'));
  return out;
}
