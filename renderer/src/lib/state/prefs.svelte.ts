/** Per-machine UI preferences kept in localStorage (nothing project-specific). */
export const THUMB_SIZES = { s: 128, m: 176, l: 240 } as const;
export type ThumbSizeKey = keyof typeof THUMB_SIZES;

const KEY = 'maskwright.prefs';

/** which unlabeled image "next" opens: least certain for the active model first, or in order, or random */
export const QUEUE_ORDERS = ['uncertainty', 'sequential', 'random'] as const;
export type QueueOrder = (typeof QUEUE_ORDERS)[number];

interface Stored {
  thumbSize?: ThumbSizeKey;
  queueOrder?: QueueOrder;
}

function load(): Stored {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : {};
  } catch {
    return {};
  }
}

export class Prefs {
  #thumbSize = $state<ThumbSizeKey>('m');
  #queueOrder = $state<QueueOrder>('uncertainty');

  constructor() {
    const s = load();
    if (s.thumbSize && s.thumbSize in THUMB_SIZES) this.#thumbSize = s.thumbSize;
    if (s.queueOrder && (QUEUE_ORDERS as readonly string[]).includes(s.queueOrder)) this.#queueOrder = s.queueOrder;
  }

  get queueOrder(): QueueOrder {
    return this.#queueOrder;
  }

  set queueOrder(v: QueueOrder) {
    this.#queueOrder = v;
    this.#save();
  }

  get thumbSize(): ThumbSizeKey {
    return this.#thumbSize;
  }

  set thumbSize(v: ThumbSizeKey) {
    this.#thumbSize = v;
    this.#save();
  }

  get thumbPx(): number {
    return THUMB_SIZES[this.#thumbSize];
  }

  #save(): void {
    try {
      localStorage.setItem(KEY, JSON.stringify({ thumbSize: this.#thumbSize, queueOrder: this.#queueOrder } satisfies Stored));
    } catch {
      /* storage may be unavailable; preferences are a nicety */
    }
  }
}
