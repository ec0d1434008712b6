import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import encoder from './vae.encoder';
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

describe('vae.encoder variables', () => {
  it('an MLP trunk and two heads, each uniform in ±1/√fan_in', () => {
    const p = paramsOf(encoder, { hidden: [400], latentDim: 20 });
    const v = encoder.variables!(p, { x: ['B', 784] }, { mu: ['B', 20], logvar: ['B', 20] });
    expect(v.map((s) => [s.name, s.shape, s.init])).toEqual([
      ['hidden0/kernel', [784, 400], { kind: 'uniform', bound: 1 / 28 }],
      ['hidden0/bias', [400], { kind: 'uniform', bound: 1 / 28 }],
      ['mu/kernel', [400, 20], { kind: 'uniform', bound: 1 / 20 }],
      ['mu/bias', [20], { kind: 'uniform', bound: 1 / 20 }],
      ['logvar/kernel', [400, 20], { kind: 'uniform', bound: 1 / 20 }],
      ['logvar/bias', [20], { kind: 'uniform', bound: 1 / 20 }],
    ]);
  });
  it('two hidden layers chain their widths', () => {
    const p = paramsOf(encoder, { hidden: [16, 8], latentDim: 2 });
    const v = encoder.variables!(p, { x: ['B', 10] }, {});
    expect(v.filter((s) => s.name.endsWith('kernel')).map((s) => s.shape)).toEqual([
      [10, 16],
      [16, 8],
      [8, 2],
      [8, 2],
    ]);
  });
  it('no hidden layer: the heads read x directly', () => {
    const v = encoder.variables!(paramsOf(encoder, { hidden: [], latentDim: 3 }), { x: ['B', 5] }, {});
    expect(v.map((s) => s.name)).toEqual(['mu/kernel', 'mu/bias', 'logvar/kernel', 'logvar/bias']);
    expect(v[0]!.shape).toEqual([5, 3]);
  });
});

describe('vae.encoder forward', () => {
  const X = rows(randArray(2 * 3, 51), 3);
  const values = {
    'hidden0/kernel': randArray(3 * 4, 52),
    'hidden0/bias': randArray(4, 53),
    'mu/kernel': randArray(4 * 2, 54),
    'mu/bias': randArray(2, 55),
    'logvar/kernel': randArray(4 * 2, 56),
    'logvar/bias': randArray(2, 57),
  };
  for (const activation of ['relu', 'tanh', 'sigmoid', 'elu']) {
    it(`μ and log σ² are linear heads over ${activation}(x·W₀ + b₀)`, () => {
      const p = paramsOf(encoder, { hidden: [4], latentDim: 2, activation });
      const vars = fixedVars(encoder.variables!(p, { x: ['B', 3] }, {}), values);
      const out = tf.tidy(() => {
        const o = forward(encoder, { params: p, vars, inputs: { x: tf.tensor2d(X) } });
        expect(o.mu!.shape).toEqual([2, 2]);
        expect(o.logvar!.shape).toEqual([2, 2]);
        return { mu: flat(o.mu!), logvar: flat(o.logvar!) };
      });
      const h = linear(X, values['hidden0/kernel'], values['hidden0/bias'], 4, activation);
      const mu = linear(h, values['mu/kernel'], values['mu/bias'], 2, 'none').flat();
      const lv = linear(h, values['logvar/kernel'], values['logvar/bias'], 2, 'none').flat();
      out.mu.forEach((v, i) => expect(v).toBeCloseTo(mu[i]!, 5));
      out.logvar.forEach((v, i) => expect(v).toBeCloseTo(lv[i]!, 5));
      expect(out.mu).not.toEqual(out.logvar);
      disposeVars(vars);
    });
  }

  it('leaves no tensor behind', () => {
    const p = paramsOf(encoder, { hidden: [4], latentDim: 2 });
    const vars = fixedVars(encoder.variables!(p, { x: ['B', 3] }, {}), values);
    expect(leakCheck(() => forward(encoder, { params: p, vars, inputs: { x: tf.tensor2d(X) } })).leaked).toBe(0);
    disposeVars(vars);
  });
});

describe('vae.encoder shapes', () => {
  it('[B,784] gives μ and log σ² [B,d]', () => {
    expect(inferShapes(encoder, { x: ['B', 784] }, { latentDim: 7 })).toEqual({ ok: true, outputs: { mu: ['B', 7], logvar: ['B', 7] } });
  });
  it('a [B] input is a SHAPE_MISMATCH on x', () => {
    expect(inferShapes(encoder, { x: ['B'] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
  });
  it('defaults: hidden [400], relu, latentDim 20', () => {
    expect(paramsOf(encoder)).toEqual({ arch: 'mlp', hidden: [400], activation: 'relu', latentDim: 20 });
  });
});
