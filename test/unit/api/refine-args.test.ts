/** predictions.refine arguments (issue 12): clicks and/or a box, validated before any service runs. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../core/api/errors';
import { parseCall } from '../../../core/api/rpc';

const pid = '0123abcd-0123-4567-89ab-0123456789ab';
const call = (opts: unknown) => parseCall('predictions', 'refine', [pid, 3, opts]);
const refused = (opts: unknown): string => {
  try {
    call(opts);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('invalid-argument');
    return (e as AppError).message;
  }
  throw new Error('accepted');
};

describe('predictions.refine arguments', () => {
  it('takes clicks, a box, or both', () => {
    expect(call({ clicks: [{ x: 1, y: 2, positive: true }] })).toEqual([pid, 3, { clicks: [{ x: 1, y: 2, positive: true }] }]);
    expect(call({ clicks: [], box: { x0: 1, y0: 2, x1: 10, y1: 20 } })[2]).toEqual({ clicks: [], box: { x0: 1, y0: 2, x1: 10, y1: 20 } });
    expect(call({ clicks: [{ x: 5, y: 5, positive: false }], box: { x0: 0, y0: 0, x1: 0, y1: 0 }, prev: null })[2]).toMatchObject({ box: { x0: 0, y0: 0, x1: 0, y1: 0 } });
    expect(call({ clicks: [{ x: 5, y: 5, positive: true }], box: null })[2]).toMatchObject({ box: null });
  });

  it('refuses no prompt at all, inverted, negative, fractional or partial boxes and unknown fields', () => {
    expect(refused({ clicks: [] })).toMatch(/at least one click or a box/);
    expect(refused({ clicks: [], box: null })).toMatch(/at least one click or a box/);
    expect(refused({ clicks: [], box: { x0: 10, y0: 0, x1: 5, y1: 5 } })).toMatch(/x0 <= x1/);
    expect(refused({ clicks: [], box: { x0: 0, y0: 9, x1: 5, y1: 5 } })).toMatch(/y0 <= y1/);
    expect(refused({ clicks: [], box: { x0: -1, y0: 0, x1: 5, y1: 5 } })).toMatch(/box/);
    expect(refused({ clicks: [], box: { x0: 0.5, y0: 0, x1: 5, y1: 5 } })).toMatch(/box/);
    expect(refused({ clicks: [], box: { x0: 0, y0: 0, x1: 5 } })).toMatch(/box/);
    expect(refused({ clicks: [], box: { x0: 0, y0: 0, x1: 5, y1: 5, w: 1 } })).toMatch(/box|unrecognized/i);
    expect(refused({ clicks: [{ x: 1, y: 1, positive: true }], boxes: [] })).toMatch(/unrecognized|boxes/i);
  });
});
