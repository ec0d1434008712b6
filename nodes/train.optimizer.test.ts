import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import trainOptimizer, { LeanAdam, createOptimizer } from './train.optimizer';
import { forward, inferShapes, leakCheck, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

describe('train.optimizer', () => {
  it('the objective is the batch mean of the per-example sum of its losses', () => {
    const recon = tf.tensor1d([10, 20, 30]);
    const kl = tf.tensor1d([1, 2, 6]);
    const objective = tf.tidy(() => forward(trainOptimizer, { multi: { loss: [recon, kl] }, inputs: { loss: recon } }).objective!.dataSync()[0]);
    expect(objective).toBeCloseTo((11 + 22 + 36) / 3, 5);
    const single = tf.tidy(() => forward(trainOptimizer, { multi: { loss: [recon] }, inputs: { loss: recon } }).objective!.dataSync()[0]);
    expect(single).toBeCloseTo(20, 5);
    tf.dispose([recon, kl]);
  });

  it('takes any number of per-example losses, refuses other shapes', () => {
    expect(inferShapes(trainOptimizer, {}, {}, {}, { loss: [['B'], ['B'], ['B']] })).toEqual({ ok: true, outputs: {} });
    expect(inferShapes(trainOptimizer, {}, {}, {}, { loss: [['B'], ['B', 784]] })).toMatchObject({ ok: false, code: 'SHAPE_MISMATCH', port: 'loss' });
  });

  it('creates the named algorithm with its learning rate', () => {
    for (const [algorithm, cls] of [
      ['adam', LeanAdam],
      ['sgd', tf.SGDOptimizer],
      ['rmsprop', tf.RMSPropOptimizer],
    ] as const) {
      const opt = createOptimizer(paramsOf(trainOptimizer, { algorithm, learningRate: 0.05 }));
      expect(opt).toBeInstanceOf(cls);
      expect((opt as unknown as { learningRate: number }).learningRate).toBe(0.05);
      opt.dispose();
    }
  });

  it('Adam (LeanAdam: 12 kernels per variable, bias corrections as scalars) matches tf.train.adam within 1e-5 over 30 steps, on cpu and wasm', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      await tf.ready();
      const n0 = tf.memory().numTensors;
      const init = tf.tidy(() => tf.randomNormal([37, 23], 0, 1, 'float32', 7));
      const mk = (tag: string) => tf.tidy(() => ({ w: tf.variable(init, true, `${tag}-${backend}-w`), b: tf.variable(tf.zeros([23]), true, `${tag}-${backend}-b`) }));
      const lean = mk('lean');
      const stock = mk('stock');
      const optLean = new LeanAdam(0.01);
      const optStock: tf.Optimizer = tf.train.adam(0.01);
      const x = tf.randomNormal([16, 37], 0, 1, 'float32', 3);
      const loss = (p: { w: tf.Variable; b: tf.Variable }) => () => tf.sum(tf.square(tf.sub(tf.relu(tf.add(tf.matMul(x, p.w), p.b)), 0.5))) as tf.Scalar;
      let kernels = 0;
      for (let step = 0; step < 30; step++) {
        const gl = tf.variableGrads(loss(lean), [lean.w, lean.b]);
        const gs = tf.variableGrads(loss(stock), [stock.w, stock.b]);
        const before = tf.memory().numTensors;
        const prof = await tf.profile(() => optLean.applyGradients({ [lean.w.name]: gl.grads[lean.w.name]!, [lean.b.name]: gl.grads[lean.b.name]! }));
        if (step > 0) kernels = prof.kernels.length;
        optStock.applyGradients({ [stock.w.name]: gs.grads[stock.w.name]!, [stock.b.name]: gs.grads[stock.b.name]! });
        tf.dispose([gl.value, gs.value, ...Object.values(gl.grads), ...Object.values(gs.grads)]);
        if (step > 0) expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
      }
      for (const k of ['w', 'b'] as const) {
        const a = lean[k].dataSync();
        const s = stock[k].dataSync();
        let worst = 0;
        // Normwise: the largest difference against the largest weight (an element whose
        // gradient hovers at 0 takes steps of ±lr either way: m/√v amplifies its rounding).
        let scale = 0;
        for (let i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i]! - s[i]!));
          scale = Math.max(scale, Math.abs(s[i]!));
        }
        expect(worst / scale, `${backend} ${k}`).toBeLessThan(1e-5);
        expect(Math.abs(a[0]! - (k === 'w' ? init.dataSync()[0]! : 0))).toBeGreaterThan(1e-3); // it did train
      }
      // 2 variables × 12 kernels (tf.train.adam: 2 × 14 + 4); on wasm one fused kernel each
      expect(kernels).toBe(backend === 'wasm' ? 2 : 24);
      optLean.dispose();
      optStock.dispose();
      tf.dispose([init, x, lean.w, lean.b, stock.w, stock.b]);
      expect(tf.memory().numTensors).toBe(n0);
    }
    await useCpu();
  });

  it('on wasm the fused update writes new buffers: a tensor sharing a variable\'s or a moment\'s buffer keeps its values, and numTensors stays flat', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const n0 = tf.memory().numTensors;
    const init = tf.randomNormal([5, 3], 0, 1, 'float32', 11);
    const w = tf.variable(init, true, 'alias-w');
    init.dispose();
    const opt = new LeanAdam(0.1);
    const grad = () => ({ 'alias-w': tf.onesLike(w) });
    const g0 = grad();
    opt.applyGradients(g0);
    tf.dispose(Object.values(g0));
    // Aliases: a reshape shares its buffer (dataId) with the variable; setWeights' tensors with the moments.
    const alias = tf.reshape(w, [15]);
    const before = alias.dataSync().slice();
    const saved = await opt.getWeights();
    const copies = saved.map((s) => ({ name: s.name, tensor: tf.clone(s.tensor) }));
    await opt.setWeights(copies);
    const copyValues = copies.map((c) => c.tensor.dataSync().slice());
    const counts: number[] = [];
    for (let step = 0; step < 50; step++) {
      const g = grad();
      opt.applyGradients(g);
      tf.dispose(Object.values(g));
      counts.push(tf.memory().numTensors);
    }
    expect(Array.from(alias.dataSync())).toEqual(Array.from(before));
    copies.forEach((c, i) => expect(Array.from(c.tensor.dataSync()), c.name).toEqual(Array.from(copyValues[i]!)));
    expect(Array.from(w.dataSync())).not.toEqual(Array.from(before)); // it did train
    expect(new Set(counts).size, `numTensors ${counts.join(',')}`).toBe(1);
    opt.dispose();
    tf.dispose([w, alias, ...copies.map((c) => c.tensor), ...saved.map((s) => s.tensor)]);
    expect(tf.memory().numTensors).toBe(n0);
    await useCpu();
  });

  it('learningRate must be in (0, 10]', () => {
    expect(trainOptimizer.params.safeParse({ learningRate: 0 }).success).toBe(false);
    expect(trainOptimizer.params.safeParse({ learningRate: 11 }).success).toBe(false);
    expect(trainOptimizer.params.safeParse({ learningRate: 10 }).success).toBe(true);
  });

  it('leaves no tensor behind', () => {
    const l = tf.tensor1d([1, 2]);
    expect(leakCheck(() => forward(trainOptimizer, { multi: { loss: [l, l] }, inputs: { loss: l } })).leaked).toBe(0);
    l.dispose();
  });
});
