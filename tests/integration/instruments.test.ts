/**
 * The headless instruments on real MNIST (wasm): compare in lockstep on planted bugs and on
 * the bug hunt's own bugs, per-dimension KL and active
 * units, the posterior-collapse alarm, and the IWAE log-likelihood against the ELBO.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeGraph } from '../../src/graph/schema';
import { registry } from '../../nodes';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/runtime/backends';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';
import type { MnistRaw } from '../../src/runtime/data/mnist';
import { createTrainer, type Trainer } from '../../src/runtime/trainer';
import { Model } from '../../src/runtime/model';
import type { Graph } from '../../src/graph/schema';
import type { Command } from '../../src/graph/commands';
import { compareGraphs, collapseAlarm, evalInstruments, iwaeNll, latentStats, type CompareEvent } from '../../src/runtime/instruments';
import { iwaeEvalFields } from '../../src/cli/iwae-eval';
import { runCompare } from '../../src/cli/compare';
import { PLANTED_BUGS, edit, parsed, planOf, primitivesVae, standardVae } from './instruments-graphs';

/** Training a few hundred steps on 2 shared cores can take a minute or more. */
const LONG = 300_000;

let mnist: MnistRaw;
beforeAll(async () => {
  await useBackend('wasm');
  mnist = await loadMnistNode();
});

function train(g: Graph, steps: number): Trainer {
  const t = createTrainer(planOf(g), { mnist });
  for (let i = 0; i < steps; i++) {
    const r = t.step();
    if (!r.ok) throw new Error(`training stopped: ${r.diagnostic.message}`);
  }
  return t;
}

describe('compareGraphs: lockstep', () => {
  it('gives identical initial weights where node id, variable and shape correspond; copyMatchingFrom covers the rest', () => {
    // A wider decoder: the encoder is untouched, the decoder's layers change shape (and its
    // output bias, same shape, a different init bound 1/√fan_in).
    const a = new Model(planOf(standardVae()), 7);
    const b = new Model(planOf(edit(standardVae(), [{ op: 'setParam', node: 'dec', param: 'hidden', value: [300] }])), 7);
    try {
      const encVars = [...a.vars.keys()].filter((k) => k.startsWith('enc/'));
      expect(encVars).toHaveLength(6);
      for (const name of encVars) expect(Array.from(b.vars.get(name)!.dataSync()), name).toEqual(Array.from(a.vars.get(name)!.dataSync()));
      expect(Array.from(b.vars.get('dec/out/bias')!.dataSync())).not.toEqual(Array.from(a.vars.get('dec/out/bias')!.dataSync()));
      expect(b.copyMatchingFrom(a)).toBe(7);
      expect(Array.from(b.vars.get('dec/out/bias')!.dataSync())).toEqual(Array.from(a.vars.get('dec/out/bias')!.dataSync()));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('finds nothing between a graph and itself, and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const ev = await compareGraphs(planOf(standardVae()), planOf(standardVae()), { mnist, steps: 3 });
    expect(ev).toEqual({ event: 'same', steps: 3, maxDiff: 0, sharedVariables: 10 });
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const bug of PLANTED_BUGS) {
    it(`points at ${bug.node}${bug.port ? '.' + bug.port : ' (the update)'} for: ${bug.name}`, async () => {
      const before = tf.memory().numTensors;
      const ev = await compareGraphs(planOf(edit(bug.base(), bug.plant)), planOf(bug.base()), { mnist, steps: 2 });
      expect(ev.event).toBe('diverged');
      if (ev.event !== 'diverged') return;
      expect({ step: ev.step, node: ev.node, port: ev.port }).toEqual({ step: 1, node: bug.node, port: bug.port });
      expect(ev.a).not.toBeNull();
      expect(ev.b).not.toBeNull();
      expect(ev.diff).toBeGreaterThan(1e-4);
      if (bug.port === null) expect(ev.reason).toBe('update');
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('names the learning rates when only the update differs', async () => {
    const bug = PLANTED_BUGS.find((b) => b.name.startsWith('learning rate'))!;
    const ev = await compareGraphs(planOf(edit(bug.base(), bug.plant)), planOf(bug.base()), { mnist, steps: 1 });
    expect(ev.event === 'diverged' && ev.message).toMatch(/learning rate 0\.002 in a, 0\.001 in b/);
  });

  it('respects the tolerance: a change below it is "same", above it diverges', async () => {
    // β = 1.00001 changes the β node's output by a relative 1e-5.
    const tiny = planOf(edit(standardVae(), [{ op: 'setParam', node: 'beta', param: 'beta', value: 1.00001 }]));
    const loose = await compareGraphs(tiny, planOf(standardVae()), { mnist, steps: 1, tolerance: 1e-4 });
    expect(loose.event).toBe('same');
    if (loose.event === 'same') expect(loose.maxDiff).toBeGreaterThan(0);
    const strict = await compareGraphs(tiny, planOf(standardVae()), { mnist, steps: 1, tolerance: 1e-6 });
    expect(strict.event === 'diverged' && strict.node).toBe('beta');
  });

  it('says so when a difference below the tolerance has grown through training', async () => {
    // β = 1.0001 changes β's output by a relative 1e-4, below T = 1e-3; Adam's first steps,
    // ≈ lr·sign(g), move near-zero-gradient weights apart, until an encoder output shows it.
    const small = planOf(edit(standardVae(), [{ op: 'setParam', node: 'beta', param: 'beta', value: 1.0001 }]));
    const ev = await compareGraphs(small, planOf(standardVae()), { mnist, steps: 30, tolerance: 1e-3 });
    expect(ev.event).toBe('diverged');
    if (ev.event !== 'diverged') return;
    expect(ev.step).toBeGreaterThan(1);
    expect(ev.message).toMatch(/drifted apart .*A smaller tolerance finds where it starts/);
  });

  it('never stops on NaN: a NaN graph matches itself, and NaN against a number diverges (JSON-safe)', async () => {
    // factor 1e39 is Infinity in float32: log σ² · ∞ = ±∞, and NaN further down.
    const nan = planOf(edit(primitivesVae(), [{ op: 'setParam', node: 'half', param: 'factor', value: 1e39 }]));
    const check = createTrainer(nan, { mnist });
    const stopped = check.step();
    check.dispose();
    expect(stopped.ok === false && stopped.diagnostic.code).toBe('NON_FINITE');

    const self = await compareGraphs(nan, planOf(edit(primitivesVae(), [{ op: 'setParam', node: 'half', param: 'factor', value: 1e39 }])), { mnist, steps: 3 });
    expect(self.event).toBe('same');

    const ev = await compareGraphs(nan, planOf(primitivesVae()), { mnist, steps: 3 });
    expect(ev).toMatchObject({ event: 'diverged', step: 1, node: 'half', port: 'y', reason: 'non-finite', diff: null });
    if (ev.event !== 'diverged') return;
    expect(ev.a!.nonFinite).toBeGreaterThan(0);
    expect(ev.b!.nonFinite).toBe(0);
    expect(JSON.parse(JSON.stringify(ev))).toEqual(ev);
  });

  it('calls a shape change a divergence (K = 5 samples against 1)', async () => {
    const ev = await compareGraphs(planOf(edit(standardVae(), [{ op: 'setParam', node: 'rep', param: 'samples', value: 5 }])), planOf(standardVae()), {
      mnist,
      steps: 1,
    });
    expect(ev).toMatchObject({ event: 'diverged', node: 'rep', port: 'z', reason: 'shape', a: { shape: [5, 128, 20] }, b: { shape: [128, 20] } });
  });
});

// The bug hunt: each bug alone (every other bug's fix applied) against the fully fixed graph.
const BUG_HUNT = new URL('../../presets/bug-hunt.json', import.meta.url);
const BUG_HUNT_ANSWERS = new URL('../../presets/bug-hunt.answers.json', import.meta.url);
describe('compareGraphs on the bug hunt', () => {
  interface Bug {
    id: string;
    nodes: string[];
    wires?: string[];
    fix: Command[];
  }
  const load = () => {
    const graph = parsed(readFileSync(BUG_HUNT, 'utf8'));
    const answers = JSON.parse(readFileSync(BUG_HUNT_ANSWERS, 'utf8')) as { bugs: Bug[] };
    return { graph, bugs: answers.bugs };
  };
  const consumers = (g: Graph, ids: Set<string>) => {
    const out = new Set<string>();
    for (const e of g.edges) if (ids.has(e.from.split('.')[0]!)) out.add(e.to.split('.')[0]!);
    return out;
  };
  const { bugs } = load();
  it('the answer key lists bugs', () => expect(bugs.length).toBeGreaterThan(0));
  for (const bug of bugs) {
    it(`bug "${bug.id}": the first diverging node is the bug's node or its direct consumer`, async () => {
      const { graph, bugs: all } = load();
      const fixed = edit(graph, all.flatMap((b) => b.fix));
      const only = edit(graph, all.filter((b) => b.id !== bug.id).flatMap((b) => b.fix));
      const ev: CompareEvent = await compareGraphs(planOf(only), planOf(fixed), { mnist, steps: 5 });
      expect(ev.event, `bug ${bug.id} was not seen in 5 lockstep steps`).toBe('diverged');
      if (ev.event !== 'diverged') return;
      const own = new Set([...bug.nodes, ...(bug.wires ?? []).flatMap((w) => w.split('->').map((s) => s.split('.')[0]!))]);
      const allowed = new Set([...own, ...consumers(only, own), ...consumers(fixed, own)]);
      expect(allowed, `bug ${bug.id}: compare named ${ev.node}.${ev.port} (${ev.message})`).toContain(ev.node);
    });
  }
});

describe('latentStats, collapseAlarm, iwaeNll on the standard VAE after 300 steps', () => {
  let trainer: Trainer;
  beforeAll(() => {
    trainer = train(standardVae(), 300);
  }, LONG);
  afterAll(() => trainer?.dispose());

  it('gives one KL per latent dimension, summing to the eval KL', () => {
    const ev = trainer.evaluate();
    const s = latentStats(trainer);
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    expect(s.klPerDim).toHaveLength(20);
    expect(s.count).toBe(1000);
    for (const k of s.klPerDim) expect(k).toBeGreaterThanOrEqual(0);
    const sum = s.klPerDim.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - ev.kl) / ev.kl).toBeLessThan(1e-4);
    expect(ev.kl).toBeGreaterThan(5); // a trained model does use its latent space
  });

  it('counts active units well above 0, and the alarm stays quiet', () => {
    const s = latentStats(trainer);
    if (!s.ok) throw new Error(s.diagnostic.message);
    expect(s.muVariance).toHaveLength(20);
    expect(s.activeUnits).toBe(s.muVariance.filter((v) => v > 0.01).length);
    expect(s.activeUnits).toBeGreaterThanOrEqual(10);
    expect(collapseAlarm(s)).toBe(false);
  });

  it('IWAE: nll(K=50) ≤ nll(K=5) ≤ nll(K=1) ≈ −ELBO, and below the held-out −ELBO by a few nats', () => {
    const before = tf.memory().numTensors;
    const elbo = trainer.evaluate().heldOutLoss;
    const r1 = iwaeNll(trainer, { k: 1 });
    const r5 = iwaeNll(trainer, { k: 5 });
    const r50 = iwaeNll(trainer, { k: 50 });
    expect(tf.memory().numTensors).toBe(before);
    if (!r1.ok || !r5.ok || !r50.ok) throw new Error('iwae failed');
    // K = 1 is the one-sample ELBO: equal in expectation (the difference of two one-sample
    // estimates over 1000 examples has an sd of a few tenths of a nat).
    expect(Math.abs(r1.nll - elbo)).toBeLessThan(1.5);
    expect(r1.elbo).toBeCloseTo(r1.nll, 3);
    // The K-sample average of log w estimates the same −ELBO with less noise.
    expect(Math.abs(r50.elbo - elbo)).toBeLessThan(1.5);
    // Jensen on the same draws: log mean w ≥ mean log w.
    expect(r50.nll).toBeLessThanOrEqual(r50.elbo);
    expect(r5.nll).toBeLessThan(r1.nll);
    expect(r50.nll).toBeLessThan(r5.nll);
    const gap = elbo - r50.nll;
    expect(gap).toBeGreaterThan(1);
    expect(gap).toBeLessThan(20);
    console.log(`IWAE after 300 steps: −ELBO ${elbo.toFixed(2)}, nll K=1 ${r1.nll.toFixed(2)}, K=5 ${r5.nll.toFixed(2)}, K=50 ${r50.nll.toFixed(2)} (gap ${gap.toFixed(2)} nats)`);
  });

  it('IWAE is reproducible for the same key, and another key draws other samples', () => {
    const a = iwaeNll(trainer, { k: 3, key: 'x' });
    const b = iwaeNll(trainer, { k: 3, key: 'x' });
    expect(a.ok && b.ok && a.nll === b.nll).toBe(true);
    const c = iwaeNll(trainer, { k: 3, key: 'y' });
    expect(a.ok && c.ok && a.nll !== c.nll).toBe(true);
  });

  it('evalInstruments gives what train --iwae adds to an eval event', () => {
    const ev = trainer.evaluate();
    const r = evalInstruments(trainer, { k: 2 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.value).sort()).toEqual(['activeUnits', 'klPerDim', 'nll']);
    expect(r.value.klPerDim.reduce((a, b) => a + b, 0)).toBeCloseTo(ev.kl, 2);
    expect(r.value.nll).toBeLessThan(ev.heldOutLoss + 1.5);
    const cli = iwaeEvalFields(trainer, 2);
    expect(cli).toEqual({ ok: true, fields: r.value });
    expect(JSON.parse(JSON.stringify(cli))).toEqual(cli);
  });
});

describe('posterior collapse: β = 50 for 200 steps', () => {
  it('leaves no active unit, and the alarm fires', () => {
    const trainer = train(edit(standardVae(), [{ op: 'setParam', node: 'beta', param: 'beta', value: 50 }]), 200);
    try {
      const s = latentStats(trainer);
      if (!s.ok) throw new Error(s.diagnostic.message);
      const ev = trainer.evaluate();
      console.log(`collapse (β = 50, 200 steps): active units ${s.activeUnits}, KL ${s.klTotal.toFixed(4)} nats, max Var μ_j ${Math.max(...s.muVariance).toExponential(2)}`);
      expect(s.activeUnits).toBe(0);
      expect(s.klTotal).toBeLessThan(0.1);
      expect(Math.abs(s.klTotal - ev.kl)).toBeLessThan(1e-3);
      expect(collapseAlarm(s)).toBe(true);
    } finally {
      trainer.dispose();
    }
  }, LONG);
});

describe('runCompare (the compare command, in process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-compare-'));
  const standardPath = fileURLToPath(new URL('../../presets/standard-vae.json', import.meta.url));
  const betaPath = join(dir, 'beta2.json');
  writeFileSync(betaPath, serializeGraph(edit(standardVae(), [{ op: 'setParam', node: 'beta', param: 'beta', value: 2 }]), registry));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (argv: string[]) => {
    const lines: string[] = [];
    const code = await runCompare(argv, (l) => lines.push(l));
    return { code, lines };
  };

  it('prints one diverged event as JSON and exits 0', async () => {
    const { code, lines } = await run([betaPath, standardPath, '--steps', '2', '--json']);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'diverged', step: 1, node: 'beta', port: 'kl' });
  });

  it('prints {"event":"same","steps":N} for a graph against itself, and exits 0', async () => {
    const { code, lines } = await run(['compare', standardPath, standardPath, '--steps=2', '--seed', '3', '--tolerance', '1e-4', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'same', steps: 2 });
  });

  it('writes readable text without --json', async () => {
    const { code, lines } = await run([betaPath, standardPath, '--steps', '1']);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^diverged at step 1: beta\.kl/);
    expect(lines.join('\n')).toMatch(/a: shape \[128\]/);
  });

  it('refuses bad flags with USAGE and a missing file with FILE_NOT_FOUND (exit 1, no stack trace)', async () => {
    for (const argv of [[standardPath, '--json'], [standardPath, standardPath, '--steps', 'x', '--json'], [standardPath, standardPath, '--tolerance', '-1', '--json'], [standardPath, standardPath, '--fast', '--json']]) {
      const { code, lines } = await run(argv);
      expect(code, argv.join(' ')).toBe(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'error', code: 'USAGE' });
    }
    const missing = await run([join(dir, 'nope.json'), standardPath, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.lines[0]!)).toMatchObject({ event: 'error', code: 'FILE_NOT_FOUND', file: join(dir, 'nope.json') });
    const text = await run([join(dir, 'nope.json'), standardPath]);
    expect(text.code).toBe(1);
    expect(text.lines.join('\n')).toMatch(/error FILE_NOT_FOUND/);
    expect(text.lines.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('reports a graph that does not compile with its code and node', async () => {
    const bad = join(dir, 'cycle.json');
    const doc = JSON.parse(readFileSync(standardPath, 'utf8')) as { edges: Array<{ from: string; to: string }> };
    doc.edges = doc.edges.filter((e) => e.to !== 'enc.x');
    writeFileSync(bad, JSON.stringify(doc));
    const { code, lines } = await run([bad, standardPath, '--json']);
    expect(code).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'error', code: 'MISSING_INPUT', node: 'enc', port: 'x' });
  });
});

// The spawned command line: `compare`, and `train --iwae K`.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function spawnCli(args: string[]): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'vae-lab.mjs'), ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), LONG);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: stdout.split('\n').filter((l) => l !== ''), stderr });
    });
  });
}

describe('vae-lab compare (spawned)', () => {
  it('prints only one JSON event on stdout and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-compare-cli-'));
    try {
      const kl = join(dir, 'kl-mean.json');
      writeFileSync(kl, serializeGraph(edit(standardVae(), [{ op: 'setParam', node: 'kl', param: 'reduction', value: 'mean' }]), registry));
      const r = await spawnCli(['compare', kl, join(ROOT, 'presets', 'standard-vae.json'), '--steps', '2', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.lines).toHaveLength(1);
      expect(JSON.parse(r.lines[0]!)).toMatchObject({ event: 'diverged', step: 1, node: 'kl', port: 'kl' });
      const bad = await spawnCli(['compare', kl, '--json']);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.lines[0]!)).toMatchObject({ event: 'error', code: 'USAGE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, LONG);
});

describe('vae-lab train --iwae K (spawned)', () => {
  it('adds nll, activeUnits and klPerDim (summing to kl) to every eval event', async () => {
    const r = await spawnCli(['train', join(ROOT, 'presets', 'standard-vae.json'), '--steps', '20', '--iwae', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const evals = events.filter((e) => e.event === 'eval');
    expect(evals.length).toBeGreaterThanOrEqual(1);
    for (const e of evals) {
      const klPerDim = e.klPerDim as number[];
      expect(klPerDim).toHaveLength(20);
      expect(Math.abs(klPerDim.reduce((a, b) => a + b, 0) - (e.kl as number))).toBeLessThan(1e-3 * Math.max(1, e.kl as number));
      expect(Number.isInteger(e.activeUnits)).toBe(true);
      expect(e.nll as number).toBeLessThan((e.heldOutLoss as number) + 1.5);
    }
    const done = events.find((e) => e.event === 'done') as { numTensors: { afterFirstStep: number; end: number } };
    expect(done.numTensors.end).toBe(done.numTensors.afterFirstStep);
  }, LONG);
});
