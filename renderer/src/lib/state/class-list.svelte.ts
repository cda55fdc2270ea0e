/**
 * The project's label classes as the editor shows them (display order = hotkeys 1-9).
 * Changes show at once (optimistic) and are rolled back with an error when the host refuses.
 * Changes made elsewhere arrive with `projects.onDidChange`.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { LabelClass } from '../../../../core/api/types';

export type ClassPatch = Partial<Pick<LabelClass, 'name' | 'color' | 'hidden' | 'locked'>>;

export class ClassList {
  readonly projectId: string;
  #client: MaskwrightClient;
  #items = $state.raw<LabelClass[]>([]);
  #error = $state.raw<AppError | null>(null);
  #busy = 0;

  constructor(client: MaskwrightClient, projectId: string, initial: LabelClass[] = []) {
    this.#client = client;
    this.projectId = projectId;
    this.#items = initial;
  }

  get items(): LabelClass[] {
    return this.#items;
  }
  get error(): AppError | null {
    return this.#error;
  }

  byId(id: number): LabelClass | undefined {
    return this.#items.find((c) => c.id === id);
  }

  connect(): () => void {
    void this.refresh();
    return this.#client.on('projects.onDidChange', (p) => {
      // our own optimistic change is in flight: its answer (or refresh) wins
      if (p.id === this.projectId && this.#busy === 0) this.#items = p.classes;
    });
  }

  async refresh(): Promise<void> {
    try {
      this.#items = await this.#client.classes.list(this.projectId);
    } catch (err) {
      this.#error = AppError.from(err);
    }
  }

  async create(name: string, color?: string): Promise<LabelClass | null> {
    return this.#run(async () => {
      const c = await this.#client.classes.create(this.projectId, color ? { name, color } : { name });
      this.#items = [...this.#items, c];
      return c;
    });
  }

  async update(id: number, patch: ClassPatch): Promise<void> {
    const before = this.#items;
    this.#items = before.map((c) => (c.id === id ? { ...c, ...patch } : c));
    await this.#run(
      async () => {
        const c = await this.#client.classes.update(this.projectId, id, patch);
        this.#items = this.#items.map((x) => (x.id === id ? c : x));
      },
      () => (this.#items = before),
    );
  }

  /** moves a class up (-1) or down (+1) in the order */
  async move(id: number, delta: number): Promise<void> {
    const ids = this.#items.map((c) => c.id);
    const i = ids.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= ids.length) return;
    ids.splice(i, 1);
    ids.splice(j, 0, id);
    await this.reorder(ids);
  }

  async reorder(ids: number[]): Promise<void> {
    const before = this.#items;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup
    const byId = new Map(before.map((c) => [c.id, c]));
    this.#items = ids.map((id) => byId.get(id)).filter((c): c is LabelClass => !!c);
    await this.#run(
      async () => {
        this.#items = await this.#client.classes.reorder(this.projectId, ids);
      },
      () => (this.#items = before),
    );
  }

  clearError(): void {
    this.#error = null;
  }

  async #run<T>(fn: () => Promise<T>, rollback?: () => void): Promise<T | null> {
    this.#busy++;
    try {
      const r = await fn();
      this.#error = null;
      return r;
    } catch (err) {
      rollback?.();
      this.#error = AppError.from(err);
      return null;
    } finally {
      this.#busy--;
    }
  }
}
