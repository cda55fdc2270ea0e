/**
 * Accepting model proposals outside the editor (`maskwright prelabel --accept`): the latest
 * proposal of an image becomes its mask only where the image has no labelled pixels yet, as
 * instances with source 'model', status in-progress, and one undo step in the editor (the same
 * history entry the editor's "Accept proposal" records). A human mask is never overwritten.
 */
import { encodeHistoryEntry } from '../editor/history';
import { GestureRecorder } from '../editor/gesture-recorder';
import { acceptProposal } from '../editor/proposal';
import { LabelMap } from '../mask/label-map';
import type { ProjectStore } from '../store/project-store';

export interface AcceptSkip {
  imageId: number;
  reason: 'human-mask' | 'has-mask' | 'no-proposal' | 'unusable';
  message: string;
}

export interface AcceptOutcome {
  /** images whose proposal became their mask */
  accepted: number[];
  skipped: AcceptSkip[];
}

/** Labelled pixels of a stored mask: by people (drawn or imported) and by accepted proposals. */
export function maskPixelSources(blob: Uint8Array): { human: number; model: number } {
  const map = LabelMap.decode(blob);
  const sourceOf = new Map(map.instances().map((i) => [i.id, i.source]));
  let human = 0;
  let model = 0;
  const ids = map.ids;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === 0) continue;
    if (sourceOf.get(id) === 'model') model++;
    else human++;
  }
  return { human, model };
}

/** Whether the image's stored mask has pixels a person drew or imported (a damaged mask counts: never touch it). */
export function hasHumanMask(store: ProjectStore, imageId: number): boolean {
  const a = store.annotations.get(imageId);
  if (!a) return false;
  try {
    return maskPixelSources(a.labelMap).human > 0;
  } catch {
    return true;
  }
}

/** Accepts the latest proposal of each image (see the file comment). */
export function acceptLatestProposals(store: ProjectStore, imageIds: readonly number[]): AcceptOutcome {
  const out: AcceptOutcome = { accepted: [], skipped: [] };
  for (const imageId of imageIds) {
    const row = store.images.get(imageId);
    const p = store.predictions.latest(imageId);
    if (!row || !p) {
      out.skipped.push({ imageId, reason: 'no-proposal', message: 'no proposal to accept' });
      continue;
    }
    const a = store.annotations.get(imageId);
    let target: LabelMap;
    let proposal: LabelMap;
    try {
      target = a ? LabelMap.decode(a.labelMap) : new LabelMap(row.width, row.height);
    } catch (e) {
      out.skipped.push({ imageId, reason: 'human-mask', message: `its stored mask cannot be read (${(e as Error).message}); left as it is` });
      continue;
    }
    const src = a ? maskPixelSources(a.labelMap) : { human: 0, model: 0 };
    if (src.human > 0) {
      out.skipped.push({ imageId, reason: 'human-mask', message: `it has a human mask (${src.human} px); proposals never overwrite it` });
      continue;
    }
    if (src.model > 0) {
      out.skipped.push({ imageId, reason: 'has-mask', message: 'an earlier proposal was already accepted into its mask' });
      continue;
    }
    try {
      proposal = LabelMap.decode(p.labelMap);
    } catch (e) {
      out.skipped.push({ imageId, reason: 'unusable', message: `the proposal cannot be read (${(e as Error).message})` });
      continue;
    }
    if (proposal.width !== target.width || proposal.height !== target.height) {
      out.skipped.push({ imageId, reason: 'unusable', message: `the proposal is ${proposal.width}x${proposal.height} but the image ${target.width}x${target.height}` });
      continue;
    }
    const rec = new GestureRecorder(target);
    acceptProposal(target, proposal, { beforeWrite: rec.beforeWrite, firstId: target.nextFreeId() });
    const entry = rec.commit('Accept proposal');
    store.transaction(() => {
      store.annotations.save(imageId, target.encode(), { expectedVersion: a?.version ?? 0, addEdits: 1, revision: { source: 'model', reason: `accept:prediction ${p.id}` } });
      if (entry) store.annotations.pushUndo(imageId, encodeHistoryEntry(entry));
      store.predictions.setState(p.id, 'accepted');
      if (row.status !== 'in_progress') store.images.setStatus([imageId], 'in_progress');
    });
    out.accepted.push(imageId);
  }
  return out;
}
