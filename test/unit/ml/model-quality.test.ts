import { describe, expect, it } from 'vitest';
import { IouAccumulator } from '../../../core/ml/iou-metrics';
import { valUncertainty } from '../../../core/ml/train/train';
import { WEAK_IOU, iouSpreadText, qualityOfVal } from '../../../renderer/src/lib/model-quality';

describe('model quality (issue 15: weak proposals are said to be weak)', () => {
  it('validation keeps the per-image spread (standard error) and the trivial baseline', () => {
    const acc = new IouAccumulator(2);
    // image 1: truth half foreground, prediction exact -> IoU 1; image 2: prediction empty -> IoU 0
    acc.add([1, 1, 0, 0], [1, 1, 0, 0]);
    acc.add([0, 0, 0, 0], [1, 1, 0, 0]);
    const u = valUncertainty(acc);
    expect(u.images).toBe(2);
    expect(u.iouSe).toBeCloseTo(Math.SQRT1_2 / Math.SQRT2, 6); // sd 0.7071 / sqrt(2)
    expect(u.baselineIou).toBeCloseTo(0.5, 6); // calling every pixel foreground: 4 / 8
  });

  it('a model at the baseline or under WEAK_IOU is weak, in words; a good one is not', () => {
    const weak = qualityOfVal({ meanIou: 0.02, iouSe: 0.01, images: 3, baselineIou: 0.15 });
    expect(weak.weak).toBe(true);
    expect(weak.text).toBe('val IoU 0.02 ± 0.01 (3 validation images)');
    expect(weak.warning).toMatch(/no better than the trivial baseline/);
    const low = qualityOfVal({ meanIou: WEAK_IOU - 0.01, baselineIou: 0.01 });
    expect(low.weak).toBe(true);
    expect(low.warning).toMatch(/too weak to use/);
    const good = qualityOfVal({ meanIou: 0.71, iouSe: 0.04, images: 5, baselineIou: 0.16 });
    expect(good.weak).toBe(false);
    expect(good.warning).toBeNull();
    expect(qualityOfVal({ meanIou: 0.5, images: 1 }).text).toMatch(/± unknown: 1 validation image/);
    // next to a version's IoU in the Model panel
    expect(iouSpreadText(qualityOfVal({ meanIou: 0.74, iouSe: 0.0412, images: 6 }))).toBe(' ± 0.041 · 6 val images');
    expect(iouSpreadText(qualityOfVal({ meanIou: 0.74, iouSe: null, images: 1 }))).toBe(' · 1 val image only');
    expect(iouSpreadText(qualityOfVal({ meanIou: 0.74 }))).toBe('');
    expect(iouSpreadText(qualityOfVal(null))).toBe('');
    expect(qualityOfVal(null).iou).toBeNull();
  });
});
