import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import layerDense from './layer.dense';
import { ACTIVATIONS, dense, denseVars } from './lib/dense';
import { acts, disposeVars, fixedVars, flat, forward, inferShapes, leakCheck, matmul, paramsOf, randArray, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

const X = [
  [0.5, -1, 2],
  [-0.25, 0.75, 0],
];
const W = [
  [0.1, -0.2],
  [0.3, 0.4],
  [-0.5, 0.6],
];
const Bias = [0.05, -0.1];

function byHand(x: number[][], act: string): number[] {
  return matmul(x, W)
    .map((row) => row.map((u, j) => acts[act]!(u + Bias[j]!)))
    .flat();
}

function specs() {
  const p = paramsOf(layerDense, { units: 2 });
  return layerDense.variables!(p, { x: ['B', 3] }, { y: ['B', 2] });
}

describe('layer.dense variables', () => {
  it('declares kernel [in, units] and bias [units], uniform in ±1/√fan_in (nn.Linear)', () => {
    const p = paramsOf(layerDense, { units: 7 });
    const v = layerDense.variables!(p, { x: ['B', 25] }, { y: ['B', 7] });
    expect(v).toEqual([
      { name: 'dense/kernel', shape: [25, 7], init: { kind: 'uniform', bound: 0.2 } },
      { name: 'dense/bias', shape: [7], init: { kind: 'uniform', bound: 0.2 } },
    ]);
  });
  it('denseVars uses the fan-in, not the fan-out', () => {
    expect(denseVars('d', 400, 20).map((v) => v.init)).toEqual([
      { kind: 'uniform', bound: 1 / 20 },
      { kind: 'uniform', bound: 1 / 20 },
    ]);
  });
});

describe('layer.dense forward', () => {
  for (const act of ACTIVATIONS) {
    for (const fast of [true, false]) {
      it(`y = ${act}(x·W + b) (${fast ? 'fast' : 'stock'} path)`, () => {
        const vars = fixedVars(specs(), { 'dense/kernel': W.flat(), 'dense/bias': Bias });
        const got = tf.tidy(() => flat(forward(layerDense, { params: { units: 2, activation: act }, fast, vars, inputs: { x: tf.tensor2d(X) } }).y!));
        const want = byHand(X, act);
        got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));
        disposeVars(vars);
      });
    }
  }

  it('maps a rank-3 input [K,B,n] over its leading axes', () => {
    const vars = fixedVars(specs(), { 'dense/kernel': W.flat(), 'dense/bias': Bias });
    const X2 = [
      [1, 1, 1],
      [0, -2, 0.5],
    ];
    const { shape, values } = tf.tidy(() => {
      const y = forward(layerDense, { params: { units: 2, activation: 'tanh' }, vars, inputs: { x: tf.tensor3d([X, X2]) } }).y!;
      return { shape: y.shape, values: flat(y) };
    });
    expect(shape).toEqual([2, 2, 2]);
    const want = [...byHand(X, 'tanh'), ...byHand(X2, 'tanh')];
    values.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));
    disposeVars(vars);
  });

  for (const act of ACTIVATIONS) {
    it(`the fast path's custom gradient equals the stock gradient (${act})`, () => {
      const x = tf.tensor3d(randArray(2 * 4 * 3, 5), [2, 4, 3]);
      const w = tf.tensor2d(randArray(6, 6), [3, 2]);
      const b = tf.tensor1d(randArray(2, 7));
      const upstream = tf.tensor3d(randArray(2 * 4 * 2, 8), [2, 4, 2]);
      const f = (fast: boolean) => tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(dense(xx, ww, bb, act, fast), upstream)))([x, w, b]);
      const g1 = f(true);
      const g0 = f(false);
      for (let i = 0; i < 3; i++) {
        expect(g1[i]!.shape).toEqual(g0[i]!.shape);
        flat(g1[i]!).forEach((v, k) => expect(v).toBeCloseTo(flat(g0[i]!)[k]!, 5));
      }
      tf.dispose([x, w, b, upstream, ...g1, ...g0]);
    });
  }

  it('the kernel gradient of a linear layer is xᵀ·dy (by hand)', () => {
    const vars = fixedVars(specs(), { 'dense/kernel': W.flat(), 'dense/bias': Bias });
    const x = tf.tensor2d(X);
    const { grads } = tf.variableGrads(() => tf.sum(forward(layerDense, { params: { units: 2 }, vars, inputs: { x } }).y!) as tf.Scalar, [vars['dense/kernel']!, vars['dense/bias']!]);
    const gk = flat(grads[vars['dense/kernel']!.name]!);
    // dy = ones: ∂/∂W_ij = Σ_b x_bi
    const want = [0.25, 0.25, -0.25, -0.25, 2, 2];
    gk.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(flat(grads[vars['dense/bias']!.name]!)).toEqual([2, 2]);
    tf.dispose([x, ...Object.values(grads)]);
    disposeVars(vars);
  });

  it('leaves no tensor behind', () => {
    const vars = fixedVars(specs(), { 'dense/kernel': W.flat(), 'dense/bias': Bias });
    expect(leakCheck(() => forward(layerDense, { params: { units: 2, activation: 'elu' }, vars, inputs: { x: tf.tensor3d([X, X]) } })).leaked).toBe(0);
    disposeVars(vars);
  });
});

describe('layer.dense shapes', () => {
  it('acts on the last axis', () => {
    expect(inferShapes(layerDense, { x: ['B', 3] }, { units: 9 })).toEqual({ ok: true, outputs: { y: ['B', 9] } });
    expect(inferShapes(layerDense, { x: [5, 'B', 3] }, { units: 9 })).toEqual({ ok: true, outputs: { y: [5, 'B', 9] } });
  });
  it('a per-example loss [B] is not a batch of feature vectors: SHAPE_MISMATCH on x', () => {
    expect(inferShapes(layerDense, { x: ['B'] }, { units: 9 })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'x' });
  });
  it('units is required and within 1…16384', () => {
    expect(layerDense.params.safeParse({}).success).toBe(false);
    expect(layerDense.params.safeParse({ units: 0 }).success).toBe(false);
    expect(layerDense.params.safeParse({ units: 16385 }).success).toBe(false);
    expect(layerDense.params.safeParse({ units: 16384 }).success).toBe(true);
  });
  it('range: sigmoid gives [0,1], tanh [−1,1], none unknown', () => {
    expect(layerDense.range!(paramsOf(layerDense, { units: 1, activation: 'sigmoid' }), 'y', {})).toEqual([0, 1]);
    expect(layerDense.range!(paramsOf(layerDense, { units: 1, activation: 'tanh' }), 'y', {})).toEqual([-1, 1]);
    expect(layerDense.range!(paramsOf(layerDense, { units: 1 }), 'y', {})).toBeNull();
  });
});
