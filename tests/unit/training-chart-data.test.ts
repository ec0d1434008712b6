import { describe, expect, it } from 'vitest';
import { buildChartData } from '../../src/components/training/chartData';
import { emptySeries, type Series } from '../../src/stores/training';

function run(n: number, evals: number[] = []): Series {
  const s = emptySeries();
  for (let i = 1; i <= n; i++) {
    s.step.push(i);
    s.epoch.push(0);
    s.loss.push(1000 - i);
    s.recon.push(900 - i);
    s.kl.push(i === 2 ? 0 : 10);
    s.klWeighted.push(10);
    s.ms.push(50);
  }
  for (const e of evals) {
    s.evalStep.push(e);
    s.heldOut.push(2000 + e);
  }
  return s;
}

describe('loss chart columns', () => {
  it('one x per step, held-out values only where measured, the previous run aligned by step', () => {
    const [x, loss, recon, kl, klw, held, prevLoss, prevHeld] = buildChartData(run(3, [2]), run(5, [5]), false);
    expect(x).toEqual([1, 2, 3, 4, 5]);
    expect(loss).toEqual([999, 998, 997, null, null]);
    expect(recon![0]).toBe(899);
    expect(kl).toEqual([10, 0, 10, null, null]);
    expect(klw![2]).toBe(10);
    expect(held).toEqual([null, 2002, null, null, null]);
    expect(prevLoss).toEqual([999, 998, 997, 996, 995]);
    expect(prevHeld).toEqual([null, null, null, null, 2005]);
    expect(buildChartData(run(3), null, false)).toHaveLength(6);
  });

  it('log scale drops values that are not positive (a zero KL cannot be drawn on a log axis)', () => {
    const [, , , kl] = buildChartData(run(3), null, true);
    expect(kl).toEqual([10, null, 10]);
  });

  it('a long run is thinned to about maxPoints, keeping the first, last and held-out steps', () => {
    const cols = buildChartData(run(10_000, [50, 4999, 9999]), null, false, 1000);
    const x = cols[0] as number[];
    expect(x.length).toBeLessThanOrEqual(1000 + 5);
    expect(x.length).toBeGreaterThan(900);
    expect(x[0]).toBe(1);
    expect(x[x.length - 1]).toBe(10_000);
    for (const s of [50, 4999, 9999]) expect(x).toContain(s);
    const i = x.indexOf(4999);
    expect(cols[5]![i]).toBe(2000 + 4999);
    expect(cols[1]![i]).toBe(1000 - 4999);
    expect([...x].sort((a, b) => a - b)).toEqual(x);
  });
});
