import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import opNoise from './op.noise';
import { forward, inferShapes, keyedRandom, leakCheck, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

function draw(params: Record<string, unknown>, like: tf.Tensor, inShape?: (number | 'B')[], seed = 3): number[][] | number[][][] {
  return tf.tidy(() => {
    const eps = forward(opNoise, { params, random: keyedRandom(seed), inputs: { like }, inShapes: { like: inShape ?? like.shape } }).eps!;
    expect(eps.shape).toEqual(like.shape);
    return eps.arraySync() as number[][];
  });
}

describe('op.noise', () => {
  it('per-example: every row of the batch gets its own ε', () => {
    const rows = draw({}, tf.zeros([4, 3]), ['B', 3]) as number[][];
    for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) expect(rows[a]).not.toEqual(rows[b]);
  });

  it('share "batch": identical rows across the batch', () => {
    const rows = draw({ share: 'batch' }, tf.zeros([4, 3]), ['B', 3]) as number[][];
    for (let b = 1; b < 4; b++) expect(rows[b]).toEqual(rows[0]);
    expect(new Set(rows[0]).size).toBe(3); // but different across features
  });

  it('share "batch" with a sample axis [K,B,d]: shared over B, different over K', () => {
    const t = draw({ share: 'batch' }, tf.zeros([3, 4, 2]), [3, 'B', 2]) as number[][][];
    for (let k = 0; k < 3; k++) for (let b = 1; b < 4; b++) expect(t[k]![b]).toEqual(t[k]![0]);
    expect(t[1]![0]).not.toEqual(t[0]![0]);
  });

  it('share "batch" in eval mode, where a [K,B,d] input arrives as [B,d] (one z sample): still shared over B', () => {
    const rows = draw({ share: 'batch' }, tf.zeros([4, 3]), [5, 'B', 3]) as number[][];
    for (let b = 1; b < 4; b++) expect(rows[b]).toEqual(rows[0]);
    expect(new Set(rows[0]).size).toBe(3);
  });

  it('per-example with [K,B,d]: the shape of its input, all draws distinct', () => {
    const t = draw({}, tf.zeros([3, 4, 2]), [3, 'B', 2]) as number[][][];
    expect(new Set(t.flat(2)).size).toBe(24);
  });

  it('std scales the draws: std 2.5 is 2.5 × the std-1 draws from the same source', () => {
    const one = (draw({ std: 1 }, tf.zeros([3, 2])) as number[][]).flat();
    const scaled = (draw({ std: 2.5 }, tf.zeros([3, 2])) as number[][]).flat();
    scaled.forEach((v, i) => expect(v).toBeCloseTo(2.5 * one[i]!, 5));
    expect((draw({ std: 0 }, tf.zeros([3, 2])) as number[][]).flat().every((v) => v === 0)).toBe(true);
  });

  it('is standard normal: over 20000 values mean ≈ 0 and variance ≈ std²', () => {
    const { mean, variance } = tf.tidy(() => {
      const e = forward(opNoise, { params: { std: 3 }, inputs: { like: tf.zeros([10000, 2]) } }).eps!;
      const m = tf.moments(e);
      return { mean: m.mean.dataSync()[0]!, variance: m.variance.dataSync()[0]! };
    });
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(9 / 20000));
    expect(Math.abs(variance / 9 - 1)).toBeLessThan(4 * Math.sqrt(2 / 20000));
  });

  it('does not depend on the values of its input, only its shape', () => {
    const a = draw({}, tf.zeros([2, 2]), ['B', 2], 8);
    const b = draw({}, tf.fill([2, 2], 7), ['B', 2], 8);
    expect(a).toEqual(b);
  });

  it('leaves no tensor behind', () => {
    const { leaked } = leakCheck(() => forward(opNoise, { params: { share: 'batch', std: 2 }, inputs: { like: tf.zeros([3, 4]) }, inShapes: { like: ['B', 4] } }));
    expect(leaked).toBe(0);
  });

  it('infers eps with the shape of like', () => {
    expect(inferShapes(opNoise, { like: [5, 'B', 20] })).toEqual({ ok: true, outputs: { eps: [5, 'B', 20] } });
    expect(inferShapes(opNoise, { like: undefined })).toEqual({ ok: true, outputs: {} });
  });
});
