/* eslint-disable svelte/prefer-svelte-reactivity -- the url map lives in $state.raw and is replaced on each load; the other sets are bookkeeping */
/**
 * The grid's mask overlays, fetched in batches for the rows on screen (`images.maskPreviews`)
 * and cached by image id and mask version, so an edited mask is fetched again and an unchanged
 * one never is.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import type { ImageRow } from '../../../../core/api/types';

const MAX_CACHED = 2000;

export class MaskPreviews {
  #client: MaskwrightClient;
  #projectId: string;
  #size: number;
  #urls = $state.raw<ReadonlyMap<string, string | null>>(new Map());
  #asked = new Set<string>();
  #queue = new Map<number, string>();
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(client: MaskwrightClient, projectId: string, size = 160) {
    this.#client = client;
    this.#projectId = projectId;
    this.#size = size;
  }

  static key(row: Pick<ImageRow, 'id' | 'maskVersion'>): string {
    return `${row.id}:${row.maskVersion}`;
  }

  /** the overlay's data URL; null when the image has no mask (or an empty one), undefined while it loads */
  url(row: ImageRow): string | null | undefined {
    if (row.maskVersion === null || row.maskVersion === undefined) return null;
    return this.#urls.get(MaskPreviews.key(row));
  }

  /** ask for the overlays of these rows (those with a mask not yet asked for), batched */
  want(rows: readonly ImageRow[]): void {
    for (const r of rows) {
      if (r.maskVersion === null || r.maskVersion === undefined) continue;
      const k = MaskPreviews.key(r);
      if (this.#asked.has(k)) continue;
      this.#asked.add(k);
      this.#queue.set(r.id, k);
    }
    if (this.#queue.size && !this.#timer) this.#timer = setTimeout(() => void this.#flush(), 30);
  }

  async #flush(): Promise<void> {
    this.#timer = null;
    const batch = [...this.#queue.entries()].slice(0, 200);
    for (const [id] of batch) this.#queue.delete(id);
    if (this.#queue.size) this.#timer = setTimeout(() => void this.#flush(), 0);
    try {
      const res = await this.#client.images.maskPreviews(this.#projectId, batch.map(([id]) => id), this.#size);
      const next = new Map(this.#urls);
      for (const p of res) next.set(`${p.imageId}:${p.maskVersion}`, p.dataUrl);
      // an image whose mask went away meanwhile: nothing to show
      for (const [, k] of batch) if (!next.has(k)) next.set(k, null);
      if (next.size > MAX_CACHED) for (const k of [...next.keys()].slice(0, next.size - MAX_CACHED)) next.delete(k);
      this.#urls = next;
    } catch {
      for (const [, k] of batch) this.#asked.delete(k); // try again when the rows are shown next
    }
  }
}
