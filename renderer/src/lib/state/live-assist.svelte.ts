/**
 * Live in the editor: the project's live pixel classifier on/off (`live.setEnabled`, hotkey L)
 * and, while it is on, each ended stroke (a committed gesture, an undo or redo, or an eraser
 * stroke) sends the image's mask and the pixels painted as background to `live.strokeEnded`.
 * Accepting the proposal is not a stroke (the forest made those pixels). The host retrains in its live worker and answers with `live.onDidUpdate`; the screen then
 * reloads the image's proposal (the usual proposal layer: accepting it is one undo step and never
 * overwrites the person's pixels). Strokes in quick succession coalesce (latest wins, here and
 * on the host). The eraser's footprint is recorded as background even over unlabelled pixels,
 * where it changes nothing in the mask: unpainted pixels are unknown to the classifier.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { LiveUpdateEvent } from '../../../../core/api/types';
import type { Editor } from '../../../../core/editor/editor';
import { paintScribbleSegment, scribbleBytes } from '../../../../core/editor/scribble-bits';

export type LivePhase = 'off' | 'starting' | 'idle' | 'retraining' | 'updated' | 'error';

/** quiet time after a stroke before it is sent (a double stroke sends once) */
const SEND_DELAY_MS = 60;
/** background scribbles kept for this many recently open images */
const KEEP_IMAGES = 8;

export class LiveAssist {
  readonly projectId: string;
  #client: MaskwrightClient;
  #enabled = $state(false);
  #phase = $state<LivePhase>('off');
  #error = $state<string | null>(null);
  #lastMs = $state<number | null>(null);
  #imageOff = $state<string | null>(null);
  #samples = $state<number | null>(null);
  #host = $state.raw<{ trainMs: number; predictMs: number; totalMs: number } | null>(null);
  #editor: Editor | null = null;
  #imageId = 0;
  #width = 0;
  #height = 0;
  #unsubscribe: (() => void)[] = [];
  #off: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** stroke seq -> when it was sent, for this image (bookkeeping, not shown) */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #sent = new Map<number, number>();
  #latestSeq = 0;
  /** bit-packed background scribbles per image (bookkeeping, not shown) */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #background = new Map<number, Uint8Array>();
  #lastPoint: { x: number; y: number } | null = null;
  /** when the latest stroke ended (the person's clock: the wait is from here to the proposal on screen) */
  #strokeAt = 0;
  #disposed = false;
  /** a new proposal of `imageId` is stored: the screen reloads the proposal layer (resolves once shown) */
  onproposal: ((imageId: number) => Promise<void>) | null = null;
  onmessage: ((text: string, tone: 'info' | 'error') => void) | null = null;

  constructor(client: MaskwrightClient, projectId: string) {
    this.#client = client;
    this.projectId = projectId;
  }

  get enabled(): boolean {
    return this.#enabled;
  }
  get phase(): LivePhase {
    return this.#phase;
  }
  /** end of the stroke to the updated proposal drawn on screen, ms (the last one) */
  get lastMs(): number | null {
    return this.#lastMs;
  }
  /** the host's part of the last update: retrain, predict, and request to stored proposal (ms) */
  get host(): { trainMs: number; predictMs: number; totalMs: number } | null {
    return this.#host;
  }
  get error(): string | null {
    return this.#error;
  }
  /** Live cannot run on this image (why) */
  get imageOff(): string | null {
    return this.#imageOff;
  }
  /** the status line: what Live is doing, at a glance */
  get statusText(): string | null {
    if (!this.#enabled && this.#phase !== 'starting') return null;
    if (this.#imageOff) return this.#imageOff;
    switch (this.#phase) {
      case 'starting':
        return 'Live: starting…';
      case 'retraining':
        return 'Live: retraining…';
      case 'updated':
        return `Live: updated ${((this.#lastMs ?? 0) / 1000).toFixed(1)} s${this.#samples ? ` · ${this.#samples.toLocaleString()} px learnt` : ''}`;
      case 'error':
        return `Live: ${this.#error ?? 'failed'}`;
      default:
        return 'Live: paint on an object and, with the eraser, on the background';
    }
  }

  /** listens for the host's updates and reads whether Live is on for the project */
  async connect(): Promise<void> {
    this.#off = this.#client.on('live.onDidUpdate', (u) => void this.#onUpdate(u));
    try {
      const s = await this.#client.live.status(this.projectId);
      if (this.#disposed) return;
      this.#enabled = s.enabled;
      this.#phase = s.enabled ? 'idle' : 'off';
    } catch {
      /* Live stays off: the toggle still works */
    }
  }

  async toggle(): Promise<void> {
    await this.setEnabled(!this.#enabled);
  }

  async setEnabled(on: boolean): Promise<void> {
    const was = this.#phase;
    this.#phase = on ? 'starting' : 'off';
    this.#error = null;
    try {
      const s = await this.#client.live.setEnabled(this.projectId, { enabled: on });
      if (this.#disposed) return;
      this.#enabled = s.enabled;
      this.#phase = s.enabled ? 'idle' : 'off';
      if (!on && s.savedVersionId != null) this.onmessage?.(`Live off — saved as model version v${s.savedVersionId}.`, 'info');
      if (on) this.#schedule(0);
    } catch (err) {
      if (this.#disposed) return;
      this.#phase = was;
      this.onmessage?.(`Live could not be turned ${on ? 'on' : 'off'}: ${AppError.from(err).message}`, 'error');
    }
  }

  /** the image's editor is ready: its strokes feed Live from now on */
  attach(editor: Editor, imageId: number): void {
    this.detach();
    this.#editor = editor;
    this.#imageId = imageId;
    this.#width = editor.map.width;
    this.#height = editor.map.height;
    this.#imageOff = null;
    if (this.#enabled) this.#phase = 'idle';
    this.#unsubscribe.push(
      editor.onDidChange((c) => {
        // accepting the proposal (or undoing that) teaches nothing new: the forest made those pixels
        if ((c.kind === 'commit' || c.kind === 'undo' || c.kind === 'redo') && !c.entry?.label.startsWith('Accept')) this.#schedule(SEND_DELAY_MS);
      }),
      editor.onDidPointer((phase, e, tool) => {
        if (tool !== 'eraser') return;
        if (phase === 'down') this.#lastPoint = e.button === 0 ? { x: e.x, y: e.y } : null;
        if (!this.#lastPoint) return;
        const p = { x: e.x, y: e.y };
        paintScribbleSegment(this.#backgroundOf(imageId), this.#width, this.#height, this.#lastPoint, p, editor.brushRadiusPx);
        this.#lastPoint = p;
        if (phase === 'up') {
          this.#lastPoint = null;
          // erasing unlabelled pixels commits nothing: the stroke still counts
          this.#schedule(SEND_DELAY_MS);
        }
      }),
    );
    // Live on and the image already has strokes: a proposal without waiting for the next one
    if (this.#enabled) this.#schedule(0);
  }

  detach(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#editor = null;
    this.#sent.clear();
    this.#lastPoint = null;
  }

  dispose(): void {
    this.#disposed = true;
    this.detach();
    this.#off?.();
  }

  #backgroundOf(imageId: number): Uint8Array {
    let b = this.#background.get(imageId);
    if (!b) {
      b = scribbleBytes(this.#width, this.#height);
      this.#background.set(imageId, b);
      while (this.#background.size > KEEP_IMAGES) this.#background.delete(this.#background.keys().next().value as number);
    }
    return b;
  }

  #hasPaint(editor: Editor): boolean {
    if (editor.map.instanceCount > 0) return true;
    const b = this.#background.get(this.#imageId);
    return !!b && b.some((v) => v !== 0);
  }

  #schedule(ms: number): void {
    if (!this.#enabled || !this.#editor || this.#imageOff) return;
    this.#strokeAt = performance.now();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#send();
    }, ms);
  }

  async #send(): Promise<void> {
    const editor = this.#editor;
    if (!editor || !this.#enabled || !this.#hasPaint(editor)) return;
    const imageId = this.#imageId;
    const at = this.#strokeAt;
    this.#phase = 'retraining';
    try {
      const { seq } = await this.#client.live.strokeEnded(this.projectId, imageId, { labelMap: editor.map.encode(), background: this.#backgroundOf(imageId).slice() });
      if (this.#imageId !== imageId) return;
      this.#sent.set(seq, at);
      this.#latestSeq = Math.max(this.#latestSeq, seq);
    } catch (err) {
      if (this.#disposed || this.#imageId !== imageId) return;
      this.#phase = 'error';
      this.#error = AppError.from(err).message;
    }
  }

  async #onUpdate(u: LiveUpdateEvent): Promise<void> {
    if (u.projectId !== this.projectId || u.imageId !== this.#imageId || this.#disposed) return;
    if (u.superseded) return;
    // the event can beat strokeEnded's answer: take its send time if it is known
    const at = this.#sent.get(u.seq);
    this.#sent.delete(u.seq);
    if (!u.ok) {
      if (u.disabled) this.#imageOff = u.error ?? 'Live is off for this image.';
      this.#phase = 'error';
      this.#error = u.error ?? 'the retrain failed';
      return;
    }
    const imageId = u.imageId;
    await this.onproposal?.(imageId);
    // on screen: after the frame that draws the new layer
    if (typeof requestAnimationFrame === 'function') await new Promise((r) => requestAnimationFrame(() => r(null)));
    if (this.#disposed || this.#imageId !== imageId) return;
    this.#lastMs = at != null ? performance.now() - at : (u.totalMs ?? null);
    this.#samples = u.samples ?? null;
    this.#host = { trainMs: u.trainMs ?? 0, predictMs: u.predictMs ?? 0, totalMs: u.totalMs ?? 0 };
    // a newer stroke is on its way: keep saying so
    this.#phase = u.seq < this.#latestSeq && this.#sent.size ? 'retraining' : 'updated';
  }
}
