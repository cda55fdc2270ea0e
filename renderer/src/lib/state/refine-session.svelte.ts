/**
 * Click-to-refine in the renderer: checks once per project whether a click model exists
 * (`predictions.clickModel`), and for each click of the core RefineTool asks
 * `predictions.refine` for the object (previous mask: the last answer, or the proposal instance
 * the first positive click landed on) and hands the answer back to the tool. Answers to older
 * clicks are dropped; one request is in flight at a time (the latest clicks go next).
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { ObjectCrop } from '../../../../core/api/types';
import type { Editor } from '../../../../core/editor/editor';
import type { RefineBox, RefineClick, RefineEvent, RefineTool } from '../../../../core/editor/tools/refine-tool';

export type ClickModelState = 'unknown' | 'checking' | 'ready' | 'missing' | 'error';

export class RefineSession {
  readonly projectId: string;
  #client: MaskwrightClient;
  #model = $state<ClickModelState>('unknown');
  #modelName = $state<string | null>(null);
  #modelError = $state<string | null>(null);
  #busy = $state(false);
  #lastMs = $state<number | null>(null);
  #lastScore = $state<number | null>(null);
  #clicks = $state(0);
  #sources = $state<string[]>([]);
  #error = $state<string | null>(null);
  #check: Promise<ClickModelState> | null = null;
  #editor: Editor | null = null;
  #imageId = 0;
  #unsubscribe: (() => void)[] = [];
  #queued: { seq: number; clicks: readonly RefineClick[]; box: RefineBox | null } | null = null;
  /** the previous mask the next request sends (the last answer, or the proposal instance) */
  #prev: ObjectCrop | null = null;
  onmessage: ((text: string, tone: 'info' | 'error') => void) | null = null;

  constructor(client: MaskwrightClient, projectId: string) {
    this.#client = client;
    this.projectId = projectId;
  }

  get model(): ClickModelState {
    return this.#model;
  }
  get modelName(): string | null {
    return this.#modelName;
  }
  get modelError(): string | null {
    return this.#modelError;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get lastMs(): number | null {
    return this.#lastMs;
  }
  get lastScore(): number | null {
    return this.#lastScore;
  }
  get clicks(): number {
    return this.#clicks;
  }
  /** what made the last answer: 'zero-shot', 'click-model', 'prelabel' */
  get sources(): readonly string[] {
    return this.#sources;
  }
  get error(): string | null {
    return this.#error;
  }

  /** asks once (again after a failure, or with `force` after a training run) */
  checkModel(force = false): Promise<ClickModelState> {
    if (this.#check && !force && this.#model !== 'error') return this.#check;
    this.#model = 'checking';
    this.#check = this.#client.predictions.clickModel(this.projectId).then(
      (v) => {
        this.#model = v ? 'ready' : 'missing';
        this.#modelName = v?.name ?? null;
        this.#modelError = null;
        return this.#model;
      },
      (err: unknown) => {
        this.#model = 'error';
        this.#modelError = AppError.from(err).message;
        return this.#model;
      },
    );
    return this.#check;
  }

  /** the editor of the image now open */
  attach(editor: Editor, imageId: number): void {
    this.detach();
    this.#editor = editor;
    this.#imageId = imageId;
    const tool = editor.tools.refine as RefineTool;
    this.#unsubscribe.push(tool.onEvent((e) => this.#onEvent(tool, e)));
  }

  detach(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#editor = null;
    this.#queued = null;
    this.#prev = null;
    this.#clicks = 0;
    this.#error = null;
  }

  #onEvent(tool: RefineTool, e: RefineEvent): void {
    if (e.type !== 'click') {
      this.#queued = null;
      this.#prev = null;
      this.#clicks = 0;
      this.#error = null;
      return;
    }
    this.#clicks = e.clicks.length;
    if (this.#model !== 'ready' && this.#model !== 'missing') {
      // without a click model the host answers with zero-training click-to-object (issue 12);
      // only an unknown or failed model state refuses
      tool.cancel();
      this.onmessage?.(this.#model === 'error' ? `Click refinement unavailable: ${this.#modelError ?? ''}` : 'Still checking for a click model; click again in a moment.', 'info');
      return;
    }
    if (e.clicks.length === 1 && !e.box) {
      // a fresh object: starting on a proposal instance refines that instance
      const c = e.clicks[0]!;
      const layer = this.#editor?.proposal ?? null;
      const base = c.positive && layer ? layer.instanceAt(c.x, c.y) : 0;
      tool.base = base || null;
      this.#prev = base && layer ? layer.cropOf(base) : null;
    }
    this.#queued = { seq: e.seq, clicks: e.clicks, box: e.box };
    void this.#pump(tool);
  }

  async #pump(tool: RefineTool): Promise<void> {
    if (this.#busy) return;
    const editor = this.#editor;
    while (this.#queued && this.#editor === editor) {
      const job = this.#queued;
      this.#queued = null;
      this.#busy = true;
      this.#error = null;
      try {
        const r = await this.#client.predictions.refine(this.projectId, this.#imageId, { clicks: job.clicks.map((c) => ({ ...c })), box: job.box ? { ...job.box } : null, prev: this.#prev });
        if (this.#editor !== editor) break;
        this.#lastMs = r.ms;
        this.#lastScore = r.score;
        this.#sources = r.sources ?? [];
        const obj = { x: r.x, y: r.y, width: r.width, height: r.height, mask: r.mask };
        if (tool.setObject(job.seq, { ...obj, score: Math.min(1, Math.max(0, r.score)) })) this.#prev = obj;
      } catch (err) {
        if (this.#editor !== editor) break;
        const e = AppError.from(err);
        this.#error = e.message;
        this.onmessage?.(`Refining failed: ${e.message}`, 'error');
      } finally {
        this.#busy = false;
      }
    }
  }
}
