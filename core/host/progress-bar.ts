/** A terminal progress bar on stderr (plain lines when stderr is not a TTY). */
export class ProgressBar {
  private lastLine = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = !!out.isTTY;
  }

  update(done: number, total: number, detail = ''): void {
    const now = Date.now();
    if (!this.tty) {
      if (now - this.lastLine < 1000 && done < total) return;
      this.lastLine = now;
      this.out.write(`${this.label} ${done}/${total}${detail ? ` ${detail}` : ''}\n`);
      return;
    }
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 40));
    const frac = total > 0 ? done / total : 0;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const text = `${this.label} ${bar} ${String(Math.round(frac * 100)).padStart(3)}% ${done}/${total} ${detail}`;
    this.out.write(`\r${text.slice(0, (this.out.columns ?? 80) - 1).padEnd((this.out.columns ?? 80) - 1)}`);
  }

  finish(): void {
    if (this.tty) this.out.write('\n');
  }
}
