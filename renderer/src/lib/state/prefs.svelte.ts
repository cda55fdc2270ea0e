/** Per-machine UI preferences kept in localStorage (nothing project-specific). */
export const THUMB_SIZES = { s: 128, m: 176, l: 240 } as const;
export type ThumbSizeKey = keyof typeof THUMB_SIZES;

const KEY = 'maskwright.prefs';

interface Stored {
  thumbSize?: ThumbSizeKey;
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

  constructor() {
    const s = load();
    if (s.thumbSize && s.thumbSize in THUMB_SIZES) this.#thumbSize = s.thumbSize;
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
      localStorage.setItem(KEY, JSON.stringify({ thumbSize: this.#thumbSize } satisfies Stored));
    } catch {
      /* storage may be unavailable; preferences are a nicety */
    }
  }
}
