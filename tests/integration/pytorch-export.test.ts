/**
 * The PyTorch export proven (DESIGN.md §9): a VAE Lab run recorded with `train --record`
 * and replayed by the exported train.py gives the same per-step losses (1e-4 relative),
 * with one process and under torchrun with two (gloo, CPU, loopback); weights trained by
 * train.py give VAE Lab the same held-out KL (1e-4) and −ELBO (0.5%); bad weights files are
 * WEIGHTS_FORMAT / WEIGHTS_MISMATCH.
 *
 * The oracle is Debian's python3-torch at /usr/bin/python3 (tests/fixtures/tools.ts: where it
 * is missing these tests are skipped and counted; in CI they fail).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTool, PYTHON_PATH } from '../fixtures/tools';
import { registry } from '../../nodes';
import { compile } from '../../src/compiler/compile';
import { applyFixes, parseAnswerKey } from '../../src/graph/answers';
import { applyCommands, type Command } from '../../src/graph/commands';
import { parseGraph, serializeGraph, type Graph } from '../../src/graph/schema';
import { exportPytorch } from '../../src/export/pytorch';
import { decodeSafetensors, encodeSafetensors } from '../../src/export/safetensors';
import { useBackend } from '../../src/runtime/backends';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';
import type { MnistRaw } from '../../src/runtime/data/mnist';
import { Recorder } from '../../src/runtime/record';
import { Trainer } from '../../src/runtime/trainer';
import { loadModelWeights } from '../../src/runtime/weights';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vae-lab.mjs');
const PY = PYTHON_PATH;

/** Steps per replay: enough for the optimizer's state to matter, few enough for two cores. */
const STEPS = 3;
const TOL = 1e-4;

const preset = (name: string): Graph => graph(readFileSync(join(ROOT, 'presets', name), 'utf8'));
function graph(text: string): Graph {
  const r = parseGraph(text, registry);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.graph;
}
function edit(g: Graph, commands: Command[]): Graph {
  const r = applyCommands(g, commands, registry);
  if (!r.ok) throw new Error(r.diagnostic.message);
  return r.graph;
}
const setParam = (node: string, param: string, value: unknown): Command => ({ op: 'setParam', node, param, value });

interface Events {
  code: number | null;
  events: Array<Record<string, unknown>>;
  out: string;
}

/** Run a command in its own process group; kill the group when it outlives the limit. */
function runGroup(cmd: string, args: string[], opts: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<Events> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, detached: true, env: { ...process.env, ...opts.env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events: Array<Record<string, unknown>> = [];
      for (const raw of out.split('\n')) {
        const line = raw.replace(/^\[default\d+\]:/, '');
        if (line.startsWith('{')) events.push(JSON.parse(line) as Record<string, unknown>);
      }
      resolve({ code, events, out });
    });
  });
}

const py = (dir: string, args: string[], timeoutMs = 90_000) => runGroup(PY, [join(dir, 'train.py'), ...args, '--json'], { timeoutMs });
const cli = (args: string[]) => runGroup(process.execPath, [BIN, ...args, '--json'], { timeoutMs: 100_000 });
const steps = (e: Events) => e.events.filter((x) => x.event === 'step');

function maxRelDiff(a: number[], b: number[]): number {
  expect(b).toHaveLength(a.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(Math.abs(x), 1e-12)));
}

type Metrics = { loss: number[]; recon: number[]; kl: number[] };
const metricsOf = (xs: Array<Record<string, unknown>>): Metrics => ({
  loss: xs.map((e) => e.loss as number),
  recon: xs.map((e) => e.recon as number),
  kl: xs.map((e) => e.kl as number),
});

/**
 * The largest relative difference of the step losses, and of their recon and KL parts. The KL
 * matters: at the start every pixel probability is near ½, so the loss hardly depends on
 * which digits a batch holds, while the KL does.
 */
function compareRuns(a: Metrics, b: Metrics): { loss: number; parts: number } {
  return { loss: maxRelDiff(a.loss, b.loss), parts: Math.max(maxRelDiff(a.recon, b.recon), maxRelDiff(a.kl, b.kl)) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

let work: string;
let mnist: MnistRaw;

function writeAll(dir: string, files: Array<{ path: string; content: string | Uint8Array }>): void {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
}

/** Export `g` to work/name/py and record `n` VAE Lab steps of it in work/name/rec; the recorded losses. */
function exportAndRecord(name: string, g: Graph, n = STEPS): { dir: string; rec: string; recorded: Metrics } {
  const compiled = compile(g, registry);
  if (!compiled.ok) throw new Error(compiled.diagnostics.map((d) => d.message).join('; '));
  const plan = compiled.plan;
  const dir = join(work, name, 'py');
  const rec = join(work, name, 'rec');
  const exported = exportPytorch(plan, { graphJson: serializeGraph(g, registry), mnist });
  if (!exported.ok) throw new Error(exported.diagnostics.map((d) => d.message).join('; '));
  writeAll(dir, exported.files);
  const trainer = new Trainer(plan, { mnist });
  const done: Array<Record<string, unknown>> = [];
  try {
    const recorder = new Recorder(trainer);
    for (let t = 1; t <= n; t++) {
      const r = trainer.step();
      if (!r.ok) throw new Error(r.diagnostic.message);
      recorder.stepDone(r.metrics);
      done.push({ ...r.metrics });
    }
    writeAll(rec, recorder.files(JSON.parse(serializeGraph(g, registry))).map((f) => ({ path: f.name, content: f.content })));
  } finally {
    trainer.dispose();
  }
  return { dir, rec, recorded: metricsOf(done) };
}

describeWithTool('torch', 'PyTorch export: train.py --replay gives VAE Lab\'s per-step losses', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    mnist = await loadMnistNode();
    work = mkdtempSync(join(tmpdir(), 'vae-lab-pytorch-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const bugHuntFixed = (): Graph => {
    const key = parseAnswerKey(readFileSync(join(ROOT, 'presets', 'bug-hunt.answers.json'), 'utf8'));
    if (!key.ok) throw new Error('answer key');
    const r = applyFixes(preset('bug-hunt.json'), key.key.bugs, registry);
    if (!r.ok) throw new Error(r.diagnostic.message);
    return r.graph;
  };

  const cases: Array<[string, () => Graph]> = [
    ['the bug-hunt graph with its fixes applied', bugHuntFixed],
    ['a graph wired from primitives', () => graph(readFileSync(join(ROOT, 'tests', 'fixtures', 'graphs', 'primitives-vae.json'), 'utf8'))],
    ['K = 5 samples', () => preset('k-samples.json')],
    ['a Gaussian likelihood', () => preset('gaussian-decoder.json')],
    // Free bits of 0.1 nats: the floor holds for some examples and not others at the start.
    ['β warm-up with free bits', () => edit(preset('kl-warmup.json'), [setParam('beta', 'freeBits', 0.1)])],
    ['SGD, pixels binarized by sampling', () => edit(preset('standard-vae.json'), [setParam('opt', 'algorithm', 'sgd'), setParam('opt', 'learningRate', 0.01), setParam('data', 'binarize', 'sample')])],
    ['RMSProp (tfjs\'s update)', () => edit(preset('standard-vae.json'), [setParam('opt', 'algorithm', 'rmsprop')])],
  ];

  for (const [name, make] of cases) {
    it(name, async () => {
      const { dir, rec, recorded } = exportAndRecord(name.replace(/[^A-Za-z0-9]+/g, '-'), make());
      const r = await py(dir, ['--replay', rec]);
      expect(r.code, r.out.slice(-2000)).toBe(0);
      const diff = compareRuns(recorded, metricsOf(steps(r)));
      console.info(`replay max relative difference, ${name}: loss ${diff.loss.toExponential(2)}, recon/KL ${diff.parts.toExponential(2)}`);
      expect(diff.loss).toBeLessThan(TOL);
      expect(diff.parts).toBeLessThan(TOL);
    });
  }

  it('the standard preset, recorded by the CLI (train --record) and exported by the CLI (export --to pytorch)', async () => {
    const rec = join(work, 'cli-rec');
    const dir = join(work, 'cli-py');
    const trained = await cli(['train', join(ROOT, 'presets', 'standard-vae.json'), '--steps', String(STEPS), '--log-every', '1', '--record', rec]);
    expect(trained.code, trained.out.slice(-2000)).toBe(0);
    const exported = await cli(['export', join(ROOT, 'presets', 'standard-vae.json'), '--to', 'pytorch', '--out', dir]);
    expect(exported.code, exported.out.slice(-2000)).toBe(0);
    expect(exported.events.at(-1)).toMatchObject({ event: 'exported', to: 'pytorch', files: expect.arrayContaining(['model.py', 'train.py', 'README.md', 'data/mnist-images.npy']) });
    const recorded = metricsOf((JSON.parse(readFileSync(join(rec, 'record.json'), 'utf8')) as { steps: Array<Record<string, unknown>> }).steps);
    expect(recorded.loss).toEqual(steps(trained).map((e) => e.loss));
    const r = await py(dir, ['--replay', rec]);
    expect(r.code, r.out.slice(-2000)).toBe(0);
    const diff = compareRuns(recorded, metricsOf(steps(r)));
    console.info(`replay max relative difference, standard preset: loss ${diff.loss.toExponential(2)}, recon/KL ${diff.parts.toExponential(2)}`);
    expect(diff.loss).toBeLessThan(TOL);
    expect(diff.parts).toBeLessThan(TOL);
  });

  it('torchrun --nproc_per_node 2 replays K = 5 with an uneven batch split (101 = 51 + 50) as one process does', async () => {
    const g = edit(preset('k-samples.json'), [setParam('data', 'batchSize', 101)]);
    const { dir, rec, recorded } = exportAndRecord('torchrun', g, 3);
    const port = await freePort();
    const args = ['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--redirects', '0:1', '--tee', '0:1', '--master_addr', '127.0.0.1', '--master_port', String(port)];
    const two = await runGroup(PY, [...args, join(dir, 'train.py'), '--replay', rec, '--json'], { timeoutMs: 150_000, env: { OMP_NUM_THREADS: '1' } });
    expect(two.code, two.out.slice(-3000)).toBe(0);
    const one = await py(dir, ['--replay', rec]);
    expect(one.code, one.out.slice(-2000)).toBe(0);
    const vsRecord = compareRuns(recorded, metricsOf(steps(two)));
    const vsOne = compareRuns(metricsOf(steps(one)), metricsOf(steps(two)));
    console.info(`torchrun 2 processes vs the record: loss ${vsRecord.loss.toExponential(2)}, recon/KL ${vsRecord.parts.toExponential(2)}; vs one process: loss ${vsOne.loss.toExponential(2)}, recon/KL ${vsOne.parts.toExponential(2)}`);
    for (const d of [vsRecord, vsOne]) {
      expect(d.loss).toBeLessThan(TOL);
      expect(d.parts).toBeLessThan(TOL);
    }
  });
});

describeWithTool('torch', 'PyTorch export: the weights file both ways', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('wasm');
    mnist = await loadMnistNode();
    work = mkdtempSync(join(tmpdir(), 'vae-lab-weights-'));
    dir = join(work, 'py');
    const g = preset('standard-vae.json');
    const plan = compile(g, registry);
    if (!plan.ok) throw new Error('compile');
    const exported = exportPytorch(plan.plan, { graphJson: serializeGraph(g, registry), mnist });
    if (!exported.ok) throw new Error('export');
    writeAll(dir, exported.files);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('weights trained by train.py give VAE Lab the same held-out KL (1e-4) and −ELBO (0.5%)', async () => {
    const w = join(work, 'trained.safetensors');
    const t = await py(dir, ['--steps', '12', '--save', w]);
    expect(t.code, t.out.slice(-2000)).toBe(0);
    const torchEval = t.events.find((e) => e.event === 'eval')!;
    const e = await cli(['eval', join(dir, 'graph.json'), '--weights', w]);
    expect(e.code, e.out.slice(-2000)).toBe(0);
    const labEval = e.events.find((x) => x.event === 'eval')!;
    expect(labEval.step).toBe(12);
    const kl = [torchEval.kl as number, labEval.kl as number];
    console.info(`train.py weights in VAE Lab: held-out KL ${kl[0]} vs ${kl[1]}`);
    expect(Math.abs(kl[0]! - kl[1]!) / kl[0]!).toBeLessThan(1e-4);

    // Each −ELBO draws its own z per digit: one evaluation's noise is ~0.3% this early, so
    // compare the means of 8 evaluations on each side (train.py's evaluate(), VAE Lab's).
    const n = 8;
    const script = [
      'import json, sys, torch',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'import train',
      'from model import GraphModel',
      'm = GraphModel()',
      `train.load_weights(m, ${JSON.stringify(w)})`,
      'ds = train.Mnist(1000)',
      `print(json.dumps([train.evaluate(m, ds, torch.device("cpu"), torch.Generator().manual_seed(s), 1, 12)["heldOutLoss"] for s in range(${n})]))`,
    ].join('\n');
    const pyEvals = await runGroup(PY, ['-c', script], { timeoutMs: 120_000 });
    expect(pyEvals.code, pyEvals.out.slice(-2000)).toBe(0);
    const torchElbo = (JSON.parse(pyEvals.out.trim().split('\n').at(-1)!) as number[]).reduce((a, b) => a + b, 0) / n;
    const plan = compile(graph(readFileSync(join(dir, 'graph.json'), 'utf8')), registry);
    if (!plan.ok) return expect.fail('compile');
    let labElbo = 0;
    for (let seed = 1; seed <= n; seed++) {
      const trainer = new Trainer(plan.plan, { mnist, seed });
      try {
        expect(loadModelWeights(trainer.model, new Uint8Array(readFileSync(w))).ok).toBe(true);
        labElbo += trainer.evaluate().heldOutLoss / n;
      } finally {
        trainer.dispose();
      }
    }
    console.info(`train.py weights: held-out −ELBO, mean of ${n} evaluations: train.py ${torchElbo.toFixed(3)}, VAE Lab ${labElbo.toFixed(3)}`);
    expect(Math.abs(torchElbo - labElbo) / torchElbo).toBeLessThan(0.005);
  });

  it('train.py refuses a file that does not fit (WEIGHTS_MISMATCH, listing names and shapes) or is broken (WEIGHTS_FORMAT)', async () => {
    const w = join(work, 'trained.safetensors');
    if (!existsSync(w)) expect.fail('needs the weights of the test before');
    const decoded = decodeSafetensors(new Uint8Array(readFileSync(w)));
    if (!decoded.ok) return expect.fail(decoded.message);
    const tensors = decoded.file.tensors.map((t) => (t.name === 'enc/mu/bias' ? { ...t, name: 'enc/mu/bias2' } : t));
    const mismatched = join(work, 'mismatched.safetensors');
    writeFileSync(mismatched, encodeSafetensors(tensors));
    const m = await py(dir, ['--steps', '1', '--weights', mismatched]);
    expect(m.code).toBe(1);
    expect(m.events.at(-1)).toMatchObject({ event: 'error', code: 'WEIGHTS_MISMATCH' });
    expect(m.events.at(-1)!.message).toMatch(/enc\/mu\/bias \[20\] is missing.*enc\/mu\/bias2 \[20\] is not a variable of this graph/);
    const junk = join(work, 'junk.safetensors');
    writeFileSync(junk, 'not a weights file at all');
    const torch = await py(dir, ['--steps', '1', '--weights', junk]);
    expect(torch.code).toBe(1);
    expect(torch.events.at(-1)).toMatchObject({ event: 'error', code: 'WEIGHTS_FORMAT' });
  });
});
