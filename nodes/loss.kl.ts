import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { warning } from '../src/graph/diagnostics';
import { formatShape, sameShape } from '../src/graph/ports';
import { mismatch } from './lib/shapes';
import { LECTURE } from '../src/graph/formulas';
import { fusedKernels, klRows } from './lib/fused';

export const params = z.strictObject({
  reduction: z.enum(['sum', 'mean']).default('sum'),
});
export type Params = z.infer<typeof params>;

/** Closed-form KL(N(μ, σ²) ‖ N(0, I)) per latent dimension: −½(1 + log σ² − μ² − σ²). */
export function klPerDim(mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)));
}

export default defineNode<Params>({
  type: 'loss.kl',
  category: 'Losses',
  title: 'KL divergence',
  description: 'D_KL(Q(z|x) ‖ N(0, I)) = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²), per example (closed form).',
  help: {
    formula: LECTURE.kl,
    where: 'Takes mu and logvar from the encoder (vae.encoder); its kl (a loss port, one value per example) feeds the β weight (loss.beta) or the optimizer directly. The training panel\'s KL metric sums it over the active KL nodes.',
    badge: 'KL: the batch mean of its kl output at the last step, in nats per example.',
  },
  role: 'kl',
  metrics: { kl: 'kl' },
  inputs: [
    { name: 'mu', kind: 'mean', doc: 'μ [B,d]' },
    { name: 'logvar', kind: 'logvar', doc: 'log σ² [B,d]' },
  ],
  outputs: [{ name: 'kl', kind: 'loss', doc: 'KL per example [B]' }],
  params,
  controls: [{ param: 'reduction', label: 'over latent dims', help: 'sum is the KL; mean divides it by d' }],
  inferShapes: ({ inputs }) => {
    const { mu, logvar } = inputs;
    if (!mu || !logvar) return { ok: true, outputs: {} };
    if (mu.length !== 2 || mu[0] !== 'B') return mismatch('mu', `The KL takes μ of shape [B,d], got ${formatShape(mu)}.`);
    if (!sameShape(mu, logvar)) return mismatch('logvar', `μ is ${formatShape(mu)} but log σ² is ${formatShape(logvar)}.`);
    return { ok: true, outputs: { kl: ['B'] } };
  },
  // The ELBO adds the reconstruction and the KL on one scale: both sums, or both means.
  lint: ({ nodeId, params: p, active, nodes }) => {
    if (!active) return [];
    // a reconstruction term that declares its reduction over features (sum or mean)
    const other = nodes.find((n) => n.active && n.role === 'reconstruction' && typeof n.params.reduction === 'string' && n.params.reduction !== p.reduction);
    if (!other) return [];
    return [
      warning(
        'REDUCTION_MISMATCH',
        `The KL "${nodeId}" takes the ${p.reduction} over latent dims but the reconstruction "${other.id}" takes the ${String(other.params.reduction)} over features: the two terms of the ELBO are on different scales (an implicit β).`,
        { node: nodeId, port: 'kl', fix: `Use "sum" for both (the ELBO).` },
      ),
    ];
  },
  badge: ({ mean }) => {
    const v = mean('kl');
    return v === undefined ? null : { label: 'KL', value: v };
  },
  forward: ({ inputs, params: p, mode, fast }) => {
    const reduction = mode === 'eval' ? 'sum' : p.reduction;
    const { mu, logvar } = inputs as { mu: tf.Tensor; logvar: tf.Tensor };
    // On wasm one kernel each way (nodes/lib/fused.ts), on webgl two programs, instead of ~15 tiny ones.
    if (fast && mu.rank === 2 && sameShape(mu.shape, logvar.shape) && fusedKernels('klRows', 'klGrad')) {
      return { kl: klRows(mu as tf.Tensor2D, logvar as tf.Tensor2D, reduction === 'sum' ? 1 : 1 / mu.shape[1]!) };
    }
    const perDim = klPerDim(mu, logvar);
    return { kl: reduction === 'sum' ? tf.sum(perDim, -1) : tf.mean(perDim, -1) };
  },
});
