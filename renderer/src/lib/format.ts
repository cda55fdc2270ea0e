/** Small display helpers (pure; no DOM). */
import type { ImageStatus, SkipReason } from '../../../core/api/types';

const countFmt = new Intl.NumberFormat(undefined);

export function formatCount(n: number): string {
  return countFmt.format(n);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Infinity],
];

export function formatRelative(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  let v = (t - now) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(v) < size) return unit === 'second' && Math.abs(v) < 45 ? 'just now' : rtf.format(Math.round(v), unit);
    v /= size;
  }
  return '';
}

/** Last path segment, for both / and \ separators. */
export function basename(p: string): string {
  const trimmed = p.replace(/[\\/]+$/, '');
  const i = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
}

export function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : '';
}

/** POSIX `/x`, Windows `C:\x` or `C:/x`, UNC `\\server\share`. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

export const STATUS_LABELS: Record<ImageStatus, string> = {
  unlabeled: 'Unlabeled',
  in_progress: 'In progress',
  done: 'Done',
  reviewed: 'Reviewed',
};

export const SKIP_LABELS: Record<SkipReason, string> = {
  duplicate: 'Duplicate',
  unsupported: 'Unsupported',
  corrupt: 'Corrupt',
  truncated: 'Truncated',
  empty: 'Empty file',
  'too-large': 'Too large',
  unreadable: 'Unreadable',
  'not-found': 'Not found',
};

export function isMac(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

/** "Ctrl+I" or "⌘I" */
export function shortcutLabel(key: string): string {
  return isMac() ? `⌘${key}` : `Ctrl+${key}`;
}
