/**
 * The bench's conv-vae and sequence-vae rows (issue 19): the same three contenders as the MLP
 * rows (bench/contenders.ts), for the conv and recurrent architectures of DESIGN §8.
 *
 *   stock     a hand-written tfjs loop through nodes/lib's layers with fast = false: tf.conv2d /
 *             tf.conv2dTranspose with tf's own gradients, the GRU step by step in plain tf ops,
 *             tf autograd, tf.train.adam. On wasm the stock conv filter gradient does not exist
 *             (tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter): the conv row's stock
 *             contender fails there, and the bench says so.
 *   handFast  the same loop with fast = true (the custom gradients of nodes/lib/conv.ts and
 *             rnn.ts, the fast dense layers, the library's Adam), the data batch marked constant.
 *   compiled  the graph through compile and the Trainer.
 *
 * The hand-written loops start from the compiled model's initial weights and draw ε where its
 * reparameterization node draws it; sameModelCheck holds their first losses to 1e-4.
 * The graphs are the presets conv-vae and sequence-vae (arch "conv" and "rnn"); the
 * hand-written layers map onto their variables by ARCHS[…].vars.
 */
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { dense, markConstant } from '../nodes/lib/dense';
import { conv2d, conv2dTranspose } from '../nodes/lib/conv';
import { lastStep, rnn, type RnnWeights } from '../nodes/lib/rnn';
import { bce, gaussianNll } from '../nodes/loss.reconstruction';
import { LeanAdam } from '../nodes/train.optimizer';
import type { Plan } from '../src/compiler/compile';
import type { DataSource } from '../nodes/types';
import { Model, nodeRandom, TRAIN_STREAM } from '../src/runtime/model';
import { Trainer } from '../src/runtime/trainer';
import { Examples } from '../src/runtime/data/examples';
import { MnistDataset, type MnistRaw } from '../src/runtime/data/mnist';
import { loadGraph } from '../src/cli/load';
import { applyStep, klSum, reparameterizeId, trainerContender, type Contender } from './contenders';

const SEED = 1;
const GEOMETRY = { kernel: 4, stride: 2, padding: 1 };

export type ArchName = 'conv-vae' | 'sequence-vae';

export interface ArchSpec {
  name: ArchName;
  /** The graph file the rows train. */
  graph: string;
  /** One line for the table. */
  what: string;
  /** Hand-written layer → the compiled model's variable prefix ("<prefix>/kernel", "<prefix>/bias", …). */
  vars: Record<string, string>;
}

const preset = (name: string) => fileURLToPath(new URL(`../presets/${name}`, import.meta.url));

export const ARCHS: Record<ArchName, ArchSpec> = {
  'conv-vae': {
    name: 'conv-vae',
    graph: preset('conv-vae.json'),
    what: 'presets/conv-vae.json (convs 32, 64; dense 256; d 20; transposed convs back), MNIST, batch 128, Adam',
    vars: {
      conv0: 'enc/conv0',
      conv1: 'enc/conv1',
      hidden0: 'enc/hidden0',
      mu: 'enc/mu',
      logvar: 'enc/logvar',
      dhidden0: 'dec/hidden0',
      grid: 'dec/grid',
      deconv0: 'dec/deconv0',
      deconv1: 'dec/deconv1',
    },
  },
  'sequence-vae': {
    name: 'sequence-vae',
    graph: preset('sequence-vae.json'),
    what: 'presets/sequence-vae.json (GRU 64, d 8), 32-day windows of sample:seattle-weather, batch 64, Gaussian, KL warm-up, Adam',
    vars: { rnn: 'enc/rnn', mu: 'enc/mu', logvar: 'enc/logvar', h0: 'dec/h0', drnn: 'dec/rnn', out: 'dec/out' },
  },
};

/** An architecture's plan and its examples, loaded as the CLI loads them. */
export interface ArchSetup {
  spec: ArchSpec;
  plan: Plan;
  /** What the Trainer reads: the MNIST digits, or a data file's examples. */
  trainerData: { mnist: MnistRaw } | { data: DataSource };
  /** The same examples, split and batched, for the hand-written loops. */
  examples: Examples;
}

export async function loadArch(name: ArchName, mnist: MnistRaw): Promise<ArchSetup> {
  const spec = ARCHS[name];
  const loaded = await loadGraph(spec.graph);
  if (!loaded.ok) throw new Error(`bench: ${spec.graph} does not load: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  const plan = loaded.plan;
  if (loaded.data) return { spec, plan, trainerData: { data: loaded.data }, examples: Examples.fromSource(loaded.data, plan.heldOut) };
  return { spec, plan, trainerData: { mnist }, examples: new MnistDataset(mnist, { heldOut: plan.heldOut }) };
}

type Vars = Record<string, tf.Variable>;
let instances = 0;

/** The hand-written layers' variables: the compiled model's initial ones for the seed, copied. */
function copyWeights(setup: ArchSetup): Vars {
  const tag = `archbench${++instances}`;
  const model = new Model(setup.plan, SEED);
  const out: Vars = {};
  try {
    for (const [hand, prefix] of Object.entries(setup.spec.vars)) {
      const names = [...model.vars.keys()].filter((k) => k.startsWith(`${prefix}/`));
      if (!names.length) throw new Error(`bench: ${setup.spec.graph} has no variables ${prefix}/… for the hand-written ${hand}`);
      for (const name of names) out[`${hand}/${name.slice(prefix.length + 1)}`] = tf.variable(model.vars.get(name)!, true, `${tag}/${hand}/${name}`);
    }
  } finally {
    model.dispose();
  }
  return out;
}

/** β_t of the graph's loss.beta node (1 without one): β·min(1, t / warmupSteps); free bits are not modelled. */
function betaAt(plan: Plan): (t: number) => number {
  const id = plan.order.find((n) => plan.nodes.get(n)!.type === 'loss.beta');
  if (!id) return () => 1;
  const p = plan.nodes.get(id)!.params as { beta: number; warmupSteps: number; freeBits: number };
  if (p.freeBits > 0) throw new Error('bench: the hand-written loops do not model free bits');
  return (t) => p.beta * (p.warmupSteps > 0 ? Math.min(1, t / p.warmupSteps) : 1);
}

/** One batch's objective (the batch mean of the per-example loss), given the data batch x [n, D]. */
type Objective = (x: tf.Tensor, v: Vars, eps: (shape: number[]) => tf.Tensor, beta: number, fast: boolean) => tf.Scalar;

const rnnW = (v: Vars, layer: string): RnnWeights => ({ kernel: v[`${layer}/kernel`]!, recurrentKernel: v[`${layer}/recurrentKernel`]!, biasIh: v[`${layer}/biasIh`]!, biasHh: v[`${layer}/biasHh`]! });
const lin = (h: tf.Tensor, v: Vars, layer: string, act: 'relu' | 'tanh' | 'sigmoid' | 'none', fast: boolean) => dense(h, v[`${layer}/kernel`]!, v[`${layer}/bias`]!, act, fast);
const keep = (t: tf.Tensor, constant: boolean) => (constant ? markConstant(t) : t);

const OBJECTIVES: Record<ArchName, Objective> = {
  'conv-vae': (x, v, eps, beta, fast) => {
    const n = x.shape[0]!;
    let h = keep(tf.reshape(x, [n, 28, 28, 1]), fast);
    for (const layer of ['conv0', 'conv1']) h = conv2d(h, v[`${layer}/kernel`]!, v[`${layer}/bias`]!, { ...GEOMETRY, activation: 'relu', fast });
    h = lin(tf.reshape(h, [n, -1]), v, 'hidden0', 'relu', fast);
    const mu = lin(h, v, 'mu', 'none', fast);
    const logvar = lin(h, v, 'logvar', 'none', fast);
    const z = tf.add(mu, tf.mul(eps(mu.shape), tf.exp(tf.mul(logvar, 0.5))));
    let d = tf.reshape(lin(lin(z, v, 'dhidden0', 'relu', fast), v, 'grid', 'relu', fast), [n, 7, 7, 64]);
    d = conv2dTranspose(d, v['deconv0/kernel']!, v['deconv0/bias']!, { ...GEOMETRY, activation: 'relu', fast });
    d = conv2dTranspose(d, v['deconv1/kernel']!, v['deconv1/bias']!, { ...GEOMETRY, activation: 'sigmoid', fast });
    const p = tf.reshape(d, [n, 784]);
    return tf.mean(tf.add(tf.sum(bce(p, x), 1), tf.mul(klSum(mu, logvar), beta))) as tf.Scalar;
  },
  'sequence-vae': (x, v, eps, beta, fast) => {
    const n = x.shape[0]!;
    const [t, f] = [32, 4];
    const h = lastStep(rnn('gru', keep(tf.reshape(x, [n, t, f]), fast), null, rnnW(v, 'rnn'), { fast }));
    const mu = lin(h, v, 'mu', 'none', fast);
    const logvar = lin(h, v, 'logvar', 'none', fast);
    const z = tf.add(mu, tf.mul(eps(mu.shape), tf.exp(tf.mul(logvar, 0.5))));
    const h0 = lin(z, v, 'h0', 'tanh', fast);
    const steps = tf.tile(tf.expandDims(z, -2), [1, t, 1]);
    const y = lin(rnn('gru', steps, h0, rnnW(v, 'drnn'), { fast }), v, 'out', 'none', fast);
    const xHat = tf.reshape(y, [n, t * f]);
    return tf.mean(tf.add(tf.sum(gaussianNll(xHat, x), 1), tf.mul(klSum(mu, logvar), beta))) as tf.Scalar;
  },
};

function handWritten(name: 'stock' | 'handFast', setup: ArchSetup, fast: boolean): Contender {
  const plan = setup.plan;
  const ds = setup.examples;
  const vars = copyWeights(setup);
  const list = Object.values(vars);
  const rep = reparameterizeId(plan);
  const beta = betaAt(plan);
  const lr = (plan.nodes.get(plan.optimizer)!.params as { learningRate: number }).learningRate;
  const optimizer: tf.Optimizer = fast ? new LeanAdam(lr) : tf.train.adam(lr);
  const objective = OBJECTIVES[setup.spec.name];
  const buf = new Float32Array(plan.batchSize * ds.width);
  return {
    name,
    step(step) {
      const { indices } = ds.batchIndices(SEED, step, plan.batchSize);
      const values = ds.fill(indices, buf);
      return applyStep(optimizer, list, () => {
        const x = tf.tensor2d(values, [indices.length, ds.width]);
        if (fast) markConstant(x);
        return objective(x, vars, (shape) => nodeRandom(SEED, TRAIN_STREAM, step, rep).normal(shape), beta(step), fast);
      });
    },
    dispose() {
      optimizer.dispose();
      tf.dispose(list);
    },
  };
}

export const archStock = (setup: ArchSetup): Contender => handWritten('stock', setup, false);
export const archHandFast = (setup: ArchSetup): Contender => handWritten('handFast', setup, true);

export function archCompiled(setup: ArchSetup): Contender {
  return trainerContender(new Trainer(setup.plan, { ...setup.trainerData, seed: SEED }));
}
