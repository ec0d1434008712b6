import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import opSplit from './op.split';
import { forward, inferShapes, leakCheck, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

describe('op.split', () => {
  it('splits the last axis: first d to a, second d to b', () => {
    const { a, b } = tf.tidy(() => {
      const o = forward(opSplit, { inputs: { x: tf.tensor2d([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]) } });
      return { a: o.a!.arraySync(), b: o.b!.arraySync() };
    });
    expect(a).toEqual([[1, 2, 3], [7, 8, 9]]);
    expect(b).toEqual([[4, 5, 6], [10, 11, 12]]);
  });
  it('splits [K,B,2d] on the last axis', () => {
    const { a, b } = tf.tidy(() => {
      const o = forward(opSplit, { inputs: { x: tf.tensor3d([[[1, 2]], [[3, 4]]]) } });
      return { a: o.a!.arraySync(), b: o.b!.arraySync() };
    });
    expect(a).toEqual([[[1]], [[3]]]);
    expect(b).toEqual([[[2]], [[4]]]);
  });
  it('passes gradients back to the matching halves', () => {
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    const g = tf.grad((xx: tf.Tensor) => {
      const o = forward(opSplit, { inputs: { x: xx } });
      return tf.add(tf.sum(o.a!), tf.mul(3, tf.sum(o.b!)));
    })(x);
    expect(g.arraySync()).toEqual([[1, 1, 3, 3]]);
    tf.dispose([x, g]);
  });
  it('leaves no tensor behind', () => {
    expect(leakCheck(() => forward(opSplit, { inputs: { x: tf.zeros([2, 8]) } })).leaked).toBe(0);
  });
  it('shapes: [B,2d] → [B,d] twice; [K,B,2d] → [K,B,d]', () => {
    expect(inferShapes(opSplit, { x: ['B', 40] })).toEqual({ ok: true, outputs: { a: ['B', 20], b: ['B', 20] } });
    expect(inferShapes(opSplit, { x: [5, 'B', 40] })).toEqual({ ok: true, outputs: { a: [5, 'B', 20], b: [5, 'B', 20] } });
  });
  it('an odd last axis is a SHAPE_MISMATCH on x', () => {
    expect(inferShapes(opSplit, { x: ['B', 41] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
  });
  it('a symbolic last axis ([B]) is a SHAPE_MISMATCH on x', () => {
    expect(inferShapes(opSplit, { x: ['B'] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
  });
});
