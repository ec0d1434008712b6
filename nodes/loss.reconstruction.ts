import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode, type Range } from './types';
import { warning, type Diagnostic } from '../src/graph/diagnostics';
import { formatShape } from '../src/graph/ports';
import { mismatch, lastDim } from './lib/shapes';
import { LECTURE } from '../src/graph/formulas';
import { bceRowGrad, bceRowSums, fusedKernels } from './lib/fused';
import { isConstant } from './lib/dense';

export const params = z.strictObject({
  likelihood: z.enum(['bernoulli', 'gaussian']).default('bernoulli'),
  reduction: z.enum(['sum', 'mean']).default('sum'),
});
export type Params = z.infer<typeof params>;

const LOG_FLOOR = -100;

/**
 * Element-wise binary cross-entropy −[x log p + (1−x) log(1−p)], each log clamped at −100
 * as PyTorch's binary_cross_entropy: finite at p = 0 or 1, NaN for p outside [0,1]. Its
 * gradient is PyTorch's too, (p − x) / max(p(1 − p), 1e-12), so a saturated sigmoid never
 * produces 0/0.
 */
export const bce = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [p, x, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const logP = tf.maximum(tf.log(p), LOG_FLOOR);
  const log1mP = tf.maximum(tf.log(tf.sub(1, p)), LOG_FLOOR);
  save([p, x, logP, log1mP]);
  const value = tf.neg(tf.add(tf.mul(x, logP), tf.mul(tf.sub(1, x), log1mP)));
  return {
    value,
    gradFunc: (dy, saved) => {
      const [sp, sx, lp, l1p] = saved as tf.Tensor[];
      const denom = tf.maximum(tf.mul(sp!, tf.sub(1, sp!)), 1e-12);
      const dp = tf.mul(dy as tf.Tensor, tf.div(tf.sub(sp!, sx!), denom));
      const dx = tf.mul(dy as tf.Tensor, tf.sub(l1p!, lp!));
      return [dp, dx];
    },
  };
}) as unknown as (p: tf.Tensor, x: tf.Tensor) => tf.Tensor;

/**
 * Σ_j bce(p, x) over the last axis of [B, n] inputs, as one fused kernel on wasm (the two
 * logs by tf.log, then one pass for the clamps, the products and the row sums; the
 * gradient in one pass): the stock chain takes ~20 kernels, three of them max(·, c)
 * broadcasts at ~3.4 ns an element. The same numbers as tf.sum(bce(p, x), -1) up to float32
 * rounding (nodes/loss.reconstruction.test.ts). Call only when fusedKernels() holds. When x
 * is a marked constant (a data batch) its gradient is not computed.
 */
export function bceRowSum(p: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  const fwd = (sp: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const logP = tf.log(sp);
    const log1mP = tf.log(tf.sub(1, sp));
    // x is not always an input of the gradient, but the backward pass reads it: save (keep) it too.
    save([sp, logP, log1mP, x]);
    return bceRowSums(x, logP as tf.Tensor2D, log1mP as tf.Tensor2D);
  };
  if (isConstant(x)) {
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [sp, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
      return { value: fwd(sp, save), gradFunc: (dy, saved) => [bceRowGrad(saved[0] as tf.Tensor2D, saved[3] as tf.Tensor2D, dy as tf.Tensor1D)] };
    }) as unknown as (p: tf.Tensor2D) => tf.Tensor1D;
    return f(p);
  }
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [sp, , save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    return {
      value: fwd(sp, save),
      gradFunc: (dy, saved) => {
        const [s0, lp, l1p, sx] = saved as tf.Tensor2D[];
        const dyCol = tf.expandDims(dy as tf.Tensor1D, 1);
        const dx = tf.mul(dyCol, tf.sub(tf.maximum(l1p!, LOG_FLOOR), tf.maximum(lp!, LOG_FLOOR)));
        return [bceRowGrad(s0!, sx!, dy as tf.Tensor1D), dx];
      },
    };
  }) as unknown as (p: tf.Tensor2D, x: tf.Tensor2D) => tf.Tensor1D;
  return f(p, x);
}

/** Element-wise Gaussian N(μ, I) negative log-likelihood without its constant: ½(x − μ)². */
export function gaussianNll(mu: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.mul(0.5, tf.square(tf.sub(x, mu)));
}

const within01 = (r: Range): boolean => r !== null && r[0] >= 0 && r[1] <= 1;

export default defineNode<Params>({
  type: 'loss.reconstruction',
  category: 'Losses',
  title: 'Reconstruction −log p(x|z)',
  description: '−log P_θ(x|z) per example: Bernoulli −Σ[x log p + (1−x) log(1−p)] or Gaussian ½‖x − μ‖², averaged over K samples of z.',
  help: {
    formula: LECTURE.bce,
    where: 'Takes xHat from the decoder (vae.decoder) and the target x from the data node; its nll (a loss port) feeds the optimizer (train.optimizer). The training panel\'s recon metric is its batch mean. Gaussian likelihood: ½‖x − μ_x‖² instead.',
    badge: 'recon: the batch mean of −log p(x|z) at the last step, in nats per example.',
  },
  role: 'reconstruction',
  stem: 'recon',
  aliases: ['bce', 'nll'],
  metrics: { recon: 'nll' },
  inputs: [
    { name: 'xHat', kind: 'recon', doc: 'the decoder output [B,n] or [K,B,n]' },
    { name: 'x', kind: 'data', doc: 'the data [B,n]' },
  ],
  outputs: [{ name: 'nll', kind: 'loss', doc: '−log p(x|z) per example [B]' }],
  params,
  pairs: { xHat: 'x' },
  controls: [
    { param: 'likelihood', label: 'likelihood', help: 'bernoulli: binary cross-entropy; gaussian: N(x̂, I), ½‖x − x̂‖²' },
    { param: 'reduction', label: 'over features', help: 'sum is the log-likelihood; mean divides it by the number of pixels' },
  ],
  inferShapes: ({ inputs }) => {
    const { xHat, x } = inputs;
    if (!xHat || !x) return { ok: true, outputs: {} };
    if (x.length !== 2 || x[0] !== 'B' || lastDim(x) === null) return mismatch('x', `The data must be [B,n], got ${formatShape(x)}.`);
    const tail = xHat.slice(-2);
    const okRank = xHat.length === 2 || (xHat.length === 3 && typeof xHat[0] === 'number');
    if (!okRank || tail[0] !== 'B' || tail[1] !== x[1]) {
      return mismatch(
        'xHat',
        `The reconstruction ${formatShape(xHat)} does not match the data ${formatShape(x)}.`,
        typeof tail[1] === 'number' && tail[1] !== x[1] ? `Set the decoder's outputUnits to ${String(x[1])} (or "auto").` : undefined,
      );
    }
    return { ok: true, outputs: { nll: ['B'] } };
  },
  lint: ({ nodeId: id, params: p, source, range }) => {
    if (p.likelihood !== 'bernoulli') return [];
    const out: Diagnostic[] = [];
    const xHatSrc = source('xHat');
    if (!within01(range('xHat'))) {
      const isDecoder = xHatSrc?.role === 'decoder';
      out.push(
        warning(
          'NO_SIGMOID_BERNOULLI',
          isDecoder
            ? `The Bernoulli loss "${id}" reads decoder "${xHatSrc!.id}", whose output has no sigmoid: p(x|z) needs probabilities in [0,1] (outside it the loss is NaN).`
            : `The Bernoulli loss "${id}" reads ${xHatSrc ? xHatSrc.id + '.' + xHatSrc.port : 'a value'}, which is not guaranteed to lie in [0,1].`,
          {
            node: isDecoder ? xHatSrc!.id : id,
            port: 'xHat',
            fix: isDecoder ? `Set ${xHatSrc!.id}'s outputActivation to "sigmoid".` : 'End the decoder with a sigmoid, or use a Gaussian likelihood.',
          },
        ),
      );
    }
    const xSrc = source('x');
    const xr = range('x');
    if (xSrc && xr !== null && !within01(xr)) {
      out.push(
        warning('DATA_OUT_OF_RANGE', `The Bernoulli loss "${id}" compares against data in [${xr[0]}, ${xr[1]}]; a Bernoulli likelihood needs x in [0,1].`, {
          node: xSrc.id,
          port: xSrc.port,
          fix: `Set ${xSrc.id}'s scale to 1.`,
        }),
      );
    }
    return out;
  },
  badge: ({ mean }) => {
    const v = mean('nll');
    return v === undefined ? null : { label: 'recon', value: v };
  },
  nonFiniteHint: () => 'A Bernoulli loss needs decoder outputs in [0,1] (a sigmoid) and data in [0,1].',
  forward: ({ inputs, params: p, mode, fast }) => {
    const xHat = inputs.xHat!;
    const reduction = mode === 'eval' ? 'sum' : p.reduction;
    if (fast && p.likelihood === 'bernoulli' && xHat.rank === 2 && fusedKernels('bceRows', 'bceGrad')) {
      const sum = bceRowSum(xHat as tf.Tensor2D, inputs.x! as tf.Tensor2D);
      return { nll: reduction === 'sum' ? sum : tf.div(sum, xHat.shape[1]!) };
    }
    const x = xHat.rank > inputs.x!.rank ? tf.broadcastTo(inputs.x!, xHat.shape) : inputs.x!;
    const elem = p.likelihood === 'bernoulli' ? bce(xHat, x) : gaussianNll(xHat, x);
    const perSample = reduction === 'sum' ? tf.sum(elem, -1) : tf.mean(elem, -1);
    // K samples: the K-sample Monte-Carlo estimate of E_Q[−log P(x|z)] per example.
    return { nll: perSample.rank === 2 ? tf.mean(perSample, 0) : perSample };
  },
});
