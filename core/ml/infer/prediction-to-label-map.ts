/**
 * A prediction as a LabelMap proposal: one instance per connected region of one class
 * (connected components), source 'model', score = the mean confidence over its pixels.
 */
import { instancesFromSemantic } from '../../mask/components';
import type { LabelMap } from '../../mask/label-map';
import type { Connectivity } from '../../mask/types';
import type { SegPrediction } from './predict-image';

export interface ToLabelMapOptions {
  /** project class id of each model class index 1..k-1 */
  classIds: readonly number[];
  /** regions smaller than this become background (default 4) */
  minAreaPx?: number;
  connectivity?: Connectivity;
}

export function predictionToLabelMap(pred: Pick<SegPrediction, 'width' | 'height' | 'classMap' | 'confidence'>, opts: ToLabelMapOptions): LabelMap {
  const { width, height, classMap, confidence } = pred;
  const map = instancesFromSemantic(classMap, width, height, {
    connectivity: opts.connectivity ?? 8,
    minAreaPx: opts.minAreaPx ?? 4,
    source: 'model',
    classIdOf: (v) => {
      const id = opts.classIds[v - 1];
      if (id === undefined) throw new RangeError(`model class ${v} has no project class (classIds has ${opts.classIds.length})`);
      return id;
    },
  });
  const sums = new Float64Array(map.instanceCount + 1);
  const counts = new Uint32Array(map.instanceCount + 1);
  const ids = map.ids;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id) {
      sums[id]! += confidence[i]!;
      counts[id]!++;
    }
  }
  for (const inst of map.instances()) {
    const score = counts[inst.id] ? sums[inst.id]! / counts[inst.id]! : 0;
    map.updateInstance(inst.id, { score: Math.min(1, Math.max(0, Math.round(score * 1e4) / 1e4)) });
  }
  return map;
}
