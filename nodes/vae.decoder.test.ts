import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import decoder from './vae.decoder';
import { acts, disposeVars, fixedVars, flat, forward, inferShapes, leakCheck, matmul, paramsOf, randArray, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

function rows(v: number[], cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < v.length; i += cols) out.push(v.slice(i, i + cols));
  return out;
}

function linear(x: number[][], w: number[], b: number[], cols: number, act: string): number[][] {
  return matmul(x, rows(w, cols)).map((r) => r.map((u, j) => acts[act]!(u + b[j]!)));
}

describe('vae.decoder shapes and outputUnits', () => {
  it('"auto" takes the width of the data the loss pairs xHat with', () => {
    expect(inferShapes(decoder, { z: ['B', 20] }, {}, { xHat: ['B', 784] })).toEqual({ ok: true, outputs: { xHat: ['B', 784] } });
    expect(inferShapes(decoder, { z: ['B', 20] }, {}, { xHat: ['B', 37] })).toEqual({ ok: true, outputs: { xHat: ['B', 37] } });
  });
  it('a number overrides the hint', () => {
    expect(inferShapes(decoder, { z: ['B', 20] }, { outputUnits: 100 }, { xHat: ['B', 784] })).toEqual({ ok: true, outputs: { xHat: ['B', 100] } });
  });
  it('"auto" with nothing to pair with is a BAD_PARAM on xHat with a fix', () => {
    const r = inferShapes(decoder, { z: ['B', 20] });
    expect(r).toMatchObject({ ok: false, code: 'BAD_PARAM', port: 'xHat' });
    expect(r.ok ? '' : r.fix).toMatch(/outputUnits/);
  });
  it('keeps the sample axis: z [K,B,d] gives xHat [K,B,n]', () => {
    expect(inferShapes(decoder, { z: [5, 'B', 20] }, {}, { xHat: ['B', 784] })).toEqual({ ok: true, outputs: { xHat: [5, 'B', 784] } });
  });
  it('a z without a feature axis is a SHAPE_MISMATCH on z', () => {
    expect(inferShapes(decoder, { z: ['B'] }, {}, { xHat: ['B', 784] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'z' });
  });
  it('variables: z → hidden → out, uniform in ±1/√fan_in', () => {
    const p = paramsOf(decoder, { hidden: [400] });
    const v = decoder.variables!(p, { z: ['B', 20] }, { xHat: ['B', 784] });
    expect(v.map((s) => [s.name, s.shape, s.init])).toEqual([
      ['hidden0/kernel', [20, 400], { kind: 'uniform', bound: 1 / Math.sqrt(20) }],
      ['hidden0/bias', [400], { kind: 'uniform', bound: 1 / Math.sqrt(20) }],
      ['out/kernel', [400, 784], { kind: 'uniform', bound: 1 / 20 }],
      ['out/bias', [784], { kind: 'uniform', bound: 1 / 20 }],
    ]);
  });
  it('range: [0,1] with a sigmoid, unknown without', () => {
    expect(decoder.range!(paramsOf(decoder), 'xHat', {})).toEqual([0, 1]);
    expect(decoder.range!(paramsOf(decoder, { outputActivation: 'none' }), 'xHat', {})).toBeNull();
  });
});

describe('vae.decoder forward', () => {
  const Z = rows(randArray(2 * 2, 61), 2);
  const values = {
    'hidden0/kernel': randArray(2 * 3, 62),
    'hidden0/bias': randArray(3, 63),
    'out/kernel': randArray(3 * 4, 64),
    'out/bias': randArray(4, 65),
  };
  const p = (extra: Record<string, unknown> = {}) => paramsOf(decoder, { hidden: [3], outputUnits: 4, ...extra });

  for (const outputActivation of ['sigmoid', 'none']) {
    it(`xHat = ${outputActivation}(relu(z·W₀ + b₀)·W₁ + b₁)`, () => {
      const params = p({ outputActivation });
      const vars = fixedVars(decoder.variables!(params, { z: ['B', 2] }, { xHat: ['B', 4] }), values);
      const got = tf.tidy(() => flat(forward(decoder, { params, vars, inputs: { z: tf.tensor2d(Z) } }).xHat!));
      const h = linear(Z, values['hidden0/kernel'], values['hidden0/bias'], 3, 'relu');
      const want = linear(h, values['out/kernel'], values['out/bias'], 4, outputActivation).flat();
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
      disposeVars(vars);
    });
  }

  it('maps z [K,B,d] over the sample axis', () => {
    const params = p();
    const vars = fixedVars(decoder.variables!(params, { z: ['B', 2] }, { xHat: ['B', 4] }), values);
    const Z2 = rows(randArray(4, 66), 2);
    const { shape, got } = tf.tidy(() => {
      const y = forward(decoder, { params, vars, inputs: { z: tf.tensor3d([Z, Z2]) } }).xHat!;
      return { shape: y.shape, got: flat(y) };
    });
    expect(shape).toEqual([2, 2, 4]);
    const f = (z: number[][]) => linear(linear(z, values['hidden0/kernel'], values['hidden0/bias'], 3, 'relu'), values['out/kernel'], values['out/bias'], 4, 'sigmoid').flat();
    const want = [...f(Z), ...f(Z2)];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    disposeVars(vars);
  });

  it('leaves no tensor behind', () => {
    const params = p();
    const vars = fixedVars(decoder.variables!(params, { z: ['B', 2] }, { xHat: ['B', 4] }), values);
    expect(leakCheck(() => forward(decoder, { params, vars, inputs: { z: tf.tensor2d(Z) } })).leaked).toBe(0);
    disposeVars(vars);
  });
});
