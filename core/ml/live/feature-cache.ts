/**
 * A memory-bounded LRU cache of feature stacks, keyed by image (and feature options). A stack
 * larger than the whole budget is computed and returned but not kept.
 */
import type { FeatureStack } from './feature-types';

export class FeatureCache {
  private readonly entries = new Map<string, FeatureStack>();
  private used = 0;

  constructor(readonly maxBytes: number = 1024 * 2 ** 20) {
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be >= 0 (got ${maxBytes})`);
  }

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The cached stack (marked most recently used) or the freshly computed one. */
  get(key: string, compute: () => FeatureStack): FeatureStack {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const stack = compute();
    this.put(key, stack);
    return stack;
  }

  put(key: string, stack: FeatureStack): void {
    this.delete(key);
    const b = stack.data.byteLength;
    if (b > this.maxBytes) return;
    while (this.used + b > this.maxBytes && this.entries.size) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
    this.entries.set(key, stack);
    this.used += b;
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.used -= e.data.byteLength;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}
