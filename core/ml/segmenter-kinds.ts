/**
 * One entry per model kind: what it is for and how a stored version of it is loaded. Adding a
 * kind is its folder (model, training, prediction) plus one entry here.
 */
import { AppError } from '../api/errors';
import type { ModelKind } from '../api/types';
import { ClickRefiner } from './infer/click-refiner';
import { LiveSegmenter } from './live/live-segmenter';
import { modelConfigOf, type StoredModel } from './models/model-config';
import { UNetSegmenter } from './models/unet-segmenter';
import { deserializeModel } from './models/serialize-model';
import type { ClickSegmenter, Segmenter } from './segmenter';

export interface SegmenterKind {
  kind: ModelKind;
  /** 'prelabel': proposes whole-image masks (a version can be the active one); 'clicks': one object from clicks */
  role: 'prelabel' | 'clicks';
  /** what the UI calls it */
  label: string;
  load(version: StoredModel, weights: Uint8Array): Promise<Segmenter | ClickSegmenter>;
}

async function network(version: StoredModel, weights: Uint8Array) {
  const config = modelConfigOf(version);
  try {
    return { config, model: await deserializeModel(weights) };
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('corrupt-data', `The weights of model version ${version.id} cannot be loaded: ${(e as Error).message}`);
  }
}

export const SEGMENTER_KINDS: { readonly [K in ModelKind]: SegmenterKind } = {
  segmentation: {
    kind: 'segmentation',
    role: 'prelabel',
    label: 'Segmentation model',
    load: async (v, w) => {
      const { config, model } = await network(v, w);
      return new UNetSegmenter(model, config);
    },
  },
  clicks: {
    kind: 'clicks',
    role: 'clicks',
    label: 'Click model',
    load: async (v, w) => {
      const { config, model } = await network(v, w);
      return new ClickRefiner(model, config);
    },
  },
  live: {
    kind: 'live',
    role: 'prelabel',
    label: 'Live forest',
    load: (v, w) => {
      try {
        return Promise.resolve(LiveSegmenter.fromBytes(v.config, w));
      } catch (e) {
        throw new AppError('corrupt-data', `Live model version ${v.id} cannot be loaded: ${(e as Error).message}`);
      }
    },
  },
};

function kindSpec(kind: ModelKind): SegmenterKind {
  const k = SEGMENTER_KINDS[kind];
  if (!k) throw new AppError('invalid-argument', `Unknown model kind "${String(kind)}".`);
  return k;
}

/** A stored pre-label model, ready to predict whole images. */
export async function loadSegmenter(kind: ModelKind, version: StoredModel, weights: Uint8Array): Promise<Segmenter> {
  const k = kindSpec(kind);
  if (k.role !== 'prelabel') throw new AppError('invalid-argument', `A ${k.label.toLowerCase()} cannot pre-label whole images.`);
  return (await k.load(version, weights)) as Segmenter;
}

/** A stored click model, ready to segment objects from clicks. */
export async function loadClickSegmenter(kind: ModelKind, version: StoredModel, weights: Uint8Array): Promise<ClickSegmenter> {
  const k = kindSpec(kind);
  if (k.role !== 'clicks') throw new AppError('invalid-argument', 'This model is not a click-refinement model.');
  return (await k.load(version, weights)) as ClickSegmenter;
}
