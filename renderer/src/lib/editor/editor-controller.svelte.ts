/**
 * The editor's controller: the state of the image open (its MaskSession, EditorModel and
 * ProposalSession), what the screen derives from it, and the actions the keys and the panels
 * call (tools, proposal accept/reject, status, "Done & next", navigation, close). The screen
 * (screens/EditorScreen.svelte) keeps the layout, makes the canvas and wires the DOM events
 * here; its effects call the follow* methods, which read the state they depend on.
 *
 * Per image: a MaskSession loads and autosaves the mask, an EditorModel wraps the core Editor,
 * and the EditorCanvas draws and feeds pointer events. Leaving an image does not wait for its
 * saves: its session finishes them in the background (`draining`, `hasPendingSaves`).
 */
import { untrack } from 'svelte';
import type { MaskwrightClient } from '../../../../core/api/client';
import type { ImageRow, ImageStatus, LabelClass } from '../../../../core/api/types';
import { AppError } from '../../../../core/api/errors';
import type { ToolName } from '../../../../core/editor/tools/tool';
import type { Editor } from '../../../../core/editor/editor';
import { toolSpec } from '../../../../core/editor/tool-registry';
import type { EditorCanvas, CanvasHover } from '../canvas/editor-canvas';
import { loadDisplayImage, readImagePixels } from '../canvas/image-source';
import { packColor } from '../canvas/rasterize';
import { ProposalRender } from '../canvas/proposal-render';
import { Toasts } from '../state/toasts.svelte';
import { ClassList } from '../state/class-list.svelte';
import type { ClassPatch } from '../state/class-list.svelte';
import { EditorModel } from '../state/editor-model.svelte';
import { EditorPrefs } from '../state/editor-prefs.svelte';
import { MaskSession } from '../state/mask-session.svelte';
import { Prefs } from '../state/prefs.svelte';
import type { QueueOrder } from '../state/prefs.svelte';
import { ProposalSession } from '../state/proposal-session.svelte';
import { RefineSession } from '../state/refine-session.svelte';
import { LiveAssist } from '../state/live-assist.svelte';
import { STATUS_LABELS } from '../format';
import { editorKey, type EditorKeyActions, type KeyInput, type KeyOutcome } from './editor-keymap';
import { editorBannerOf, saveLineOf, zoomLabel } from './editor-status';

export const QUEUE_LABELS: Record<QueueOrder, string> = { uncertainty: 'Least certain', sequential: 'In order', random: 'Random' };

/** what the screen's props give the controller (getters: always the current values) */
export interface EditorHost {
  /** the image (null while its row is being fetched) */
  readonly row: ImageRow | null;
  /** position in the current (filtered) list, 0-based */
  readonly index: number;
  readonly total: number;
  imageUrl(imageId: number): string;
  /** rows next to the current one */
  neighbour?(index: number): ImageRow | undefined;
  close(): void;
  navigate(index: number): void;
  status?(imageId: number, status: ImageStatus): void;
  /** opens an image by id; without it the controller finds it among the loaded rows */
  openImage?(imageId: number): void;
}

const ORPHAN_COLOR = packColor('#9aa0a6');

export class EditorController implements EditorKeyActions {
  readonly client: MaskwrightClient;
  readonly projectId: string;
  readonly host: EditorHost;
  /** the editor is a modal <dialog> (top layer): the app's toasts would sit behind it, so it shows its own */
  readonly toasts = new Toasts();
  readonly prefs = new EditorPrefs();
  readonly appPrefs = new Prefs();
  readonly refine: RefineSession;
  readonly live: LiveAssist;
  readonly classes: ClassList;
  /** sessions of images left behind that still have saves in flight (bookkeeping, not shown) */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly draining = new Set<MaskSession>();

  proposal = $state.raw<ProposalSession | null>(null);
  heatmap = $state(false);
  /** how the image now open was chosen by "Done & next" (null: opened otherwise) */
  queuedBy = $state<{ imageId: number; order: QueueOrder } | null>(null);
  lastActiveClassId = $state(0);
  canvas = $state.raw<EditorCanvas | null>(null);
  session = $state.raw<MaskSession | null>(null);
  model = $state.raw<EditorModel | null>(null);
  image = $state.raw<HTMLImageElement | null>(null);
  imageError = $state<string | null>(null);
  statusOverride = $state<{ id: number; status: ImageStatus } | null>(null);
  hover = $state.raw<CanvasHover | null>(null);
  zoom = $state(1);
  helpOpen = $state(false);
  historyNoticeHidden = $state(false);
  statusBusy = $state(false);

  #proposalRender: ProposalRender | null = null;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
  #classColor = new Map<number, number>();
  #wandWarned = false;

  constructor(client: MaskwrightClient, projectId: string, initialClasses: LabelClass[], host: EditorHost) {
    this.client = client;
    this.projectId = projectId;
    this.host = host;
    this.refine = new RefineSession(client, projectId);
    this.refine.onmessage = (text, tone) => this.toasts.show(text, tone, tone === 'error' ? 6000 : 4000);
    this.live = new LiveAssist(client, projectId);
    this.live.onmessage = (text, tone) => this.toasts.show(text, tone, tone === 'error' ? 6000 : 4000);
    // a new live proposal replaces the one shown (the person asked for it by painting)
    this.live.onproposal = (imageId) => (this.host.row?.id === imageId && this.model ? this.#newProposal(imageId, this.model.editor).load() : Promise.resolve());
    this.classes = new ClassList(client, projectId, initialClasses);
    this.lastActiveClassId = initialClasses[0]?.id ?? 0;
    this.#rebuildClassColors(initialClasses);
  }

  // ---------- derived ----------
  readonly imageKey = $derived.by(() => this.host.row?.id ?? null);
  readonly status = $derived.by<ImageStatus | null>(() => {
    const row = this.host.row;
    return row ? (this.statusOverride?.id === row.id ? this.statusOverride.status : row.status) : null;
  });
  readonly hasClasses = $derived.by(() => this.classes.items.length > 0);
  /** the mask can be changed: loaded, saving works, and there is a class to paint with */
  readonly editable = $derived(!!this.model && !!this.session?.editable && this.hasClasses);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
  readonly classById = $derived.by(() => new Map(this.classes.items.map((c) => [c.id, c])));
  readonly activeClass = $derived(this.model ? this.classById.get(this.model.activeClassId) : undefined);
  readonly counts = $derived.by(() => {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built and read inside this derived only
    const m = new Map<number, number>();
    for (const i of this.model?.instances ?? []) m.set(i.classId, (m.get(i.classId) ?? 0) + 1);
    return m;
  });
  readonly saveLine = $derived(saveLineOf(this.session));
  readonly hoverText = $derived.by(() => {
    const h = this.hover;
    if (!h || !h.inside) return '';
    return `${h.x}, ${h.y}`;
  });
  readonly hoverWhat = $derived.by(() => {
    const h = this.hover;
    const model = this.model;
    if (!h || !h.inside || !model) return '';
    if (h.id === 0) return 'background';
    const inst = model.editor.map.getInstance(h.id);
    const cls = inst ? this.classById.get(inst.classId) : undefined;
    return `#${h.id} · ${cls?.name ?? 'no class'}`;
  });
  readonly zoomText = $derived(zoomLabel(this.zoom));
  readonly toolHint = $derived.by(() => {
    const m = this.model;
    const session = this.session;
    if (m && session?.editable && !this.hasClasses) return 'Add a class (on the right) to start labelling';
    if (session?.phase === 'failed' || (m && !this.editable)) return 'Read-only · drag to pan, wheel to zoom';
    if (!m) return '';
    const p = m.statePath;
    if (p.startsWith('pan.') && m.tool !== 'pan') return 'Drag to pan';
    return toolSpec(m.tool).hint({ mode: m.mode, statePath: p, selected: !!m.selected, hasProposal: !!this.proposal?.layer, tolerance: m.tolerance });
  });
  readonly banner = $derived(editorBannerOf(this.session, { imageError: this.imageError, historyNoticeHidden: this.historyNoticeHidden }));
  /** the "Done & next" queue the open image came from, for the status line */
  readonly queuedLabel = $derived.by(() => {
    const q = this.queuedBy;
    const row = this.host.row;
    return q && row && q.imageId === row.id ? { order: q.order, label: QUEUE_LABELS[q.order] } : null;
  });

  // ---------- EditorKeyActions state ----------
  get hasModel(): boolean {
    return !!this.model;
  }
  get canEdit(): boolean {
    return !!this.model && this.editable && !this.model.editor.busy;
  }
  get hasProposal(): boolean {
    return !!this.proposal?.layer;
  }
  get hasConfidence(): boolean {
    return !!this.proposal?.layer?.confidence;
  }
  /** some session (the open one or one left behind) still has saves to send */
  get hasPendingSaves(): boolean {
    return [...this.draining, ...(this.session ? [this.session] : [])].some((s) => s.pending > 0);
  }

  // ---------- lifecycle (the screen's onMount) ----------
  /** connects the class list, the click model check and the live classifier; returns the teardown */
  connect(): () => void {
    const stop = this.classes.connect();
    // whether click-to-refine can be offered (before its first use)
    void this.refine.checkModel();
    void this.live.connect();
    return () => {
      stop();
      this.model?.dispose();
      this.proposal?.dispose();
      this.refine.detach();
      this.live.dispose();
      this.#retire(this.session);
    };
  }

  // ---------- effects (the screen runs each in an $effect) ----------
  /** a new image (or a new canvas): open it */
  followImage(): void {
    const id = this.imageKey;
    const c = this.canvas;
    if (id === null || !c) return;
    untrack(() => this.openImage(this.host.row!, c));
  }

  /** the model's settings carry over to the next image */
  followModelSettings(): void {
    const m = this.model;
    if (!m) return;
    const tool = m.tool;
    const r = m.brushRadiusPx;
    const mode = m.mode;
    const active = m.activeClassId;
    untrack(() => {
      const prefs = this.prefs;
      // a temporary pan (Space, middle button) is not a choice of tool
      if (!(tool === 'pan' && prefs.tool !== 'pan' && m.statePath.startsWith('pan.'))) prefs.tool = tool;
      prefs.brushRadiusPx = r;
      prefs.mode = mode;
      if (active) this.lastActiveClassId = active;
    });
  }

  /** classes changed (here or elsewhere): the editor's locks and the colours follow */
  followClasses(): void {
    const list = this.classes.items;
    untrack(() => {
      this.#rebuildClassColors(list);
      this.model?.editor.setClasses(list.map((k) => ({ id: k.id, hidden: k.hidden, locked: k.locked })));
      this.canvas?.refreshColors(true);
      if (this.#proposalRender) {
        this.#proposalRender.setColors(this.#proposalColor);
        this.canvas?.refreshProposal();
      }
    });
  }

  /** the magic wand needs the image's pixels: read them the first time it is picked */
  followWand(): void {
    const m = this.model;
    const img = this.image;
    if (!m || !img || m.tool !== 'wand' || m.editor.image) return;
    const r = untrack(() => this.host.row);
    if (!r) return;
    const px = readImagePixels(img, r.width, r.height);
    if (px) m.editor.image = px;
    else if (!this.#wandWarned) {
      this.#wandWarned = true;
      this.toasts.show('The magic wand needs the image at full resolution; this image is shown as a downscaled preview.', 'error');
    }
  }

  // ---------- per image ----------
  #rebuildClassColors(list: LabelClass[]): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
    this.#classColor = new Map(list.map((c) => [c.id, c.hidden ? 0 : packColor(c.color)]));
  }

  #proposalColor = (classId: number): number => this.#classColor.get(classId) ?? ORPHAN_COLOR;

  /** the proposal's layer appeared, changed or went away: the canvas follows */
  #proposalChanged(ps: ProposalSession): void {
    if (this.proposal !== ps) return;
    const layer = ps.layer;
    const map = this.session?.map;
    const canvas = this.canvas;
    if (layer && map && this.#proposalRender?.layer !== layer) {
      this.#proposalRender = new ProposalRender(layer, map, this.#proposalColor);
      canvas?.setProposal(this.#proposalRender);
    } else if (layer && this.#proposalRender) {
      this.#proposalRender.rebuild();
      canvas?.refreshProposal();
    } else if (!layer && this.#proposalRender) {
      this.#proposalRender = null;
      canvas?.setProposal(null);
    }
  }

  #colorResolver(s: MaskSession): (id: number) => number {
    return (id) => {
      const inst = s.map?.getInstance(id);
      if (!inst) return ORPHAN_COLOR;
      return this.#classColor.get(inst.classId) ?? ORPHAN_COLOR;
    };
  }

  #retire(s: MaskSession | null): void {
    if (!s) return;
    if (s.pending > 0 || s.saveState === 'saving' || s.saveState === 'retrying') {
      this.draining.add(s);
      void s.whenIdle().then(() => this.draining.delete(s));
    }
  }

  /** a fresh proposal session for the image (the old one's layer leaves the canvas) */
  #newProposal(imageId: number, editor: Editor | null): ProposalSession {
    this.proposal?.dispose();
    this.#proposalRender = null;
    this.canvas?.setProposal(null);
    const ps = new ProposalSession(this.client, this.projectId, imageId);
    this.proposal = ps;
    ps.onchange = () => this.#proposalChanged(ps);
    ps.onmessage = (text, tone) => this.toasts.show(text, tone, 4000);
    if (editor) ps.attach(editor);
    return ps;
  }

  openImage(r: ImageRow, c: EditorCanvas): void {
    const { client, projectId, refine, live, prefs, toasts } = this;
    this.model?.dispose();
    this.model = null;
    this.#retire(this.session);
    refine.detach();
    live.detach();
    const ps = this.#newProposal(r.id, null);
    void ps.load();
    if (this.queuedBy && this.queuedBy.imageId !== r.id) this.queuedBy = null;
    const s = new MaskSession(client, projectId, r.id, r.width, r.height);
    this.session = s;
    this.image = null;
    this.imageError = null;
    this.historyNoticeHidden = false;
    performance.clearMarks('mw:editor-first-paint');
    performance.mark('mw:editor-open');
    c.setEditor(null);
    c.setMask(null, this.#colorResolver(s));
    c.setImage(null);
    c.resetView(r.width, r.height);

    loadDisplayImage(this.host.imageUrl(r.id)).then(
      (img) => {
        if (this.session !== s) return;
        this.image = img;
        c.setImage(img);
      },
      (err: unknown) => {
        if (this.session === s) this.imageError = err instanceof Error ? err.message : String(err);
      },
    );
    s.onfirstsave = () => {
      const o = this.statusOverride;
      if (r.status === 'unlabeled' && (o?.id !== r.id || o.status === 'unlabeled')) {
        this.statusOverride = { id: r.id, status: 'in_progress' };
        this.host.status?.(r.id, 'in_progress');
      }
    };
    void s.load().then(() => {
      if (this.session !== s || s.phase !== 'ready' || !s.map) return;
      const list = this.classes.items;
      const last = this.lastActiveClassId;
      const active = list.some((k) => k.id === last) ? last : (list[0]?.id ?? 0);
      const m = new EditorModel(s, {
        classes: list.map((k) => ({ id: k.id, hidden: k.hidden, locked: k.locked })),
        activeClassId: active || undefined,
        mode: prefs.mode,
        brushRadiusPx: prefs.brushRadiusPx,
        // the accept brush needs a proposal; refining works with or without a click model (issue 12)
        tool: prefs.tool === 'accept' || (prefs.tool === 'refine' && refine.model !== 'ready' && refine.model !== 'missing') ? 'brush' : prefs.tool,
      });
      m.editor.onMessage((text, kind) => toasts.show(text, kind === 'warning' ? 'error' : 'info', 4000));
      this.model = m;
      c.setMask(s.map, this.#colorResolver(s));
      if (this.proposal === ps) ps.attach(m.editor);
      refine.attach(m.editor, r.id);
      live.attach(m.editor, r.id);
    });
    this.#prefetchNeighbours();
  }

  #prefetchNeighbours(): void {
    const { index } = this.host;
    for (const i of [index + 1, index - 1]) {
      const n = this.host.neighbour?.(i);
      if (n) {
        const img = new Image();
        img.decoding = 'async';
        img.src = this.host.imageUrl(n.id);
      }
    }
  }

  reloadMask(): void {
    const r = this.host.row;
    const c = this.canvas;
    if (r && c) this.openImage(r, c);
  }

  // ---------- actions ----------
  pickTool(t: ToolName): void {
    if (!this.model) return;
    this.model.editor.setTool(t);
    this.canvas?.refreshOverlay();
  }

  /** click-to-refine, only with a click model (never a made-up result) */
  async pickRefine(): Promise<void> {
    if (!this.model) return;
    const refine = this.refine;
    const state = refine.model === 'ready' ? 'ready' : await refine.checkModel(refine.model === 'missing');
    if (state === 'ready' || state === 'missing') this.pickTool('refine'); // no click model: zero-training clicks (issue 12)
    else if (state === 'error') this.toasts.show(`The click model is not available: ${refine.modelError ?? 'unknown error'}`, 'error', 6000);
  }

  pickAcceptBrush(): void {
    if (!this.proposal?.layer) {
      this.noProposal();
      return;
    }
    this.pickTool('accept');
  }

  /** a tool the screen picks (see ToolSpec.pickedBy) */
  pickScreenTool(t: ToolName): void {
    if (t === 'refine') void this.pickRefine();
    else if (t === 'accept') this.pickAcceptBrush();
    else this.pickTool(t);
  }

  acceptAll(): void {
    const proposal = this.proposal;
    if (!this.editable || !proposal?.layer) return;
    const r = proposal.acceptAll();
    this.model?.syncNow();
    if (r && !r.entry) this.toasts.show(r.keptHumanPixels ? 'Everything the proposal covers is already labeled; nothing was added.' : 'Nothing to accept at this confidence.', 'info', 4000);
  }

  noProposal(): void {
    this.toasts.show('There is no model proposal on this image.', 'info', 3000);
  }

  rejectProposal(): void {
    const proposal = this.proposal;
    if (!proposal?.layer) return;
    if (this.model?.tool === 'accept') this.pickTool('brush');
    proposal.reject();
    this.heatmap = false;
    this.toasts.show('Proposal rejected.', 'info', 3000);
  }

  setBrush(r: number): void {
    this.model?.editor.setBrushRadius(r);
    this.canvas?.refreshOverlay();
  }

  activateClass(id: number): void {
    this.lastActiveClassId = id;
    this.model?.editor.setActiveClass(id);
  }

  updateClass(id: number, patch: ClassPatch): void {
    void this.classes.update(id, patch);
  }

  async createClass(): Promise<LabelClass | null> {
    const items = this.classes.items;
    const n = items.length + 1;
    let name = `Class ${n}`;
    for (let k = n; items.some((c) => c.name === name); k++) name = `Class ${k + 1}`;
    const c = await this.classes.create(name);
    if (c) this.activateClass(c.id);
    return c;
  }

  async setStatus(s: ImageStatus): Promise<boolean> {
    const r = this.host.row;
    if (!r || this.statusBusy) return false;
    this.statusBusy = true;
    try {
      await this.client.images.setStatus(this.projectId, [r.id], s);
      this.statusOverride = { id: r.id, status: s };
      this.host.status?.(r.id, s);
      return true;
    } catch (err) {
      this.toasts.show(`Could not set the status: ${AppError.from(err).message}`, 'error');
      return false;
    } finally {
      this.statusBusy = false;
    }
  }

  /** the next unlabeled image by the chosen order, or null (none left, or the queue failed) */
  async #queuedNext(current: number): Promise<number | null> {
    try {
      const q = await this.client.images.queue(this.projectId, { order: this.appPrefs.queueOrder, limit: 1, excludeIds: [current] });
      return q[0]?.id ?? null;
    } catch {
      return null;
    }
  }

  /** sets the status, then opens the next unlabeled image by the queue order (or the next one) */
  async markAndNextAsync(s: ImageStatus): Promise<void> {
    const host = this.host;
    const r = host.row;
    if (!r || !(await this.setStatus(s))) return;
    const order = this.appPrefs.queueOrder;
    const next = await this.#queuedNext(r.id);
    if (host.row?.id !== r.id) return; // the person moved on meanwhile
    if (next !== null) {
      if (host.openImage) {
        this.queuedBy = { imageId: next, order };
        host.openImage(next);
        return;
      }
      // find it among the rows the grid has loaded
      for (let i = 0; i < host.total && i < 20_000; i++) {
        const n = host.neighbour?.(i);
        if (n?.id === next) {
          this.queuedBy = { imageId: next, order };
          host.navigate(i);
          return;
        }
      }
    }
    if (host.index < host.total - 1) host.navigate(host.index + 1);
    else this.toasts.show(`${STATUS_LABELS[s]} — that was the last image.`, 'success');
  }

  markAndNext(s: ImageStatus): void {
    void this.markAndNextAsync(s);
  }

  go(delta: number): void {
    const i = this.host.index + delta;
    if (i < 0 || i >= this.host.total) return;
    this.host.navigate(i);
  }

  /** Esc (the key or the dialog's): cancels what is in progress first, then closes */
  close(): void {
    if (this.helpOpen) {
      this.helpOpen = false;
      return;
    }
    const m = this.model;
    if (m && (m.editor.busy || m.editor.selected !== null)) {
      m.editor.keyDown({ key: 'Escape' });
      return;
    }
    this.host.close();
  }

  setHelp(open: boolean): void {
    this.helpOpen = open;
  }
  zoomStep(d: 1 | -1): void {
    this.canvas?.zoomStep(d);
  }
  fit(): void {
    this.canvas?.fit();
  }
  actualSize(): void {
    this.canvas?.actualSize();
  }
  /** the status line's zoom button: fit, or back to 100 % */
  toggleZoom(): void {
    if (this.zoom === 1) this.fit();
    else this.actualSize();
  }
  toggleOutline(): void {
    this.prefs.outline = !this.prefs.outline;
  }
  changeOpacity(d: number): void {
    this.prefs.opacity = this.prefs.opacity + d;
  }
  toggleMode(): void {
    const m = this.model;
    m?.editor.setMode(m.mode === 'instance' ? 'semantic' : 'instance');
  }
  toggleLive(): void {
    void this.live.toggle();
  }
  toggleHeatmap(): void {
    this.heatmap = !this.heatmap;
  }
  spaceDown(): void {
    this.model?.editor.spaceDown();
  }
  spaceUp(): void {
    this.model?.editor.spaceUp();
  }

  // ---------- keyboard ----------
  /**
   * A key on the editor (not in a text field): the key map first, then the core editor.
   * 'handled' means the screen prevents the key's default.
   */
  key(e: KeyInput): KeyOutcome {
    this.session?.activity();
    const outcome = editorKey(e, this);
    if (outcome !== 'pass') return outcome;
    const m = this.model;
    if (m && this.editable) {
      const handled = m.editor.keyDown({ key: e.key, shift: e.shift, alt: e.alt, ctrl: e.mod });
      if (handled) {
        m.syncNow();
        this.canvas?.refreshOverlay();
        return 'handled';
      }
    }
    return 'pass';
  }

  activity(): void {
    this.session?.activity();
  }
}
