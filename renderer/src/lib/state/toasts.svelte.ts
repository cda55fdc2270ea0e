export type ToastTone = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  message: string;
  tone: ToastTone;
}

/** Short-lived notices in the corner; errors stay a little longer. */
export class Toasts {
  #items = $state.raw<Toast[]>([]);
  #nextId = 1;

  get items(): readonly Toast[] {
    return this.#items;
  }

  show(message: string, tone: ToastTone = 'info', durationMs = tone === 'error' ? 8000 : 4000): number {
    const id = this.#nextId++;
    this.#items = [...this.#items.slice(-3), { id, message, tone }];
    setTimeout(() => this.dismiss(id), durationMs);
    return id;
  }

  dismiss(id: number): void {
    this.#items = this.#items.filter((t) => t.id !== id);
  }
}
