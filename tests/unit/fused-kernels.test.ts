/**
 * The fused wasm kernels (nodes/lib/fused.ts) against the stock tfjs ops they replace, on
 * wasm in Node: the Bernoulli reconstruction (forward and gradients with respect to p and x)
 * within 1e-5 relative, its edge cases (p = 0 and 1, p outside [0, 1]), and no tensor left
 * behind. The dense layer's fused passes are held against the stock path by
 * tests/unit/fastpath.test.ts, Adam's by nodes/train.optimizer.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import lossRecon from '../../nodes/loss.reconstruction';
import lossKl from '../../nodes/loss.kl';
import vaeReparameterize from '../../nodes/vae.reparameterize';
import type { AnyNodeDef } from '../../nodes/types';
import { colSum, fusedKernels, KERNELS, transpose2d } from '../../nodes/lib/fused';
import { markConstant } from '../../nodes/lib/dense';
import { forward, randArray } from '../fixtures/node-harness';
import { onBackend } from '../fixtures/backend';

const TOL = 1e-5;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** The node's nll and, weighted by fixed random r, its gradients w.r.t. p and (when a variable) x. */
function reconGrads(pVals: number[], xVals: number[], shape: [number, number], fast: boolean, xKind: 'constant' | 'variable', reduction: 'sum' | 'mean') {
  const p = tf.tidy(() => tf.variable(tf.tensor2d(pVals, shape), true));
  const xv = xKind === 'variable' ? tf.tidy(() => tf.variable(tf.tensor2d(xVals, shape), true)) : null;
  const r = tf.tensor1d(randArray(shape[0], 5, 0.5, 1.5));
  let nll: number[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const x = xv ?? markConstant(tf.tensor2d(xVals, shape));
    const out = forward(lossRecon, { params: { likelihood: 'bernoulli', reduction }, inputs: { xHat: p, x }, fast }).nll!;
    nll = Array.from(out.dataSync());
    return tf.sum(tf.mul(out, r)) as tf.Scalar;
  }, xv ? [p, xv] : [p]);
  const gp = Array.from(grads[p.name]!.dataSync());
  const gx = xv ? Array.from(grads[xv.name]!.dataSync()) : null;
  tf.dispose([value, ...Object.values(grads), p, r]);
  xv?.dispose();
  return { nll, gp, gx };
}

describe('fused Bernoulli reconstruction on wasm', () => {
  onBackend('wasm');

  it('runs on wasm only', () => {
    expect(fusedKernels()).toBe(true);
  });

  const shape: [number, number] = [6, 50];
  const n = shape[0] * shape[1];
  // p in (0, 1) with exact 0s and 1s (clamped logs), x in [0, 1] with some exact 0s and 1s.
  const pVals = randArray(n, 31, 0.001, 0.999).map((v, i) => (i % 17 === 0 ? 0 : i % 19 === 0 ? 1 : v));
  const xVals = randArray(n, 32, 0, 1).map((v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? 1 : v));

  for (const xKind of ['constant', 'variable'] as const) {
    for (const reduction of ['sum', 'mean'] as const) {
      it(`x ${xKind}, ${reduction}: nll and gradients equal the stock ops within 1e-5`, () => {
        const n0 = tf.memory().numTensors;
        const fast = reconGrads(pVals, xVals, shape, true, xKind, reduction);
        const stock = reconGrads(pVals, xVals, shape, false, xKind, reduction);
        expect(tf.memory().numTensors).toBe(n0);
        for (const v of [...stock.nll, ...stock.gp]) expect(Number.isFinite(v)).toBe(true);
        expect(maxDiff(fast.nll, stock.nll)).toBeLessThanOrEqual(TOL * maxAbs(stock.nll));
        expect(maxAbs(stock.gp)).toBeGreaterThan(0);
        expect(maxDiff(fast.gp, stock.gp)).toBeLessThanOrEqual(TOL * maxAbs(stock.gp));
        expect(fast.gx === null).toBe(xKind === 'constant');
        if (xKind === 'variable') expect(maxDiff(fast.gx!, stock.gx!)).toBeLessThanOrEqual(TOL * maxAbs(stock.gx!));
      });
    }
  }

  it('is NaN exactly where the stock loss is (p outside [0, 1])', () => {
    const p = [0.5, -0.1, 0.3, 1.2, 0.9, 0.2];
    const x = [1, 1, 0, 0, 1, 0];
    const [f, s] = [true, false].map((fast) =>
      tf.tidy(() => Array.from(forward(lossRecon, { params: { likelihood: 'bernoulli' }, inputs: { xHat: tf.tensor2d(p, [3, 2]), x: tf.tensor2d(x, [3, 2]) }, fast }).nll!.dataSync())),
    );
    expect(f!.map(Number.isNaN)).toEqual([true, true, false]);
    expect(s!.map(Number.isNaN)).toEqual([true, true, false]);
    expect(Math.abs(f![2]! - s![2]!)).toBeLessThan(1e-5);
  });

  it('numTensors stays flat over 30 steps of forward and backward (counted outside tidy)', () => {
    const p = tf.tidy(() => tf.variable(tf.tensor2d(pVals, shape), true));
    const counts: number[] = [];
    for (let i = 0; i < 30; i++) {
      const { value, grads } = tf.variableGrads(() => {
        const x = markConstant(tf.tensor2d(xVals, shape));
        return tf.mean(forward(lossRecon, { params: {}, inputs: { xHat: p, x } }).nll!) as tf.Scalar;
      }, [p]);
      tf.dispose([value, ...Object.values(grads)]);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size, counts.join(',')).toBe(1);
    p.dispose();
  });
});

describe('Identity on wasm shares the buffer', () => {
  onBackend('wasm');
  beforeAll(() => {
    fusedKernels(); // installs it
  });

  it('tf.clone takes no new buffer, reads the same values, and outlives its original', () => {
    const buffers0 = tf.memory().numDataBuffers;
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const c = tf.clone(a);
    expect(c.dataId).toBe(a.dataId);
    expect(tf.memory().numDataBuffers).toBe(buffers0 + 1);
    a.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    c.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffers0);
  });
});

describe('colSum on wasm', () => {
  onBackend('wasm');

  it('equals tf.sum(x, 0) within 1e-5: rows a multiple of 8 or not, NaN and Infinity kept', () => {
    for (const shape of [[128, 784], [21, 50], [3, 7], [8, 1]] as Array<[number, number]>) {
      const values = randArray(shape[0] * shape[1], shape[0] * 7 + shape[1], -2, 2);
      if (shape[1] > 2) {
        values[shape[1] + 1] = NaN;
        values[2 * shape[1] - 1] = Infinity;
      }
      const x = tf.tensor2d(values, shape);
      const [a, b] = tf.tidy(() => [Array.from(colSum(x).dataSync()), Array.from(tf.sum(x, 0).dataSync())]);
      const finite = b.filter(Number.isFinite);
      const scale = Math.max(1, maxAbs(finite));
      a.forEach((v, j) => {
        if (Number.isFinite(b[j]!)) expect(Math.abs(v - b[j]!), `${JSON.stringify(shape)} column ${j}`).toBeLessThanOrEqual(TOL * scale);
        else expect(String(v)).toBe(String(b[j]));
      });
      x.dispose();
    }
  });
});

describe('transpose2d on wasm', () => {
  onBackend('wasm');

  it('equals tf.transpose exactly: wide and tall, rows a multiple of 8 or not, NaN kept', () => {
    for (const shape of [[128, 784], [256, 300], [21, 400], [3, 5000], [784, 128], [7, 9]] as Array<[number, number]>) {
      const values = randArray(shape[0] * shape[1], shape[0] + shape[1]);
      values[5] = NaN;
      const x = tf.tensor2d(values, shape);
      // The kernel itself (transpose2d takes it only for rows a multiple of 128), and transpose2d.
      const viaKernel = (t: tf.Tensor) => tf.engine().runKernel(KERNELS.transpose, { x: t }) as tf.Tensor;
      const [a, b, c] = tf.tidy(() => [Array.from(viaKernel(x).dataSync()), Array.from(tf.transpose(x).dataSync()), Array.from(transpose2d(x).dataSync())]);
      expect(c, JSON.stringify(shape)).toEqual(b);
      expect(a, JSON.stringify(shape)).toEqual(b);
      x.dispose();
    }
  });
});

/** A node's output (port `port`) over μ, log σ² variables, and the gradients of Σ r ⊙ output w.r.t. both. */
function latentGrads(def: AnyNodeDef, params: Record<string, unknown>, port: string, mu: number[], lv: number[], shape: [number, number], fast: boolean) {
  const m = tf.tidy(() => tf.variable(tf.tensor2d(mu, shape), true));
  const l = tf.tidy(() => tf.variable(tf.tensor2d(lv, shape), true));
  let out: number[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const y = forward(def, { params, inputs: { mu: m, logvar: l }, fast })[port]!;
    out = Array.from(y.dataSync());
    return tf.sum(tf.mul(y, tf.tensor(randArray(y.size, 9, 0.5, 1.5), y.shape))) as tf.Scalar;
  }, [m, l]);
  const g = [Array.from(grads[m.name]!.dataSync()), Array.from(grads[l.name]!.dataSync())];
  tf.dispose([value, ...Object.values(grads), m, l]);
  return { out, dmu: g[0]!, dlv: g[1]! };
}

describe('fused reparameterization and KL on wasm', () => {
  onBackend('wasm');

  const shape: [number, number] = [16, 20];
  const mu = randArray(320, 41, -3, 3);
  const lv = randArray(320, 42, -6, 3);
  const cases: Array<[string, AnyNodeDef, Record<string, unknown>, string]> = [
    ['vae.reparameterize', vaeReparameterize, {}, 'z'],
    ['loss.kl sum', lossKl, { reduction: 'sum' }, 'kl'],
    ['loss.kl mean', lossKl, { reduction: 'mean' }, 'kl'],
  ];
  for (const [name, def, params, port] of cases) {
    it(`${name}: output and gradients equal the stock ops within 1e-5; nothing left behind`, () => {
      const n0 = tf.memory().numTensors;
      const f = latentGrads(def, params, port, mu, lv, shape, true);
      const s = latentGrads(def, params, port, mu, lv, shape, false);
      expect(tf.memory().numTensors).toBe(n0);
      for (const [a, b, what] of [[f.out, s.out, 'out'], [f.dmu, s.dmu, 'dμ'], [f.dlv, s.dlv, 'dlogσ²']] as const) {
        expect(maxAbs(b), what).toBeGreaterThan(0);
        expect(maxDiff(a, b), what).toBeLessThanOrEqual(TOL * maxAbs(b));
      }
    });
  }
});
