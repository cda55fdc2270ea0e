/**
 * Training samples: a model-ready image with per-pixel class indices, loss weights (pixels the
 * person corrected in a model proposal weigh more) and instance ids (for click simulation).
 */
import { AppError } from '../../api/errors';
import { LabelMap } from '../../mask/label-map';
import { decodeImage } from '../../imaging/decode-image';
import { prepareModelImage, type InputNorm, type ModelImage } from '../model-image';
import type { Patch } from '../patch';
import { IGNORE_LABEL } from './augment';

export interface TrainingSample extends Patch {
  id: number | string;
}

export interface SampleOptions {
  /** project class id of each model class index 1..K */
  classIds: readonly number[];
  /** loss weight of pixels where the final mask differs from the model's proposal (default 3) */
  correctedWeight?: number;
}

/** What the worker needs to build one sample from a project (all small or transferable). */
export interface SampleSpec {
  imageId: number;
  path: string;
  /** the person's mask (core/mask label-map blob) */
  labelMap: Uint8Array;
  /** the model proposal the person corrected, if any (label-map blob) */
  proposal?: Uint8Array | null;
  split: 'train' | 'val';
}

/** Class index per pixel from a LabelMap (instances of classes the model does not know: ignore). */
export function labelsFromLabelMap(map: LabelMap, classIds: readonly number[]): Uint8Array {
  const index = new Map<number, number>(classIds.map((id, i) => [id, i + 1]));
  const sem = map.semanticMap({ classIndex: (classId) => index.get(classId) ?? IGNORE_LABEL });
  return sem instanceof Uint8Array ? sem : Uint8Array.from(sem, (v) => Math.min(v, IGNORE_LABEL));
}

/** Builds a sample from a prepared image and the person's (and optionally the model's) masks. */
export function sampleFromLabelMap(id: number | string, image: ModelImage, labelMap: LabelMap, opts: SampleOptions, proposal?: LabelMap | null): TrainingSample {
  if (labelMap.width !== image.width || labelMap.height !== image.height) {
    throw new AppError('invalid-argument', `The mask of image ${id} is ${labelMap.width}x${labelMap.height} but the image is ${image.width}x${image.height}.`);
  }
  const labels = labelsFromLabelMap(labelMap, opts.classIds);
  let weights: Float32Array | null = null;
  if (proposal && proposal.width === image.width && proposal.height === image.height) {
    const before = labelsFromLabelMap(proposal, opts.classIds);
    const cw = opts.correctedWeight ?? 3;
    weights = new Float32Array(labels.length);
    for (let i = 0; i < labels.length; i++) weights[i] = before[i] !== labels[i] ? cw : 1;
  }
  const instances = new Uint32Array(labelMap.ids);
  return { id, width: image.width, height: image.height, channels: image.channels, image: image.data, labels, weights, instances };
}

/** Decodes the image and masks of a SampleSpec (worker side). */
export async function loadSample(spec: SampleSpec, opts: SampleOptions & { imageChannels: number; inputNorm: InputNorm }): Promise<TrainingSample> {
  let decoded;
  try {
    decoded = await decodeImage(spec.path, { keepDepth: true });
  } catch (e) {
    const code = e instanceof AppError ? e.code : 'io';
    throw new AppError(code, `Cannot read image ${spec.imageId} (${spec.path}) for training: ${(e as Error).message}`);
  }
  const image = prepareModelImage(decoded, opts.imageChannels, opts.inputNorm);
  const map = LabelMap.decode(spec.labelMap);
  const proposal = spec.proposal ? LabelMap.decode(spec.proposal) : null;
  return sampleFromLabelMap(spec.imageId, image, map, opts, proposal);
}

/** Pixel counts per class index 0..K (IGNORE not counted) over samples. */
export function classPixelCounts(samples: readonly Patch[], k: number): number[] {
  const counts = new Array<number>(k + 1).fill(0);
  for (const s of samples) for (let i = 0; i < s.labels.length; i++) if (s.labels[i]! <= k) counts[s.labels[i]!]!++;
  return counts;
}
