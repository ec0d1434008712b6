import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import layerConv2dTranspose from './layer.conv2dTranspose';
import { disposeVars, fixedVars, flat, forward, inferShapes, leakCheck, makeVars, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

function specs(params: Record<string, unknown>, c: number) {
  return layerConv2dTranspose.variables!(paramsOf(layerConv2dTranspose, params), { x: ['B', 2, 2, c] }, {});
}

describe('layer.conv2dTranspose', () => {
  it('declares kernel [k,k,filters,Cin] and bias, uniform in ±1/√(filters·k²) (ConvTranspose2d takes fan_in from out_channels)', () => {
    expect(specs({ filters: 2 }, 64)).toEqual([
      { name: 'conv/kernel', shape: [4, 4, 2, 64], init: { kind: 'uniform', bound: 1 / Math.sqrt(32) } },
      { name: 'conv/bias', shape: [2], init: { kind: 'uniform', bound: 1 / Math.sqrt(32) } },
    ]);
  });

  for (const fast of [true, false]) {
    it(`4×4, stride 2, padding 1 doubles H and W: by hand (${fast ? 'fast' : 'stock'} path)`, () => {
      // Output row y gets input rows i with 2i − 1 ≤ y ≤ 2i + 2: y=0 {0}, 1 {0,1}, 2 {0,1}, 3 {1};
      // with a kernel of ones each output sums x over those rows × columns.
      const vars = fixedVars(specs({ filters: 1 }, 1), { 'conv/kernel': new Array(16).fill(1), 'conv/bias': [0] });
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const y = tf.tidy(() => flat(forward(layerConv2dTranspose, { params: { filters: 1 }, vars, inputs: { x }, fast }).y!));
      expect(y).toEqual([1, 3, 3, 2, 4, 10, 10, 6, 4, 10, 10, 6, 3, 7, 7, 4]);
      x.dispose();
      disposeVars(vars);
    });
  }

  it('shapes: [B,7,7,64] → [B,14,14,32] → [B,28,28,1]; H′ = (H − 1)·s − 2p + k', () => {
    expect(inferShapes(layerConv2dTranspose, { x: ['B', 7, 7, 64] }, { filters: 32 })).toEqual({ ok: true, outputs: { y: ['B', 14, 14, 32] } });
    expect(inferShapes(layerConv2dTranspose, { x: ['B', 14, 14, 32] }, { filters: 1 })).toEqual({ ok: true, outputs: { y: ['B', 28, 28, 1] } });
    expect(inferShapes(layerConv2dTranspose, { x: ['B', 5, 3, 2] }, { filters: 4, kernel: 3, stride: 2, padding: 1 })).toEqual({ ok: true, outputs: { y: ['B', 9, 5, 4] } });
  });

  it('padding that leaves no output is SHAPE_MISMATCH saying what fits; a flat input says to reshape', () => {
    const r = inferShapes(layerConv2dTranspose, { x: ['B', 1, 1, 2] }, { filters: 1, kernel: 2, stride: 1, padding: 1 });
    expect(r).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
    expect(r.ok === false && r.fix).toMatch(/padding at most 0/);
    expect(inferShapes(layerConv2dTranspose, { x: ['B', 20] }, { filters: 1 })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
  });

  it('leaves no tensor behind (fast and stock)', () => {
    const vars = makeVars(specs({ filters: 3 }, 2));
    for (const fast of [true, false]) {
      const x = tf.randomNormal([2, 4, 4, 2]);
      expect(leakCheck(() => forward(layerConv2dTranspose, { params: { filters: 3, activation: 'sigmoid' }, vars, inputs: { x }, fast })).leaked).toBe(0);
      x.dispose();
    }
    disposeVars(vars);
  });
});
