/**
 * Running the CLI in-process in a test: a fresh temp folder per test, console.log / console.error
 * captured into `out` / `err` (the same arrays, emptied before each test), and optionally
 * MASKWRIGHT_HOME inside the temp folder so recent-project lists stay out of the user's home.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';

export interface CliCapture {
  /** this test's temp folder (removed after it) */
  readonly tmp: string;
  readonly out: string[];
  readonly err: string[];
}

export function useCliCapture(prefix: string, opts: { home?: boolean } = {}): CliCapture {
  let tmp = '';
  const out: string[] = [];
  const err: string[] = [];
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    if (opts.home) process.env.MASKWRIGHT_HOME = path.join(tmp, 'home');
    out.length = 0;
    err.length = 0;
    vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    if (opts.home) delete process.env.MASKWRIGHT_HOME;
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return {
    get tmp() {
      return tmp;
    },
    out,
    err,
  };
}
