import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import layerConv2d from './layer.conv2d';
import { disposeVars, fixedVars, flat, forward, inferShapes, leakCheck, makeVars, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

function specs(params: Record<string, unknown>, c: number) {
  return layerConv2d.variables!(paramsOf(layerConv2d, params), { x: ['B', 4, 4, c] }, {});
}

describe('layer.conv2d', () => {
  it('declares kernel [k,k,Cin,filters] and bias, uniform in ±1/√(Cin·k²) (nn.Conv2d)', () => {
    expect(specs({ filters: 8 }, 3)).toEqual([
      { name: 'conv/kernel', shape: [4, 4, 3, 8], init: { kind: 'uniform', bound: 1 / Math.sqrt(48) } },
      { name: 'conv/bias', shape: [8], init: { kind: 'uniform', bound: 1 / Math.sqrt(48) } },
    ]);
  });

  for (const fast of [true, false]) {
    it(`padding is PyTorch's: one zero row/column on each side (by hand, ${fast ? 'fast' : 'stock'} path)`, () => {
      // x = 1…16 on a 4×4 grid, a 3×3 kernel of ones, stride 2, padding 1: each output sums the
      // window around (2i, 2j) clipped to the grid. (tf's 'same' would pad 0 before and 1 after.)
      const vars = fixedVars(specs({ filters: 1, kernel: 3 }, 1), { 'conv/kernel': new Array(9).fill(1), 'conv/bias': [0.5] });
      const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
      const y = tf.tidy(() => flat(forward(layerConv2d, { params: { filters: 1, kernel: 3, stride: 2, padding: 1 }, vars, inputs: { x }, fast }).y!));
      expect(y).toEqual([14.5, 30.5, 57.5, 99.5]);
      x.dispose();
      disposeVars(vars);
    });
  }

  it('shapes: [B,28,28,1] → [B,14,14,32] → [B,7,7,64] with the defaults (4×4, stride 2, padding 1); a K axis stays in front', () => {
    expect(inferShapes(layerConv2d, { x: ['B', 28, 28, 1] }, { filters: 32 })).toEqual({ ok: true, outputs: { y: ['B', 14, 14, 32] } });
    expect(inferShapes(layerConv2d, { x: ['B', 14, 14, 32] }, { filters: 64, activation: 'relu' })).toEqual({ ok: true, outputs: { y: ['B', 7, 7, 64] } });
    expect(inferShapes(layerConv2d, { x: [3, 'B', 9, 7, 2] }, { filters: 5, kernel: 3, stride: 2, padding: 1 })).toEqual({ ok: true, outputs: { y: [3, 'B', 5, 4, 5] } });
  });

  it('a flat [B,784] input is SHAPE_MISMATCH on x that says to reshape', () => {
    const r = inferShapes(layerConv2d, { x: ['B', 784] }, { filters: 8 });
    expect(r).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
    expect(r.ok === false && r.fix).toMatch(/op\.reshape/);
  });

  it('a kernel larger than the padded input is SHAPE_MISMATCH saying what fits', () => {
    const r = inferShapes(layerConv2d, { x: ['B', 3, 3, 1] }, { filters: 8, kernel: 7, padding: 1 });
    expect(r).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
    expect(r.ok === false && r.fix).toMatch(/kernel at most 5/);
  });

  it('filters is required', () => {
    expect(layerConv2d.params.safeParse({}).success).toBe(false);
    expect(layerConv2d.params.safeParse({ filters: 1 }).success).toBe(true);
  });

  it('leaves no tensor behind (fast and stock, with a K axis)', () => {
    const vars = makeVars(specs({ filters: 3 }, 2));
    for (const fast of [true, false]) {
      const x = tf.randomNormal([2, 3, 8, 8, 2]);
      expect(leakCheck(() => forward(layerConv2d, { params: { filters: 3, activation: 'relu' }, vars, inputs: { x }, fast })).leaked).toBe(0);
      x.dispose();
    }
    disposeVars(vars);
  });
});
