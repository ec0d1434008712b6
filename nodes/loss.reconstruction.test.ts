import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import lossRecon, { bce, gaussianNll } from './loss.reconstruction';
import { flat, forward, inferShapes, leakCheck, randArray, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

/** PyTorch's binary_cross_entropy element: each log clamped at −100. */
function bceByHand(p: number, x: number): number {
  const logP = Math.max(Math.log(p), -100);
  const log1mP = Math.max(Math.log(1 - p), -100);
  return -(x * logP + (1 - x) * log1mP);
}

const B = 2;
const N = 5;
const pVals = randArray(B * N, 21, 0.02, 0.98);
const xVals = randArray(B * N, 22, 0, 1);

function run(params: Record<string, unknown>, xHat: tf.Tensor, x: tf.Tensor, mode: 'train' | 'eval' = 'train'): number[] {
  const out = forward(lossRecon, { params, mode, inputs: { xHat, x } });
  return flat(out.nll!);
}

function perRow(values: number[], n: number, f: (i: number) => number): number[] {
  const out: number[] = [];
  for (let r = 0; r < values.length / n; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += f(r * n + j);
    out.push(s);
  }
  return out;
}

describe('loss.reconstruction: Bernoulli', () => {
  it('is −Σ[x log p + (1−x) log(1−p)] per example', () => {
    const got = tf.tidy(() => run({ likelihood: 'bernoulli', reduction: 'sum' }, tf.tensor2d(pVals, [B, N]), tf.tensor2d(xVals, [B, N])));
    const want = perRow(pVals, N, (i) => bceByHand(pVals[i]!, xVals[i]!));
    expect(got).toHaveLength(B);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 4));
  });

  it('is finite at p = 0 and p = 1 (each log clamped at −100, as PyTorch)', () => {
    const got = tf.tidy(() => flat(bce(tf.tensor1d([0, 0, 1, 1, 0.5]), tf.tensor1d([0, 1, 0, 1, 1]))));
    expect(got[0]).toBeCloseTo(0, 6);
    expect(got[1]).toBeCloseTo(100, 3);
    expect(got[2]).toBeCloseTo(100, 3);
    expect(got[3]).toBeCloseTo(0, 6);
    expect(got[4]).toBeCloseTo(Math.LN2, 5);
    for (const v of got) expect(Number.isFinite(v)).toBe(true);
  });

  it('is NaN for p outside [0, 1]', () => {
    const got = tf.tidy(() => flat(bce(tf.tensor1d([-0.1, 1.2, -0.1, 1.2]), tf.tensor1d([1, 1, 0, 0]))));
    for (const v of got) expect(Number.isNaN(v)).toBe(true);
  });

  it('has the custom gradient (p − x)/max(p(1 − p), 1e-12): finite at p = 0 and 1', () => {
    const p = tf.tensor1d([0, 1, 0.25, 0.9]);
    const x = tf.tensor1d([1, 0, 1, 0.3]);
    const g = tf.grad((pp: tf.Tensor) => tf.sum(bce(pp, x)))(p);
    const got = flat(g);
    const want = [0, 1, 0.25, 0.9].map((pp, i) => (pp - [1, 0, 1, 0.3][i]!) / Math.max(pp * (1 - pp), 1e-12));
    for (const v of got) expect(Number.isFinite(v)).toBe(true);
    expect(got[0]! / want[0]!).toBeCloseTo(1, 4); // −1e12
    expect(got[1]! / want[1]!).toBeCloseTo(1, 4); // +1e12
    expect(got[2]).toBeCloseTo(want[2]!, 4);
    expect(got[3]).toBeCloseTo(want[3]!, 4);
    tf.dispose([p, x, g]);
  });

  it('the gradient through the node matches the analytic one inside (0, 1)', () => {
    const x = tf.tensor2d(xVals, [B, N]);
    const p = tf.tensor2d(pVals, [B, N]);
    const g = tf.grad((pp: tf.Tensor) => tf.sum(forward(lossRecon, { inputs: { xHat: pp, x } }).nll!))(p);
    flat(g).forEach((v, i) => expect(v).toBeCloseTo((pVals[i]! - xVals[i]!) / (pVals[i]! * (1 - pVals[i]!)), 3));
    tf.dispose([x, p, g]);
  });

  it('reduction "mean" divides by the number of features', () => {
    const [sum, mean] = tf.tidy(() => {
      const p = tf.tensor2d(pVals, [B, N]);
      const x = tf.tensor2d(xVals, [B, N]);
      return [run({ reduction: 'sum' }, p, x), run({ reduction: 'mean' }, p, x)];
    });
    mean.forEach((m, i) => expect(m).toBeCloseTo(sum[i]! / N, 5));
    expect(mean[0]).not.toBeCloseTo(sum[0]!, 2);
  });

  it('eval mode sums over features whatever the reduction', () => {
    const [sum, evalMean] = tf.tidy(() => {
      const p = tf.tensor2d(pVals, [B, N]);
      const x = tf.tensor2d(xVals, [B, N]);
      return [run({ reduction: 'sum' }, p, x), run({ reduction: 'mean' }, p, x, 'eval')];
    });
    evalMean.forEach((m, i) => expect(m).toBeCloseTo(sum[i]!, 4));
  });
});

describe('loss.reconstruction: Gaussian', () => {
  it('is ½‖x − μ‖² per example (constant dropped)', () => {
    const mu = randArray(B * N, 31, -2, 2);
    const got = tf.tidy(() => run({ likelihood: 'gaussian' }, tf.tensor2d(mu, [B, N]), tf.tensor2d(xVals, [B, N])));
    const want = perRow(mu, N, (i) => 0.5 * (xVals[i]! - mu[i]!) ** 2);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 4));
  });
  it('gaussianNll is ½(x − μ)² element-wise', () => {
    expect(tf.tidy(() => flat(gaussianNll(tf.tensor1d([1, -1]), tf.tensor1d([3, 0.5]))))).toEqual([expect.closeTo(2, 6), expect.closeTo(1.125, 6)]);
  });
  it('mean reduction divides by n', () => {
    const mu = randArray(B * N, 32, -2, 2);
    const got = tf.tidy(() => run({ likelihood: 'gaussian', reduction: 'mean' }, tf.tensor2d(mu, [B, N]), tf.tensor2d(xVals, [B, N])));
    const want = perRow(mu, N, (i) => 0.5 * (xVals[i]! - mu[i]!) ** 2).map((v) => v / N);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));
  });
});

describe('loss.reconstruction: K samples', () => {
  const K = 3;
  const pK = randArray(K * B * N, 41, 0.05, 0.95);

  it('xHat [K,B,n] against x [B,n] averages the per-sample loss over K', () => {
    const got = tf.tidy(() => {
      const out = forward(lossRecon, { inputs: { xHat: tf.tensor3d(pK, [K, B, N]), x: tf.tensor2d(xVals, [B, N]) } });
      expect(out.nll!.shape).toEqual([B]);
      return flat(out.nll!);
    });
    for (let b = 0; b < B; b++) {
      let want = 0;
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) want += bceByHand(pK[(k * B + b) * N + j]!, xVals[b * N + j]!);
      want /= K;
      expect(got[b]).toBeCloseTo(want, 4);
    }
  });

  it('Gaussian with K samples and mean reduction: the K-average of ½‖x − μ_k‖²/n', () => {
    const got = tf.tidy(() => flat(forward(lossRecon, { params: { likelihood: 'gaussian', reduction: 'mean' }, inputs: { xHat: tf.tensor3d(pK, [K, B, N]), x: tf.tensor2d(xVals, [B, N]) } }).nll!));
    for (let b = 0; b < B; b++) {
      let want = 0;
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) want += 0.5 * (xVals[b * N + j]! - pK[(k * B + b) * N + j]!) ** 2;
      expect(got[b]).toBeCloseTo(want / K / N, 5);
    }
  });

  it('leaves no tensor behind', () => {
    const { leaked } = leakCheck(() => forward(lossRecon, { inputs: { xHat: tf.tensor3d(pK, [K, B, N]), x: tf.tensor2d(xVals, [B, N]) } }));
    expect(leaked).toBe(0);
  });
});

describe('loss.reconstruction shapes', () => {
  it('[B,n] against [B,n] gives nll [B]', () => {
    expect(inferShapes(lossRecon, { xHat: ['B', 784], x: ['B', 784] })).toEqual({ ok: true, outputs: { nll: ['B'] } });
  });
  it('[K,B,n] against [B,n] gives nll [B]', () => {
    expect(inferShapes(lossRecon, { xHat: [5, 'B', 784], x: ['B', 784] })).toEqual({ ok: true, outputs: { nll: ['B'] } });
  });
  it('a width mismatch is a SHAPE_MISMATCH on xHat with a fix naming the width', () => {
    const r = inferShapes(lossRecon, { xHat: ['B', 100], x: ['B', 784] });
    expect(r).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'xHat' });
    expect(r.ok ? '' : r.fix).toMatch(/784/);
  });
  it('data that is not [B,n] is a SHAPE_MISMATCH on x', () => {
    expect(inferShapes(lossRecon, { xHat: ['B', 784], x: ['B'] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
  });
  it('pairs xHat with x for the decoder\'s "auto" width', () => {
    expect(lossRecon.pairs).toEqual({ xHat: 'x' });
  });
});
