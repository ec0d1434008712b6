/**
 * instantiate(plan) → variables + a forward pass that can be run node by node.
 * Variables are named "<nodeId>/<var>" and initialised from (seed, node id, variable name),
 * so an edit elsewhere in the graph never changes a node's initial weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { Plan } from '../compiler/compile';
import type { DataFeed, RandomSource } from '../../nodes/types';
import { hashKey } from './random';

export interface ForwardOptions {
  mode: 'train' | 'eval';
  /** Training step (from 1) for ε keys and β warm-up; for eval, a key of its own. */
  step: number;
  /** Extra key for the random streams (e.g. "eval"/chunk index) so eval draws never repeat training's. */
  streamKey?: string | number;
  data: DataFeed;
  /** Which nodes to run: 'active' (what trains) or 'all' (every evaluable node, for probes and compare). */
  nodes?: 'active' | 'all';
  fast?: boolean;
}

/** Every output tensor of the forward, by node id then port; plus the optimizer's objective. */
export interface ForwardResult {
  outputs: Map<string, Record<string, tf.Tensor>>;
  objective: tf.Scalar | null;
}

/**
 * The random source a node gets in a forward: draws keyed by (seed, stream key, step, node id,
 * stream), so a node's ε does not depend on the rest of the graph. The stream key of training
 * steps is TRAIN_STREAM. (The bench's hand-written loops draw their ε here too.)
 */
export function nodeRandom(seed: number, key: string | number, step: number, nodeId: string): RandomSource {
  return {
    normal: (shape, stream = '') => tf.randomNormal(shape, 0, 1, 'float32', hashKey(seed, key, step, nodeId, stream)),
    uniform: (shape, stream = '') => tf.randomUniform(shape, 0, 1, 'float32', hashKey(seed, key, step, nodeId, stream, 'u')),
  };
}

/** The stream key of training steps (ForwardOptions.streamKey's default). */
export const TRAIN_STREAM = 'train';

let nextInstance = 0;

/** Where a RandomSource is used: the node, the step (or eval key) and the mode. */
export interface RandomSite {
  nodeId: string;
  step: number;
  mode: 'train' | 'eval';
  streamKey: string | number;
}

export class Model {
  readonly vars = new Map<string, tf.Variable>();
  private disposed = false;
  /**
   * Wraps each node's RandomSource (null: none). `train --record` watches the draws through
   * it (src/runtime/record.ts); the draws themselves do not change.
   */
  randomDecorator: ((random: RandomSource, at: RandomSite) => RandomSource) | null = null;

  constructor(
    public plan: Plan,
    readonly seed: number,
  ) {
    const instance = nextInstance++;
    for (const id of plan.order) {
      const node = plan.nodes.get(id)!;
      for (const v of node.variables) {
        const name = `${id}/${v.name}`;
        const init = tf.tidy(() =>
          v.init.kind === 'zeros' ? tf.zeros(v.shape) : tf.randomUniform(v.shape, -v.init.bound, v.init.bound, 'float32', hashKey(seed, id, v.name)),
        );
        // tfjs registers variables by name in one global table: suffix an instance number so
        // two live models of the same graph (compare, a trainer kept while another is built) coexist.
        this.vars.set(name, tf.variable(init, true, `${name}#${instance}`));
        init.dispose();
      }
    }
  }

  /** The variables of the nodes that train (fed to the optimizer). */
  trainableVars(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const id of this.plan.activeOrder) for (const v of this.plan.nodes.get(id)!.variables) out.push(this.vars.get(`${id}/${v.name}`)!);
    return out;
  }

  nodeVars(id: string): Record<string, tf.Variable> {
    const rec: Record<string, tf.Variable> = {};
    for (const v of this.plan.nodes.get(id)!.variables) rec[v.name] = this.vars.get(`${id}/${v.name}`)!;
    return rec;
  }

  /** Run the forward pass. Call inside tf.tidy (or variableGrads); tensors are not kept. */
  forward(opts: ForwardOptions): ForwardResult {
    const outputs = new Map<string, Record<string, tf.Tensor>>();
    const objective = this.run(opts.nodes === 'all' ? this.plan.order : this.plan.activeOrder, opts, outputs);
    return { outputs, objective };
  }

  /**
   * Run `ids` (in plan order) and add their outputs to `outputs`, which must already hold
   * every tensor they read from nodes outside `ids` (the instruments re-run part of a plan,
   * e.g. the decoder path with z swapped). Returns the optimizer's objective when it runs.
   * Call inside tf.tidy.
   */
  run(ids: readonly string[], opts: ForwardOptions, outputs: Map<string, Record<string, tf.Tensor>>): tf.Scalar | null {
    const seed = this.seed;
    const key = opts.streamKey ?? TRAIN_STREAM;
    let objective: tf.Scalar | null = null;
    for (const id of ids) {
      const node = this.plan.nodes.get(id)!;
      const inputs: Record<string, tf.Tensor> = {};
      const multi: Record<string, tf.Tensor[]> = {};
      for (const [port, list] of Object.entries(node.inputs)) {
        multi[port] = list.map((s) => {
          const t = outputs.get(s.node)?.[s.port];
          if (!t) throw new Error(`${id}.${port} reads ${s.node}.${s.port}, which has not been computed`);
          return t;
        });
        if (multi[port]!.length) inputs[port] = multi[port]![0]!;
      }
      const keyed = nodeRandom(seed, key, opts.step, id);
      const random = this.randomDecorator ? this.randomDecorator(keyed, { nodeId: id, step: opts.step, mode: opts.mode, streamKey: key }) : keyed;
      const out = node.def.forward({
        nodeId: id,
        params: node.params,
        inputs,
        multi,
        vars: this.nodeVars(id),
        inShapes: node.inShapes,
        outShapes: node.outShapes,
        structure: { in: node.inStructure, out: node.outStructure },
        mode: opts.mode,
        step: opts.step,
        random,
        data: opts.data,
        fast: opts.fast ?? true,
      });
      if (node.def.role === 'optimizer') {
        objective = out.objective as tf.Scalar;
        outputs.set(id, {});
      } else {
        outputs.set(id, out);
      }
    }
    return objective;
  }

  /** Copy weights from another model wherever the variable name and shape match (compare, keep-weights edits). */
  copyMatchingFrom(other: Model): number {
    let n = 0;
    for (const [name, v] of this.vars) {
      const o = other.vars.get(name);
      if (o && o.shape.length === v.shape.length && o.shape.every((d, i) => d === v.shape[i])) {
        v.assign(o);
        n++;
      }
    }
    return n;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

export function instantiate(plan: Plan, seed = plan.seed): Model {
  return new Model(plan, seed);
}
