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
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dense, markConstant, type Activation } from '../nodes/lib/dense';
import { registry } from '../nodes';
import { bce } from '../nodes/loss.reconstruction';
import { parseGraph } from '../src/graph/schema';
import { compile } from '../src/compiler/compile';
import { Trainer } from '../src/runtime/trainer';
import { MnistDataset, type MnistRaw } from '../src/runtime/data/mnist';
import { hashKey } from '../src/runtime/random';

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

/** The hand-written VAE's weights: nn.Linear initialisation, uniform in ±1/√fan_in. */
let instances = 0;

function makeWeights(seed: number): Record<string, tf.Variable> {
  const tag = `bench${++instances}`;
  const layers: Array<[string, number, number]> = [
    ['enc0', 784, 400],
    ['mu', 400, 20],
    ['logvar', 400, 20],
    ['dec0', 20, 400],
    ['out', 400, 784],
  ];
  const vars: Record<string, tf.Variable> = {};
  for (const [name, fanIn, units] of layers) {
    const bound = 1 / Math.sqrt(fanIn);
    for (const [v, shape] of [['kernel', [fanIn, units]], ['bias', [units]]] as const) {
      const init = tf.randomUniform([...shape], -bound, bound, 'float32', hashKey(seed, name, v));
      vars[`${name}/${v}`] = tf.variable(init, true, `${tag}/${name}/${v}`);
      init.dispose();
    }
  }
  return vars;
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
function klSum(mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)), 1));
}

function handWritten(name: string, mnist: MnistRaw, layer: (vars: Record<string, tf.Variable>) => Layer, constantData: boolean): Contender {
  const ds = new MnistDataset(mnist, { heldOut: 1000 });
  const vars = makeWeights(SEED);
  const list = Object.values(vars);
  const optimizer: tf.Optimizer = tf.train.adam(LR);
  const dense = layer(vars);
  const buf = new Float32Array(BATCH * ds.pixels);
  return {
    name,
    step(step) {
      const { indices } = ds.batchIndices(SEED, step, BATCH);
      const pixels = ds.fillImages(indices, { binarize: 'none', scale: 1 }, buf);
      const { value, grads } = tf.variableGrads(() => {
        const x = tf.tensor2d(pixels, [indices.length, ds.pixels]);
        if (constantData) markConstant(x);
        const h = dense(x, 'enc0', 'relu');
        const mu = dense(h, 'mu', 'none');
        const logvar = dense(h, 'logvar', 'none');
        const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', hashKey(SEED, 'eps', step));
        const z = tf.add(mu, tf.mul(eps, tf.exp(tf.mul(logvar, 0.5))));
        const p = dense(dense(z, 'dec0', 'relu'), 'out', 'sigmoid');
        return tf.mean(tf.add(bernoulliSum(p, x), klSum(mu, logvar))) as tf.Scalar;
      }, list);
      optimizer.applyGradients(grads);
      const loss = value.dataSync()[0]!;
      tf.dispose([value, ...Object.values(grads)]);
      return loss;
    },
    dispose() {
      optimizer.dispose();
      tf.dispose(list);
    },
  };
}

/** Plain tf ops and tf autograd: no fast path. */
export function stockContender(mnist: MnistRaw): Contender {
  return handWritten(
    'stock',
    mnist,
    (vars) => (x, name, act) => {
      const u = tf.add(tf.matMul(x, vars[`${name}/kernel`]!), vars[`${name}/bias`]!);
      return act === 'relu' ? tf.relu(u) : act === 'sigmoid' ? tf.sigmoid(u) : u;
    },
    false,
  );
}

/** The same loop through nodes/lib/dense.ts's fast path (the data batch marked constant, as the Trainer does). */
export function handFastContender(mnist: MnistRaw): Contender {
  return handWritten('handFast', mnist, (vars) => (x, name, act) => dense(x, vars[`${name}/kernel`]!, vars[`${name}/bias`]!, act, true), true);
}

/** presets/standard-vae.json through the compiler and the Trainer. */
export function compiledContender(mnist: MnistRaw, presetPath = STANDARD_PRESET): Contender {
  const parsed = parseGraph(readFileSync(presetPath, 'utf8'), registry);
  if (!parsed.ok) throw new Error(`bench: the standard preset does not parse: ${parsed.diagnostics[0]?.message}`);
  const compiled = compile(parsed.graph, registry);
  if (!compiled.ok) throw new Error(`bench: the standard preset does not compile: ${compiled.diagnostics[0]?.message}`);
  const trainer = new Trainer(compiled.plan, { mnist, seed: SEED });
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
