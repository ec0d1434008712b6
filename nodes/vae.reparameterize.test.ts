import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import reparameterize from './vae.reparameterize';
import { flat, forward, inferShapes, keyedRandom, leakCheck, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

describe('vae.reparameterize: z = μ + ε ⊙ exp(½ log σ²)', () => {
  it('over 20000 draws, each dimension has mean μ and variance exp(logvar)', () => {
    const B = 20000;
    const mu = [1.5, -2, 0];
    const lv = [0, Math.log(4), Math.log(0.25)];
    const stats = tf.tidy(() => {
      const muT = tf.tile(tf.tensor2d([mu]), [B, 1]);
      const lvT = tf.tile(tf.tensor2d([lv]), [B, 1]);
      const z = forward(reparameterize, { inputs: { mu: muT, logvar: lvT } }).z!;
      expect(z.shape).toEqual([B, 3]);
      const { mean, variance } = tf.moments(z, 0);
      return { mean: flat(mean), variance: flat(variance) };
    });
    for (let j = 0; j < 3; j++) {
      const v = Math.exp(lv[j]!);
      // sd of the sample mean is √(v/B); of the sample variance ≈ v·√(2/B) (≈1% of v).
      expect(Math.abs(stats.mean[j]! - mu[j]!)).toBeLessThan(4 * Math.sqrt(v / B));
      expect(Math.abs(stats.variance[j]! / v - 1)).toBeLessThan(4 * Math.sqrt(2 / B));
    }
  });

  it('samples K > 1 gives [K,B,d] with distinct draws per k (same μ, σ)', () => {
    const { shape, values } = tf.tidy(() => {
      const z = forward(reparameterize, { params: { samples: 4 }, inputs: { mu: tf.zeros([2, 3]), logvar: tf.zeros([2, 3]) } }).z!;
      return { shape: z.shape, values: z.arraySync() as number[][][] };
    });
    expect(shape).toEqual([4, 2, 3]);
    for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) expect(values[a]).not.toEqual(values[b]);
    // and different examples get different draws
    expect(values[0]![0]).not.toEqual(values[0]![1]);
  });

  it('with K samples each slice is centred on μ (the mean over K ≈ μ)', () => {
    const K = 400;
    const mean = tf.tidy(() => flat(tf.mean(forward(reparameterize, { params: { samples: K }, inputs: { mu: tf.tensor2d([[3, -1]]), logvar: tf.tensor2d([[0, 0]]) } }).z!, 0)));
    expect(Math.abs(mean[0]! - 3)).toBeLessThan(4 / Math.sqrt(K));
    expect(Math.abs(mean[1]! + 1)).toBeLessThan(4 / Math.sqrt(K));
  });

  it('eval mode draws one sample even with K > 1', () => {
    const shape = tf.tidy(() => forward(reparameterize, { params: { samples: 5 }, mode: 'eval', inputs: { mu: tf.zeros([2, 3]), logvar: tf.zeros([2, 3]) } }).z!.shape);
    expect(shape).toEqual([2, 3]);
  });

  it('is a deterministic function of its random source', () => {
    const draw = () => tf.tidy(() => flat(forward(reparameterize, { random: keyedRandom(9), inputs: { mu: tf.zeros([2, 2]), logvar: tf.zeros([2, 2]) } }).z!));
    expect(draw()).toEqual(draw());
  });

  it('gradients flow to μ (∂z/∂μ = 1) and to log σ² (∂z/∂logσ² = ½ ε σ)', () => {
    const mu = tf.tensor2d([[0.3, -0.7]]);
    const lv = tf.tensor2d([[0.4, -1.0]]);
    // z − μ = ε σ, so ε = (z − μ)/σ recovers the draw used.
    const random = keyedRandom(5);
    const z = tf.tidy(() => flat(forward(reparameterize, { random: keyedRandom(5), inputs: { mu, logvar: lv } }).z!));
    const [gMu, gLv] = tf.grads((m: tf.Tensor, l: tf.Tensor) => tf.sum(forward(reparameterize, { random, inputs: { mu: m, logvar: l } }).z!))([mu, lv]);
    expect(flat(gMu!)).toEqual([expect.closeTo(1, 6), expect.closeTo(1, 6)]);
    const sigma = [Math.exp(0.2), Math.exp(-0.5)];
    const eps = [(z[0]! - 0.3) / sigma[0]!, (z[1]! + 0.7) / sigma[1]!];
    const g = flat(gLv!);
    for (let j = 0; j < 2; j++) {
      expect(g[j]).toBeCloseTo(0.5 * eps[j]! * sigma[j]!, 5);
      expect(g[j]).not.toBe(0);
    }
    tf.dispose([mu, lv, gMu!, gLv!]);
  });

  it('leaves no tensor behind', () => {
    const { leaked } = leakCheck(() => forward(reparameterize, { params: { samples: 3 }, inputs: { mu: tf.zeros([2, 3]), logvar: tf.zeros([2, 3]) } }));
    expect(leaked).toBe(0);
  });
});

describe('vae.reparameterize shapes', () => {
  it('K = 1 gives z [B,d]', () => {
    expect(inferShapes(reparameterize, { mu: ['B', 20], logvar: ['B', 20] })).toEqual({ ok: true, outputs: { z: ['B', 20] } });
  });
  it('K = 5 gives z [5,B,d]', () => {
    expect(inferShapes(reparameterize, { mu: ['B', 20], logvar: ['B', 20] }, { samples: 5 })).toEqual({ ok: true, outputs: { z: [5, 'B', 20] } });
  });
  it('μ and log σ² of different widths are a SHAPE_MISMATCH on logvar', () => {
    expect(inferShapes(reparameterize, { mu: ['B', 20], logvar: ['B', 10] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'logvar' });
  });
  it('samples outside 1…1000 is refused by the params schema', () => {
    expect(reparameterize.params.safeParse({ samples: 0 }).success).toBe(false);
    expect(reparameterize.params.safeParse({ samples: 1001 }).success).toBe(false);
    expect(reparameterize.params.safeParse({ samples: 1000 }).success).toBe(true);
  });
});
