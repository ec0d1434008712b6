import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import layerLstm from './layer.lstm';
import { disposeVars, fixedVars, flat, forward, inferShapes, leakCheck, makeVars, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

const sig = (u: number) => 1 / (1 + Math.exp(-u));
// One unit, one feature: gates i, f, g, o along the columns, two biases.
const Wi = [0.5, -0.3, 0.8, 0.1];
const Wh = [0.2, 0.4, -0.6, 0.7];
const Bi = [0.1, -0.2, 0.05, 0.3];
const Bh = [-0.1, 0.3, 0.25, -0.4];

/** PyTorch's LSTM step, by hand. */
function lstmStep(x: number, h: number, c: number): [number, number] {
  const a = (k: number) => Wi[k]! * x + Bi[k]! + Wh[k]! * h + Bh[k]!;
  const c2 = sig(a(1)) * c + sig(a(0)) * Math.tanh(a(2));
  return [sig(a(3)) * Math.tanh(c2), c2];
}

function specs(units: number, f: number) {
  return layerLstm.variables!(paramsOf(layerLstm, { units }), { x: ['B', 5, f] }, {});
}

describe('layer.lstm', () => {
  it('declares PyTorch’s four tensors with 4·units columns, uniform in ±1/√units', () => {
    const b = { kind: 'uniform', bound: 1 / Math.sqrt(9) };
    expect(specs(9, 2)).toEqual([
      { name: 'lstm/kernel', shape: [2, 36], init: b },
      { name: 'lstm/recurrentKernel', shape: [9, 36], init: b },
      { name: 'lstm/biasIh', shape: [36], init: b },
      { name: 'lstm/biasHh', shape: [36], init: b },
    ]);
  });

  for (const fast of [true, false]) {
    for (const h0 of [null, -0.4]) {
      it(`runs PyTorch's LSTM formula step by step, c0 = 0 (by hand, ${fast ? 'fast' : 'stock'} path, h0 ${h0 ?? 'zeros'})`, () => {
        const vars = fixedVars(specs(1, 1), { 'lstm/kernel': Wi, 'lstm/recurrentKernel': Wh, 'lstm/biasIh': Bi, 'lstm/biasHh': Bh });
        const xs = [1.5, -0.5, 0.25, 2];
        const want: number[] = [];
        let [h, c] = [h0 ?? 0, 0];
        for (const x of xs) {
          [h, c] = lstmStep(x, h, c);
          want.push(h);
        }
        const x = tf.tensor3d(xs, [1, 4, 1]);
        const inputs: Record<string, tf.Tensor> = { x };
        if (h0 !== null) inputs.h0 = tf.tensor2d([[h0]]);
        const out = tf.tidy(() => {
          const o = forward(layerLstm, { params: { units: 1 }, vars, inputs, fast });
          return { y: flat(o.y!), h: flat(o.h!) };
        });
        out.y.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
        expect(out.h[0]).toBeCloseTo(want[3]!, 6);
        tf.dispose(Object.values(inputs));
        disposeVars(vars);
      });
    }
  }

  it('shapes: [B,T,F] → y [B,T,units], h [B,units]; a K axis stays in front', () => {
    expect(inferShapes(layerLstm, { x: ['B', 32, 4] }, { units: 16 })).toEqual({ ok: true, outputs: { y: ['B', 32, 16], h: ['B', 16] } });
    expect(inferShapes(layerLstm, { x: [3, 'B', 32, 4] }, { units: 16 })).toEqual({ ok: true, outputs: { y: [3, 'B', 32, 16], h: [3, 'B', 16] } });
    expect(inferShapes(layerLstm, { x: ['B', 4] }, { units: 16 })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
  });

  it('leaves no tensor behind (fast and stock, with a K axis and h0)', () => {
    const vars = makeVars(specs(4, 3));
    for (const fast of [true, false]) {
      const x = tf.randomNormal([2, 3, 5, 3]);
      const h0 = tf.randomNormal([2, 3, 4]);
      expect(leakCheck(() => forward(layerLstm, { params: { units: 4 }, vars, inputs: { x, h0 }, fast })).leaked).toBe(0);
      tf.dispose([x, h0]);
    }
    disposeVars(vars);
  });
});
