/**
 * Compile + train in Node on the wasm backend: the standard preset learns the way the
 * reference does, memory stays flat, seeds are reproducible, the primitives-wired VAE
 * trains as well, σ overflow stops with NON_FINITE at the right node, and dispose frees
 * everything. Also: the data node's batches through the runtime and the initial weights.
 *
 * Budget: ~45 s of wasm on one busy core (two 300-step runs at ~60–80 ms/step).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type Plan } from '../../src/compiler/compile';
import { createRegistry, registry } from '../../nodes';
import type { AnyNodeDef } from '../../nodes/types';
import { useBackend } from '../../src/runtime/backends';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';
import { median } from '../../src/runtime/stats';
import type { MnistRaw } from '../../src/runtime/data/mnist';
import { createTrainer, disposeCaptured, KL_NEGATIVE_TOLERANCE, type EvalMetrics, type Trainer } from '../../src/runtime/trainer';
import type { Graph } from '../../src/graph/schema';
import { loadGraph, OVERFLOW_PATH, PRIMITIVES_PATH, setParam, standardDoc, STANDARD_PATH, toGraph } from '../fixtures/graph-helpers';
import { binarizeTransform } from '../../nodes/lib/binarize';

let mnist: MnistRaw;

beforeAll(async () => {
  await useBackend('wasm');
  mnist = await loadMnistNode();
});

function plan(g: Graph, reg = registry): Plan {
  const r = compile(g, reg);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}

const STEPS = 300;
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

interface Run {
  losses: number[];
  /** Each step's unweighted batch means of the reconstruction term and of the KL. */
  recons: number[];
  kls: number[];
  ms: number[];
  heldOut: EvalMetrics;
  heldOutBefore: EvalMetrics;
  tensors: { baseline: number; afterStep1: number; afterStep100: number; afterStepN: number; afterEval: number; afterDispose: number };
}

/** Train a fresh trainer for STEPS steps, counting tensors along the way, then dispose it. */
function train(g: Graph, seed = 1): Run {
  const baseline = tf.memory().numTensors;
  const t = createTrainer(plan(g), { mnist, seed });
  const heldOutBefore = t.evaluate();
  const losses: number[] = [];
  const recons: number[] = [];
  const kls: number[] = [];
  const ms: number[] = [];
  const tensors = { baseline, afterStep1: -1, afterStep100: -1, afterStepN: -1, afterEval: -1, afterDispose: -1 };
  for (let i = 1; i <= STEPS; i++) {
    const r = t.step();
    if (!r.ok) throw new Error(`step ${i}: ${JSON.stringify(r.diagnostic)}`);
    losses.push(r.metrics.loss);
    recons.push(r.metrics.recon);
    kls.push(r.metrics.kl);
    ms.push(r.metrics.ms);
    if (i === 1) tensors.afterStep1 = tf.memory().numTensors;
    if (i === 100) tensors.afterStep100 = tf.memory().numTensors;
  }
  tensors.afterStepN = tf.memory().numTensors;
  expect(t.stepsDone).toBe(STEPS);
  const heldOut = t.evaluate();
  tensors.afterEval = tf.memory().numTensors;
  t.dispose();
  tensors.afterDispose = tf.memory().numTensors;
  return { losses, recons, kls, ms, heldOut, heldOutBefore, tensors };
}

describe('the standard preset trains like the reference (wasm)', () => {
  let run: Run;
  beforeAll(() => {
    run = train(loadGraph(STANDARD_PATH));
    const r = run;
    console.log(
      `standard, seed 1: first loss ${r.losses[0]!.toFixed(1)}, mean of steps 280–300 ${mean(r.losses.slice(279)).toFixed(1)}, ` +
        `held-out −ELBO ${r.heldOutBefore.heldOutLoss.toFixed(1)} → ${r.heldOut.heldOutLoss.toFixed(1)} (recon ${r.heldOut.recon.toFixed(1)}, kl ${r.heldOut.kl.toFixed(1)}), ` +
        `median ${median(r.ms.slice(1)).toFixed(1)} ms/step`,
    );
  });

  // Bounds, from the reference (DESIGN.md §3: held-out −ELBO 197.1, 162.7, 149.5, 140.7, 134.9
  // after epochs 1–5; an epoch is ceil(9000/128) = 71 steps, so 300 steps ≈ 4.2 epochs, where
  // the reference is ≈ 139.5) and from measuring this runtime (wasm, seeds 1/2/3): first step
  // 546.1/547.5/550.8; mean loss of steps 280–300 140.9/139.9/137.9; held-out −ELBO after 300
  // steps 140.1/140.1/138.1 (seed-to-seed sd ≈ 1). The bounds leave ~6 sd of margin, and
  // still fail for a VAE that learns noticeably slower (e.g. a KL or learning rate off by 2×).

  it('the untrained model scores about 784·ln 2 (p ≈ ½ everywhere)', () => {
    expect(run.heldOutBefore.heldOutLoss).toBeGreaterThan(535);
    expect(run.heldOutBefore.heldOutLoss).toBeLessThan(560);
    expect(run.heldOutBefore.count).toBe(1000);
    expect(run.heldOutBefore.kl).toBeGreaterThanOrEqual(0);
    expect(run.heldOutBefore.kl).toBeLessThan(1);
  });

  it('the first step loss is ~546 (784·ln 2 ≈ 543 plus a small KL)', () => {
    expect(run.losses[0]).toBeGreaterThan(535);
    expect(run.losses[0]).toBeLessThan(560);
  });

  it('the loss falls: mean of steps 280–300 below 150 (reference ≈ 140)', () => {
    const late = mean(run.losses.slice(279));
    expect(late).toBeLessThan(150);
    expect(late).toBeGreaterThan(120);
    // and it falls all along: each 60-step window below the previous one
    const windows = [0, 60, 120, 180, 240].map((a) => mean(run.losses.slice(a, a + 60)));
    for (let i = 1; i < windows.length; i++) expect(windows[i]).toBeLessThan(windows[i - 1]!);
  });

  it('held-out −ELBO after 300 steps is below 146 (reference ≈ 139.5) and above 130', () => {
    expect(run.heldOut.heldOutLoss).toBeLessThan(146);
    expect(run.heldOut.heldOutLoss).toBeGreaterThan(130);
    expect(run.heldOut.heldOutLoss).toBeCloseTo(run.heldOut.recon + run.heldOut.kl, 3);
  });

  // The held-out −ELBO alone cannot see the KL's weight: trained with β = 0.5 (seed 1) it is
  // 142.3 after 300 steps, inside the bounds above. Two checks that can:
  it('every step minimises the reference objective, −ELBO = recon + 1·kl (β = 1, no warm-up, no free bits)', () => {
    // float32 batch means: measured |loss − (recon + kl)| / loss ≤ 7.1e-7 over 300 steps (seeds
    // 1/2/3); with the KL weighted by 0.5 it is up to 0.11. 1e-4 is float rounding, not a weight.
    const worst = Math.max(...run.losses.map((l, i) => Math.abs(l - (run.recons[i]! + run.kls[i]!)) / l));
    expect(worst).toBeLessThan(1e-4);
  });

  it('the held-out KL after 300 steps is where β = 1 puts it: 15–22 nats (β = 0.5 gives 27)', () => {
    // Measured (wasm, 300 steps): 18.05/18.69/18.19 nats for seeds 1/2/3 (sd ≈ 0.3); a KL weighted
    // by 0.5 trades reconstruction for code: 27.1 nats (seed 1). A collapsed code gives ~0.
    expect(run.heldOut.kl).toBeGreaterThan(15);
    expect(run.heldOut.kl).toBeLessThan(22);
  });

  it('every loss is finite', () => {
    expect(run.losses.every(Number.isFinite)).toBe(true);
  });

  it('tf.memory().numTensors is flat: equal after step 1, 100 and 300, and after evaluate()', () => {
    expect(run.tensors.afterStep100).toBe(run.tensors.afterStep1);
    expect(run.tensors.afterStepN).toBe(run.tensors.afterStep1);
    expect(run.tensors.afterEval).toBe(run.tensors.afterStep1);
  });

  it('dispose() frees every tensor: back to the count before the trainer', () => {
    expect(run.tensors.afterDispose).toBe(run.tensors.baseline);
    expect(run.tensors.afterStep1).toBeGreaterThan(run.tensors.baseline); // it did hold some
  });

  it('the same seed gives identical first losses; another seed does not', () => {
    const first = (seed: number) => {
      const t = createTrainer(plan(loadGraph(STANDARD_PATH)), { mnist, seed });
      const out = [1, 2, 3].map(() => {
        const r = t.step();
        if (!r.ok) throw new Error(r.diagnostic.message);
        return r.metrics.loss;
      });
      t.dispose();
      return out;
    };
    expect(first(1)).toEqual(run.losses.slice(0, 3));
    const other = first(2);
    for (let i = 0; i < 3; i++) expect(other[i]).not.toBe(run.losses[i]);
  });

  it('the graph\'s training.seed is the default seed', () => {
    const t = createTrainer(plan(toGraph(standardDoc((d) => (d.training = { seed: 2 })))), { mnist });
    const r = t.step();
    t.dispose();
    const t1 = createTrainer(plan(toGraph(standardDoc((d) => (d.training = { seed: 2 })))), { mnist, seed: 1 });
    const r1 = t1.step();
    t1.dispose();
    expect(r.ok && r1.ok).toBe(true);
    expect(r.ok && r.metrics.loss).not.toBe(run.losses[0]);
    expect(r1.ok && r1.metrics.loss).toBe(run.losses[0]); // the option overrides the file
  });

  describe('the primitives-wired VAE', () => {
    let prim: Run;
    beforeAll(() => {
      prim = train(loadGraph(PRIMITIVES_PATH));
      console.log(
        `primitives, seed 1: first loss ${prim.losses[0]!.toFixed(1)}, mean of steps 280–300 ${mean(prim.losses.slice(279)).toFixed(1)}, ` +
          `held-out −ELBO ${prim.heldOut.heldOutLoss.toFixed(1)}, median ${median(prim.ms.slice(1)).toFixed(1)} ms/step`,
      );
    });
    it('trains as well as the high-level nodes: held-out −ELBO within 3% after the same steps', () => {
      // Same architecture and loss; different initial weights and ε (keyed by node ids), so
      // the difference is seed noise (sd ≈ 1 at ~140, i.e. < 1%).
      expect(Math.abs(prim.heldOut.heldOutLoss - run.heldOut.heldOutLoss) / run.heldOut.heldOutLoss).toBeLessThan(0.03);
      expect(prim.losses[0]).toBeGreaterThan(535);
      expect(prim.losses[0]).toBeLessThan(560);
    });
    it('memory is flat and dispose frees everything here too', () => {
      expect(prim.tensors.afterStepN).toBe(prim.tensors.afterStep1);
      expect(prim.tensors.afterEval).toBe(prim.tensors.afterStep1);
      expect(prim.tensors.afterDispose).toBe(prim.tensors.baseline);
    });
  });
});

describe('σ overflow stops training with NON_FINITE', () => {
  let t: Trainer;
  let baseline: number;
  beforeAll(() => {
    baseline = tf.memory().numTensors;
    t = createTrainer(plan(loadGraph(OVERFLOW_PATH)), { mnist, seed: 1 });
  });
  afterAll(() => t.dispose());

  it('names op.exp (the first node whose output held Infinity) and its port, at step 1, without applying the update', () => {
    const w = t.model.vars.get('h/dense/kernel')!;
    const b = t.model.vars.get('dout/dense/bias')!;
    const before = [Array.from(w.dataSync()), Array.from(b.dataSync())];
    const tensorsBefore = tf.memory().numTensors;
    const r = t.step();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostic).toMatchObject({ code: 'NON_FINITE', severity: 'error', node: 'std', port: 'y', step: 1, nanCount: 0 });
    expect(r.diagnostic.infCount).toBeGreaterThan(0);
    expect(r.diagnostic.message).toMatch(/Infinity/);
    expect(Number.isFinite(r.loss)).toBe(false);
    // the update was not applied and not counted
    expect(t.stepsDone).toBe(0);
    expect(Array.from(w.dataSync())).toEqual(before[0]);
    expect(Array.from(b.dataSync())).toEqual(before[1]);
    // and the failed step leaked nothing
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('the earlier nodes are finite: op.scale(1e4) of a small log σ² does not overflow, exp does', () => {
    const where = t.locateNonFinite(1);
    expect(where).toMatchObject({ node: 'std', port: 'y' });
  });

  it('stepping again retries the same step and stops the same way', () => {
    const r = t.step();
    expect(!r.ok && r.diagnostic).toMatchObject({ code: 'NON_FINITE', node: 'std', port: 'y', step: 1 });
    expect(t.stepsDone).toBe(0);
  });

  it('dispose frees it all', () => {
    t.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('a negative KL stops training with KL_NEGATIVE', () => {
  // The closed-form KL node is ≥ 0 for every finite input (e^v ≥ 1 + v), so the guard can
  // only fire for a KL computed some other way: here a planted wrong implementation, the
  // closed form minus 5 nats, registered under the same type.
  const klDef = registry.get('loss.kl')!;
  const wrongKl: AnyNodeDef = { ...klDef, forward: (ctx) => ({ kl: tf.sub(klDef.forward(ctx).kl!, 5) }) };
  const wrongRegistry = createRegistry(registry.all().map((d) => (d.type === 'loss.kl' ? wrongKl : d)));
  const wrongPlan = (): Plan => plan(loadGraph(STANDARD_PATH), wrongRegistry);

  it('names the KL node and port at step 1 and does not apply the update', () => {
    const t = createTrainer(wrongPlan(), { mnist, seed: 1 });
    try {
      const w = [...t.model.vars.values()][0]!;
      const before = Array.from(w.dataSync());
      const r = t.step();
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.diagnostic).toMatchObject({ code: 'KL_NEGATIVE', severity: 'error', node: 'kl', port: 'kl', step: 1 });
      expect(r.diagnostic.message).toMatch(/batch-mean KL is -\d/);
      expect(t.stepsDone).toBe(0);
      expect(Array.from(w.dataSync())).toEqual(before);
    } finally {
      t.dispose();
    }
  });

  it('with the guard off (breakOnKlNegative: false) the same graph steps on', () => {
    const t = createTrainer(wrongPlan(), { mnist, seed: 1, breakOnKlNegative: false });
    try {
      const r = t.step();
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.metrics.kl).toBeLessThan(-1);
      expect(t.stepsDone).toBe(1);
    } finally {
      t.dispose();
    }
  });

  it('the real closed form stays above the tolerance at extreme μ and log σ² (float32)', () => {
    const out = tf.tidy(() => {
      const mu = tf.tensor2d([[0, 0, 1e-4, 30, 0, 0]], [1, 6]);
      const logvar = tf.tensor2d([[0, 1e-6, -1e-6, 0, -80, 40]], [1, 6]);
      const ctx = { inputs: { mu, logvar }, params: { reduction: 'sum' }, mode: 'train' } as unknown as Parameters<AnyNodeDef['forward']>[0];
      return Array.from(klDef.forward(ctx).kl!.dataSync());
    });
    expect(out[0]).toBeGreaterThan(KL_NEGATIVE_TOLERANCE);
  });
});

describe('K = 5 samples at run time', () => {
  it('z is [5,B,20], x̂ [5,B,784], the losses [B]; eval uses one sample; nothing leaks', () => {
    const g = toGraph(standardDoc((d) => setParam(d, 'rep', 'samples', 5)));
    const baseline = tf.memory().numTensors;
    const t = createTrainer(plan(g), { mnist, seed: 1 });
    const r1 = t.step();
    expect(r1.ok).toBe(true);
    const n1 = tf.memory().numTensors;
    const r2 = t.step({ capture: true });
    expect(r2.ok).toBe(true);
    if (!r2.ok) return;
    const c = r2.captured!;
    expect(c.get('rep')!.z!.shape).toEqual([5, 128, 20]);
    expect(c.get('dec')!.xHat!.shape).toEqual([5, 128, 784]);
    expect(c.get('recon')!.nll!.shape).toEqual([128]);
    expect(c.get('kl')!.kl!.shape).toEqual([128]);
    // the reported recon is the batch mean of the K-averaged per-example loss
    expect(r2.metrics.recon).toBeCloseTo(mean(Array.from(c.get('recon')!.nll!.dataSync())), 2);
    disposeCaptured(c);
    expect(tf.memory().numTensors).toBe(n1);
    const e = t.evaluate();
    expect(Number.isFinite(e.heldOutLoss)).toBe(true);
    expect(tf.memory().numTensors).toBe(n1);
    t.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('initial weights (PyTorch nn.Linear: uniform in ±1/√fan_in)', () => {
  it('every kernel and bias lies within its bound, fills it, and has variance ≈ bound²/3', () => {
    const t = createTrainer(plan(loadGraph(STANDARD_PATH)), { mnist, seed: 1 });
    const checked: string[] = [];
    for (const [name, v] of t.model.vars) {
      const fanIn = name.endsWith('/kernel') ? v.shape[0]! : name.startsWith('enc/hidden0') ? 784 : name.startsWith('enc/') ? 400 : name.startsWith('dec/hidden0') ? 20 : 400;
      const bound = 1 / Math.sqrt(fanIn);
      const values = Array.from(v.dataSync());
      let max = 0;
      let sq = 0;
      let sum = 0;
      for (const x of values) {
        max = Math.max(max, Math.abs(x));
        sq += x * x;
        sum += x;
      }
      expect(max, name).toBeLessThanOrEqual(bound);
      if (values.length >= 400) expect(max, name).toBeGreaterThan(0.9 * bound);
      if (values.length >= 8000) {
        const variance = sq / values.length - (sum / values.length) ** 2;
        // relative sd of the variance estimate of a uniform: √(0.8/n) ≤ 1% here
        expect(variance / (bound * bound / 3), name).toBeGreaterThan(0.95);
        expect(variance / (bound * bound / 3), name).toBeLessThan(1.05);
        expect(Math.abs(sum / values.length), name).toBeLessThan(0.05 * bound);
      }
      checked.push(name);
    }
    expect(checked.sort()).toEqual(
      ['enc/hidden0/kernel', 'enc/hidden0/bias', 'enc/mu/kernel', 'enc/mu/bias', 'enc/logvar/kernel', 'enc/logvar/bias', 'dec/hidden0/kernel', 'dec/hidden0/bias', 'dec/out/kernel', 'dec/out/bias'].sort(),
    );
    // keyed by (seed, node, variable): the two heads differ, and a second model of the same seed is identical
    expect(Array.from(t.model.vars.get('enc/mu/kernel')!.dataSync())).not.toEqual(Array.from(t.model.vars.get('enc/logvar/kernel')!.dataSync()));
    const t2 = createTrainer(plan(loadGraph(STANDARD_PATH)), { mnist, seed: 1 });
    expect(Array.from(t2.model.vars.get('dec/out/kernel')!.dataSync())).toEqual(Array.from(t.model.vars.get('dec/out/kernel')!.dataSync()));
    t2.dispose();
    t.dispose();
  });

  it('an edit elsewhere does not change a node\'s initial weights', () => {
    const a = createTrainer(plan(loadGraph(STANDARD_PATH)), { mnist, seed: 1 });
    const b = createTrainer(plan(toGraph(standardDoc((d) => setParam(d, 'dec', 'hidden', [128])))), { mnist, seed: 1 });
    expect(Array.from(b.model.vars.get('enc/mu/kernel')!.dataSync())).toEqual(Array.from(a.model.vars.get('enc/mu/kernel')!.dataSync()));
    a.dispose();
    b.dispose();
  });
});

describe('data.mnist through the runtime', () => {
  let t: Trainer;
  beforeAll(() => {
    t = createTrainer(plan(loadGraph(STANDARD_PATH)), { mnist, seed: 1 });
  });
  afterAll(() => t.dispose());

  const images = (step: number, binarize: 'none' | 'threshold' | 'sample', scale = 1, node = 'data', trainer = t) => {
    const x = trainer.trainFeed(step).x(node, binarizeTransform({ binarize, scale }));
    const out = { shape: x.shape, values: Float32Array.from(x.dataSync()) };
    x.dispose();
    return out;
  };

  it('x is [B,784] in [0, scale]: grey levels in [0,1], scale multiplies them', () => {
    const a = images(1, 'none');
    expect(a.shape).toEqual([128, 784]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of a.values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(0);
    expect(max).toBeCloseTo(1, 6);
    const b = images(1, 'none', 3);
    b.values.forEach((v, i) => {
      if (Math.abs(v - 3 * a.values[i]!) > 1e-5) throw new Error(`pixel ${i}: ${v} ≠ 3·${a.values[i]}`);
    });
  });

  it('binarize "threshold" gives {0, scale}: x > 0.5', () => {
    const grey = images(2, 'none');
    const th = images(2, 'threshold', 2);
    expect(new Set(th.values)).toEqual(new Set([0, 2]));
    th.values.forEach((v, i) => {
      if (v !== (grey.values[i]! > 0.5 ? 2 : 0)) throw new Error(`pixel ${i}`);
    });
  });

  it('binarize "sample" gives {0, scale} with mean ≈ the grey mean, deterministic for a seed and step', () => {
    const grey = images(3, 'none');
    const s = images(3, 'sample');
    expect(new Set(s.values)).toEqual(new Set([0, 1]));
    const gm = grey.values.reduce((a, b) => a + b, 0) / grey.values.length;
    const sm = s.values.reduce((a, b) => a + b, 0) / s.values.length;
    expect(Math.abs(sm - gm)).toBeLessThan(0.01);
    // pure black and pure white pixels stay as they are
    grey.values.forEach((g, i) => {
      if ((g === 0 && s.values[i] !== 0) || (g === 1 && s.values[i] !== 1)) throw new Error(`pixel ${i}`);
    });
    expect(images(3, 'sample').values).toEqual(s.values);
    const t2 = createTrainer(plan(loadGraph(STANDARD_PATH)), { mnist, seed: 1 });
    expect(images(3, 'sample', 1, 'data', t2).values).toEqual(s.values);
    t2.dispose();
  });

  it('binarize "sample" draws anew per step: the same digit in epoch 2 gets a different binarization', () => {
    const batch1 = t.dataset.batchIndices(1, 1, 128).indices;
    const digit = batch1[0]!;
    let step2 = -1;
    let row2 = -1;
    for (let s = 72; s <= 142 && step2 < 0; s++) {
      const idx = t.dataset.batchIndices(1, s, 128).indices;
      const r = idx.indexOf(digit);
      if (r >= 0) [step2, row2] = [s, r];
    }
    expect(step2).toBeGreaterThan(71);
    const rowOf = (v: Float32Array, r: number) => Array.from(v.subarray(r * 784, (r + 1) * 784));
    // the same grey digit …
    expect(rowOf(images(step2, 'none').values, row2)).toEqual(rowOf(images(1, 'none').values, 0));
    // … binarized differently
    expect(rowOf(images(step2, 'sample').values, row2)).not.toEqual(rowOf(images(1, 'sample').values, 0));
  });

  it('two data nodes draw different binarizations of the same batch', () => {
    expect(images(4, 'sample', 1, 'data').values).not.toEqual(images(4, 'sample', 1, 'data2').values);
  });

  it('label is [B] int32 in 0…9, the digits\' classes; the last batch of an epoch is smaller', () => {
    const feed = t.trainFeed(1);
    const l = feed.labels();
    expect(l.shape).toEqual([128]);
    expect(l.dtype).toBe('int32');
    const idx = t.dataset.batchIndices(1, 1, 128).indices;
    expect(Array.from(l.dataSync())).toEqual(Array.from(idx, (i) => mnist.labels[i]!));
    l.dispose();
    expect(t.stepsPerEpoch).toBe(71);
    expect(images(71, 'none').shape).toEqual([9000 - 70 * 128, 784]);
    expect(t.trainFeed(71).size).toBe(40);
  });
});

describe('a note (note.text, DESIGN §9) changes nothing in training', () => {
  it('the standard preset with a note trains to the same losses and held-out −ELBO, step for step', () => {
    const losses = (g: Graph) => {
      const t = createTrainer(plan(g), { mnist, seed: 1 });
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = t.step();
        if (!r.ok) throw new Error(JSON.stringify(r));
        out.push(r.metrics.loss, r.metrics.kl);
      }
      const ev = t.evaluate();
      t.dispose();
      return [...out, ev.heldOutLoss];
    };
    const plain = losses(loadGraph(STANDARD_PATH));
    const noted = losses(toGraph(standardDoc((d) => d.nodes.unshift({ id: 'aNote', type: 'note.text', params: { text: '# β-VAE\nwatch the KL' } }))));
    expect(plain.every(Number.isFinite)).toBe(true);
    expect(noted).toEqual(plain);
  });
});
