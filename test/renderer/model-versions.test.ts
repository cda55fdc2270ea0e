/** The Model panel's "proposes by default" line: the rule's reason and both scores on the same validation images. */
import { describe, expect, it } from 'vitest';
import type { ModelVersionInfo } from '../../core/api/types';
import { proposerWhy } from '../../renderer/src/lib/state/model-versions.svelte';

const version = (over: Partial<ModelVersionInfo>): ModelVersionInfo => ({
  id: 3,
  name: 'Live forest 1',
  arch: 'live-forest',
  isActive: true,
  createdAt: '2026-01-01T00:00:00Z',
  backend: 'cpu',
  parentId: null,
  metrics: {},
  weightsBytes: 1,
  kind: 'live',
  images: null,
  durationMs: null,
  ...over,
});

describe('proposerWhy', () => {
  it('says which model won and by how much on the same images', () => {
    const v = version({
      metrics: {
        val: { meanIou: 0.81, iou: [0.81] },
        valImages: 2,
        activation: 'this live forest proposes: validation IoU 0.810 >= 0.420 of the active U-Net (Model A) on the same 2 validation images',
        comparedWith: { versionId: 1, kind: 'segmentation', name: 'Model A', val: { meanIou: 0.42, iou: [0.42] } },
      },
    });
    expect(proposerWhy(v)).toBe('this live forest proposes: validation IoU 0.810 >= 0.420 of the active U-Net (Model A) on the same 2 validation images — val IoU 0.81 (live forest) vs 0.42 (U-Net Model A) on the same 2 validation images');
  });
  it('a version the rule had kept out but the person activated is "chosen by hand"; no reason stored: null', () => {
    expect(proposerWhy(version({ kind: 'segmentation', metrics: { activation: 'kept the active model: validation IoU 0.1 < active 0.8' } }))).toBe('chosen by hand (when trained: kept the active model: validation IoU 0.1 < active 0.8)');
    expect(proposerWhy(version({ metrics: {} }))).toBeNull();
    expect(proposerWhy(version({ metrics: { activation: 'no model was active' } }))).toBe('no model was active');
  });
});
