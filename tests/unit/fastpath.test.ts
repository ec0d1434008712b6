/**
 * The fast dense path (nodes/lib/dense.ts) computes the same function and the same
 * gradients as the stock path (plain tf ops, tf autograd), on cpu and wasm: for every node
 * type with weights, the loss and every gradient (weights and, where it is asked for, the
 * input) agree within 1e-5 relative on the same weights and batch.
 *
 * "Relative" is per tensor: max_i |fast_i − stock_i| ≤ 1e-5 · max_i |stock_i| (a near-zero
 * element of a gradient has no meaningful relative error of its own).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import layerDense from '../../nodes/layer.dense';
import vaeEncoder from '../../nodes/vae.encoder';
import vaeDecoder from '../../nodes/vae.decoder';
import { ACTIVATIONS, dense, markConstant, isConstant, layoutFor } from '../../nodes/lib/dense';
import type { AnyNodeDef } from '../../nodes/types';
import type { BackendName } from '../../src/runtime/backends';
import { disposeVars, forward, makeVars, paramsOf, randArray } from '../fixtures/node-harness';
import { onBackend } from '../fixtures/backend';

const TOL = 1e-5;

interface Case {
  name: string;
  def: AnyNodeDef;
  params: Record<string, unknown>;
  /** The input port and its shape. */
  port: string;
  shape: number[];
  /** Also differentiate with respect to the input (a variable), or feed it as a marked constant. */
  input: 'variable' | 'constant';
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const activation of ACTIVATIONS) {
    // 64→48 with a batch of 8 takes the (W·duᵀ)ᵀ layout on wasm; 3→5 the du·Wᵀ one.
    out.push({ name: `layer.dense ${activation} [8,64]→48`, def: layerDense, params: { units: 48, activation }, port: 'x', shape: [8, 64], input: 'variable' });
    out.push({ name: `layer.dense ${activation} [8,3]→5`, def: layerDense, params: { units: 5, activation }, port: 'x', shape: [8, 3], input: 'variable' });
    out.push({ name: `layer.dense ${activation} rank 3 [3,8,16]→24`, def: layerDense, params: { units: 24, activation }, port: 'x', shape: [3, 8, 16], input: 'variable' });
  }
  // A batch of 128 takes the JavaScript transpose on wasm (nodes/lib/fused.ts: rows a multiple
  // of 128, more columns than rows).
  for (const batch of [128]) {
    out.push({ name: `layer.dense relu [${batch},400]→200`, def: layerDense, params: { units: 200, activation: 'relu' }, port: 'x', shape: [batch, 400], input: 'variable' });
  }
  out.push({ name: 'layer.dense relu, constant input', def: layerDense, params: { units: 40, activation: 'relu' }, port: 'x', shape: [8, 50], input: 'constant' });
  out.push({ name: 'layer.dense tanh, constant rank-3 input', def: layerDense, params: { units: 7, activation: 'tanh' }, port: 'x', shape: [2, 8, 30], input: 'constant' });
  for (const activation of ['relu', 'tanh', 'sigmoid', 'elu']) {
    out.push({ name: `vae.encoder ${activation}, data input (constant)`, def: vaeEncoder, params: { hidden: [32, 24], activation, latentDim: 6 }, port: 'x', shape: [8, 60], input: 'constant' });
  }
  out.push({ name: 'vae.encoder relu, input differentiated', def: vaeEncoder, params: { hidden: [20], latentDim: 4 }, port: 'x', shape: [8, 30], input: 'variable' });
  for (const outputActivation of ['sigmoid', 'none']) {
    out.push({ name: `vae.decoder ${outputActivation}`, def: vaeDecoder, params: { hidden: [24, 32], outputActivation, outputUnits: 50 }, port: 'z', shape: [8, 6], input: 'variable' });
  }
  out.push({ name: 'vae.decoder elu, rank 3 (K samples)', def: vaeDecoder, params: { hidden: [16], activation: 'elu', outputUnits: 40 }, port: 'z', shape: [3, 8, 5], input: 'variable' });
  return out;
}

function maxAbs(a: Float32Array | Int32Array | Uint8Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Loss = Σ over outputs of Σ(y ⊙ R) with fixed random R, and its gradients w.r.t. every variable. */
function lossAndGrads(c: Case, vars: Record<string, tf.Variable>, inputValues: number[], fast: boolean) {
  const inputVar = c.input === 'variable' ? tf.tidy(() => tf.variable(tf.tensor(inputValues, c.shape), true)) : null;
  const all = inputVar ? [...Object.values(vars), inputVar] : Object.values(vars);
  const { value, grads } = tf.variableGrads(() => {
    const x = inputVar ?? markConstant(tf.tensor(inputValues, c.shape));
    const outs = forward(c.def, { params: c.params, vars, inputs: { [c.port]: x }, fast });
    const terms = Object.values(outs).map((y, i) => tf.sum(tf.mul(y, tf.tensor(randArray(y.size, 100 + i), y.shape))));
    return tf.addN(terms) as tf.Scalar;
  }, all);
  const loss = value.dataSync()[0]!;
  const g: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(grads)) g[name === inputVar?.name ? 'input' : name] = t.dataSync() as Float32Array;
  tf.dispose([value, ...Object.values(grads)]);
  inputVar?.dispose();
  return { loss, grads: g };
}

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`fast dense path on ${backend}`, () => {
    onBackend(backend);

    it(`lays its products out for the backend (${layoutFor(backend)})`, () => {
      expect(tf.getBackend()).toBe(backend);
      expect(layoutFor(backend)).toBe(backend === 'wasm' ? 'xnnpack' : 'flags');
    });

    for (const c of cases()) {
      it(`${c.name}: loss and every gradient agree with the stock path within 1e-5`, () => {
        const p = paramsOf(c.def, c.params);
        const symbolic = c.shape.length === 3 ? [c.shape[0]!, 'B' as const, c.shape[2]!] : ['B' as const, c.shape[1]!];
        const shapes = c.def.inferShapes({ nodeId: 'n', params: p, inputs: { [c.port]: symbolic }, multi: {}, hint: () => undefined });
        expect(shapes.ok).toBe(true);
        const specs = c.def.variables!(p, { [c.port]: symbolic }, shapes.ok ? shapes.outputs : {});
        const vars = makeVars(specs, 7);
        const inputValues = randArray(c.shape.reduce((a, b) => a * b, 1), 3, -1.5, 1.5);
        const n0 = tf.memory().numTensors;
        const fast = lossAndGrads(c, vars, inputValues, true);
        const stock = lossAndGrads(c, vars, inputValues, false);
        expect(tf.memory().numTensors).toBe(n0);

        expect(Number.isFinite(stock.loss)).toBe(true);
        expect(Math.abs(fast.loss - stock.loss)).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(stock.loss)));
        const names = Object.keys(stock.grads).sort();
        expect(Object.keys(fast.grads).sort()).toEqual(names);
        // Every variable of the node gets a gradient, and the input one exactly when asked for.
        expect(names.length).toBe(specs.length + (c.input === 'variable' ? 1 : 0));
        for (const name of names) {
          const s = stock.grads[name]!;
          const f = fast.grads[name]!;
          expect(f.length).toBe(s.length);
          const scale = maxAbs(s);
          expect(scale, `${name}: a zero gradient would make this comparison empty`).toBeGreaterThan(0);
          expect(maxDiff(f, s), `${name} (max |g| ${scale.toExponential(2)})`).toBeLessThanOrEqual(TOL * scale);
        }
        disposeVars(vars);
      });
    }

    it('a non-finite input gives the same non-finite outputs on both paths (relu does not clamp NaN to 0)', () => {
      const w = tf.tensor2d(randArray(4 * 3, 11), [4, 3]);
      const b = tf.tensor1d(randArray(3, 12));
      const x = tf.tensor2d([NaN, 1, 2, 3, 1, Infinity, 0, 0, -Infinity, 0, 0, 0, 1, 2, 3, 4], [4, 4]);
      for (const act of ACTIVATIONS) {
        const [f, s] = tf.tidy(() => [dense(x, w, b, act, true).dataSync(), dense(x, w, b, act, false).dataSync()]);
        const pattern = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isNaN(v) ? 'nan' : Number.isFinite(v) ? 'finite' : 'inf'));
        expect(pattern(f), act).toEqual(pattern(s));
        expect(pattern(s).filter((k) => k !== 'finite').length, act).toBeGreaterThan(0);
      }
      tf.dispose([w, b, x]);
    });

    it('markConstant marks only the tensor it is given', () => {
      const a = tf.zeros([2, 2]);
      const b = tf.zeros([2, 2]);
      expect(isConstant(markConstant(a))).toBe(true);
      expect(isConstant(b)).toBe(false);
      expect(tf.tidy(() => isConstant(tf.reshape(a, [4])))).toBe(false);
      tf.dispose([a, b]);
    });
  });
}
