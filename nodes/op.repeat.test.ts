import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import opRepeat from './op.repeat';
import { flat, forward, inferShapes, leakCheck, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

describe('op.repeat', () => {
  it('[B,D] → [B,T,D]; a K axis stays in front', () => {
    expect(inferShapes(opRepeat, { x: ['B', 8] }, { times: 32 })).toEqual({ ok: true, outputs: { y: ['B', 32, 8] } });
    expect(inferShapes(opRepeat, { x: [3, 'B', 8] }, { times: 4 })).toEqual({ ok: true, outputs: { y: [3, 'B', 4, 8] } });
    expect(inferShapes(opRepeat, { x: ['B'] }, { times: 4 })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
    expect(opRepeat.params.safeParse({}).success).toBe(false);
  });

  it('every step holds the same vector', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const y = tf.tidy(() => flat(forward(opRepeat, { params: { times: 3 }, inputs: { x } }).y!));
    expect(y).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
    x.dispose();
  });

  it('its gradient sums over the steps', () => {
    const x = tf.tensor2d([[1, 2]]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(forward(opRepeat, { params: { times: 3 }, inputs: { x: v } }).y!, tf.tensor3d([[[1, 10], [2, 20], [3, 30]]]))))(x);
    expect(flat(g)).toEqual([6, 60]);
    tf.dispose([x, g]);
  });

  it('passes its input’s value range on', () => {
    expect(opRepeat.range!(paramsOf(opRepeat, { times: 2 }), 'y', { x: [-1, 1] })).toEqual([-1, 1]);
  });

  it('leaves no tensor behind', () => {
    const x = tf.zeros([2, 3, 5]);
    expect(leakCheck(() => forward(opRepeat, { params: { times: 4 }, inputs: { x } })).leaked).toBe(0);
    x.dispose();
  });
});
