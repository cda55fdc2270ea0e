// Issue 15: the uncertainty heatmap has a legend drawn from the same ramp as the canvas.
import { describe, expect, it } from 'vitest';
import { heatLegendCss, heatRamp } from '../../../renderer/src/lib/canvas/proposal-render';

describe('heatmap legend', () => {
  it('runs from clear (sure) to the saturated red of the ramp, with the canvas colours', () => {
    const css = heatLegendCss(4);
    const stops = [...css.matchAll(/rgb\((\d+) (\d+) (\d+) \/ ([\d.]+)\) (\d+)%/g)].map((m) => m.slice(1).map(Number));
    expect(stops).toHaveLength(4);
    expect(stops[0]![3]).toBe(0); // sure: transparent
    expect(stops[0]![4]).toBe(0);
    expect(stops.at(-1)![4]).toBe(100);
    const ramp = heatRamp();
    const red = ramp[Math.round(0.6 * 255)]!;
    expect(stops.at(-1)!.slice(0, 3)).toEqual([red & 255, (red >>> 8) & 255, (red >>> 16) & 255]);
    // alpha grows with uncertainty
    for (let i = 1; i < stops.length; i++) expect(stops[i]![3]!).toBeGreaterThanOrEqual(stops[i - 1]![3]!);
  });
});
