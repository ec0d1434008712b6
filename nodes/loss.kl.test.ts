import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import lossKl, { klPerDim } from './loss.kl';
import { flat, forward, inferShapes, leakCheck, randArray, rng, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

/** −½ Σ_j (1 + logσ² − μ² − σ²) per row, in plain JS. */
function klByHand(mu: number[][], logvar: number[][]): number[] {
  return mu.map((row, i) => -0.5 * row.reduce((s, m, j) => s + (1 + logvar[i]![j]! - m * m - Math.exp(logvar[i]![j]!)), 0));
}

function rows(values: number[], d: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += d) out.push(values.slice(i, i + d));
  return out;
}

const B = 3;
const D = 4;
const muVals = randArray(B * D, 11, -2, 2);
const lvVals = randArray(B * D, 12, -3, 1.5);

function run(params: Record<string, unknown>, mode: 'train' | 'eval' = 'train', mu = muVals, lv = lvVals, d = D): number[] {
  return tf.tidy(() => {
    const out = forward(lossKl, {
      params,
      mode,
      inputs: { mu: tf.tensor2d(mu, [mu.length / d, d]), logvar: tf.tensor2d(lv, [lv.length / d, d]) },
    });
    expect(out.kl!.shape).toEqual([mu.length / d]);
    return flat(out.kl!);
  });
}

describe('loss.kl forward', () => {
  it('is the closed form −½Σ(1 + logσ² − μ² − σ²) per example (sum over dims)', () => {
    const got = run({ reduction: 'sum' });
    const want = klByHand(rows(muVals, D), rows(lvVals, D));
    expect(got).toHaveLength(B);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 4));
  });

  it('is zero for q = N(0, I) and positive otherwise', () => {
    expect(run({}, 'train', [0, 0, 0, 0], [0, 0, 0, 0])[0]).toBeCloseTo(0, 6);
    for (const v of run({})) expect(v).toBeGreaterThan(0);
  });

  it('reduction "mean" is the sum divided by d', () => {
    const sum = run({ reduction: 'sum' });
    const mean = run({ reduction: 'mean' });
    mean.forEach((m, i) => expect(m).toBeCloseTo(sum[i]! / D, 5));
    expect(mean[0]).not.toBeCloseTo(sum[0]!, 2);
  });

  it('eval mode always sums over dims, whatever the reduction', () => {
    const sum = run({ reduction: 'sum' });
    const evalMean = run({ reduction: 'mean' }, 'eval');
    evalMean.forEach((m, i) => expect(m).toBeCloseTo(sum[i]!, 4));
  });

  it('agrees with a Monte-Carlo estimate of E_q[log q(z) − log p(z)]', () => {
    const mu = [0.8, -1.2, 0.1];
    const lv = [-1.0, 0.5, -0.2];
    const closed = run({}, 'train', mu, lv, 3)[0]!;
    // z = μ + σ ε, ε from Box–Muller over mulberry32; log q − log p per draw (the 2π terms cancel).
    const r = rng(2024);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let s = 0; s < n; s++) {
      let diff = 0;
      for (let j = 0; j < 3; j++) {
        const u1 = 1 - r();
        const u2 = r();
        const eps = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        const sigma = Math.exp(0.5 * lv[j]!);
        const z = mu[j]! + sigma * eps;
        const logq = -0.5 * lv[j]! - 0.5 * eps * eps;
        const logp = -0.5 * z * z;
        diff += logq - logp;
      }
      sum += diff;
      sumSq += diff * diff;
    }
    const mc = sum / n;
    const se = Math.sqrt((sumSq / n - mc * mc) / n);
    expect(se).toBeLessThan(0.01);
    expect(Math.abs(closed - mc)).toBeLessThan(4 * se);
  });

  it('passes gradients to μ and log σ² (∂KL/∂μ = μ, ∂KL/∂logσ² = ½(σ² − 1))', () => {
    const mu = tf.tensor2d([[0.5, -1]]);
    const lv = tf.tensor2d([[0.2, -0.4]]);
    const [gMu, gLv] = tf.grads((m: tf.Tensor, l: tf.Tensor) => tf.sum(forward(lossKl, { inputs: { mu: m, logvar: l } }).kl!))([mu, lv]);
    expect(flat(gMu!)).toEqual([expect.closeTo(0.5, 5), expect.closeTo(-1, 5)]);
    expect(flat(gLv!)).toEqual([expect.closeTo(0.5 * (Math.exp(0.2) - 1), 5), expect.closeTo(0.5 * (Math.exp(-0.4) - 1), 5)]);
    tf.dispose([mu, lv, gMu!, gLv!]);
  });

  it('klPerDim gives one term per latent dimension', () => {
    const t = tf.tidy(() => flat(klPerDim(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 1]]))));
    expect(t[0]).toBeCloseTo(0.5, 6); // −½(1 + 0 − 1 − 1)
    expect(t[1]).toBeCloseTo(-0.5 * (2 - Math.E), 6);
  });

  it('leaves no tensor behind', () => {
    const { leaked } = leakCheck(() =>
      forward(lossKl, { params: { reduction: 'mean' }, inputs: { mu: tf.tensor2d(muVals, [B, D]), logvar: tf.tensor2d(lvVals, [B, D]) } }),
    );
    expect(leaked).toBe(0);
  });
});

describe('loss.kl shapes', () => {
  it('[B,d] μ and log σ² give kl [B]', () => {
    expect(inferShapes(lossKl, { mu: ['B', 20], logvar: ['B', 20] })).toEqual({ ok: true, outputs: { kl: ['B'] } });
  });
  it('differing widths are a SHAPE_MISMATCH on logvar', () => {
    const r = inferShapes(lossKl, { mu: ['B', 20], logvar: ['B', 10] });
    expect(r).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'logvar' });
  });
  it('a sample axis on μ is a SHAPE_MISMATCH on mu', () => {
    const r = inferShapes(lossKl, { mu: [5, 'B', 20], logvar: [5, 'B', 20] });
    expect(r).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'mu' });
  });
  it('gives no outputs while an input is unwired', () => {
    expect(inferShapes(lossKl, { mu: ['B', 20], logvar: undefined })).toEqual({ ok: true, outputs: {} });
  });
});
