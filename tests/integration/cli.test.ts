/**
 * The `vae-lab` command line, spawned as a person runs it (node bin/vae-lab.mjs, which
 * registers tsx): exit codes, the NDJSON events of DESIGN.md section 5, nothing but JSON on
 * stdout with --json, coded errors for bad files, graphs and flags, and train --out files
 * that load back with tf.io.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import { parseGraph } from '../../src/graph/schema';
import { compile } from '../../src/compiler/compile';
import { Trainer } from '../../src/runtime/trainer';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';
import { decodeSafetensors } from '../../src/export/safetensors';
import { loadModelWeights } from '../../src/runtime/weights';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vae-lab.mjs');
const PRESET = join(ROOT, 'presets', 'standard-vae.json');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed line by line (throws in `run` when a line is not a JSON object and json mode was asked). */
  events: Array<Record<string, unknown>>;
}

function run(args: string[], opts: { timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events: Array<Record<string, unknown>> = [];
      if (args.includes('--json')) {
        for (const line of stdout.split('\n')) {
          if (line === '') continue;
          let v: unknown;
          try {
            v = JSON.parse(line);
          } catch {
            reject(new Error(`stdout holds a line that is not JSON: ${JSON.stringify(line.slice(0, 200))}\nstderr: ${stderr.slice(0, 2000)}`));
            return;
          }
          if (!v || typeof v !== 'object' || Array.isArray(v)) {
            reject(new Error(`stdout line is not a JSON object: ${line}`));
            return;
          }
          events.push(v as Record<string, unknown>);
        }
      }
      resolve({ code, stdout, stderr, events });
    });
  });
}

/** Every number in every event is finite (JSON has no NaN, and JSON.stringify would have written null). */
function expectAllFinite(events: Array<Record<string, unknown>>): void {
  const walk = (v: unknown, path: string): void => {
    if (v === null) return;
    if (typeof v === 'number') expect(Number.isFinite(v), path).toBe(true);
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v as object)) walk(x, `${path}.${k}`);
  };
  events.forEach((e, i) => walk(e, `event${i}`));
}

function expectNoStackTrace(r: Run): void {
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(text).not.toContain('Hi, looks like you are running TensorFlow.js');
  }
}

const ofType = (r: Run, event: string) => r.events.filter((e) => e.event === event);

let dir = '';
const preset = JSON.parse(readFileSync(PRESET, 'utf8')) as {
  nodes: Array<{ id: string; type: string; params: Record<string, unknown> }>;
  edges: Array<{ from: string; to: string }>;
  [k: string]: unknown;
};
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function writeGraph(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return p;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-lab-cli-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vae-lab check', () => {
  it('the standard preset: one ok event with its nodes, edges and parameter count, exit 0', async () => {
    const r = await run(['check', PRESET, '--json']);
    expect(r.code).toBe(0);
    expectNoStackTrace(r);
    // 784-400 trunk, two 400-20 heads; 20-400-784 decoder: weights plus biases.
    const dense = (i: number, o: number) => i * o + o;
    const parameters = dense(784, 400) + 2 * dense(400, 20) + dense(20, 400) + dense(400, 784);
    expect(r.events).toEqual([{ event: 'ok', nodes: preset.nodes.length, edges: preset.edges.length, parameters }]);
  });

  it('prints lint warnings as warning events before ok', async () => {
    const doc = clone(preset);
    doc.nodes.find((n) => n.id === 'dec')!.params.outputActivation = 'none';
    const r = await run(['check', writeGraph('nosigmoid.json', doc), '--json']);
    expect(r.code).toBe(0);
    const warnings = ofType(r, 'warning');
    expect(warnings.map((w) => w.code)).toContain('NO_SIGMOID_BERNOULLI');
    for (const w of warnings) expect(Object.keys(w).sort()).toEqual(['code', 'event', 'message', 'node', 'port']);
    expect(r.events.at(-1)!.event).toBe('ok');
  });

  it('bad files: exit 1, coded error events with node and port, and only JSON on stdout', async () => {
    const unknownParam = clone(preset);
    unknownParam.nodes.find((n) => n.id === 'enc')!.params.hiden = [400];
    const cycle = clone(preset);
    cycle.edges = cycle.edges.filter((e) => !(e.from === 'data.x' && e.to === 'enc.x'));
    cycle.nodes.push({ id: 'back', type: 'layer.dense', params: { units: 784 } });
    cycle.edges.push({ from: 'dec.xHat', to: 'back.x' }, { from: 'back.y', to: 'enc.x' });
    const cases: Array<{ file: string; code: string; check?: (e: Record<string, unknown>) => void }> = [
      {
        file: writeGraph('invalid.json', '{\n  "format": "vae-lab/graph",\n  "version": 1,,\n  "nodes": []\n}\n'),
        code: 'INVALID_JSON',
        check: (e) => {
          expect(e.line).toBe(3);
          expect(e.column).toBe(16); // the second comma of `  "version": 1,,`
        },
      },
      { file: writeGraph('wrong-format.json', { format: 'something/else', version: 1 }), code: 'WRONG_FORMAT' },
      { file: writeGraph('newer.json', { ...clone(preset), version: 99 }), code: 'UNSUPPORTED_VERSION' },
      { file: writeGraph('unknown-param.json', unknownParam), code: 'BAD_PARAM', check: (e) => expect(e.node).toBe('enc') },
      {
        file: writeGraph('cycle.json', cycle),
        code: 'CYCLE',
        check: (e) => expect(['enc', 'rep', 'dec', 'back']).toContain(e.node),
      },
      { file: join(dir, 'missing.json'), code: 'FILE_NOT_FOUND' },
    ];
    const runs = await Promise.all(cases.map((c) => run(['check', c.file, '--json'])));
    runs.forEach((r, i) => {
      const c = cases[i]!;
      expect(r.code, c.code).toBe(1);
      expectNoStackTrace(r);
      expect(ofType(r, 'ok'), c.code).toEqual([]);
      const errors = ofType(r, 'error');
      expect(errors.length, c.code).toBeGreaterThan(0);
      for (const e of errors) {
        expect(typeof e.message).toBe('string');
        expect('node' in e && 'port' in e, 'node and port are always present (null where they do not apply)').toBe(true);
      }
      const hit = errors.find((e) => e.code === c.code);
      expect(hit, `${c.code} in ${JSON.stringify(errors)}`).toBeDefined();
      c.check?.(hit!);
    });
  });

  it('flags: an unknown option or a missing argument is a USAGE error (JSON when --json is among them)', async () => {
    const [bogus, missing, text] = await Promise.all([run(['check', PRESET, '--json', '--bogus']), run(['check', '--json']), run(['check', PRESET, '--bogus'])]);
    for (const r of [bogus, missing]) {
      expect(r.code).toBe(1);
      expect(r.events).toHaveLength(1);
      expect(r.events[0]).toMatchObject({ event: 'error', code: 'USAGE', node: null, port: null });
    }
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('USAGE');
    expectNoStackTrace(text);
  });
});

describe('vae-lab train', () => {
  it('--steps 30 --log-every 10: steps 10, 20, 30, one eval after the last step, then done; no leak', async () => {
    const r = await run(['train', PRESET, '--steps', '30', '--json', '--log-every', '10']);
    expect(r.code, r.stderr).toBe(0);
    expectNoStackTrace(r);
    expectAllFinite(r.events);
    expect(r.events.map((e) => e.event)).toEqual(['step', 'step', 'step', 'eval', 'done']);
    const steps = ofType(r, 'step');
    expect(steps.map((s) => s.step)).toEqual([10, 20, 30]);
    for (const s of steps) {
      expect(Object.keys(s).sort()).toEqual(['event', 'kl', 'loss', 'msPerStep', 'recon', 'step']);
      expect(s.msPerStep as number).toBeGreaterThan(0);
      // β = 1, no free bits: the objective is recon + kl.
      expect(s.loss as number).toBeCloseTo((s.recon as number) + (s.kl as number), 2);
    }
    // Training lowers the loss from ~549 (784·ln 2 before training).
    expect(steps[2]!.loss as number).toBeLessThan(steps[0]!.loss as number);
    const [ev] = ofType(r, 'eval');
    expect(Object.keys(ev!).sort()).toEqual(['event', 'heldOutLoss', 'kl', 'recon', 'step']);
    expect(ev!.step).toBe(30);
    expect(ev!.heldOutLoss as number).toBeCloseTo((ev!.recon as number) + (ev!.kl as number), 3);
    expect(ev!.heldOutLoss as number).toBeLessThan(549);
    const [done] = ofType(r, 'done');
    expect(Object.keys(done!).sort()).toEqual(['event', 'heldOutLoss', 'loss', 'msPerStep', 'numTensors', 'steps']);
    expect(done).toMatchObject({ steps: 30, loss: steps[2]!.loss, heldOutLoss: ev!.heldOutLoss });
    expect(typeof done!.msPerStep).toBe('number');
    expect(done!.msPerStep as number).toBeGreaterThan(0);
    const nt = done!.numTensors as { afterFirstStep: number; end: number };
    expect(nt.afterFirstStep).toBeGreaterThan(0);
    expect(nt.end).toBe(nt.afterFirstStep);
  });

  it('--epochs: an eval at the end of every epoch, once at the last step where they coincide', async () => {
    // 9,000 training digits with heldOut 5000 leave 5,000: batches of 1,000 make 5-step epochs.
    const doc = clone(preset);
    Object.assign(doc.nodes.find((n) => n.id === 'data')!.params, { batchSize: 1000, heldOut: 5000 });
    const file = writeGraph('short-epochs.json', doc);
    const r = await run(['train', file, '--epochs', '2', '--log-every', '5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.map((e) => `${e.event}${e.step ?? e.steps}`)).toEqual(['step5', 'eval5', 'step10', 'eval10', 'done10']);
  });

  it('--seed overrides the file: another seed gives other losses, the file seed the same ones', async () => {
    const args = ['train', PRESET, '--steps', '3', '--log-every', '1', '--json'];
    const [base, same, other] = await Promise.all([run(args), run([...args, '--seed', '1']), run([...args, '--seed', '7'])]);
    for (const r of [base, same, other]) expect(r.code, r.stderr).toBe(0);
    const losses = (r: Run) => ofType(r, 'step').map((s) => s.loss);
    expect(losses(base)).toHaveLength(3);
    expect(losses(same)).toEqual(losses(base)); // the preset's training.seed is 1
    expect(losses(other)[0]).not.toBe(losses(base)[0]);
    expect(ofType(other, 'done')[0]!.loss).not.toBe(ofType(base, 'done')[0]!.loss);
  });

  it('--steps and --epochs together, or a bad value, is a USAGE error and nothing trains', async () => {
    const [both, bad, webgl] = await Promise.all([
      run(['train', PRESET, '--steps', '5', '--epochs', '1', '--json']),
      run(['train', PRESET, '--steps', 'ten', '--json']),
      run(['train', PRESET, '--backend', 'webgl', '--json']),
    ]);
    for (const r of [both, bad, webgl]) {
      expect(r.code).toBe(1);
      expect(r.events).toHaveLength(1);
      expect(r.events[0]).toMatchObject({ event: 'error', code: 'USAGE' });
      expectNoStackTrace(r);
    }
  });

  it('--backend cpu trains too', async () => {
    const r = await run(['train', PRESET, '--steps', '2', '--backend', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.map((e) => e.event)).toEqual(['step', 'eval', 'done']);
    expect(ofType(r, 'step')[0]!.step).toBe(2);
    expectAllFinite(r.events);
  });

  it('an overflowing graph stops with NON_FINITE naming node, port and step: exit 1, no done', async () => {
    // The reparameterization wired by hand, with log σ² scaled by 1e4 before exp: σ overflows.
    const g = {
      format: 'vae-lab/graph',
      version: 1,
      meta: { name: 'overflow' },
      nodes: [
        { id: 'data', type: 'data.mnist', params: {} },
        { id: 'enc', type: 'vae.encoder', params: { hidden: [64], latentDim: 8 } },
        { id: 'eps', type: 'op.noise', params: {} },
        { id: 'half', type: 'op.scale', params: { factor: 10000 } },
        { id: 'std', type: 'op.exp', params: {} },
        { id: 'epsStd', type: 'op.mul', params: {} },
        { id: 'z', type: 'op.add', params: {} },
        { id: 'dec', type: 'vae.decoder', params: { hidden: [64] } },
        { id: 'recon', type: 'loss.reconstruction', params: {} },
        { id: 'kl', type: 'loss.kl', params: {} },
        { id: 'opt', type: 'train.optimizer', params: {} },
      ],
      edges: [
        { from: 'data.x', to: 'enc.x' },
        { from: 'enc.mu', to: 'eps.like' },
        { from: 'enc.logvar', to: 'half.x' },
        { from: 'half.y', to: 'std.x' },
        { from: 'eps.eps', to: 'epsStd.a' },
        { from: 'std.y', to: 'epsStd.b' },
        { from: 'enc.mu', to: 'z.a' },
        { from: 'epsStd.y', to: 'z.b' },
        { from: 'z.y', to: 'dec.z' },
        { from: 'dec.xHat', to: 'recon.xHat' },
        { from: 'data.x', to: 'recon.x' },
        { from: 'enc.mu', to: 'kl.mu' },
        { from: 'enc.logvar', to: 'kl.logvar' },
        { from: 'recon.nll', to: 'opt.loss' },
        { from: 'kl.kl', to: 'opt.loss' },
      ],
    };
    const r = await run(['train', writeGraph('overflow.json', g), '--steps', '20', '--json']);
    expect(r.code).toBe(1);
    expectNoStackTrace(r);
    expectAllFinite(r.events);
    expect(ofType(r, 'done')).toEqual([]);
    expect(ofType(r, 'eval')).toEqual([]);
    const errors = ofType(r, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'NON_FINITE', node: 'std', port: 'y' });
    expect(Number.isInteger(errors[0]!.step)).toBe(true);
    expect(errors[0]!.step as number).toBeGreaterThanOrEqual(1);
    // Steps logged before the stop are all earlier than it.
    for (const s of ofType(r, 'step')) expect(s.step as number).toBeLessThan(errors[0]!.step as number);
  });

  it('--out writes weights.safetensors + graph.json; they load back, and eval --weights reproduces the held-out KL', async () => {
    const out = join(dir, 'model');
    const r = await run(['train', PRESET, '--steps', '12', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const evalEvent = ofType(r, 'eval')[0]!;

    const bytes = readFileSync(join(out, 'weights.safetensors'));
    const decoded = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.file.metadata).toMatchObject({ format: 'vae-lab/weights', steps: '12', seed: '1' });

    // graph.json beside them is the graph as the app saves it, and compiles to the same variables.
    const graphText = readFileSync(join(out, 'graph.json'), 'utf8');
    const parsed = parseGraph(graphText, registry);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const compiled = compile(parsed.graph, registry);
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    const plan = compiled.plan;
    const expected = new Map<string, number[]>();
    for (const id of plan.order) for (const v of plan.nodes.get(id)!.variables) expected.set(`${id}/${v.name}`, v.shape);
    expect(decoded.file.tensors.map((t) => t.name).sort()).toEqual([...expected.keys()].sort());
    for (const t of decoded.file.tensors) expect(t.shape, t.name).toEqual(expected.get(t.name));

    // Values: the trained encoder reproduces the run's held-out KL (closed form: no sampling noise).
    await tf.setBackend('cpu');
    const trainer = new Trainer(plan, { mnist: await loadMnistNode() });
    try {
      const initialKl = trainer.evaluate().kl;
      const loaded = loadModelWeights(trainer.model, new Uint8Array(bytes));
      expect(loaded.ok).toBe(true);
      const kl = trainer.evaluate().kl;
      expect(Math.abs(kl - (evalEvent.kl as number))).toBeLessThan(1e-4 * Math.abs(evalEvent.kl as number));
      expect(Math.abs(initialKl - kl)).toBeGreaterThan(1e-3); // the saved weights are the trained ones, not the initial ones
    } finally {
      trainer.dispose();
    }

    const e = await run(['eval', join(out, 'graph.json'), '--weights', join(out, 'weights.safetensors'), '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.events.map((x) => x.event)).toEqual(['eval', 'done']);
    expect(e.events[0]).toMatchObject({ event: 'eval', step: 12 });
    expect(Math.abs((e.events[0]!.kl as number) - (evalEvent.kl as number))).toBeLessThan(1e-4 * Math.abs(evalEvent.kl as number));
  });

  it('eval --weights: a broken file is WEIGHTS_FORMAT, one of another graph WEIGHTS_MISMATCH listing names and shapes', async () => {
    const junk = writeGraph('junk.safetensors', 'not a weights file');
    const bad = await run(['eval', PRESET, '--weights', junk, '--json']);
    expect(bad.code).toBe(1);
    expect(bad.events).toEqual([expect.objectContaining({ event: 'error', code: 'WEIGHTS_FORMAT' })]);
    const weights = join(dir, 'model', 'weights.safetensors');
    if (!existsSync(weights)) expect.fail('needs the weights of the test before');
    const other = await run(['eval', join(ROOT, 'presets', 'latent-2d.json'), '--weights', weights, '--json']);
    expect(other.code).toBe(1);
    expect(other.events).toEqual([expect.objectContaining({ event: 'error', code: 'WEIGHTS_MISMATCH', node: 'enc' })]);
    expect(other.events[0]!.message).toMatch(/enc\/mu\/kernel is \[400, 20\], the graph needs \[400, 2\]/);
  });

  it('--iwae K: every eval event also carries nll, activeUnits and klPerDim (summing to its kl)', async () => {
    const r = await run(['train', PRESET, '--steps', '3', '--iwae', '5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expectAllFinite(r.events);
    const [ev] = ofType(r, 'eval');
    const perDim = ev!.klPerDim as number[];
    expect(perDim).toHaveLength(20); // the preset's latentDim
    expect(perDim.reduce((a, b) => a + b, 0)).toBeCloseTo(ev!.kl as number, 2);
    expect(Number.isInteger(ev!.activeUnits)).toBe(true);
    expect(typeof ev!.nll).toBe('number');
    expect(ofType(r, 'done')).toHaveLength(1);
  });

  it('--out naming an existing file is a USAGE error before any training', async () => {
    const file = writeGraph('not-a-dir.txt', 'x');
    const r = await run(['train', PRESET, '--steps', '2', '--json', '--out', file]);
    expect(r.code).toBe(1);
    expect(r.events).toEqual([expect.objectContaining({ event: 'error', code: 'USAGE' })]);
  });

  it('without --json: readable lines on stdout, no JSON, exit 0', async () => {
    const r = await run(['train', PRESET, '--steps', '4', '--log-every', '2']);
    expect(r.code, r.stderr).toBe(0);
    expectNoStackTrace(r);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('step')).map((l) => /^step\s+(\d+)\/4/.exec(l)?.[1])).toEqual(['2', '4']);
    expect(lines.some((l) => l.startsWith('eval'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^done\s+4 steps/);
    expect(lines.every((l) => !l.startsWith('{'))).toBe(true);
    // stderr is not a terminal here: no progress bar redraws.
    expect(r.stderr).not.toContain('\r');
  });
});

describe('vae-lab compare and help', () => {
  it('compare dispatches to the lockstep comparison: a β change diverges at the β node, exit 0', async () => {
    const doc = clone(preset);
    doc.nodes.find((n) => n.id === 'beta')!.params.beta = 4;
    const r = await run(['compare', PRESET, writeGraph('beta4.json', doc), '--steps', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expectNoStackTrace(r);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ event: 'diverged', step: 1, node: 'beta' });
  });

  it('help lists every command on stdout with exit 0; no command at all is exit 1', async () => {
    const [help, none] = await Promise.all([run(['help']), run([])]);
    expect(help.code).toBe(0);
    for (const c of ['check', 'train', 'bench', 'compare']) expect(help.stdout).toContain(`vae-lab ${c}`);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
  });
});
