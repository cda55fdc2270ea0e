/**
 * Model proposals live in their own LabelMap and never silently overwrite the person's
 * pixels. Accepting (all, one instance, or inside a brushed region) copies proposal pixels
 * only onto background, as new instances with source 'model' and their score; run it inside
 * an editor gesture so that accepting is one undo step (a proposal arriving is not).
 */
import type { LabelMap } from '../mask/label-map';
import type { Rect } from '../mask/types';

export interface AcceptOptions {
  /** proposal instance ids to accept (default: all) */
  instances?: readonly number[];
  /** only pixels where this row-major 0/1 mask (image size) is set, e.g. a brushed region */
  region?: Uint8Array;
  /** proposals with a lower score are ignored (the confidence slider) */
  minScore?: number;
  /** called with each rect before pixels in it change (undo recorder) */
  beforeWrite?: (rect: Rect) => void;
  /** ids of target instances that must not grow either (locked classes) — background only is the rule anyway */
  classOf?: (proposalClassId: number) => number;
  /**
   * proposal id -> target instance that earlier accepts of the same proposal instance created
   * (e.g. a brushed part): its pixels join that instance instead of a new one, while it exists
   */
  into?: ReadonlyMap<number, number>;
  /** lowest id for new instances (an editor's ids only grow, even past deleted ones) */
  firstId?: number;
}

export interface AcceptResult {
  /** proposal id -> new target id */
  accepted: Map<number, number>;
  /** proposal pixels not copied because the person had already labeled them */
  keptHumanPixels: number;
  rect: Rect | null;
}

export function acceptProposal(target: LabelMap, proposal: LabelMap, opts: AcceptOptions = {}): AcceptResult {
  if (target.width !== proposal.width || target.height !== proposal.height) {
    throw new RangeError(`proposal is ${proposal.width}x${proposal.height}, the mask ${target.width}x${target.height}`);
  }
  const wanted = new Set(opts.instances ?? proposal.instances().map((i) => i.id));
  const minScore = opts.minScore ?? 0;
  for (const id of [...wanted]) {
    const inst = proposal.getInstance(id);
    if (!inst || (inst.score ?? 1) < minScore) wanted.delete(id);
  }
  const result: AcceptResult = { accepted: new Map(), keptHumanPixels: 0, rect: null };
  if (!wanted.size) return result;
  // bounds of the wanted proposal pixels, so the undo recorder copies only those tiles
  const { width, height } = proposal;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  const src = proposal.ids;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const p = src[row + x]!;
      if (p && wanted.has(p) && (!opts.region || opts.region[row + x])) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (x1 < 0) return result;
  const rect = { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  opts.beforeWrite?.(rect);
  let nextId = Math.max(target.nextFreeId(), opts.firstId ?? 0);
  const dst = target.ids;
  for (let y = y0; y <= y1; y++) {
    const row = y * width;
    for (let x = x0; x <= x1; x++) {
      const i = row + x;
      const p = src[i]!;
      if (!p || !wanted.has(p) || (opts.region && !opts.region[i])) continue;
      if (dst[i] !== 0) {
        result.keptHumanPixels++;
        continue;
      }
      let id = result.accepted.get(p);
      if (id === undefined) {
        const prev = opts.into?.get(p);
        if (prev !== undefined && target.hasInstance(prev)) {
          result.accepted.set(p, prev);
          dst[i] = prev;
          continue;
        }
        const inst = proposal.getInstance(p)!;
        id = target.addInstance({ id: nextId++, classId: opts.classOf ? opts.classOf(inst.classId) : inst.classId, source: 'model', score: inst.score }).id;
        result.accepted.set(p, id);
      }
      dst[i] = id;
    }
  }
  result.rect = rect;
  return result;
}
