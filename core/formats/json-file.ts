/** Reading dataset JSON files with clear messages for missing, truncated and mistyped content. */
import fs from 'node:fs';
import type { z } from 'zod';
import type { IssueAction, IssueList } from './validation-report';

/**
 * Reads and parses a JSON file. On failure reports 'unreadable' or 'invalid-json' with `action`
 * (e.g. 'fatal' for a COCO file, 'skipped' for one LabelMe file of many) and returns undefined.
 */
export async function readJsonFile(file: string, issues: IssueList, action: IssueAction): Promise<unknown> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    issues.add('unreadable', action, file, null, code === 'ENOENT' ? 'the file does not exist' : `cannot read the file (${(e as Error).message})`);
    return undefined;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return parseJsonKeepingOverflow(text);
  } catch (e) {
    const msg = (e as Error).message;
    const trimmed = text.trimEnd();
    const truncated = trimmed.length === 0 || !/[}\]]$/.test(trimmed) || /end of (json )?input|unterminated/i.test(msg);
    issues.add(
      'invalid-json',
      action,
      file,
      null,
      trimmed.length === 0
        ? 'the file is empty'
        : `not valid JSON${truncated ? ' (the file looks truncated)' : ''}: ${msg}`,
    );
    return undefined;
  }
}

/** `images[3].width: expected number, received string; ...` from a zod error (first few issues). */
export function describeZodError(err: z.ZodError, prefix = '', max = 3): string {
  const parts = err.issues.slice(0, max).map((i) => {
    const p = formatPath(i.path, prefix);
    return `${p ? `${p}: ` : ''}${i.message.replace(/^Invalid input: /, '')}`;
  });
  if (err.issues.length > max) parts.push(`and ${err.issues.length - max} more`);
  return parts.join('; ');
}

function formatPath(p: readonly PropertyKey[], prefix: string): string {
  let s = prefix;
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s;
}

/** A short description of a value's type for messages: 'string', 'array', 'null', ... */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Numbers too large for a double (`1e999`) parse as Infinity, which JSON.stringify prints as
 * "null". They are kept as `OVERFLOW_MARK + literal` strings instead, so that messages quote the
 * text the file has (see describeValue); they are still not numbers to any schema.
 */
export const OVERFLOW_MARK = '\u0000number:';

function parseJsonKeepingOverflow(text: string): unknown {
  if (!/\d[eE][+]?\d{3}/.test(text)) return JSON.parse(text) as unknown;
  let out = '';
  let last = 0;
  const re = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?[eE][+-]?\d+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].startsWith('"') || Number.isFinite(Number(m[0]))) continue;
    out += text.slice(last, m.index) + JSON.stringify(OVERFLOW_MARK + m[0]);
    last = m.index + m[0].length;
  }
  return JSON.parse(out + text.slice(last)) as unknown;
}

/** A value as the file has it, for messages: `1e999`, `"12"`, `null`, `[1,2,3]` (shortened). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string' && v.startsWith(OVERFLOW_MARK)) return `${v.slice(OVERFLOW_MARK.length)} (too large for a number)`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
