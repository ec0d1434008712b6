/**
 * Conv and recurrent primitives in whole graphs, compiled and trained in Node on wasm: a conv
 * VAE and a GRU VAE wired by hand (tests/fixtures/graphs/*-primitives-vae.json) compile, train
 * a few steps with a falling, finite loss and a flat tensor count, evaluate, and free
 * everything on dispose. For the GRU graph the fast and stock paths give the same losses.
 * (The 10-epoch conv-vae check is scripts/full-train.mjs, not a test.)
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile';
import { registry } from '../../nodes';
import { useBackend } from '../../src/runtime/backends';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';
import type { MnistRaw } from '../../src/runtime/data/mnist';
import { createTrainer } from '../../src/runtime/trainer';
import { loadGraph } from '../fixtures/graph-helpers';

let mnist: MnistRaw;

beforeAll(async () => {
  await useBackend('wasm');
  mnist = await loadMnistNode();
});

const STEPS = 12;

// The GRU starts slower (543 → ~527 nats in 12 steps of 32 digits), so its bar is lower.
for (const [name, path, drop] of [
  ['conv VAE from primitives', 'tests/fixtures/graphs/conv-primitives-vae.json', 0.9],
  ['GRU VAE from primitives (h0 wired, op.repeat)', 'tests/fixtures/graphs/gru-primitives-vae.json', 0.99],
] as const) {
  describe(name, () => {
    it('compiles, trains with a falling finite loss and flat memory, evaluates, and disposes everything', () => {
      const r = compile(loadGraph(path), registry);
      if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
      // the sigmoid's [0,1] reaches the Bernoulli loss through op.reshape
      expect(r.warnings.map((w) => w.code)).not.toContain('NO_SIGMOID_BERNOULLI');
      const baseline = tf.memory().numTensors;
      const t = createTrainer(r.plan, { mnist, seed: 1 });
      const losses: number[] = [];
      let afterStep2 = -1;
      for (let i = 1; i <= STEPS; i++) {
        const s = t.step();
        if (!s.ok) throw new Error(`step ${i}: ${JSON.stringify(s.diagnostic)}`);
        losses.push(s.metrics.loss);
        if (i === 2) afterStep2 = tf.memory().numTensors;
      }
      expect(tf.memory().numTensors).toBe(afterStep2);
      expect(losses.every(Number.isFinite)).toBe(true);
      const tail = losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
      expect(tail).toBeLessThan(losses[0]! * drop);
      const ev = t.evaluate();
      expect(Number.isFinite(ev.heldOutLoss)).toBe(true);
      t.dispose();
      expect(tf.memory().numTensors).toBe(baseline);
    });

    // Stock conv gradients do not exist on wasm (no Conv2DBackpropFilter) and the cpu backend's
    // convs are too slow for a test; tests/unit/conv-rnn-fastpath.test.ts compares those layers.
    if (path.includes('gru')) it('the fast and the stock path give the same first two losses', () => {
      const r = compile(loadGraph(path), registry);
      if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
      const losses = (fast: boolean) => {
        const t = createTrainer(r.plan, { mnist, seed: 3, fast });
        const out = [t.step(), t.step()].map((s) => (s.ok ? s.metrics.loss : NaN));
        t.dispose();
        return out;
      };
      const [a, b] = [losses(true), losses(false)];
      a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-4 * Math.abs(b[i]!)));
    });
  });
}
