/**
 * A model proposal shown beside the person's mask, never inside it until accepted.
 *
 * The layer keeps the proposal's own LabelMap and per-pixel confidence, the confidence threshold
 * (instances scoring below it and pixels less confident than it are hidden, and are not accepted),
 * and which proposal instances are done with ("consumed": accepted whole, or replaced by a refined
 * object). Accepting runs as one editor gesture (one undo step, autosaved like any other);
 * undoing it brings the consumed instances back, redoing consumes them again.
 *
 * What the layer shows: the visible instances' pixels where the person's mask is still background
 * (the person's pixels are never covered, and accepted pixels are no longer "proposed").
 */
import type { Instance, LabelMap } from '../mask/label-map';
import type { Rect } from '../mask/types';
import type { Editor } from './editor';
import type { HistoryEntry } from './history';
import type { MaskCrop } from './object-crop';
import { cropOfInstance } from './object-crop';
import { acceptProposal } from './proposal';

export type ProposalState = 'proposed' | 'accepted' | 'rejected' | 'partial';

export interface ProposalAccept {
  /** proposal instances to accept (default: every visible one) */
  instances?: readonly number[];
  /** only inside this row-major 0/1 image-size region (the accept brush) */
  region?: Uint8Array;
  label?: string;
}

export interface ProposalAcceptResult {
  entry: HistoryEntry | null;
  /** proposal instances that added pixels */
  accepted: number;
  /** proposal pixels left alone because the person had labeled them */
  keptHumanPixels: number;
}

export class ProposalLayer {
  readonly map: LabelMap;
  readonly confidence: Uint8Array | null;
  #threshold = 0;
  #consumed = new Set<number>();
  /** proposal id -> the person's instance that accepting it created (parts join it) */
  #into = new Map<number, number>();
  /** per accepting history entry: the proposal instances it consumed */
  #byEntry = new Map<HistoryEntry, number[]>();
  #listeners = new Set<() => void>();
  #acceptListeners = new Set<(r: ProposalAcceptResult) => void>();

  constructor(map: LabelMap, confidence: Uint8Array | null = null) {
    if (confidence && confidence.length !== map.width * map.height) {
      throw new RangeError(`confidence has ${confidence.length} values for a ${map.width}x${map.height} proposal`);
    }
    this.map = map;
    this.confidence = confidence;
  }

  /** 0..1 */
  get threshold(): number {
    return this.#threshold;
  }
  setThreshold(t: number): void {
    const v = Math.min(1, Math.max(0, t));
    if (v === this.#threshold) return;
    this.#threshold = v;
    this.#emit();
  }

  /** the layer changed (threshold, consumed instances): redraw */
  onDidChange(l: () => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  /** the person accepted something (all, one instance, a brushed part) */
  onDidAccept(l: (r: ProposalAcceptResult) => void): () => void {
    this.#acceptListeners.add(l);
    return () => this.#acceptListeners.delete(l);
  }

  get consumed(): ReadonlySet<number> {
    return this.#consumed;
  }

  /** shown and acceptable: not consumed, and scoring at least the threshold */
  isVisible(id: number): boolean {
    if (!id || this.#consumed.has(id)) return false;
    const inst = this.map.getInstance(id);
    return !!inst && (inst.score ?? 1) >= this.#threshold;
  }

  visibleInstances(): Instance[] {
    return this.map.instances().filter((i) => this.isVisible(i.id));
  }

  /** the confidence cut as 0..255 (pixels below it are hidden) */
  get minConfidence(): number {
    return Math.ceil(this.#threshold * 255 - 1e-9);
  }

  /** whether pixel i (row-major) is a shown proposal pixel (ignoring the person's mask) */
  pixelVisible(i: number): boolean {
    const id = this.map.ids[i]!;
    if (!id || !this.isVisible(id)) return false;
    return !this.confidence || this.confidence[i]! >= this.minConfidence;
  }

  /** the visible proposal instance at an image pixel (0: none) */
  instanceAt(x: number, y: number): number {
    const { width, height } = this.map;
    if (x < 0 || y < 0 || x >= width || y >= height) return 0;
    const i = y * width + x;
    return this.pixelVisible(i) ? this.map.ids[i]! : 0;
  }

  /** a visible instance's shown pixels as a crop (the refiner's previous mask) */
  cropOf(id: number): MaskCrop | null {
    if (!this.isVisible(id)) return null;
    const min = this.minConfidence;
    const conf = this.confidence;
    return cropOfInstance(this.map, id, conf && min > 0 ? (i) => conf[i]! >= min : undefined);
  }

  /**
   * Visible instances that still have a shown pixel on the person's background, i.e. what is
   * left to decide.
   */
  remaining(target: LabelMap): number[] {
    const ids = this.map.ids;
    const dst = target.ids;
    const left = new Set<number>();
    const visible = new Set(this.visibleInstances().map((i) => i.id));
    if (!visible.size) return [];
    const min = this.minConfidence;
    const conf = this.confidence;
    for (let i = 0; i < ids.length; i++) {
      const p = ids[i]!;
      if (p && dst[i] === 0 && visible.has(p) && !left.has(p) && (!conf || conf[i]! >= min)) left.add(p);
    }
    return [...left].sort((a, b) => a - b);
  }

  /**
   * Accepts proposal pixels into the editor's mask as one gesture: visible instances only,
   * confident pixels only, onto background only. Instances accepted whole are consumed.
   */
  accept(editor: Editor, opts: ProposalAccept = {}): ProposalAcceptResult {
    const target = editor.map;
    const wanted = (opts.instances ?? this.visibleInstances().map((i) => i.id)).filter((id) => this.isVisible(id));
    const out: ProposalAcceptResult = { entry: null, accepted: 0, keptHumanPixels: 0 };
    if (!wanted.length) return out;
    const region = this.#region(opts.region);
    this.#joinInside(target, wanted);
    let res: ReturnType<typeof acceptProposal> | null = null;
    const entry = editor.runGesture(opts.label ?? (opts.region ? 'Accept proposal (brushed)' : 'Accept proposal'), (rec, firstId) => {
      res = acceptProposal(target, this.map, { instances: wanted, region, beforeWrite: rec.beforeWrite, into: this.#into, firstId });
      return res.rect;
    });
    const r = res as ReturnType<typeof acceptProposal> | null;
    if (r) {
      for (const [p, t] of r.accepted) this.#into.set(p, t);
      out.accepted = r.accepted.size;
      out.keptHumanPixels = r.keptHumanPixels;
    }
    out.entry = entry;
    // a whole instance the person accepted (or one entirely under their pixels) is done with
    if (!opts.region) this.consume(wanted, entry);
    for (const l of this.#acceptListeners) l(out);
    return out;
  }

  /**
   * A stroke of the person's that lies inside a proposal object (at least 90 % of its pixels, same
   * class: typically what they painted for Live) is that object: accepting the object grows the
   * person's instance instead of adding a second instance around it. The person's pixels keep
   * their id; only background pixels are written, as always.
   */
  #joinInside(target: LabelMap, wanted: readonly number[]): void {
    const open = new Set(wanted.filter((p) => !this.#into.has(p)));
    if (!open.size) return;
    const src = this.map.ids;
    const dst = target.ids;
    const total = new Map<number, number>();
    const overlap = new Map<number, Map<number, number>>();
    for (let i = 0; i < dst.length; i++) {
      const h = dst[i]!;
      if (!h) continue;
      total.set(h, (total.get(h) ?? 0) + 1);
      const p = src[i]!;
      if (!p || !open.has(p)) continue;
      let o = overlap.get(h);
      if (!o) overlap.set(h, (o = new Map()));
      o.set(p, (o.get(p) ?? 0) + 1);
    }
    const best = new Map<number, { h: number; n: number }>();
    for (const [h, o] of overlap) {
      const inst = target.getInstance(h);
      if (!inst || inst.source !== 'human') continue;
      for (const [p, n] of o) {
        if (n < 0.9 * total.get(h)! || this.map.getInstance(p)?.classId !== inst.classId) continue;
        if ((best.get(p)?.n ?? 0) < n) best.set(p, { h, n });
      }
    }
    const claimed = new Set(this.#into.values());
    for (const [p, { h }] of best) {
      if (claimed.has(h)) continue;
      claimed.add(h);
      this.#into.set(p, h);
    }
  }

  /** marks proposal instances as done (accepted or replaced); tied to a history entry for undo */
  consume(ids: readonly number[], entry: HistoryEntry | null): void {
    const fresh = ids.filter((id) => !this.#consumed.has(id));
    if (!fresh.length) return;
    for (const id of fresh) this.#consumed.add(id);
    if (entry) this.#byEntry.set(entry, fresh);
    this.#emit();
  }

  /** the editor undid or redid an entry: the instances it consumed come back or go again */
  onHistory(kind: 'undo' | 'redo', entry: HistoryEntry | undefined): boolean {
    const ids = entry ? this.#byEntry.get(entry) : undefined;
    if (!ids) return false;
    for (const id of ids) {
      if (kind === 'undo') this.#consumed.delete(id);
      else this.#consumed.add(id);
    }
    this.#emit();
    return true;
  }

  /**
   * When reopening a partly accepted proposal: instances mostly covered by the person's mask
   * (at least `fraction` of their pixels) count as done.
   */
  consumeCovered(target: LabelMap, fraction = 0.5): void {
    const total = new Map<number, number>();
    const covered = new Map<number, number>();
    const ids = this.map.ids;
    for (let i = 0; i < ids.length; i++) {
      const p = ids[i]!;
      if (!p) continue;
      total.set(p, (total.get(p) ?? 0) + 1);
      if (target.ids[i] !== 0) covered.set(p, (covered.get(p) ?? 0) + 1);
    }
    const done = [...total].filter(([p, n]) => (covered.get(p) ?? 0) >= n * fraction).map(([p]) => p);
    this.consume(done, null);
  }

  /**
   * Instances not yet accepted that the confidence threshold hides (scoring below it), with a
   * pixel on the person's background: undecided, not accepted.
   */
  hiddenRemaining(target: LabelMap): number[] {
    const hidden = new Set(this.map.instances().filter((i) => !this.#consumed.has(i.id) && !this.isVisible(i.id)).map((i) => i.id));
    if (!hidden.size) return [];
    const left = new Set<number>();
    const ids = this.map.ids;
    const dst = target.ids;
    for (let i = 0; i < ids.length; i++) {
      const p = ids[i]!;
      if (p && dst[i] === 0 && hidden.has(p)) left.add(p);
    }
    return [...left].sort((a, b) => a - b);
  }

  /**
   * the state to record after the person acted: nothing left to decide -> accepted. Instances the
   * threshold hides are still undecided: with some of them left the proposal is only 'partial'.
   */
  stateAfterAccept(target: LabelMap): ProposalState {
    return this.remaining(target).length || this.hiddenRemaining(target).length ? 'partial' : 'accepted';
  }

  /** bounds of every proposal pixel (for redraws), or null */
  bounds(): Rect | null {
    const { width, height, ids } = this.map;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        if (!ids[row + x]) continue;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
    return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  }

  /** the confidence cut and a brushed region combined into one 0/1 region (undefined: no limit) */
  #region(brushed: Uint8Array | undefined): Uint8Array | undefined {
    const conf = this.confidence;
    const min = this.minConfidence;
    if (!conf || min <= 0) return brushed;
    const out = new Uint8Array(conf.length);
    for (let i = 0; i < conf.length; i++) out[i] = conf[i]! >= min && (!brushed || brushed[i]) ? 1 : 0;
    return out;
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }
}
