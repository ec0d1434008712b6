import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import opExp from './op.exp';
import { flat, forward, inferShapes, leakCheck, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

describe('op.exp', () => {
  it('y = eˣ element-wise', () => {
    const got = tf.tidy(() => flat(forward(opExp, { inputs: { x: tf.tensor2d([[0, 1], [-2, 0.5]]) } }).y!));
    [1, Math.E, Math.exp(-2), Math.exp(0.5)].forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
  });
  it('overflows to Infinity past ~88.7 in float32', () => {
    expect(tf.tidy(() => flat(forward(opExp, { inputs: { x: tf.tensor1d([89, 1e4]) } }).y!))).toEqual([Infinity, Infinity]);
  });
  it('gradient is eˣ', () => {
    const x = tf.tensor1d([0, 1.5]);
    const g = tf.grad((xx: tf.Tensor) => tf.sum(forward(opExp, { inputs: { x: xx } }).y!))(x);
    flat(g).forEach((v, i) => expect(v).toBeCloseTo(Math.exp([0, 1.5][i]!), 5));
    tf.dispose([x, g]);
  });
  it('shape like its input; range is exp of the input range, [0, ∞) when unknown', () => {
    expect(inferShapes(opExp, { x: ['B', 20] })).toEqual({ ok: true, outputs: { y: ['B', 20] } });
    const r = opExp.range!(paramsOf(opExp), 'y', { x: [0, 1] })!;
    expect(r[0]).toBe(1);
    expect(r[1]).toBeCloseTo(Math.E, 10);
    expect(opExp.range!(paramsOf(opExp), 'y', { x: null })).toEqual([0, Infinity]);
  });
  it('leaves no tensor behind', () => {
    expect(leakCheck(() => forward(opExp, { inputs: { x: tf.ones([2, 2]) } })).leaked).toBe(0);
  });
});
