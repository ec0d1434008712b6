import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import op from './op.mul';
import { forward, inferShapes, leakCheck, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

const f = (a: number, b: number): number => a * b;

function run(a: tf.Tensor, b: tf.Tensor): { shape: number[]; values: number[] } {
  return tf.tidy(() => {
    const y = forward(op, { inputs: { a, b } }).y!;
    return { shape: y.shape, values: Array.from(y.dataSync()) };
  });
}

describe('op.mul: y = a ⊙ b', () => {
  it('element-wise on equal shapes', () => {
    const a = [1, -2, 3.5, 0.25];
    const b = [4, 0.5, -1, 8];
    const r = run(tf.tensor2d(a, [2, 2]), tf.tensor2d(b, [2, 2]));
    expect(r.shape).toEqual([2, 2]);
    expect(r.values).toEqual(a.map((v, i) => f(v, b[i]!)));
  });
  it('broadcasts [B,d] against [K,B,d] as NumPy', () => {
    const a = [1, 2, 3, 4]; // [2,2]
    const b = [10, 20, 30, 40, 50, 60, 70, 80]; // [2,2,2]
    const r = run(tf.tensor2d(a, [2, 2]), tf.tensor3d(b, [2, 2, 2]));
    expect(r.shape).toEqual([2, 2, 2]);
    expect(r.values).toEqual(b.map((v, i) => f(a[i % 4]!, v)));
  });
  it('broadcasts a [1,d] row over the batch', () => {
    const r = run(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([10, 20, 30], [1, 3]));
    expect(r.values).toEqual([f(1, 10), f(2, 20), f(3, 30), f(4, 10), f(5, 20), f(6, 30)]);
  });
  it('gradients reach both inputs', () => {
    const a = tf.tensor1d([2, 3]);
    const b = tf.tensor1d([5, 7]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(forward(op, { inputs: { a: x, b: y } }).y!))([a, b]);
    const want = [[5, 7], [2, 3]];
    expect(Array.from(ga!.dataSync())).toEqual(want[0]);
    expect(Array.from(gb!.dataSync())).toEqual(want[1]);
    tf.dispose([a, b, ga!, gb!]);
  });
  it('shapes broadcast symbolically', () => {
    expect(inferShapes(op, { a: ['B', 20], b: ['B', 20] })).toEqual({ ok: true, outputs: { y: ['B', 20] } });
    expect(inferShapes(op, { a: ['B', 20], b: [5, 'B', 20] })).toEqual({ ok: true, outputs: { y: [5, 'B', 20] } });
    expect(inferShapes(op, { a: [1, 20], b: ['B', 20] })).toEqual({ ok: true, outputs: { y: ['B', 20] } });
  });
  it('shapes that do not broadcast are a SHAPE_MISMATCH on b', () => {
    expect(inferShapes(op, { a: ['B', 20], b: ['B', 10] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'b' });
    expect(inferShapes(op, { a: ['B', 784], b: ['B'] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'b' });
  });
  it('leaves no tensor behind', () => {
    expect(leakCheck(() => forward(op, { inputs: { a: tf.ones([2, 2]), b: tf.ones([3, 2, 2]) } })).leaked).toBe(0);
  });
});
