/**
 * One image's mask on its way between the editor and SQLite.
 *
 * Load: `masks.load` -> `LabelMap.decode` -> decoded undo/redo history. A blob that does not decode
 * is reported (`problem.kind === 'decode'`) and nothing is ever saved for that image in this
 * session, so the stored data stays untouched.
 *
 * Autosave: every committed gesture, undo and redo is queued as one save (`masks.save` with the
 * whole encoded label map, `expectedVersion`, the history step, +1 edit and the active time since
 * the last save). One save is in flight at a time; when several steps queue up behind it, the map
 * is encoded once for all of them (each call still carries its own history step, in order).
 * Failures retry with back-off and show as "Save failed — retrying"; a version conflict (another
 * window saved this image meanwhile) stops saving and asks for a reload.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { HistoryEntry } from '../../../../core/editor/history';
import { decodeHistoryEntry, encodeHistoryEntry } from '../../../../core/editor/history';
import { LabelMap } from '../../../../core/mask/label-map';
import { MaskDecodeError } from '../../../../core/mask/mask-decode-error';
import { formatBytes } from '../format';

export type SaveState = 'saved' | 'saving' | 'retrying' | 'conflict' | 'failed';
export type LoadPhase = 'loading' | 'ready' | 'failed';

export interface LoadProblem {
  kind: 'decode' | 'memory' | 'size' | 'load';
  /** what the person reads */
  message: string;
  /** technical detail (the decoder's reason) */
  detail?: string;
}

export interface SaveTiming {
  encodeMs: number;
  requestMs: number;
  totalMs: number;
  bytes: number;
}

type HistoryOp = { op: 'push'; entry: Uint8Array } | { op: 'undo' } | { op: 'redo' };

/** activity gaps longer than this are not counted as time spent */
const IDLE_MS = 60_000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

export class MaskSession {
  readonly projectId: string;
  readonly imageId: number;
  readonly width: number;
  readonly height: number;
  #client: MaskwrightClient;

  #phase = $state<LoadPhase>('loading');
  #problem = $state.raw<LoadProblem | null>(null);
  #historyWarning = $state<string | null>(null);
  #saveState = $state<SaveState>('saved');
  #saveError = $state.raw<AppError | null>(null);
  #pending = $state(0);
  #savedOnce = $state(false);

  /** the label map (not reactive: the canvas repaints from editor events) */
  map: LabelMap | null = null;
  undo: HistoryEntry[] = [];
  redo: HistoryEntry[] = [];
  editCount = 0;
  timeSpentMs = 0;

  #version = 0;
  #queue: HistoryOp[] = [];
  #running = false;
  #changeSeq = 0;
  #encoded: { blob: Uint8Array; seq: number } | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #retryDelay = RETRY_MIN_MS;
  #activeMs = 0;
  #lastActivity = 0;
  #idle: (() => void)[] = [];
  #onFirstSave: (() => void) | null = null;
  /** timings of the saves so far (bench / debug) */
  readonly timings: SaveTiming[] = [];

  constructor(client: MaskwrightClient, projectId: string, imageId: number, width: number, height: number) {
    this.#client = client;
    this.projectId = projectId;
    this.imageId = imageId;
    this.width = width;
    this.height = height;
  }

  get phase(): LoadPhase {
    return this.#phase;
  }
  get problem(): LoadProblem | null {
    return this.#problem;
  }
  get historyWarning(): string | null {
    return this.#historyWarning;
  }
  get saveState(): SaveState {
    return this.#saveState;
  }
  get saveError(): AppError | null {
    return this.#saveError;
  }
  /** history steps not yet stored */
  get pending(): number {
    return this.#pending;
  }
  get version(): number {
    return this.#version;
  }
  /** editing is possible: loaded, and no conflict or fatal save error */
  get editable(): boolean {
    return this.#phase === 'ready' && this.#saveState !== 'conflict' && this.#saveState !== 'failed';
  }
  get savedOnce(): boolean {
    return this.#savedOnce;
  }

  set onfirstsave(cb: (() => void) | null) {
    this.#onFirstSave = cb;
  }

  async load(): Promise<void> {
    let state;
    try {
      state = await this.#client.masks.load(this.projectId, this.imageId);
    } catch (err) {
      this.#fail({ kind: 'load', message: `The mask could not be loaded: ${AppError.from(err).message}` });
      return;
    }
    this.#version = state.version;
    this.editCount = state.editCount;
    this.timeSpentMs = state.timeSpentMs;
    let map: LabelMap;
    if (state.labelMap) {
      try {
        map = LabelMap.decode(state.labelMap);
      } catch (err) {
        if (err instanceof MaskDecodeError) {
          this.#fail({ kind: 'decode', message: 'This mask could not be read; the stored data was left untouched.', detail: err.message });
        } else {
          this.#fail(this.#memoryProblem(err));
        }
        return;
      }
      if (map.width !== this.width || map.height !== this.height) {
        this.#fail({
          kind: 'size',
          message: 'This mask does not fit the image; the stored data was left untouched.',
          detail: `mask ${map.width}×${map.height}, image ${this.width}×${this.height}`,
        });
        return;
      }
    } else {
      try {
        map = new LabelMap(this.width, this.height);
      } catch (err) {
        this.#fail(this.#memoryProblem(err));
        return;
      }
    }
    try {
      this.undo = state.history.undo.map(decodeHistoryEntry);
      this.redo = state.history.redo.map(decodeHistoryEntry);
    } catch {
      this.undo = [];
      this.redo = [];
      this.#historyWarning = 'The undo history of this image could not be read; undo starts from here.';
    }
    this.map = map;
    this.#phase = 'ready';
  }

  /** A gesture was committed, undone or redone: store it. */
  record(kind: 'commit' | 'undo' | 'redo', entry?: HistoryEntry): void {
    if (this.#phase !== 'ready' || this.#saveState === 'conflict' || this.#saveState === 'failed') return;
    if (kind === 'commit') {
      if (!entry) return;
      this.#queue.push({ op: 'push', entry: encodeHistoryEntry(entry) });
    } else {
      this.#queue.push({ op: kind });
    }
    this.#changeSeq++;
    this.#pending = this.#queue.length;
    if (this.#saveState !== 'retrying') this.#saveState = 'saving';
    this.#kick();
  }

  /** The person did something (pointer, key): counts towards time spent. */
  activity(): void {
    const now = performance.now();
    if (this.#lastActivity && now - this.#lastActivity < IDLE_MS) this.#activeMs += now - this.#lastActivity;
    this.#lastActivity = now;
  }

  /** Resolves when nothing is queued or in flight (or saving stopped for good). */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Try a failed save again now. */
  retryNow(): void {
    if (this.#saveState !== 'retrying') return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#kick();
  }

  #isIdle(): boolean {
    return (this.#queue.length === 0 && !this.#running) || this.#saveState === 'conflict' || this.#saveState === 'failed';
  }

  #fail(p: LoadProblem): void {
    this.#problem = p;
    this.#phase = 'failed';
  }

  #memoryProblem(err: unknown): LoadProblem {
    const bytes = this.width * this.height * 4;
    return {
      kind: 'memory',
      message: `This image is too large to label here: its mask needs ${formatBytes(bytes)} of memory (${this.width.toLocaleString()} × ${this.height.toLocaleString()} px × 4 bytes), which could not be allocated. The image is shown read-only.`,
      detail: err instanceof Error ? err.message : String(err),
    };
  }

  #kick(): void {
    if (this.#running || this.#retryTimer) return;
    this.#running = true;
    // let the frame that shows the gesture's end be drawn before encoding
    const start = (): void => void this.#run();
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(start, 0));
    else setTimeout(start, 0);
  }

  async #run(): Promise<void> {
    const map = this.map;
    while (map && this.#queue.length) {
      const op = this.#queue[0]!;
      const t0 = performance.now();
      let t1 = t0;
      let blob: Uint8Array = new Uint8Array(0);
      const addTimeMs = Math.min(86_400_000, Math.round(this.#activeMs));
      this.#activeMs -= addTimeMs;
      try {
        if (!this.#encoded || this.#encoded.seq !== this.#changeSeq) {
          this.#encoded = { blob: map.encode(), seq: this.#changeSeq };
        }
        t1 = performance.now();
        blob = this.#encoded.blob;
        const res = await this.#client.masks.save(this.projectId, this.imageId, {
          labelMap: blob,
          expectedVersion: this.#version,
          addTimeMs,
          addEdits: 1,
          history: op,
        });
        const t2 = performance.now();
        this.timings.push({ encodeMs: t1 - t0, requestMs: t2 - t1, totalMs: t2 - t0, bytes: blob.byteLength });
        if (this.timings.length > 200) this.timings.splice(0, 100);
        this.#version = res.version;
        this.editCount++;
        this.timeSpentMs += addTimeMs;
        this.#queue.shift();
        this.#pending = this.#queue.length;
        this.#retryDelay = RETRY_MIN_MS;
        this.#saveError = null;
        if (!this.#savedOnce) {
          this.#savedOnce = true;
          this.#onFirstSave?.();
        }
      } catch (err) {
        this.#activeMs += addTimeMs;
        const e = AppError.from(err);
        this.#saveError = e;
        this.#running = false;
        if (e.code === 'conflict') {
          this.#saveState = 'conflict';
          this.#resolveIdle();
        } else if (e.code === 'invalid-argument' || e.code === 'not-found' || e.code === 'forbidden') {
          // retrying cannot help; keep what is queued and say so
          this.#saveState = 'failed';
          this.#resolveIdle();
        } else {
          this.#saveState = 'retrying';
          this.#retryTimer = setTimeout(() => {
            this.#retryTimer = null;
            this.#kick();
          }, this.#retryDelay);
          this.#retryDelay = Math.min(RETRY_MAX_MS, this.#retryDelay * 2);
        }
        return;
      }
    }
    this.#running = false;
    this.#saveState = 'saved';
    this.#resolveIdle();
  }

  #resolveIdle(): void {
    if (!this.#isIdle()) return;
    for (const r of this.#idle.splice(0)) r();
  }
}
