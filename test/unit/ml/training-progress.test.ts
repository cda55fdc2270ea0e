/** Issue 15: a short, time-budgeted run reads as time left (not "step 18/2000"), and its result is judged in words. */
import { describe, expect, it } from 'vitest';
import { runVerdict } from '../../../renderer/src/lib/model-quality';
import { progressView } from '../../../renderer/src/lib/training-progress';

describe('training progress view', () => {
  it('a time-budgeted run shows time left and no step limit', () => {
    const v = progressView({ step: 18, maxSteps: 2000, elapsedMs: 20_000, timeBudgetMs: 60_000 });
    expect(v.limitedBy).toBe('time');
    expect(v.fraction).toBeCloseTo(1 / 3, 6);
    expect(v.leftMs).toBeCloseTo(40_000, 0);
    expect(v.text).toBe('33% · 40 s left');
    expect(v.text).not.toMatch(/2000/);
    expect(v.detail).toBe('step 18');
  });

  it('a run that its step limit ends shows the steps (and the time left by its rate)', () => {
    const v = progressView({ step: 840, maxSteps: 2000, elapsedMs: 42_000, timeBudgetMs: 300_000 });
    expect(v.limitedBy).toBe('steps');
    expect(v.leftMs).toBeCloseTo(58_000, 0);
    expect(v.text).toBe('42% · step 840/2000 · 58 s left');
    const noBudget = progressView({ step: 100, maxSteps: 200, elapsedMs: 5_000 });
    expect(noBudget.limitedBy).toBe('steps');
    expect(noBudget.text).toBe('50% · step 100/200 · 5.0 s left');
  });

  it('no estimate before there is progress; never negative past the budget', () => {
    expect(progressView({ step: 0, maxSteps: 2000, elapsedMs: 0, timeBudgetMs: 60_000 }).leftMs).toBeNull();
    expect(progressView({ step: 0, maxSteps: 2000, elapsedMs: 0, timeBudgetMs: 60_000 }).text).toBe('0% · estimating time left…');
    const over = progressView({ step: 50, maxSteps: 2000, elapsedMs: 61_000, timeBudgetMs: 60_000 });
    expect(over.fraction).toBe(1);
    expect(over.leftMs).toBe(0);
  });
});

describe('run verdict in words', () => {
  it('says when the result is too weak to use, and when it is usable', () => {
    const weak = runVerdict({ meanIou: 0.02, iouSe: 0.01, images: 3, baselineIou: 0.15 }, true);
    expect(weak.tone).toBe('warn');
    expect(weak.text).toMatch(/^Result: val IoU 0\.02 ± 0\.01 \(3 validation images\)\. This model is no better than the trivial baseline/);
    const good = runVerdict({ meanIou: 0.71, iouSe: 0.04, images: 5, baselineIou: 0.16 }, true);
    expect(good.tone).toBe('ok');
    expect(good.text).toMatch(/good enough to pre-label/);
    expect(runVerdict({ meanIou: 0.1, baselineIou: 0.05 }, false).text).toBe('So far: val IoU 0.10 — too weak to use yet.');
    expect(runVerdict({ meanIou: 0.6, baselineIou: 0.05 }, false)).toEqual({ tone: 'info', text: 'So far: val IoU 0.60.' });
    expect(runVerdict(null, true).text).toMatch(/Not validated/);
  });
});
