/**
 * The model's proposal for one image, as the editor shows it: loaded with
 * `predictions.latest`, decoded into a core ProposalLayer (kept apart from the person's mask),
 * with what the panel shows as runes. Accepting goes through the layer into the editor (one
 * undo step, autosaved by the MaskSession like any gesture); the prediction's state on the host
 * follows what the person did: 'partial', 'accepted' when nothing is left, 'rejected'.
 */
import type { MaskwrightClient } from '../../../../core/api/client';
import { AppError } from '../../../../core/api/errors';
import type { PredictionInfo, PrelabelFinishEvent } from '../../../../core/api/types';
import type { Editor } from '../../../../core/editor/editor';
import type { ProposalAcceptResult, ProposalState } from '../../../../core/editor/proposal-layer';
import { ProposalLayer } from '../../../../core/editor/proposal-layer';
import { LabelMap } from '../../../../core/mask/label-map';
import { qualityOf } from '../model-quality';
import type { ModelQuality } from '../model-quality';

export type ProposalPhase = 'none' | 'loading' | 'shown' | 'closed' | 'failed';

export class ProposalSession {
  readonly projectId: string;
  readonly imageId: number;
  #client: MaskwrightClient;
  #phase = $state<ProposalPhase>('loading');
  #state = $state<ProposalState | null>(null);
  #error = $state<string | null>(null);
  #threshold = $state(0);
  #visible = $state(0);
  #remaining = $state(0);
  #hidden = $state(0);
  #total = $state(0);
  #hasConfidence = $state(false);
  #modelVersionId = $state<number | null>(null);
  #prelabelling = $state(false);
  #quality = $state.raw<ModelQuality | null>(null);
  #layer = $state.raw<ProposalLayer | null>(null);
  #predictionId = 0;
  /** the person accepted something from this proposal in this session */
  #touched = false;
  #editor: Editor | null = null;
  #unsubscribe: (() => void)[] = [];
  #disposed = false;
  /** the layer changed (shown, threshold, accepted, closed): the canvas redraws */
  onchange: (() => void) | null = null;
  /** something the person should read (a failed state update) */
  onmessage: ((text: string, tone: 'info' | 'error' | 'success') => void) | null = null;

  constructor(client: MaskwrightClient, projectId: string, imageId: number) {
    this.#client = client;
    this.projectId = projectId;
    this.imageId = imageId;
  }

  get phase(): ProposalPhase {
    return this.#phase;
  }
  /** the prediction's recorded state */
  get state(): ProposalState | null {
    return this.#state;
  }
  get error(): string | null {
    return this.#error;
  }
  /** the layer while it is shown */
  get layer(): ProposalLayer | null {
    return this.#phase === 'shown' ? this.#layer : null;
  }
  get threshold(): number {
    return this.#threshold;
  }
  /** instances shown at the current threshold */
  get visible(): number {
    return this.#visible;
  }
  /** shown instances with something left to accept */
  get remaining(): number {
    return this.#remaining;
  }
  /** instances not yet accepted that the confidence threshold hides */
  get hidden(): number {
    return this.#hidden;
  }
  get total(): number {
    return this.#total;
  }
  get hasConfidence(): boolean {
    return this.#hasConfidence;
  }
  get modelVersionId(): number | null {
    return this.#modelVersionId;
  }
  /** how good the model that made the proposal is (null until known, or when it was deleted) */
  get quality(): ModelQuality | null {
    return this.#quality;
  }
  get predictionId(): number {
    return this.#predictionId;
  }
  /** a pre-label run for this image is going on */
  get prelabelling(): boolean {
    return this.#prelabelling;
  }

  /**
   * Pre-labels this image with the active model (in the host's ML worker), then shows the new
   * proposal. Only while there is none: a shown proposal is never replaced under the person.
   */
  async prelabel(): Promise<void> {
    if (this.#prelabelling || this.#phase === 'shown' || this.#phase === 'loading') return;
    this.#prelabelling = true;
    this.#error = null;
    // the finish event can come before start() answers: listen first, match the job id after
    const finished: PrelabelFinishEvent[] = [];
    let wake: (() => void) | null = null;
    const off = this.#client.on('predictions.onDidFinish', (f) => {
      finished.push(f);
      wake?.();
    });
    try {
      const { jobId } = await this.#client.predictions.prelabel(this.projectId, { imageIds: [this.imageId] });
      let f: PrelabelFinishEvent | undefined;
      while (!(f = finished.find((e) => e.jobId === jobId))) {
        await new Promise<void>((resolve) => (wake = resolve));
        if (this.#disposed) return;
      }
      if (this.#disposed) return;
      if (f.error) this.#error = f.error;
      else if (f.errors.length) this.#error = f.errors[0]!.message;
      else if (!f.cancelled) await this.load();
    } catch (err) {
      if (!this.#disposed) this.#error = AppError.from(err).message;
    } finally {
      off();
      this.#prelabelling = false;
    }
  }

  async load(): Promise<void> {
    let info: PredictionInfo | null;
    try {
      info = await this.#client.predictions.latest(this.projectId, this.imageId);
    } catch (err) {
      if (this.#disposed) return;
      this.#error = `The model's proposal could not be loaded: ${AppError.from(err).message}`;
      this.#phase = 'failed';
      return;
    }
    if (this.#disposed) return;
    if (!info || info.state === 'accepted' || info.state === 'rejected') {
      this.#state = info?.state ?? null;
      this.#phase = 'none';
      return;
    }
    let map: LabelMap;
    let layer: ProposalLayer;
    try {
      map = LabelMap.decode(info.labelMap);
      const conf = info.confidence && info.confidence.length === map.width * map.height ? info.confidence : null;
      layer = new ProposalLayer(map, conf);
    } catch (err) {
      this.#error = `The model's proposal could not be read: ${err instanceof Error ? err.message : String(err)}`;
      this.#phase = 'failed';
      return;
    }
    this.#predictionId = info.id;
    this.#state = info.state;
    this.#modelVersionId = info.modelVersionId;
    void this.#loadQuality(info.modelVersionId);
    this.#hasConfidence = !!layer.confidence;
    this.#total = map.instanceCount;
    this.#layer = layer;
    this.#phase = 'loading';
    if (this.#editor) this.#attach();
  }

  /** the image's editor is ready (its mask loaded): the layer goes into it */
  attach(editor: Editor): void {
    this.#editor = editor;
    if (this.#layer && this.#phase === 'loading') this.#attach();
  }

  #attach(): void {
    const editor = this.#editor!;
    const layer = this.#layer!;
    if (layer.map.width !== editor.map.width || layer.map.height !== editor.map.height) {
      this.#error = `The model's proposal is ${layer.map.width}×${layer.map.height}, the image ${editor.map.width}×${editor.map.height}; it is not shown.`;
      this.#phase = 'failed';
      return;
    }
    if (this.#state === 'partial') {
      layer.consumeCovered(editor.map);
      this.#touched = true;
    }
    editor.proposal = layer;
    this.#unsubscribe.push(
      layer.onDidChange(() => this.#refresh()),
      layer.onDidAccept((r) => this.#accepted(r)),
      editor.onDidChange((c) => {
        if (c.kind === 'undo' || c.kind === 'redo') this.#afterHistory();
      }),
    );
    this.#phase = 'shown';
    this.#refresh();
  }

  setThreshold(t: number): void {
    this.#threshold = t;
    this.#layer?.setThreshold(t);
  }

  acceptAll(): ProposalAcceptResult | null {
    const layer = this.layer;
    const editor = this.#editor;
    if (!layer || !editor) return null;
    return layer.accept(editor, { label: 'Accept all proposals' });
  }

  acceptInstance(id: number): void {
    const layer = this.layer;
    if (layer && this.#editor) layer.accept(this.#editor, { instances: [id] });
  }

  /** closes the layer and records the rejection (not an undo step: the mask does not change) */
  reject(): void {
    if (this.#phase !== 'shown') return;
    this.#close();
    void this.#setState('rejected');
  }

  dispose(): void {
    this.#disposed = true;
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#editor && this.#editor.proposal === this.#layer) this.#editor.proposal = null;
  }

  #close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#editor && this.#editor.proposal === this.#layer) this.#editor.proposal = null;
    this.#phase = 'closed';
    this.onchange?.();
  }

  #accepted(r: ProposalAcceptResult): void {
    const editor = this.#editor;
    const layer = this.#layer;
    if (!editor || !layer) return;
    this.#touched = true;
    if (!r.entry && r.keptHumanPixels) this.onmessage?.('Those pixels are already labeled; nothing was added.', 'info');
    const next = layer.stateAfterAccept(editor.map);
    this.#refresh();
    if (next !== this.#state) void this.#setState(next);
    if (next === 'accepted') this.onmessage?.('Proposal accepted — every object is now in your mask (undo brings it back).', 'success');
    else if (!this.#remaining && this.#hidden) this.onmessage?.(`Accepted what is shown; ${this.#hidden} less confident object${this.#hidden === 1 ? ' is' : 's are'} hidden by the confidence slider, not accepted.`, 'info');
  }

  /** an accept was undone or redone: the recorded state follows */
  #afterHistory(): void {
    const editor = this.#editor;
    const layer = this.#layer;
    if (!editor || !layer || this.#phase !== 'shown') return;
    this.#refresh();
    // only the person's accepts (here) move the state; other undos leave it alone
    if (!this.#touched) return;
    const anyAccepted = editor.map.instances().some((i) => i.source === 'model');
    const next: ProposalState = layer.remaining(editor.map).length || layer.hiddenRemaining(editor.map).length ? (anyAccepted ? 'partial' : 'proposed') : 'accepted';
    if (next !== this.#state) void this.#setState(next);
  }

  #refresh(): void {
    const layer = this.#layer;
    const editor = this.#editor;
    if (layer && editor) {
      this.#visible = layer.visibleInstances().length;
      this.#remaining = layer.remaining(editor.map).length;
      this.#hidden = layer.hiddenRemaining(editor.map).length;
    }
    this.onchange?.();
  }

  async #loadQuality(versionId: number | null): Promise<void> {
    if (versionId === null) return;
    try {
      const v = (await this.#client.models.list(this.projectId)).find((m) => m.id === versionId);
      if (!this.#disposed && this.#modelVersionId === versionId) this.#quality = v ? qualityOf(v) : null;
    } catch {
      /* the quality line is a hint: without it the proposal still works */
    }
  }

  async #setState(s: ProposalState): Promise<void> {
    const prev = this.#state;
    this.#state = s;
    try {
      await this.#client.predictions.setState(this.projectId, this.#predictionId, s);
    } catch (err) {
      if (this.#disposed) return;
      this.#state = prev;
      this.onmessage?.(`Could not record the proposal as ${s}: ${AppError.from(err).message}`, 'error');
    }
  }
}
