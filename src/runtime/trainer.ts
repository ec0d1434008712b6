/**
 * The trainer: one batch per step() inside variableGrads/tidy, one read of the metrics per
 * step, the update skipped (and the offending node named) when the loss is not finite.
 * The same class runs in the Web Worker, the CLI and the tests.
 */
import * as tf from '@tensorflow/tfjs';
import type { Plan } from '../compiler/compile';
import { planChange } from '../compiler/change';
import { error, type Diagnostic } from '../graph/diagnostics';
import type { DataFeed, DataSource, FeedTransform, MetricName } from '../../nodes/types';
import { createOptimizer, type Params as OptimizerParams } from '../../nodes/train.optimizer';
import { markConstant } from '../../nodes/lib/dense';
import { Model } from './model';
import { MnistDataset, type MnistRaw } from './data/mnist';
import { Examples } from './data/examples';
import { formatStructure, structureWidth, type DataStructure } from '../graph/structure';
import { MNIST_INFO } from '../../nodes/data.mnist';
import { batchForStep } from './data/split';
import { hashKey, mulberry32 } from './random';

export interface StepMetrics {
  step: number;
  epoch: number;
  /** The batch's objective: what the optimizer minimised (recon + β_t·kl, free bits applied). */
  loss: number;
  /** Unweighted batch means of the reconstruction term and of the KL. */
  recon: number;
  kl: number;
  /** Batch mean of the β-weighted KL (equals kl without a β node). */
  klWeighted: number;
  ms: number;
}

export type StepResult = { ok: true; metrics: StepMetrics; captured?: Captured } | { ok: false; diagnostic: Diagnostic; loss: number };

export interface EvalMetrics {
  step: number;
  /** −ELBO per held-out example: recon (summed over features) + KL (summed over dims), β = 1, one z sample. */
  heldOutLoss: number;
  recon: number;
  kl: number;
  count: number;
}

/** Tensors kept from a step for probes: node id → port → tensor. The caller disposes them. */
export type Captured = Map<string, Record<string, tf.Tensor>>;

export interface TrainerOptions {
  /** Overrides the graph's training.seed. */
  seed?: number;
  /** The examples of the plan's data node; default: MNIST from `mnist`. */
  data?: DataSource;
  /** The built-in MNIST, for a plan whose data node is data.mnist (when `data` is not given). */
  mnist?: MnistRaw;
  /** The fast dense path (default true). */
  fast?: boolean;
  /** Stop when the batch-mean KL falls below −1e-3 (default true). */
  breakOnKlNegative?: boolean;
  /** Stop when the loss grows by more than this factor from one step to the next (default off). */
  lossJumpFactor?: number | null;
  /** Examples per evaluation chunk (default 500). */
  evalChunk?: number;
}

export const KL_NEGATIVE_TOLERANCE = -1e-3;

/** The keys of a data transform's random draws (named when binarize was the only one; kept so runs reproduce). */
const TRAIN_STREAM = 'binarize';
const HELD_OUT_STREAM = 'binarize-heldout';

export class Trainer {
  plan: Plan;
  readonly seed: number;
  readonly dataset: Examples;
  model: Model;
  private optimizer: tf.Optimizer;
  private optimizerParams: OptimizerParams;
  private steps = 0;
  private lastLoss: number | null = null;
  private imageBuf = new Float32Array(0);
  private heldOutCache = new Map<string, Float32Array>();
  private disposed = false;
  fast: boolean;
  breakOnKlNegative: boolean;
  lossJumpFactor: number | null;
  private evalChunk: number;

  constructor(plan: Plan, opts: TrainerOptions) {
    this.plan = plan;
    this.seed = opts.seed ?? plan.seed;
    this.dataset = examplesFor(plan, opts);
    this.fast = opts.fast ?? true;
    this.breakOnKlNegative = opts.breakOnKlNegative ?? true;
    this.lossJumpFactor = opts.lossJumpFactor ?? null;
    this.evalChunk = opts.evalChunk ?? 500;
    this.model = new Model(plan, this.seed);
    this.optimizerParams = plan.nodes.get(plan.optimizer)!.params as OptimizerParams;
    this.optimizer = createOptimizer(this.optimizerParams);
  }

  get stepsDone(): number {
    return this.steps;
  }

  get stepsPerEpoch(): number {
    return batchForStep(1, this.dataset.trainCount, this.plan.batchSize).stepsPerEpoch;
  }

  /** Epoch (from 0) that step `step` (from 1) belongs to. */
  epochOf(step: number): number {
    return batchForStep(step, this.dataset.trainCount, this.plan.batchSize).epoch;
  }

  /** The feed of training step `step`: its batch and, per data node, its values. */
  trainFeed(step: number): DataFeed {
    const { indices } = this.dataset.batchIndices(this.seed, step, this.plan.batchSize);
    return this.feedFor(indices, (nodeId) => mulberry32(hashKey(this.seed, TRAIN_STREAM, step, nodeId)));
  }

  /** The feed of held-out examples [start, end) as evaluate() sees them (for instruments). */
  heldOutFeed(start: number, end: number): DataFeed {
    return this.feedFor(this.dataset.heldOutIndices.subarray(start, end), () => Math.random, [start, end]);
  }

  private feedFor(indices: Uint32Array, randFor: (nodeId: string) => () => number, heldOutRange?: [number, number]): DataFeed {
    const ds = this.dataset;
    const D = ds.width;
    return {
      size: indices.length,
      x: (nodeId, transform) => {
        if (heldOutRange) {
          const all = this.heldOutValues(nodeId, transform);
          const [a, b] = heldOutRange;
          return markConstant(tf.tensor2d(all.subarray(a * D, b * D), [b - a, D]));
        }
        const need = indices.length * D;
        if (this.imageBuf.length < need) this.imageBuf = new Float32Array(need);
        const buf = ds.fill(indices, this.imageBuf);
        transform?.apply(buf, transform.random ? randFor(nodeId) : undefined);
        // A data batch: no gradient is ever asked of it, so a fast dense layer skips dL/dx.
        return markConstant(tf.tensor2d(buf, [indices.length, D]));
      },
      labels: () => tf.tensor1d(ds.labels(indices), 'int32'),
    };
  }

  /** The held-out examples as a data node gives them; a random transform is drawn once. */
  private heldOutValues(nodeId: string, transform: FeedTransform | undefined): Float32Array {
    const key = `${nodeId}|${transform?.key ?? ''}`;
    let cached = this.heldOutCache.get(key);
    if (!cached) {
      cached = this.dataset.fill(this.dataset.heldOutIndices);
      transform?.apply(cached, transform.random ? mulberry32(hashKey(this.seed, HELD_OUT_STREAM, nodeId)) : undefined);
      this.heldOutCache.set(key, cached);
    }
    return cached;
  }

  /** The sum of the outputs that the active nodes declare for `metric` (their `metrics` hook); null when none does. */
  private metricSum(outputs: Map<string, Record<string, tf.Tensor>>, metric: MetricName): tf.Tensor | null {
    const parts: tf.Tensor[] = [];
    for (const id of this.plan.activeOrder) {
      const port = this.plan.nodes.get(id)!.def.metrics?.[metric];
      if (port) parts.push(outputs.get(id)![port]!);
    }
    if (!parts.length) return null;
    return parts.length === 1 ? parts[0]! : tf.addN(parts);
  }

  /** One training step on the next batch. */
  step(opts: { capture?: boolean } = {}): StepResult {
    if (this.disposed) throw new Error('Trainer is disposed');
    const t = this.steps + 1;
    const t0 = now();
    const feed = this.trainFeed(t);
    let metricsTensor: tf.Tensor | null = null;
    let captured: Captured | undefined;
    const vars = this.model.trainableVars();
    const { value, grads } = tf.variableGrads(() => {
      const r = this.model.forward({ mode: 'train', step: t, data: feed, fast: this.fast, nodes: opts.capture ? 'all' : 'active' });
      const objective = r.objective!;
      const zero = tf.scalar(0);
      const recon = this.metricSum(r.outputs, 'recon');
      const kl = this.metricSum(r.outputs, 'kl');
      const klw = this.metricSum(r.outputs, 'klWeighted');
      metricsTensor = tf.keep(
        tf.stack([objective, recon ? tf.mean(recon) : zero, kl ? tf.mean(kl) : zero, klw ? tf.mean(klw) : kl ? tf.mean(kl) : zero]),
      );
      if (opts.capture) {
        captured = new Map();
        for (const [id, outs] of r.outputs) {
          const kept: Record<string, tf.Tensor> = {};
          for (const [port, tensor] of Object.entries(outs)) kept[port] = tf.keep(tensor);
          captured.set(id, kept);
        }
      }
      return objective;
    }, vars);
    const m = (metricsTensor as unknown as tf.Tensor).dataSync();
    (metricsTensor as unknown as tf.Tensor).dispose();
    value.dispose();
    const [loss, recon, kl, klWeighted] = [m[0]!, m[1]!, m[2]!, m[3]!];
    const stop = this.checkStop(t, loss, kl);
    if (stop) {
      tf.dispose(Object.values(grads));
      disposeCaptured(captured);
      return { ok: false, diagnostic: stop, loss };
    }
    this.optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    this.steps = t;
    this.lastLoss = loss;
    const metrics: StepMetrics = { step: t, epoch: this.epochOf(t), loss, recon, kl, klWeighted, ms: now() - t0 };
    return captured ? { ok: true, metrics, captured } : { ok: true, metrics };
  }

  private checkStop(t: number, loss: number, kl: number): Diagnostic | null {
    if (!Number.isFinite(loss)) {
      const where = this.locateNonFinite(t);
      const what = Number.isNaN(loss) ? 'NaN' : 'Infinity';
      // The counts are of the named output; without one found, of the loss itself (one value).
      const counts = where ? { nanCount: where.nan, infCount: where.inf } : { nanCount: Number.isNaN(loss) ? 1 : 0, infCount: Number.isNaN(loss) ? 0 : 1 };
      return error(
        'NON_FINITE',
        where
          ? `Training stopped at step ${t}: the loss is ${what}; the first non-finite value appeared at ${where.node}.${where.port} (${where.nan} NaN, ${where.inf} ±Infinity of ${where.size} values). The update was not applied.`
          : `Training stopped at step ${t}: the loss is ${what}. The update was not applied.`,
        { node: where?.node ?? this.plan.optimizer, port: where?.port ?? 'loss', step: t, fix: where ? fixHint(this.plan, where.node) : undefined, ...counts },
      );
    }
    if (this.breakOnKlNegative && kl < KL_NEGATIVE_TOLERANCE) {
      const klNode = this.plan.activeOrder.find((id) => this.plan.nodes.get(id)!.def.metrics?.kl) ?? null;
      return error('KL_NEGATIVE', `Training stopped at step ${t}: the batch-mean KL is ${kl.toPrecision(4)}, below zero. A KL divergence is never negative.`, {
        node: klNode,
        port: klNode ? this.plan.nodes.get(klNode)!.def.metrics!.kl! : null,
        step: t,
      });
    }
    if (this.lossJumpFactor && this.lastLoss !== null && this.lastLoss > 0 && loss > this.lastLoss * this.lossJumpFactor) {
      return error('LOSS_JUMP', `Training paused at step ${t}: the loss jumped from ${this.lastLoss.toPrecision(4)} to ${loss.toPrecision(4)} (more than ×${this.lossJumpFactor}).`, {
        node: this.plan.optimizer,
        port: 'loss',
        step: t,
      });
    }
    return null;
  }

  /** Re-run step t's forward (same batch, same ε) and find the first output, in topological order, holding NaN or Infinity. */
  locateNonFinite(t: number): { node: string; port: string; nan: number; inf: number; size: number } | null {
    let found: { node: string; port: string; nan: number; inf: number; size: number } | null = null;
    tf.tidy(() => {
      const r = this.model.forward({ mode: 'train', step: t, data: this.trainFeed(t), fast: this.fast, nodes: 'active' });
      for (const id of this.plan.activeOrder) {
        const outs = r.outputs.get(id)!;
        for (const [port, tensor] of Object.entries(outs)) {
          const bad = tf.logicalNot(tf.isFinite(tensor));
          const count = tf.sum(tf.cast(bad, 'int32')).dataSync()[0]!;
          if (count > 0) {
            const nan = tf.sum(tf.cast(tf.isNaN(tensor), 'int32')).dataSync()[0]!;
            found = { node: id, port, nan, inf: count - nan, size: tensor.size };
            return;
          }
        }
      }
    });
    return found;
  }

  /** Held-out −ELBO per example (graph likelihood; sums over features and latent dims; β = 1; one z sample). */
  evaluate(): EvalMetrics {
    const ds = this.dataset;
    const n = ds.heldOutCount;
    let recon = 0;
    let kl = 0;
    for (let a = 0, chunk = 0; a < n; a += this.evalChunk, chunk++) {
      const b = Math.min(n, a + this.evalChunk);
      const feed = this.heldOutFeed(a, b);
      const sums = tf.tidy(() => {
        const r = this.model.forward({ mode: 'eval', step: this.steps, streamKey: `eval${chunk}`, data: feed, fast: this.fast });
        const rs = this.metricSum(r.outputs, 'recon');
        const ks = this.metricSum(r.outputs, 'kl');
        return tf.stack([rs ? tf.sum(rs) : tf.scalar(0), ks ? tf.sum(ks) : tf.scalar(0)]);
      });
      const v = sums.dataSync();
      sums.dispose();
      recon += v[0]!;
      kl += v[1]!;
    }
    return { step: this.steps, heldOutLoss: (recon + kl) / n, recon: recon / n, kl: kl / n, count: n };
  }

  /**
   * Swap in a recompiled plan (β, learning rate, optimizer edits) without resetting weights,
   * when the one rule (compiler/change.ts `planChange`) says it is a hot update. Returns false
   * otherwise (the variables or the data differ: a reset is needed).
   */
  updatePlan(plan: Plan): boolean {
    if (planChange(this.plan, plan) !== 'hot') return false;
    this.plan = plan;
    this.model.plan = plan;
    const p = plan.nodes.get(plan.optimizer)!.params as OptimizerParams;
    if (p.algorithm !== this.optimizerParams.algorithm) {
      this.optimizer.dispose();
      this.optimizer = createOptimizer(p);
    } else if (p.learningRate !== this.optimizerParams.learningRate) {
      const opt = this.optimizer as tf.Optimizer & { learningRate: number; setLearningRate?: (lr: number) => void };
      if (opt.setLearningRate) opt.setLearningRate(p.learningRate);
      else opt.learningRate = p.learningRate;
    }
    this.optimizerParams = p;
    this.heldOutCache.clear();
    return true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    this.optimizer.dispose();
    this.heldOutCache.clear();
  }
}

/** The node's own hint for a NaN or Infinity that first appears at its output. */
function fixHint(plan: Plan, nodeId: string): string | undefined {
  const n = plan.nodes.get(nodeId);
  return n?.def.nonFiniteHint?.(n.params);
}

export function disposeCaptured(c: Captured | undefined): void {
  if (!c) return;
  for (const outs of c.values()) tf.dispose(Object.values(outs));
}

/** The plan's examples: the data source given, else the built-in MNIST; their structure must be the one the plan compiled with. */
function examplesFor(plan: Plan, opts: TrainerOptions): Examples {
  const want = plan.dataInfo.structure;
  const check = (got: DataStructure) => {
    if (structureWidth(want) !== structureWidth(got) || want.kind !== got.kind) {
      throw new Error(`Data node "${plan.data}" compiled as a ${formatStructure(want)}, but its source holds a ${formatStructure(got)}.`);
    }
  };
  if (opts.data) {
    check(opts.data.info.structure);
    return Examples.fromSource(opts.data, plan.heldOut);
  }
  if (!opts.mnist) throw new Error(`The trainer needs the examples of data node "${plan.data}" (options.data, or options.mnist for MNIST).`);
  check(MNIST_INFO.structure);
  if (opts.mnist.pixels !== structureWidth(want)) throw new Error(`MNIST has ${opts.mnist.pixels} pixels per digit, not ${structureWidth(want)}.`);
  return new MnistDataset(opts.mnist, { heldOut: plan.heldOut });
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export function createTrainer(plan: Plan, opts: TrainerOptions): Trainer {
  return new Trainer(plan, opts);
}
