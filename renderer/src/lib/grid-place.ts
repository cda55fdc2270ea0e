/**
 * Where the grid was for a given project + query, kept in sessionStorage so a
 * reload (F5 in browser mode, a data refresh, switching filters back and forth)
 * lands on the same images. Stored as item indices, not pixels, so it
 * survives a different window width / column count.
 */
import type { ImageStatus } from '../../../core/api/types';

export interface GridPlace {
  /** first visible item */
  anchor: number;
  /** keyboard-focused item, -1 when none */
  focus: number;
}

const PREFIX = 'maskwright.grid:';

export function placeKey(projectId: string, status: ImageStatus | null, search: string): string {
  return `${PREFIX}${projectId}:${status ?? 'all'}:${search}`;
}

export function loadPlace(key: string): GridPlace | null {
  try {
    const raw = sessionStorage.getItem(key);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<GridPlace>;
    if (typeof v.anchor !== 'number' || typeof v.focus !== 'number') return null;
    return { anchor: Math.max(0, v.anchor), focus: Math.max(-1, v.focus) };
  } catch {
    return null;
  }
}

export function savePlace(key: string, place: GridPlace): void {
  try {
    sessionStorage.setItem(key, JSON.stringify(place));
  } catch {
    /* best effort */
  }
}
