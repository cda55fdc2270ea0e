/** Early stopping on a validation metric that should go up (IoU). */
export interface EarlyStoppingOptions {
  /** evaluations without improvement before stopping */
  patience: number;
  /** smallest change that counts as an improvement */
  minDelta?: number;
}

export class EarlyStopping {
  best = -Infinity;
  bestAt = -1;
  private since = 0;
  private count = 0;

  constructor(private readonly opts: EarlyStoppingOptions) {
    if (!(opts.patience >= 1)) throw new RangeError(`patience must be >= 1, got ${opts.patience}`);
  }

  /** Records one evaluation; `step` is remembered for the best one. */
  update(value: number, step: number): { improved: boolean; stop: boolean } {
    this.count++;
    const improved = Number.isFinite(value) && value > this.best + (this.opts.minDelta ?? 0);
    if (improved) {
      this.best = value;
      this.bestAt = step;
      this.since = 0;
    } else {
      this.since++;
    }
    return { improved, stop: this.since >= this.opts.patience };
  }

  get evaluations(): number {
    return this.count;
  }
}
