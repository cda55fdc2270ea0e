// Types for scripts/electron-download-memo.mjs (the tests import it).
import type { NetworkInterfaceInfo } from 'node:os';

export const RETRY_AFTER_MS: number;
export interface DownloadMemo {
  failedAt: number;
  network: string;
  electron: string;
  reason?: string;
}
export function memoPath(root: string): string;
export function networkKey(interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>): string;
export function downloadDecision(
  memo: DownloadMemo | null,
  opts: { now: number; network: string; electron: string; force?: boolean; retryAfterMs?: number },
): { attempt: boolean; why: string };
export function readMemo(file: string): DownloadMemo | null;
export function writeMemo(file: string, memo: DownloadMemo): void;
export function clearMemo(file: string): void;
