/**
 * The loss chart's columns for uPlot: x (steps), loss, recon, KL, β·KL, held-out −ELBO,
 * and, after a Reset, the previous run's loss and held-out −ELBO.
 */
import type { Series } from '../../stores/training';

/** At most about this many x positions are drawn; longer runs are thinned (every k-th step, held-out points kept). */
export const MAX_POINTS = 3000;

export function buildChartData(cur: Series, prev: Series | null, log: boolean, maxPoints = MAX_POINTS): Array<Array<number | null>> {
  // Steps count from 1 without gaps, so step s sits at index s − 1 of each run.
  const n = Math.max(cur.step.length ? cur.step[cur.step.length - 1]! : 0, prev && prev.step.length ? prev.step[prev.step.length - 1]! : 0);
  const stride = Math.max(1, Math.ceil(n / maxPoints));
  const keep = new Set<number>();
  if (stride > 1) for (const s of [...cur.evalStep, ...(prev?.evalStep ?? [])]) keep.add(s);
  const x: number[] = [];
  for (let s = 1; s <= n; s++) if (stride === 1 || s % stride === 0 || s === 1 || s === n || keep.has(s)) x.push(s);
  const col = (run: Series | null, pick: (r: Series) => number[]) => {
    const out = new Array<number | null>(x.length).fill(null);
    if (!run) return out;
    const v = pick(run);
    const first = run.step[0] ?? 1;
    for (let i = 0; i < x.length; i++) {
      const k = x[i]! - first;
      if (k < 0 || k >= run.step.length) continue;
      const y = v[k]!;
      out[i] = log && !(y > 0) ? null : y;
    }
    return out;
  };
  const evals = (run: Series | null) => {
    const out = new Array<number | null>(x.length).fill(null);
    if (!run || !run.evalStep.length) return out;
    const at = new Map(run.evalStep.map((s, i) => [s, run.heldOut[i]!]));
    for (let i = 0; i < x.length; i++) {
      const h = at.get(x[i]!);
      if (h !== undefined) out[i] = h;
    }
    return out;
  };
  const data = [x, col(cur, (r) => r.loss), col(cur, (r) => r.recon), col(cur, (r) => r.kl), col(cur, (r) => r.klWeighted), evals(cur)];
  if (prev) data.push(col(prev, (r) => r.loss), evals(prev));
  return data;
}
