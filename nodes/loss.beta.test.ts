import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import lossBeta, { betaAt } from './loss.beta';
import { flat, forward, inferShapes, leakCheck, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

const KL = [0.5, 2, 7.25];

function run(params: Record<string, unknown>, step: number, mode: 'train' | 'eval' = 'train', kl = KL): number[] {
  return tf.tidy(() => {
    const out = forward(lossBeta, { params, step, mode, inputs: { kl: tf.tensor1d(kl) } }).kl!;
    expect(out.shape).toEqual([kl.length]);
    return flat(out);
  });
}

describe('loss.beta', () => {
  it('multiplies the KL by β', () => {
    run({ beta: 4 }, 1).forEach((v, i) => expect(v).toBeCloseTo(4 * KL[i]!, 5));
    run({ beta: 0.25 }, 100).forEach((v, i) => expect(v).toBeCloseTo(0.25 * KL[i]!, 5));
  });

  it('warm-up ramps β linearly: β_t = β·min(1, t/T), t counted from 1', () => {
    const T = 10;
    for (const t of [1, 2, 5, 9, 10, 11, 500]) {
      const want = 2 * Math.min(1, t / T);
      run({ beta: 2, warmupSteps: T }, t).forEach((v, i) => expect(v).toBeCloseTo(want * KL[i]!, 5));
    }
    // step 1 already pays 1/T of β (t from 1, not 0)
    expect(run({ beta: 1, warmupSteps: 4 }, 1)[2]).toBeCloseTo(7.25 / 4, 5);
  });

  it('betaAt is the same schedule', () => {
    const p = paramsOf(lossBeta, { beta: 3, warmupSteps: 6 });
    expect([1, 3, 6, 12].map((t) => betaAt(p, t))).toEqual([0.5, 1.5, 3, 3]);
    expect(betaAt(paramsOf(lossBeta, { beta: 3 }), 1)).toBe(3);
  });

  it('free bits floor each example at freeBits before β', () => {
    // kl 0.5 → 1, 2 stays, 7.25 stays; then × β = 3
    run({ beta: 3, freeBits: 1 }, 1).forEach((v, i) => expect(v).toBeCloseTo(3 * Math.max(1, KL[i]!), 5));
    // the floor is per example, not on the batch mean (whose mean 3.25 is above 3)
    expect(run({ beta: 1, freeBits: 3 }, 1)).toEqual([expect.closeTo(3, 5), expect.closeTo(3, 5), expect.closeTo(7.25, 5)]);
  });

  it('free bits and warm-up combine: β_t · max(freeBits, kl)', () => {
    run({ beta: 2, warmupSteps: 4, freeBits: 1 }, 2).forEach((v, i) => expect(v).toBeCloseTo(1 * Math.max(1, KL[i]!), 5));
  });

  it('eval mode returns the raw KL (β = 1, no free bits, no warm-up)', () => {
    expect(run({ beta: 5, warmupSteps: 10, freeBits: 3 }, 2, 'eval')).toEqual(KL.map((v) => expect.closeTo(v, 6)));
  });

  it('free bits pass no gradient to examples below the floor', () => {
    const kl = tf.tensor1d(KL);
    const g = tf.grad((k: tf.Tensor) => tf.sum(forward(lossBeta, { params: { beta: 2, freeBits: 1 }, inputs: { kl: k } }).kl!))(kl);
    expect(flat(g)).toEqual([0, 2, 2]);
    tf.dispose([kl, g]);
  });

  it('leaves no tensor behind', () => {
    expect(leakCheck(() => forward(lossBeta, { params: { beta: 2, warmupSteps: 3, freeBits: 0.5 }, step: 2, inputs: { kl: tf.tensor1d(KL) } })).leaked).toBe(0);
  });

  it('takes and gives per-example losses [B]', () => {
    expect(inferShapes(lossBeta, { kl: ['B'] })).toEqual({ ok: true, outputs: { kl: ['B'] } });
    expect(inferShapes(lossBeta, { kl: ['B', 20] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'kl' });
  });
});
