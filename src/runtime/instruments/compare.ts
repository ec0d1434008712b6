/**
 * Compare in lockstep (DESIGN.md §5 `compare`): train two graphs side by side on the same
 * batches, with the same ε and the same initial weights wherever node ids and shapes
 * correspond, run every evaluable node, and report the first node (in a's topological
 * order, present in both) whose output differs — or the optimizer, when every output
 * matches but the update does not. Each graph trains with its own optimizer on its own
 * objective. NaN never stops it: NaN against NaN matches, NaN against a number differs.
 *
 * Why the same ids give the same numbers: initial weights are keyed by (seed, node id,
 * variable name), ε by (seed, step, node id), batches by (seed, step). The weights are also
 * copied from a to b explicitly (Model.copyMatchingFrom), so the claim does not rest on
 * the keying alone. No Node APIs: runs in a Web Worker.
 */
import * as tf from '@tensorflow/tfjs';
import type { Plan } from '../../compiler/compile';
import { createOptimizer, type Params as OptimizerParams } from '../../../nodes/train.optimizer';
import type { MnistRaw } from '../data/mnist';
import type { DataSource } from '../../../nodes/types';
import { createTrainer, type Trainer } from '../trainer';
import { relativeDiff, jsonSummary, type HostTensor, type TensorSummary } from './summary';

export const DEFAULT_COMPARE_STEPS = 20;
export const DEFAULT_COMPARE_TOLERANCE = 1e-4;

export interface CompareOptions {
  /** The built-in MNIST, for a graph whose data node is data.mnist. */
  mnist?: MnistRaw;
  /** Each graph's examples when its data node reads a file (the same file for both, so they share batches). */
  data?: { a?: DataSource; b?: DataSource };
  /** Steps to run (default 20). */
  steps?: number;
  /** Seed for both graphs (default: a's training.seed). */
  seed?: number;
  /** Relative tolerance, max|a − b| / max(max|a|, max|b|) (default 1e-4). */
  tolerance?: number;
  fast?: boolean;
  /** Called after each step that matched. */
  onStep?: (step: number) => void;
  /** Checked before each step; an aborted compare rejects with an AbortError. */
  signal?: AbortSignal;
  /** Yield to the event loop every this many steps (default never). */
  yieldEvery?: number;
}

export type DivergenceReason =
  /** The two outputs have different shapes (or the port exists on one side only). */
  | 'shape'
  /** NaN or ±Infinity on one side where the other has something else. */
  | 'non-finite'
  /** Values differ by more than the tolerance. */
  | 'value'
  /** The optimizers' objectives (the summed, batch-averaged losses) differ: port 'loss'. */
  | 'objective'
  /** A shared variable gets a gradient in one graph only: port null. */
  | 'gradient'
  /** Same outputs and gradients, but a different update rule (learning rate, algorithm) moved the weights apart: port null. */
  | 'update';

export interface DivergedEvent {
  event: 'diverged';
  step: number;
  node: string;
  port: string | null;
  a: TensorSummary | null;
  b: TensorSummary | null;
  /** The relative difference (null for a shape or NaN divergence). */
  diff: number | null;
  reason: DivergenceReason;
  /** For gradient/update divergences, the variable ("<node>/<var>") that differs first. */
  variable?: string;
  message: string;
}

export interface SameEvent {
  event: 'same';
  steps: number;
  /** The largest relative difference seen (below the tolerance). */
  maxDiff: number;
  /** Variables present in both graphs (same node id, name and shape), copied from a to b at the start. */
  sharedVariables: number;
}

export type CompareEvent = DivergedEvent | SameEvent;

interface Side {
  name: 'a' | 'b';
  trainer: Trainer;
  optimizer: tf.Optimizer;
  params: OptimizerParams;
  /** tfjs variable name → "<node>/<var>". */
  canonical: Map<string, string>;
}

interface StepTensors {
  outputs: Map<string, Record<string, tf.Tensor>>;
  objective: tf.Scalar;
  grads: tf.NamedTensorMap;
}

export async function compareGraphs(planA: Plan, planB: Plan, opts: CompareOptions): Promise<CompareEvent> {
  const steps = Math.max(0, Math.floor(opts.steps ?? DEFAULT_COMPARE_STEPS));
  const seed = opts.seed ?? planA.seed;
  const tol = opts.tolerance ?? DEFAULT_COMPARE_TOLERANCE;
  const fast = opts.fast ?? true;
  const sides: Side[] = [];
  try {
    for (const [name, plan] of [['a', planA], ['b', planB]] as const) {
      const trainer = createTrainer(plan, { mnist: opts.mnist, data: opts.data?.[name], seed, fast, breakOnKlNegative: false });
      const params = plan.nodes.get(plan.optimizer)!.params as OptimizerParams;
      const canonical = new Map<string, string>();
      for (const [key, v] of trainer.model.vars) canonical.set(v.name, key);
      sides.push({ name, trainer, optimizer: createOptimizer(params), params, canonical });
    }
    const [a, b] = sides as [Side, Side];
    const sharedVariables = b.trainer.model.copyMatchingFrom(a.trainer.model);
    let maxDiff = 0;
    for (let t = 1; t <= steps; t++) {
      if (opts.signal?.aborted) throw new DOMException('compare aborted', 'AbortError');
      const ta = forwardAndGrads(a, t, fast);
      const tb = forwardAndGrads(b, t, fast);
      try {
        const found = compareStep(planA, a, b, ta, tb, t, tol);
        if (found.event === 'diverged') return found;
        maxDiff = Math.max(maxDiff, found.maxDiff);
        const upd = compareUpdate(planA, a, b, ta, tb, t, tol);
        if (upd.event === 'diverged') return upd;
        maxDiff = Math.max(maxDiff, upd.maxDiff);
      } finally {
        for (const s of [ta, tb]) {
          for (const outs of s.outputs.values()) tf.dispose(Object.values(outs));
          tf.dispose(s.objective);
          tf.dispose(Object.values(s.grads));
        }
      }
      opts.onStep?.(t);
      // Let a worker's message loop run (progress, abort) between steps.
      if (opts.yieldEvery && t % opts.yieldEvery === 0) await new Promise((r) => setTimeout(r, 0));
    }
    return { event: 'same', steps, maxDiff, sharedVariables };
  } finally {
    for (const s of sides) {
      s.optimizer.dispose();
      s.trainer.dispose();
    }
  }
}

function forwardAndGrads(side: Side, t: number, fast: boolean): StepTensors {
  const model = side.trainer.model;
  const feed = side.trainer.trainFeed(t);
  const vars = model.trainableVars();
  let outputs = new Map<string, Record<string, tf.Tensor>>();
  const f = (): tf.Scalar => {
    const r = model.forward({ mode: 'train', step: t, data: feed, fast, nodes: 'all' });
    for (const [id, outs] of r.outputs) {
      const kept: Record<string, tf.Tensor> = {};
      for (const [port, tensor] of Object.entries(outs)) kept[port] = tf.keep(tensor);
      outputs.set(id, kept);
    }
    return r.objective ?? tf.scalar(0);
  };
  if (vars.length) {
    try {
      const { value, grads } = tf.variableGrads(f, vars);
      return { outputs, objective: value, grads };
    } catch {
      // No variable reaches the objective: no gradients, the forward still compares.
      for (const outs of outputs.values()) tf.dispose(Object.values(outs));
      outputs = new Map();
    }
  }
  const objective = tf.tidy(f);
  return { outputs, objective, grads: {} };
}

function host(t: tf.Tensor): HostTensor {
  return { shape: t.shape, values: t.dataSync() };
}

type StepCheck = DivergedEvent | { event: 'ok'; maxDiff: number };

function compareStep(planA: Plan, a: Side, b: Side, ta: StepTensors, tb: StepTensors, t: number, tol: number): StepCheck {
  let maxDiff = 0;
  for (const id of planA.order) {
    if (id === planA.optimizer) {
      const ha = host(ta.objective);
      const hb = host(tb.objective);
      const d = relativeDiff(ha, hb, tol);
      if (!d.same) {
        return diverged(t, id, 'loss', ha, hb, d.diff, 'objective', undefined,
          `The objectives differ at step ${t} (every loss matched before it): ${fmt(ha.values[0]!)} in a, ${fmt(hb.values[0]!)} in b. Check which losses are wired into ${id}.loss.`);
      }
      maxDiff = Math.max(maxDiff, d.diff);
      continue;
    }
    const outA = ta.outputs.get(id);
    const outB = tb.outputs.get(id);
    if (!outA || !outB) continue; // not in both graphs (or not evaluable in one)
    const ports = [...new Set([...Object.keys(outA), ...Object.keys(outB)])];
    for (const port of ports) {
      const xa = outA[port];
      const xb = outB[port];
      if (!xa || !xb) {
        return diverged(t, id, port, xa ? host(xa) : null, xb ? host(xb) : null, null, 'shape', undefined,
          `${id}.${port} exists in ${xa ? 'a' : 'b'} only.`);
      }
      const ha = host(xa);
      const hb = host(xb);
      const d = relativeDiff(ha, hb, tol);
      if (!d.same) {
        const what =
          d.reason === 'shape'
            ? `shapes [${ha.shape.join(',')}] in a and [${hb.shape.join(',')}] in b`
            : d.reason === 'non-finite'
              ? `NaN or Infinity on one side only`
              : `relative difference ${d.diff!.toExponential(2)} > ${tol}`;
        const drift = t > 1 ? weightDrift(id, a, b) : '';
        return diverged(t, id, port, ha, hb, d.diff, d.reason, undefined, `${id}.${port} is the first output to differ, at step ${t}: ${what}.${drift}`);
      }
      maxDiff = Math.max(maxDiff, d.diff);
    }
  }
  return { event: 'ok', maxDiff };
}

function compareUpdate(planA: Plan, a: Side, b: Side, ta: StepTensors, tb: StepTensors, t: number, tol: number): StepCheck {
  const opt = planA.optimizer;
  const config = configDifference(a.params, b.params);
  const gradOf = (side: Side, st: StepTensors) => {
    const m = new Map<string, tf.Tensor>();
    for (const [tfName, g] of Object.entries(st.grads)) if (g) m.set(side.canonical.get(tfName) ?? tfName, g);
    return m;
  };
  const ga = gradOf(a, ta);
  const gb = gradOf(b, tb);
  const trainsA = new Set(a.trainer.model.trainableVars().map((v) => a.canonical.get(v.name)!));
  const trainsB = new Set(b.trainer.model.trainableVars().map((v) => b.canonical.get(v.name)!));
  const varsA = a.trainer.model.vars;
  const varsB = b.trainer.model.vars;
  // Variables both models hold with the same shape, in a's order.
  const shared = [...varsA.keys()].filter((k) => {
    const vb = varsB.get(k);
    return vb && sameShape(vb.shape, varsA.get(k)!.shape);
  });
  for (const key of shared) {
    if (trainsA.has(key) !== trainsB.has(key)) {
      return diverged(t, opt, null, null, null, null, 'update', key, `${key} trains in ${trainsA.has(key) ? 'a' : 'b'} only, so the updates differ from step ${t}.`);
    }
    const x = ga.get(key);
    const y = gb.get(key);
    if (!x && !y) continue;
    if (!x || !y) {
      return diverged(t, opt, null, x ? host(x) : null, y ? host(y) : null, null, 'gradient', key,
        `${key} gets a gradient in ${x ? 'a' : 'b'} only, at step ${t}.`);
    }
  }
  a.optimizer.applyGradients(ta.grads);
  b.optimizer.applyGradients(tb.grads);
  // Same outputs and objective (within T), the same trainable variables and the same update
  // rule make the same update. Gradient values and weights are not compared otherwise: a
  // relative difference below T in the outputs can be far above T in a few near-zero
  // gradient entries, and Adam's first steps, ≈ lr·sign(g), turn those into ±lr steps.
  // Calling that "the optimizer differs" would blame the wrong node; if the difference
  // grows, a later step's outputs show it, and the message says the weights drifted.
  if (!config) return { event: 'ok', maxDiff: 0 };
  for (const key of shared) {
    const ha = host(varsA.get(key)!);
    const hb = host(varsB.get(key)!);
    const d = relativeDiff(ha, hb, tol);
    if (!d.same) {
      return diverged(t, opt, null, ha, hb, d.diff, 'update', key,
        `Every output matched at step ${t}, but the update rules differ (${config}): after each optimizer's update ${key} differs` +
          ` (${d.diff === null ? d.reason : `relative ${d.diff.toExponential(2)}`}).`);
    }
  }
  return { event: 'ok', maxDiff: 0 };
}

/** For a node that diverges after step 1 with matching inputs: how far apart its own weights already were. */
function weightDrift(id: string, a: Side, b: Side): string {
  let worst = 0;
  let name = '';
  const varsB = b.trainer.model.vars;
  for (const [key, va] of a.trainer.model.vars) {
    if (!key.startsWith(`${id}/`)) continue;
    const vb = varsB.get(key);
    if (!vb || !sameShape(va.shape, vb.shape)) continue;
    const d = relativeDiff(host(va), host(vb), 0);
    const v = d.diff ?? Infinity;
    if (v > worst) {
      worst = v;
      name = key;
    }
  }
  return worst > 0
    ? ` Its weights had already drifted apart (${name}: relative ${worst.toExponential(2)}) through the updates of earlier steps: a difference below the tolerance elsewhere grew through training. A smaller tolerance finds where it starts.`
    : '';
}

function configDifference(a: OptimizerParams, b: OptimizerParams): string {
  const parts: string[] = [];
  if (a.algorithm !== b.algorithm) parts.push(`algorithm ${a.algorithm} in a, ${b.algorithm} in b`);
  if (a.learningRate !== b.learningRate) parts.push(`learning rate ${a.learningRate} in a, ${b.learningRate} in b`);
  return parts.join('; ');
}

function diverged(
  step: number,
  node: string,
  port: string | null,
  a: HostTensor | null,
  b: HostTensor | null,
  diff: number | null,
  reason: DivergenceReason,
  variable: string | undefined,
  message: string,
): DivergedEvent {
  const ev: DivergedEvent = { event: 'diverged', step, node, port, a: a && jsonSummary(a), b: b && jsonSummary(b), diff, reason, message };
  if (variable !== undefined) ev.variable = variable;
  return ev;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(6) : String(v);
}
