/**
 * The live model as bytes (the `weights` of a model version of arch 'live-forest'):
 *   "MWLF" | u32 version (1) | u32 header length | header JSON (utf-8) | padding to 4 | per tree:
 *   feature Int32[nodes], left Int32[nodes], right Int32[nodes], threshold Float32[nodes],
 *   value Float32[nodes * classes] (little-endian, as typed arrays lay out on every supported host).
 * The header holds everything but the arrays: feature options and names, classes, trainedOn,
 * node counts. Pure TS (no node:*).
 */
import type { LiveModel } from './live-classifier';
import { ForestInputError, type ForestTree } from './random-forest';

export const LIVE_MODEL_ARCH = 'live-forest';
const MAGIC = 0x464c574d; // "MWLF" little-endian

interface Header {
  features: LiveModel['features'];
  featureNames: string[];
  classes: number;
  featureCount: number;
  trainedOn: LiveModel['trainedOn'];
  nodes: number[];
}

export function encodeLiveModel(model: LiveModel): Uint8Array {
  const K = model.classes;
  const header: Header = { features: model.features, featureNames: model.featureNames, classes: K, featureCount: model.forest.features, trainedOn: model.trainedOn, nodes: model.forest.trees.map((t) => t.feature.length) };
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const hpad = (4 - ((12 + hb.length) % 4)) % 4;
  const body = header.nodes.reduce((a, n) => a + n * (16 + 4 * K), 0);
  const out = new Uint8Array(12 + hb.length + hpad + body);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, 1, true);
  dv.setUint32(8, hb.length, true);
  out.set(hb, 12);
  let o = 12 + hb.length + hpad;
  const put = (a: Int32Array | Float32Array) => {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  };
  for (const t of model.forest.trees) {
    put(t.feature);
    put(t.left);
    put(t.right);
    put(t.threshold);
    put(t.value);
  }
  return out;
}

export function decodeLiveModel(bytes: Uint8Array): LiveModel {
  if (bytes.length < 12) throw new ForestInputError('not a live model file (too short)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new ForestInputError('not a live model file (bad magic)');
  if (dv.getUint32(4, true) !== 1) throw new ForestInputError(`live model file version ${dv.getUint32(4, true)} is not supported`);
  const hl = dv.getUint32(8, true);
  if (12 + hl > bytes.length) throw new ForestInputError('live model file is truncated (header)');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hl))) as Header;
  } catch {
    throw new ForestInputError('live model file has a corrupt header');
  }
  const K = header.classes;
  let o = 12 + hl + ((4 - ((12 + hl) % 4)) % 4);
  const copy = bytes.slice(o); // aligned copy
  o = 0;
  const take = <T extends Int32Array | Float32Array>(C: new (b: ArrayBuffer, off: number, len: number) => T, len: number): T => {
    if (o + len * 4 > copy.byteLength) throw new ForestInputError('live model file is truncated (trees)');
    const a = new C(copy.buffer, o, len);
    o += len * 4;
    return a;
  };
  const trees: ForestTree[] = header.nodes.map((n) => ({ feature: take(Int32Array, n), left: take(Int32Array, n), right: take(Int32Array, n), threshold: take(Float32Array, n), value: take(Float32Array, n * K) }));
  return { kind: 'live-forest', features: header.features, featureNames: header.featureNames, classes: K, forest: { classes: K, features: header.featureCount, trees }, trainedOn: header.trainedOn };
}
