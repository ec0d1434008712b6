import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import opReshape from './op.reshape';
import { isConstant, markConstant } from './lib/dense';
import { flat, forward, inferShapes, leakCheck, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

describe('op.reshape', () => {
  it('reshapes the dims after the batch axis; −1 is inferred; a K axis stays in front', () => {
    expect(inferShapes(opReshape, { x: ['B', 784] }, { shape: [28, 28, 1] })).toEqual({ ok: true, outputs: { y: ['B', 28, 28, 1] } });
    expect(inferShapes(opReshape, { x: ['B', 7, 7, 64] }, { shape: [-1] })).toEqual({ ok: true, outputs: { y: ['B', 3136] } });
    expect(inferShapes(opReshape, { x: [4, 'B', 7, 7, 64] }, { shape: [49, -1] })).toEqual({ ok: true, outputs: { y: [4, 'B', 49, 64] } });
    expect(inferShapes(opReshape, { x: ['B', 128] }, {})).toEqual({ ok: true, outputs: { y: ['B', 128] } });
  });

  it('a size that does not fit is SHAPE_MISMATCH saying what would', () => {
    const r = inferShapes(opReshape, { x: ['B', 784] }, { shape: [28, 27, 1] });
    expect(r).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
    expect(r.ok === false && r.fix).toMatch(/784/);
    expect(inferShapes(opReshape, { x: ['B', 784] }, { shape: [5, -1] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
  });

  it('rejects two −1 and a 0', () => {
    expect(opReshape.params.safeParse({ shape: [-1, -1] }).success).toBe(false);
    expect(opReshape.params.safeParse({ shape: [0, 4] }).success).toBe(false);
  });

  it('keeps the values in row-major (H, W, C) order, and counts axes from the right in eval ([K,B,…] arrives as [B,…])', () => {
    const x = tf.tensor2d([[1, 2, 3, 4, 5, 6]]);
    const y = tf.tidy(() => {
      const o = forward(opReshape, { params: { shape: [1, 3, 2] }, inputs: { x }, inShapes: { x: [2, 'B', 6] } }).y!;
      return { shape: o.shape, v: flat(o) };
    });
    expect(y).toEqual({ shape: [1, 1, 3, 2], v: [1, 2, 3, 4, 5, 6] });
    x.dispose();
  });

  it('a reshaped data batch stays marked constant (the conv after it skips dL/dx)', () => {
    const x = markConstant(tf.zeros([2, 16]));
    const y = forward(opReshape, { params: { shape: [4, 4, 1] }, inputs: { x } }).y!;
    expect(isConstant(y)).toBe(true);
    const x2 = tf.zeros([2, 16]);
    const y2 = forward(opReshape, { params: { shape: [4, 4, 1] }, inputs: { x: x2 } }).y!;
    expect(isConstant(y2)).toBe(false);
    tf.dispose([x, y, x2, y2]);
  });

  it('passes its input’s value range on (a sigmoid stays in [0,1] for the Bernoulli lint)', () => {
    expect(opReshape.range!(paramsOf(opReshape, {}), 'y', { x: [0, 1] })).toEqual([0, 1]);
    expect(opReshape.range!(paramsOf(opReshape, {}), 'y', { x: null })).toBeNull();
  });

  it('leaves no tensor behind', () => {
    const x = tf.zeros([3, 12]);
    expect(leakCheck(() => forward(opReshape, { params: { shape: [2, -1] }, inputs: { x } })).leaked).toBe(0);
    x.dispose();
  });
});
