/**
 * The three contenders of `vae-lab bench`, each a training loop of the standard VAE
 * (784-400-20-400-784, batch 128, Adam 1e-3, Bernoulli sum + KL sum) on the same MNIST
 * batches:
 *
 *   stock     a hand-written tfjs loop: tf.matMul + tf.add + relu/sigmoid, tf autograd
 *             (tf.variableGrads), optimizer.applyGradients. What a person writes first.
 *             (Its Bernoulli term uses the node library's BCE op, see bernoulliSum.)
 *   handFast  the same loop with every layer through `dense` of nodes/lib/dense.ts (the
 *             fast path: custom gradients laid out for the backend).
 *   compiled  presets/standard-vae.json through parseGraph → compile → Trainer.
 *
 * Each contender reads its loss back once per step (one sync), as the Trainer does.
 *
 * All three compute the same model from the same numbers: the hand-written loops start from
 * the compiled model's initial weights (runtime/model.ts, copied by layer) and draw their ε
 * where the compiled reparameterization node draws it (nodeRandom), on the same batches.
 * sameModelCheck() asserts it: their losses at steps 1–3 agree to 1e-4 (relative).
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dense, markConstant, type Activation } from '../nodes/lib/dense';
import { registry } from '../nodes';
import { bce } from '../nodes/loss.reconstruction';
import { LeanAdam } from '../nodes/train.optimizer';
import { parseGraph } from '../src/graph/schema';
import { compile, type Plan } from '../src/compiler/compile';
import { Model, nodeRandom, TRAIN_STREAM } from '../src/runtime/model';
import { Trainer } from '../src/runtime/trainer';
import { MnistDataset, type MnistRaw } from '../src/runtime/data/mnist';

export const STANDARD_PRESET = fileURLToPath(new URL('../presets/standard-vae.json', import.meta.url));

export interface Contender {
  name: string;
  /** One training step (batch `step`, counted from 1); returns the batch's loss. */
  step(step: number): number;
  dispose(): void;
}

const BATCH = 128;
const LR = 1e-3;
const SEED = 1;

/** The standard preset, compiled (all contenders train what it describes). */
export function standardPlan(presetPath = STANDARD_PRESET): Plan {
  const parsed = parseGraph(readFileSync(presetPath, 'utf8'), registry);
  if (!parsed.ok) throw new Error(`bench: the standard preset does not parse: ${parsed.diagnostics[0]?.message}`);
  const compiled = compile(parsed.graph, registry);
  if (!compiled.ok) throw new Error(`bench: the standard preset does not compile: ${compiled.diagnostics[0]?.message}`);
  return compiled.plan;
}

/** The hand-written layers and the compiled model's variables they take their initial values from. */
const LAYERS: Array<[hand: string, graph: string]> = [
  ['enc0', 'enc/hidden0'],
  ['mu', 'enc/mu'],
  ['logvar', 'enc/logvar'],
  ['dec0', 'dec/hidden0'],
  ['out', 'dec/out'],
];

let instances = 0;

/** The hand-written VAE's weights: the compiled model's initial weights for `seed` (nn.Linear's init, drawn in runtime/model.ts). */
function makeWeights(plan: Plan, seed: number): Record<string, tf.Variable> {
  const tag = `bench${++instances}`;
  const model = new Model(plan, seed);
  const vars: Record<string, tf.Variable> = {};
  try {
    for (const [hand, graph] of LAYERS) {
      for (const v of ['kernel', 'bias']) {
        const from = model.vars.get(`${graph}/${v}`);
        if (!from) throw new Error(`bench: the standard preset has no variable ${graph}/${v} for the hand-written ${hand}/${v}`);
        vars[`${hand}/${v}`] = tf.variable(from, true, `${tag}/${hand}/${v}`);
      }
    }
  } finally {
    model.dispose();
  }
  return vars;
}

/** The id of the plan's reparameterization node, whose ε the hand-written loops draw. */
export function reparameterizeId(plan: Plan): string {
  const id = plan.order.find((n) => plan.nodes.get(n)!.def.role === 'reparameterize');
  if (!id) throw new Error('bench: the standard preset has no reparameterization node');
  return id;
}

type Layer = (x: tf.Tensor, name: string, act: Activation) => tf.Tensor;

/**
 * −Σ[x log p + (1−x) log(1−p)] per example, through the node library's element-wise BCE
 * (PyTorch's binary_cross_entropy: logs clamped at −100, gradient (p − x)/max(p(1 − p), 1e-12)).
 * Plain autograd of the clamped logs gives 0·∞ = NaN gradients once a sigmoid saturates, so
 * a correct hand-written loop needs this op too; all three contenders share it, and the
 * stock loop differs from the fast one only in its layers.
 */
function bernoulliSum(p: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.sum(bce(p, x), 1);
}

/** −½ Σ(1 + log σ² − μ² − σ²) per example. */
export function klSum(mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)), 1));
}

function handWritten(name: string, mnist: MnistRaw, layer: (vars: Record<string, tf.Variable>) => Layer, constantData: boolean, plan = standardPlan(), lean = false): Contender {
  const ds = new MnistDataset(mnist, { heldOut: 1000 });
  const vars = makeWeights(plan, SEED);
  const rep = reparameterizeId(plan);
  const list = Object.values(vars);
  // stock: tf.train.adam; the fast loop: the library's Adam (nodes/train.optimizer.ts), as the compiled trainer.
  const optimizer: tf.Optimizer = lean ? new LeanAdam(LR) : tf.train.adam(LR);
  const dense = layer(vars);
  const buf = new Float32Array(BATCH * ds.pixels);
  return {
    name,
    step(step) {
      const { indices } = ds.batchIndices(SEED, step, BATCH);
      const pixels = ds.fillImages(indices, { binarize: 'none', scale: 1 }, buf);
      return applyStep(optimizer, list, () => {
        const x = tf.tensor2d(pixels, [indices.length, ds.pixels]);
        if (constantData) markConstant(x);
        const h = dense(x, 'enc0', 'relu');
        const mu = dense(h, 'mu', 'none');
        const logvar = dense(h, 'logvar', 'none');
        const eps = nodeRandom(SEED, TRAIN_STREAM, step, rep).normal(mu.shape);
        const z = tf.add(mu, tf.mul(eps, tf.exp(tf.mul(logvar, 0.5))));
        const p = dense(dense(z, 'dec0', 'relu'), 'out', 'sigmoid');
        return tf.mean(tf.add(bernoulliSum(p, x), klSum(mu, logvar))) as tf.Scalar;
      });
    },
    dispose() {
      optimizer.dispose();
      tf.dispose(list);
    },
  };
}

/** One optimizer step on the objective `f` of `vars` (tf autograd); its loss read back (one sync). */
export function applyStep(optimizer: tf.Optimizer, vars: tf.Variable[], f: () => tf.Scalar): number {
  const { value, grads } = tf.variableGrads(f, vars);
  optimizer.applyGradients(grads);
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return loss;
}

/** Plain tf ops and tf autograd: no fast path. */
export function stockContender(mnist: MnistRaw, plan?: Plan): Contender {
  return handWritten(
    'stock',
    mnist,
    (vars) => (x, name, act) => {
      const u = tf.add(tf.matMul(x, vars[`${name}/kernel`]!), vars[`${name}/bias`]!);
      return act === 'relu' ? tf.relu(u) : act === 'sigmoid' ? tf.sigmoid(u) : u;
    },
    false,
    plan,
  );
}

/** The same loop through nodes/lib/dense.ts's fast path (the data batch marked constant, as the Trainer does). */
export function handFastContender(mnist: MnistRaw, plan?: Plan): Contender {
  return handWritten('handFast', mnist, (vars) => (x, name, act) => dense(x, vars[`${name}/kernel`]!, vars[`${name}/bias`]!, act, true), true, plan, true);
}

/** presets/standard-vae.json through the compiler and the Trainer. */
export function compiledContender(mnist: MnistRaw, plan = standardPlan(), seed = SEED): Contender {
  return trainerContender(new Trainer(plan, { mnist, seed }));
}

/** A compiled graph's Trainer as the "compiled" contender. */
export function trainerContender(trainer: Trainer): Contender {
  return {
    name: 'compiled',
    step(step) {
      if (trainer.stepsDone + 1 !== step) throw new Error(`bench: the compiled contender is at step ${trainer.stepsDone}, asked for ${step}`);
      const r = trainer.step();
      if (!r.ok) throw new Error(`bench: the compiled contender stopped: ${r.diagnostic.message}`);
      return r.metrics.loss;
    },
    dispose() {
      trainer.dispose();
    },
  };
}

/** The first steps whose losses must agree, and how closely (relative). */
export const SAME_MODEL_STEPS = 3;
export const SAME_MODEL_TOLERANCE = 1e-4;

export interface SameModel {
  /** Each contender's losses at steps 1…SAME_MODEL_STEPS. */
  losses: Record<string, number[]>;
  /** The largest |a − b| / |b| between any contender and the first, over those steps. */
  maxRelDiff: number;
}

/**
 * Asserts that contenders compute the same model from the same weights and noise: given each
 * one's losses at steps 1…SAME_MODEL_STEPS (in order), they must agree to SAME_MODEL_TOLERANCE
 * (relative); throws, naming the step and contenders, when they do not.
 */
export function sameModelCheck(losses: Record<string, number[]>): SameModel {
  const names = Object.keys(losses);
  if (names.length < 2) throw new Error('bench: the same-model check needs two contenders or more');
  const ref = names[0]!;
  let maxRelDiff = 0;
  for (const name of names) {
    for (let s = 0; s < SAME_MODEL_STEPS; s++) {
      const a = losses[name]![s];
      const b = losses[ref]![s];
      if (a === undefined || b === undefined) throw new Error(`bench: no loss of ${a === undefined ? name : ref} at step ${s + 1}`);
      const rel = Math.abs(a - b) / Math.abs(b);
      if (!(rel <= SAME_MODEL_TOLERANCE)) {
        throw new Error(
          `bench: the contenders do not compute the same model: at step ${s + 1} ${name} gives loss ${a} and ${ref} ${b} ` +
            `(relative difference ${rel.toExponential(2)} > ${SAME_MODEL_TOLERANCE}); they must start from the same weights and draw the same noise`,
        );
      }
      maxRelDiff = Math.max(maxRelDiff, rel);
    }
  }
  return { losses, maxRelDiff };
}
