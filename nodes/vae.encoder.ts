
import { z } from 'zod';
import { defineNode } from './types';
import { denseVars, mlpVars, runMlp, dense } from './lib/dense';
import { lastDim, needFeatures } from './lib/shapes';

export const params = z.strictObject({
  arch: z.enum(['mlp']).default('mlp'),
  hidden: z.array(z.number().int().min(1).max(16384)).max(16).default([400]),
  activation: z.enum(['relu', 'tanh', 'sigmoid', 'elu']).default('relu'),
  latentDim: z.number().int().min(1).max(16384).default(20),
});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'vae.encoder',
  category: 'VAE',
  title: 'Encoder q(z|x)',
  description: 'Q_φ(z|x) = N(μ, diag σ²): an MLP from x to the mean μ and the log-variance log σ² (two linear heads).',
  role: 'encoder',
  stem: 'enc',
  inputs: [{ name: 'x', kind: 'data', doc: 'the examples [B,n]' }],
  outputs: [
    { name: 'mu', kind: 'mean', doc: 'μ [B,d]' },
    { name: 'logvar', kind: 'logvar', doc: 'log σ² [B,d]' },
  ],
  params,
  controls: [
    { param: 'hidden', label: 'hidden layers', help: 'widths of the hidden layers, x → … → heads' },
    { param: 'activation', label: 'activation' },
    { param: 'latentDim', label: 'latent dim d' },
    { param: 'arch', label: 'architecture' },
  ],
  inferShapes: ({ inputs, params: p }) => {
    const x = inputs.x;
    if (!x) return { ok: true, outputs: {} };
    const bad = needFeatures('x', x, 'The encoder');
    if (bad) return bad;
    const out = [...x.slice(0, -1), p.latentDim];
    return { ok: true, outputs: { mu: out, logvar: out } };
  },
  variables: (p, inShapes) => {
    const n = lastDim(inShapes.x!)!;
    const widths = [n, ...p.hidden];
    const top = widths[widths.length - 1]!;
    return [...mlpVars('hidden', widths), ...denseVars('mu', top, p.latentDim), ...denseVars('logvar', top, p.latentDim)];
  },
  forward: ({ inputs, vars, params: p, fast }) => {
    const h = runMlp(inputs.x!, vars, 'hidden', p.hidden.length, p.activation, fast);
    return {
      mu: dense(h, vars['mu/kernel']!, vars['mu/bias']!, 'none', fast),
      logvar: dense(h, vars['logvar/kernel']!, vars['logvar/bias']!, 'none', fast),
    };
  },
});

