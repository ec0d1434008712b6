import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { broadcastShapes, formatShape, sameShape } from '../src/graph/ports';
import { mismatch } from './lib/shapes';
import { LECTURE } from '../src/graph/formulas';
import { fusedKernels, reparameterize } from './lib/fused';

export const params = z.strictObject({
  samples: z.number().int().min(1).max(1000).default(1),
});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'vae.reparameterize',
  category: 'VAE',
  title: 'Reparameterize',
  description: 'z = μ + ε ⊙ σ, ε ~ N(0, I), σ = exp(½ log σ²): a sample of Q(z|x) that gradients flow through.',
  help: {
    formula: LECTURE.reparam,
    where: 'Between the encoder and the decoder: mu and logvar come from the encoder (vae.encoder), its z (a sample port) feeds the decoder (vae.decoder). With samples K > 1 it draws K codes per example.',
  },
  role: 'reparameterize',
  stem: 'rep',
  inputs: [
    { name: 'mu', kind: 'mean', doc: 'μ [B,d]' },
    { name: 'logvar', kind: 'logvar', doc: 'log σ² [B,d]' },
  ],
  outputs: [{ name: 'z', kind: 'sample', doc: 'z [B,d], or [K,B,d] with K samples' }],
  params,
  controls: [{ param: 'samples', label: 'samples K', help: 'K Monte-Carlo samples per example' }],
  inferShapes: ({ inputs, params: p }) => {
    const { mu, logvar } = inputs;
    if (!mu || !logvar) return { ok: true, outputs: {} };
    if (!sameShape(mu, logvar) && !broadcastShapes(mu, logvar)) {
      return mismatch('logvar', `μ is ${formatShape(mu)} but log σ² is ${formatShape(logvar)}; they must have the same shape.`);
    }
    const base = broadcastShapes(mu, logvar)!;
    return { ok: true, outputs: { z: p.samples > 1 ? [p.samples, ...base] : base } };
  },
  forward: ({ inputs, params: p, random, mode, fast }) => {
    const mu = inputs.mu!;
    const logvar = inputs.logvar!;
    const k = mode === 'eval' ? 1 : p.samples;
    const base = broadcastShapes(mu.shape, logvar.shape) as number[];
    const eps = random.normal(k > 1 ? [k, ...base] : base);
    // On wasm one kernel each way (nodes/lib/fused.ts), on webgl two programs, when no broadcast is involved.
    if (fast && k === 1 && sameShape(mu.shape, logvar.shape) && fusedKernels('reparam', 'reparamGrad')) return { z: reparameterize(mu, logvar, eps) };
    const std = tf.exp(tf.mul(logvar, 0.5));
    return { z: tf.add(mu, tf.mul(eps, std)) };
  },
});
