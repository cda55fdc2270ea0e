/* eslint-disable svelte/prefer-svelte-reactivity -- the page map lives in $state.raw and is replaced, never mutated, on each load; the other maps are bookkeeping that must not be reactive */
/**
 * A lazily filled, offset-addressed window onto `images.list` for one project
 * and one query (status filter + file-name search). The grid asks for the
 * index range it shows; missing pages are fetched once, cached by offset and
 * evicted when far away. `refresh()` re-fetches what is on screen while the
 * old rows stay visible (no flicker, no lost place); `setQuery()` starts over.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { ImageRow, ImageStatus } from '../../../../core/api/types';

export interface ImageQuery {
  status: ImageStatus | null;
  search: string;
}

export const PAGE_SIZE = 200;
/** pages kept in memory (200 rows each); the farthest from the last request go first */
const MAX_PAGES = 40;

export class ImagePages {
  readonly projectId: string;
  readonly pageSize: number;
  #client: MaskwrightClient;

  #query = $state.raw<ImageQuery>({ status: null, search: '' });
  /** page index -> rows; replaced (not mutated) on every load so readers re-run */
  #pages = $state.raw<ReadonlyMap<number, readonly ImageRow[]>>(new Map());
  /** bumped by refresh() and setQuery(); a page loaded under an older one is stale */
  #generation = $state(0);
  #total = $state<number | null>(null);
  #pending = $state(0);
  #error = $state.raw<AppError | null>(null);

  /** not reactive: bookkeeping only */
  #loadedAt = new Map<number, number>();
  #inflight = new Map<number, number>();

  constructor(client: MaskwrightClient, projectId: string, pageSize = PAGE_SIZE) {
    this.#client = client;
    this.projectId = projectId;
    this.pageSize = pageSize;
  }

  get query(): ImageQuery {
    return this.#query;
  }
  /** null until the first page of the current query arrived */
  get total(): number | null {
    return this.#total;
  }
  get generation(): number {
    return this.#generation;
  }
  get loading(): boolean {
    return this.#pending > 0;
  }
  get error(): AppError | null {
    return this.#error;
  }

  itemAt(index: number): ImageRow | undefined {
    if (index < 0) return undefined;
    return this.#pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  setQuery(q: ImageQuery): void {
    if (q.status === this.#query.status && q.search === this.#query.search) return;
    this.#query = { status: q.status, search: q.search };
    this.#pages = new Map();
    this.#loadedAt.clear();
    this.#inflight.clear();
    this.#total = null;
    this.#error = null;
    this.#generation++;
  }

  /** Data changed on the host: re-fetch visible pages, keep showing the old rows meanwhile. */
  refresh(): void {
    this.#generation++;
  }

  /** Make sure items first..last (inclusive) are loaded or on their way. */
  ensure(first: number, last: number): void {
    const gen = this.#generation;
    const total = this.#total;
    const lastIndex = total === null ? Math.max(first, last) : Math.min(last, total - 1);
    const firstPage = Math.floor(Math.max(0, first) / this.pageSize);
    const lastPage = Math.max(firstPage, Math.floor(Math.max(0, lastIndex) / this.pageSize));
    for (let p = firstPage; p <= lastPage; p++) {
      if (this.#loadedAt.get(p) === gen || this.#inflight.get(p) === gen) continue;
      if (total !== null && p > 0 && p * this.pageSize >= total) continue;
      void this.#load(p, gen, (firstPage + lastPage) / 2);
    }
  }

  async #load(page: number, gen: number, centre: number): Promise<void> {
    this.#inflight.set(page, gen);
    this.#pending++;
    const q = this.#query;
    try {
      const res = await this.#client.images.list(this.projectId, {
        status: q.status,
        search: q.search || undefined,
        sort: 'name', // natural file-name order (0, 1, 2, …, 10), as `maskwright ls`
        offset: page * this.pageSize,
        limit: this.pageSize,
      });
      if (gen !== this.#generation) return; // superseded; the next ensure() asks again
      const next = new Map(this.#pages);
      next.set(page, res.items);
      this.#loadedAt.set(page, gen);
      this.#evict(next, centre);
      this.#pages = next;
      this.#total = res.total;
      this.#error = null;
    } catch (err) {
      if (gen === this.#generation) this.#error = AppError.from(err);
    } finally {
      if (this.#inflight.get(page) === gen) this.#inflight.delete(page);
      this.#pending--;
    }
  }

  #evict(pages: Map<number, readonly ImageRow[]>, centre: number): void {
    if (pages.size <= MAX_PAGES) return;
    const byDistance = [...pages.keys()].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const p of byDistance.slice(0, pages.size - MAX_PAGES)) {
      pages.delete(p);
      this.#loadedAt.delete(p);
    }
  }
}
