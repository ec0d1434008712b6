import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import opScale from './op.scale';
import { flat, forward, inferShapes, leakCheck, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

describe('op.scale', () => {
  it('y = c · x', () => {
    expect(tf.tidy(() => flat(forward(opScale, { params: { factor: 0.5 }, inputs: { x: tf.tensor2d([[2, -4], [1, 0]]) } }).y!))).toEqual([1, -2, 0.5, 0]);
    expect(tf.tidy(() => flat(forward(opScale, { params: { factor: -3 }, inputs: { x: tf.tensor1d([2, -1]) } }).y!))).toEqual([-6, 3]);
  });
  it('the default factor is 1 (the identity)', () => {
    expect(paramsOf(opScale)).toEqual({ factor: 1 });
    expect(tf.tidy(() => flat(forward(opScale, { inputs: { x: tf.tensor1d([2.5, -7]) } }).y!))).toEqual([2.5, -7]);
  });
  it('a huge factor overflows to Infinity in float32 (trainable, to be caught)', () => {
    expect(opScale.params.safeParse({ factor: 1e30 }).success).toBe(true);
    expect(tf.tidy(() => flat(forward(opScale, { params: { factor: 1e30 }, inputs: { x: tf.tensor1d([1e10, -1e10, 0]) } }).y!))).toEqual([Infinity, -Infinity, 0]);
  });
  it('refuses a non-finite factor', () => {
    expect(opScale.params.safeParse({ factor: Infinity }).success).toBe(false);
    expect(opScale.params.safeParse({ factor: NaN }).success).toBe(false);
  });
  it('gradient is c', () => {
    const x = tf.tensor1d([1, 2]);
    const g = tf.grad((xx: tf.Tensor) => tf.sum(forward(opScale, { params: { factor: -2.5 }, inputs: { x: xx } }).y!))(x);
    expect(flat(g)).toEqual([-2.5, -2.5]);
    tf.dispose([x, g]);
  });
  it('shape like its input; range scaled (and flipped by a negative factor)', () => {
    expect(inferShapes(opScale, { x: [3, 'B', 20] })).toEqual({ ok: true, outputs: { y: [3, 'B', 20] } });
    expect(opScale.range!(paramsOf(opScale, { factor: -2 }), 'y', { x: [0, 1] })!.map((v) => v + 0)).toEqual([-2, 0]);
    expect(opScale.range!(paramsOf(opScale, { factor: 255 }), 'y', { x: [0, 1] })).toEqual([0, 255]);
    expect(opScale.range!(paramsOf(opScale, { factor: 2 }), 'y', { x: null })).toBeNull();
    // 0 · [0, ∞) is {0}, not NaN (which would make the Bernoulli lint fire on a constant)
    expect(opScale.range!(paramsOf(opScale, { factor: 0 }), 'y', { x: [0, Infinity] })).toEqual([0, 0]);
  });
  it('leaves no tensor behind', () => {
    expect(leakCheck(() => forward(opScale, { params: { factor: 3 }, inputs: { x: tf.ones([2, 2]) } })).leaked).toBe(0);
  });
});
