/**
 * The bench: training-step times of the contenders (bench/contenders.ts; for the conv-vae and
 * sequence-vae rows bench/arch-contenders.ts), interleaved in one process so that a slow
 * moment of a shared machine hits them all alike, and compile times of the standard preset
 * and of a generated 200-node graph.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { registry } from '../nodes';
import { parseGraph, type Graph } from '../src/graph/schema';
import { compile } from '../src/compiler/compile';
import { median } from '../src/runtime/stats';
import type { MnistRaw } from '../src/runtime/data/mnist';
import {
  compiledContender,
  handFastContender,
  sameModelCheck,
  SAME_MODEL_STEPS,
  stockContender,
  STANDARD_PRESET,
  type Contender,
  type SameModel,
} from './contenders';
import { archCompiled, archHandFast, ARCHS, archStock, loadArch, type ArchName } from './arch-contenders';

export interface StepStats {
  name: string;
  /** Median ms per step over the timed steps. */
  msPerStep: number;
  /** 10th and 90th percentiles. */
  p10: number;
  p90: number;
  /**
   * Median CPU time of this process per step (process.cpuUsage, user + system). On a shared
   * machine a step's wall time includes waiting for a core; its CPU time mostly does not.
   */
  cpuMsPerStep: number;
  steps: number;
  /** The last timed step's loss (contenders end at different steps: stock runs fewer per round). */
  lastLoss: number;
}

export interface CompileStats {
  name: string;
  nodes: number;
  edges: number;
  /** Median ms per compile() over `runs`. */
  ms: number;
  p90: number;
  runs: number;
}

export interface BenchOptions {
  /** Rounds of interleaving; each round runs 1 + `block` steps of every contender in turn (the first untimed). */
  rounds?: number;
  block?: number;
  /** Steps per round for the stock contender (it is ~4× slower). */
  stockBlock?: number;
  /** Untimed steps of each contender before the rounds (at least SAME_MODEL_STEPS: their losses are compared). */
  warmup?: number;
  compileRuns?: number;
  /** Extra contenders (experiments). */
  extra?: Array<(mnist: MnistRaw) => Contender>;
  /** Leave the stock contender out. */
  skipStock?: boolean;
  /** Leave out the conv-vae and sequence-vae rows. */
  skipArchitectures?: boolean;
  /** Rounds and steps per block of the conv-vae and sequence-vae rows (default 4 and 3: their steps are slower). */
  archRounds?: number;
  archBlock?: number;
  onProgress?: (msg: string) => void;
}

export interface BenchResult {
  backend: string;
  date: string;
  node: string;
  cpus: number;
  cpuModel: string;
  contenders: StepStats[];
  /** The contenders' losses at steps 1–3, which must agree (bench/contenders.ts sameModelCheck). */
  sameModel: SameModel;
  /** From the wall-time medians. */
  ratios: {
    /** compiled / handFast ms per step (goal ≤ 1.02). */
    compiledOverHandFast: number | null;
    /** stock / compiled ms per step (goal ≥ 3.5). */
    stockOverCompiled: number | null;
  };
  /** The same ratios from the CPU-time medians (less sensitive to other load on the machine). */
  cpuRatios: {
    compiledOverHandFast: number | null;
    stockOverCompiled: number | null;
  };
  /**
   * Paired: the median over rounds of (that round's median compiled step / that round's
   * median handFast step); the two blocks of a round run seconds apart, so they share the
   * machine's load. Wall and CPU time.
   */
  pairedCompiledOverHandFast: { wall: number | null; cpu: number | null };
  /** Load average (1 min) before and after the step bench: how busy the machine was. */
  loadAverage: [number, number];
  compile: CompileStats[];
  /** The conv-vae and sequence-vae rows (same contenders, fewer rounds). */
  architectures: ArchRow[];
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i]!;
}

export interface StepBench {
  stats: StepStats[];
  sameModel: SameModel;
  /** Per contender, per round: the median wall and CPU ms of its block. */
  rounds: Array<Array<{ wall: number; cpu: number }>>;
}

export async function runStepBench(mnist: MnistRaw, opts: BenchOptions = {}): Promise<StepStats[]> {
  return (await runStepBenchRounds(mnist, opts)).stats;
}

export async function runStepBenchRounds(mnist: MnistRaw, opts: BenchOptions = {}): Promise<StepBench> {
  const makers: Array<(m: MnistRaw) => Contender> = [];
  if (!opts.skipStock) makers.push(stockContender);
  makers.push(handFastContender, compiledContender, ...(opts.extra ?? []));
  const r = await timeContenders(
    makers.map((make) => () => make(mnist)),
    opts,
  );
  if (r.failed.length) throw new Error(`bench: ${r.failed.map((f) => `${f.name} failed: ${f.reason}`).join('; ')}`);
  return r;
}

/** A contender that could not train here (e.g. the stock conv gradient on wasm), and why. */
export interface FailedContender {
  name: string;
  reason: string;
}

/**
 * Time contenders, interleaved: each makes its warm-up steps (the first SAME_MODEL_STEPS losses
 * are held to the same-model check), then `rounds` rounds of a block of steps each, the order
 * rotated every round. A contender whose warm-up throws is left out and listed in `failed`.
 */
export async function timeContenders(makers: Array<() => Contender>, opts: BenchOptions = {}): Promise<StepBench & { failed: FailedContender[] }> {
  const rounds = opts.rounds ?? 12;
  const block = opts.block ?? 8;
  const stockBlock = opts.stockBlock ?? 3;
  const warmup = Math.max(opts.warmup ?? SAME_MODEL_STEPS, SAME_MODEL_STEPS);
  const contenders: Contender[] = [];
  const failed: FailedContender[] = [];
  const first: Record<string, number[]> = {};
  const next: number[] = [];
  const last: number[] = [];
  let sameModel: SameModel;
  const times: number[][] = [];
  const cpu: number[][] = [];
  const perRound: Array<Array<{ wall: number; cpu: number }>> = [];
  try {
    for (const make of makers) {
      const c = make();
      const losses: number[] = [];
      try {
        for (let k = 1; k <= warmup; k++) losses.push(c.step(k));
      } catch (e) {
        failed.push({ name: c.name, reason: (e as Error).message.split('\n')[0]! });
        c.dispose();
        continue;
      }
      contenders.push(c);
      first[c.name] = losses.slice(0, SAME_MODEL_STEPS);
      next.push(warmup + 1);
      last.push(losses.at(-1)!);
      times.push([]);
      cpu.push([]);
      perRound.push([]);
    }
    // Timing contenders that train different models would compare nothing: stop here if so.
    sameModel = contenders.length > 1 ? sameModelCheck(first) : { losses: first, maxRelDiff: 0 };
    for (let r = 0; r < rounds; r++) {
      // Rotate the order every round, and leave each block's first step untimed: the first
      // step after another contender pays for its caches and garbage.
      for (let j = 0; j < contenders.length; j++) {
        const i = (j + r) % contenders.length;
        const c = contenders[i]!;
        const n = c.name === 'stock' ? stockBlock : block;
        last[i] = c.step(next[i]!++);
        const from = times[i]!.length;
        for (let k = 0; k < n; k++) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          last[i] = c.step(next[i]!++);
          times[i]!.push(performance.now() - t0);
          const dc = process.cpuUsage(c0);
          cpu[i]!.push((dc.user + dc.system) / 1000);
        }
        perRound[i]!.push({ wall: median(times[i]!.slice(from)), cpu: median(cpu[i]!.slice(from)) });
      }
      opts.onProgress?.(`round ${r + 1}/${rounds}`);
      // Let the event loop breathe (progress output, signals).
      await new Promise((res) => setTimeout(res, 0));
    }
  } finally {
    for (const c of contenders) c.dispose();
  }
  const stats = contenders.map((c, i) => {
    const s = [...times[i]!].sort((a, b) => a - b);
    return { name: c.name, msPerStep: median(s), p10: quantile(s, 0.1), p90: quantile(s, 0.9), cpuMsPerStep: median(cpu[i]!), steps: s.length, lastLoss: last[i]! };
  });
  return { stats, sameModel, rounds: perRound, failed };
}

/** The conv-vae and sequence-vae rows: stock / handFast / compiled of each architecture (bench/arch-contenders.ts). */
export interface ArchRow {
  name: ArchName;
  what: string;
  contenders: StepStats[];
  failed: FailedContender[];
  sameModel: SameModel;
  ratios: { compiledOverHandFast: number | null; stockOverCompiled: number | null };
  cpuRatios: { compiledOverHandFast: number | null; stockOverCompiled: number | null };
}

export async function runArchBench(mnist: MnistRaw, opts: BenchOptions = {}): Promise<ArchRow[]> {
  const rows: ArchRow[] = [];
  for (const name of Object.keys(ARCHS) as ArchName[]) {
    const setup = await loadArch(name, mnist);
    opts.onProgress?.(`${name}…`);
    const r = await timeContenders(
      [archStock, archHandFast, archCompiled].map((make) => () => make(setup)),
      { rounds: opts.archRounds ?? 4, block: opts.archBlock ?? 3, stockBlock: opts.archBlock ?? 3, onProgress: (m) => opts.onProgress?.(`${name}: ${m}`) },
    );
    rows.push({ name, what: setup.spec.what, contenders: r.stats, failed: r.failed, sameModel: r.sameModel, ...ratiosOf(r.stats) });
  }
  return rows;
}

function ratiosOf(contenders: StepStats[]): Pick<ArchRow, 'ratios' | 'cpuRatios'> {
  const get = (n: string, k: 'msPerStep' | 'cpuMsPerStep' = 'msPerStep') => contenders.find((c) => c.name === n)?.[k];
  const ratio = (a: number | undefined, b: number | undefined, d: number) => (a && b ? round(a / b, d) : null);
  return {
    ratios: { compiledOverHandFast: ratio(get('compiled'), get('handFast'), 3), stockOverCompiled: ratio(get('stock'), get('compiled'), 2) },
    cpuRatios: {
      compiledOverHandFast: ratio(get('compiled', 'cpuMsPerStep'), get('handFast', 'cpuMsPerStep'), 3),
      stockOverCompiled: ratio(get('stock', 'cpuMsPerStep'), get('compiled', 'cpuMsPerStep'), 2),
    },
  };
}

/** A valid graph of about `n` nodes: a long chain of dense layers into a hand-wired VAE. */
export function generatedGraph(n: number): Graph {
  const nodes: Graph['nodes'] = [];
  const edges: Graph['edges'] = [];
  const fixed = 14; // data, heads (2), noise, scale, exp, mul, add, decoder, recon, kl, beta, opt, final trunk layer
  const trunk = Math.max(1, n - fixed);
  nodes.push({ id: 'data', type: 'data.mnist', params: {} });
  let prev = 'data.x';
  for (let i = 0; i < trunk; i++) {
    nodes.push({ id: `h${i}`, type: 'layer.dense', params: { units: 32, activation: i % 2 ? 'tanh' : 'relu' } });
    edges.push({ from: prev, to: `h${i}.x` });
    prev = `h${i}.y`;
  }
  nodes.push({ id: 'top', type: 'layer.dense', params: { units: 64, activation: 'relu' } });
  edges.push({ from: prev, to: 'top.x' });
  nodes.push({ id: 'mu', type: 'layer.dense', params: { units: 8 } }, { id: 'logvar', type: 'layer.dense', params: { units: 8 } });
  edges.push({ from: 'top.y', to: 'mu.x' }, { from: 'top.y', to: 'logvar.x' });
  nodes.push(
    { id: 'eps', type: 'op.noise', params: {} },
    { id: 'half', type: 'op.scale', params: { factor: 0.5 } },
    { id: 'std', type: 'op.exp', params: {} },
    { id: 'epsStd', type: 'op.mul', params: {} },
    { id: 'z', type: 'op.add', params: {} },
    { id: 'dec', type: 'vae.decoder', params: { hidden: [64] } },
    { id: 'recon', type: 'loss.reconstruction', params: {} },
    { id: 'kl', type: 'loss.kl', params: {} },
    { id: 'beta', type: 'loss.beta', params: {} },
    { id: 'opt', type: 'train.optimizer', params: {} },
  );
  edges.push(
    { from: 'mu.y', to: 'eps.like' },
    { from: 'logvar.y', to: 'half.x' },
    { from: 'half.y', to: 'std.x' },
    { from: 'eps.eps', to: 'epsStd.a' },
    { from: 'std.y', to: 'epsStd.b' },
    { from: 'mu.y', to: 'z.a' },
    { from: 'epsStd.y', to: 'z.b' },
    { from: 'z.y', to: 'dec.z' },
    { from: 'dec.xHat', to: 'recon.xHat' },
    { from: 'data.x', to: 'recon.x' },
    { from: 'mu.y', to: 'kl.mu' },
    { from: 'logvar.y', to: 'kl.logvar' },
    { from: 'kl.kl', to: 'beta.kl' },
    { from: 'recon.nll', to: 'opt.loss' },
    { from: 'beta.kl', to: 'opt.loss' },
  );
  return { format: 'vae-lab/graph', version: 1, meta: { name: `generated ${nodes.length} nodes` }, nodes, edges, training: { seed: 1 } };
}

function timeCompile(name: string, graph: Graph, runs: number): CompileStats {
  const first = compile(graph, registry);
  if (!first.ok) throw new Error(`bench: ${name} does not compile: ${first.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    compile(graph, registry);
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { name, nodes: graph.nodes.length, edges: graph.edges.length, ms: median(ts), p90: quantile(ts, 0.9), runs };
}

export function runCompileBench(runs = 200): CompileStats[] {
  const parsed = parseGraph(readFileSync(STANDARD_PRESET, 'utf8'), registry);
  if (!parsed.ok) throw new Error('bench: the standard preset does not parse');
  const big = generatedGraph(200);
  return [timeCompile('standard-vae', parsed.graph, runs), timeCompile('generated-200', big, Math.max(20, Math.round(runs / 4)))];
}

export async function runBench(mnist: MnistRaw, opts: BenchOptions = {}): Promise<BenchResult> {
  const os = await import('node:os');
  const compileStats = runCompileBench(opts.compileRuns ?? 200);
  const load0 = os.loadavg()[0]!;
  const bench = await runStepBenchRounds(mnist, opts);
  const contenders = bench.stats;
  const architectures = opts.skipArchitectures ? [] : await runArchBench(mnist, opts);
  const load1 = os.loadavg()[0]!;
  const iCompiled = contenders.findIndex((c) => c.name === 'compiled');
  const iHand = contenders.findIndex((c) => c.name === 'handFast');
  const paired = (k: 'wall' | 'cpu') =>
    iCompiled >= 0 && iHand >= 0 ? round(median(bench.rounds[iCompiled]!.map((r, j) => r[k] / bench.rounds[iHand]![j]![k])), 3) : null;
  const cpus = os.cpus();
  return {
    backend: tf.getBackend(),
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    contenders,
    sameModel: bench.sameModel,
    ...ratiosOf(contenders),
    pairedCompiledOverHandFast: { wall: paired('wall'), cpu: paired('cpu') },
    loadAverage: [round(load0, 2), round(load1, 2)],
    compile: compileStats,
    architectures,
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
