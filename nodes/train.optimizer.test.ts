import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import trainOptimizer, { createOptimizer } from './train.optimizer';
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
      ['adam', tf.AdamOptimizer],
      ['sgd', tf.SGDOptimizer],
      ['rmsprop', tf.RMSPropOptimizer],
    ] as const) {
      const opt = createOptimizer(paramsOf(trainOptimizer, { algorithm, learningRate: 0.05 }));
      expect(opt).toBeInstanceOf(cls);
      expect((opt as unknown as { learningRate: number }).learningRate).toBe(0.05);
      opt.dispose();
    }
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
