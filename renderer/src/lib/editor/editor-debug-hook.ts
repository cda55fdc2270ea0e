/**
 * The editor's debug hook, only with ?debug in the address: `window.__maskwright_debug` lets the
 * e2e tests and benches read the editor's state and time it (nothing here changes a mask except
 * timeHistory, which runs one undo or redo as the keys would).
 */
import { crc32 } from '../../../../core/mask/label-map';
import type { EditorCanvas } from '../canvas/editor-canvas';
import type { EditorModel } from '../state/editor-model.svelte';
import type { MaskSession } from '../state/mask-session.svelte';
import type { ProposalSession } from '../state/proposal-session.svelte';
import type { RefineSession } from '../state/refine-session.svelte';

/** what the hook reads (getters: always the editor's current objects) */
export interface EditorDebugContext {
  readonly session: MaskSession | null;
  readonly model: EditorModel | null;
  readonly canvas: EditorCanvas | null;
  readonly proposal: ProposalSession | null;
  readonly refine: RefineSession;
  readonly editable: boolean;
  /** the kind of the banner shown, if any */
  readonly banner: string | null;
  readonly heatmap: boolean;
  /** the image the queue picked for Done & next, and by which order */
  readonly queuedBy: { imageId: number; order: string } | null;
  /** sessions of images left but still saving */
  readonly draining: ReadonlySet<MaskSession>;
}

/** What `state()` returns; the e2e tests and benches read it through this type (test/helpers/editor-debug.ts). */
export type EditorDebugState = ReturnType<typeof debugState>;

function debugState(c: EditorDebugContext) {
  return {
    imageId: c.session?.imageId ?? null,
    phase: c.session?.phase ?? null,
    problem: c.session?.problem?.kind ?? null,
    saveState: c.session?.saveState ?? null,
    pending: c.session?.pending ?? 0,
    version: c.session?.version ?? 0,
    editable: c.editable,
    tool: c.model?.tool ?? null,
    statePath: c.model?.editor.statePath ?? null,
    activeClassId: c.model?.activeClassId ?? null,
    undoDepth: c.model?.editor.history.undoDepth ?? 0,
    redoDepth: c.model?.editor.history.redoDepth ?? 0,
    instances: c.model?.editor.map.instances() ?? [],
    zoom: c.canvas?.scale ?? 0,
    imagePainted: c.canvas?.imagePainted ?? false,
    banner: c.banner,
    proposal: c.proposal
      ? { phase: c.proposal.phase, state: c.proposal.state, visible: c.proposal.visible, remaining: c.proposal.remaining, threshold: c.proposal.threshold, id: c.proposal.predictionId }
      : null,
    refine: { model: c.refine.model, busy: c.refine.busy, clicks: c.refine.clicks, lastMs: c.refine.lastMs, sources: [...c.refine.sources] },
    heatmap: c.heatmap,
    queuedBy: c.queuedBy,
  };
}

/** Installs the hook; returns its removal. */
export function installEditorDebugHook(c: EditorDebugContext): () => void {
  const w = window as unknown as { __maskwright_debug?: unknown };
  w.__maskwright_debug = {
    state: () => debugState(c),
    /** the image point of the proposal instance's first pixel (tests click it) */
    proposalPoint: (id: number) => {
      const layer = c.proposal?.layer;
      if (!layer) return null;
      const i = layer.map.ids.indexOf(id);
      return i < 0 ? null : { x: (i % layer.map.width) + 0.5, y: Math.floor(i / layer.map.width) + 0.5 };
    },
    clientPoint: (x: number, y: number) => c.canvas?.clientPoint(x, y) ?? null,
    maskChecksum: () => (c.session?.map ? crc32(c.session.map.encode()) : null),
    whenSaved: async () => {
      await Promise.all([...c.draining, ...(c.session ? [c.session] : [])].map((s) => s.whenIdle()));
      return c.session?.saveState ?? null;
    },
    saveTimings: () => c.session?.timings.slice() ?? [],
    latency: () => ({ wall: c.canvas?.latencySamples.slice() ?? [], work: c.canvas?.workSamples.slice() ?? [], frames: c.canvas?.frameTimes.slice() ?? [] }),
    resetLatency: () => {
      c.canvas?.latencySamples.splice(0);
      c.canvas?.workSamples.splice(0);
      c.canvas?.frameTimes.splice(0);
    },
    /** runs undo or redo and resolves after the frame that shows it: engine time and render time (ms) */
    timeHistory: (op: 'undo' | 'redo') =>
      new Promise<{ engineMs: number; frameMs: number; totalMs: number } | null>((resolve) => {
        const m = c.model;
        if (!m) return resolve(null);
        const t0 = performance.now();
        if (op === 'undo') m.editor.undo();
        else m.editor.redo();
        const t1 = performance.now();
        // our render callback was requested during undo/redo, so it runs before this one
        requestAnimationFrame(() => {
          const frames = c.canvas?.frameTimes ?? [];
          resolve({ engineMs: t1 - t0, frameMs: frames[frames.length - 1] ?? NaN, totalMs: performance.now() - t0 });
        });
      }),
  };
  return () => {
    delete w.__maskwright_debug;
  };
}
