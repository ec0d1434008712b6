import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import layerGru from './layer.gru';
import { disposeVars, fixedVars, flat, forward, inferShapes, leakCheck, makeVars, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

const sig = (u: number) => 1 / (1 + Math.exp(-u));
// One unit, one feature: kernel [W_ir, W_iz, W_in], recurrentKernel [W_hr, W_hz, W_hn], two biases.
const Wi = [0.5, -0.3, 0.8];
const Wh = [0.2, 0.4, -0.6];
const Bi = [0.1, -0.2, 0.05];
const Bh = [-0.1, 0.3, 0.25];

/** PyTorch's GRU step, by hand: the reset gate multiplies (W_hn h + b_hn), after the product. */
function gruStep(x: number, h: number): number {
  const r = sig(Wi[0]! * x + Bi[0]! + Wh[0]! * h + Bh[0]!);
  const z = sig(Wi[1]! * x + Bi[1]! + Wh[1]! * h + Bh[1]!);
  const n = Math.tanh(Wi[2]! * x + Bi[2]! + r * (Wh[2]! * h + Bh[2]!));
  return (1 - z) * n + z * h;
}

function specs(units: number, f: number) {
  return layerGru.variables!(paramsOf(layerGru, { units }), { x: ['B', 5, f] }, {});
}

describe('layer.gru', () => {
  it('declares PyTorch’s four tensors, gates r, z, n along the columns, uniform in ±1/√units', () => {
    const b = { kind: 'uniform', bound: 1 / Math.sqrt(16) };
    expect(specs(16, 3)).toEqual([
      { name: 'gru/kernel', shape: [3, 48], init: b },
      { name: 'gru/recurrentKernel', shape: [16, 48], init: b },
      { name: 'gru/biasIh', shape: [48], init: b },
      { name: 'gru/biasHh', shape: [48], init: b },
    ]);
  });

  for (const fast of [true, false]) {
    for (const h0 of [null, 0.7]) {
      it(`runs PyTorch's GRU formula step by step (by hand, ${fast ? 'fast' : 'stock'} path, h0 ${h0 ?? 'zeros'})`, () => {
        const vars = fixedVars(specs(1, 1), { 'gru/kernel': Wi, 'gru/recurrentKernel': Wh, 'gru/biasIh': Bi, 'gru/biasHh': Bh });
        const xs = [1.5, -0.5, 0.25];
        const want: number[] = [];
        let h = h0 ?? 0;
        for (const x of xs) want.push((h = gruStep(x, h)));
        const x = tf.tensor3d(xs, [1, 3, 1]);
        const inputs: Record<string, tf.Tensor> = { x };
        if (h0 !== null) inputs.h0 = tf.tensor2d([[h0]]);
        const out = tf.tidy(() => {
          const o = forward(layerGru, { params: { units: 1 }, vars, inputs, fast });
          return { y: flat(o.y!), h: flat(o.h!), shapes: [o.y!.shape, o.h!.shape] };
        });
        out.y.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
        expect(out.h[0]).toBeCloseTo(want[2]!, 6);
        expect(out.shapes).toEqual([
          [1, 3, 1],
          [1, 1],
        ]);
        tf.dispose(Object.values(inputs));
        disposeVars(vars);
      });
    }
  }

  it('shapes: [B,T,F] → y [B,T,units], h [B,units]; h0 must be [B,units]; a flat input says what fits', () => {
    expect(inferShapes(layerGru, { x: ['B', 32, 4] }, { units: 64 })).toEqual({ ok: true, outputs: { y: ['B', 32, 64], h: ['B', 64] } });
    expect(inferShapes(layerGru, { x: ['B', 32, 4], h0: ['B', 64] }, { units: 64 })).toEqual({ ok: true, outputs: { y: ['B', 32, 64], h: ['B', 64] } });
    expect(inferShapes(layerGru, { x: ['B', 32, 4], h0: ['B', 8] }, { units: 64 })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'h0' });
    const r = inferShapes(layerGru, { x: ['B', 128] }, { units: 64 });
    expect(r).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
    expect(r.ok === false && r.message).toMatch(/\[B,T,F\]/);
  });

  it('h0 is an optional input; x is not', () => {
    expect(layerGru.inputs.find((p) => p.name === 'h0')!.optional).toBe(true);
    expect(layerGru.inputs.find((p) => p.name === 'x')!.optional).toBeFalsy();
  });

  it('leaves no tensor behind (fast and stock)', () => {
    const vars = makeVars(specs(4, 3));
    for (const fast of [true, false]) {
      const x = tf.randomNormal([2, 5, 3]);
      expect(leakCheck(() => forward(layerGru, { params: { units: 4 }, vars, inputs: { x }, fast })).leaked).toBe(0);
      x.dispose();
    }
    disposeVars(vars);
  });
});
