/**
 * Runs Debian's python3 (with PIL, numpy, OpenCV) for interop tests that compare our rasterisers
 * and exports with the real libraries. Tests skip, with the printed reason, where it is missing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const CANDIDATES = ['/usr/bin/python3', '/bin/python3'];

function probe(modules: string): string | null {
  for (const exe of CANDIDATES) {
    if (!fs.existsSync(exe)) continue;
    const r = spawnSync(exe, ['-c', `import ${modules}`], { encoding: 'utf8' });
    if (r.status === 0) return exe;
  }
  return null;
}

/** python3 with PIL and numpy, or null */
export const PYTHON_PIL = probe('PIL.Image, PIL.ImageDraw, numpy');
/** python3 with OpenCV (cv2) and numpy, or null */
export const PYTHON_CV2 = probe('cv2, numpy');
export const NO_PIL = 'skipped: no python3 with PIL and numpy (/usr/bin/python3, Debian python3-pil python3-numpy)';
export const NO_CV2 = 'skipped: no python3 with OpenCV and numpy (/usr/bin/python3, Debian python3-opencv python3-numpy)';

/** Runs `script` with `input` as JSON on stdin; the script prints one JSON value. */
export function runPython<T>(exe: string, script: string, input: unknown): T {
  const r = spawnSync(exe, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
