import { z } from 'zod';
import { defineNode } from './types';
import { denseVars, mlpVars, runMlp, dense } from './lib/dense';
import { lastDim, needFeatures } from './lib/shapes';

export const params = z.strictObject({
  arch: z.enum(['mlp']).default('mlp'),
  hidden: z.array(z.number().int().min(1).max(16384)).max(16).default([400]),
  activation: z.enum(['relu', 'tanh', 'sigmoid', 'elu']).default('relu'),
  outputActivation: z.enum(['sigmoid', 'none']).default('sigmoid'),
  outputUnits: z.union([z.literal('auto'), z.number().int().min(1).max(16384)]).default('auto'),
});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'vae.decoder',
  category: 'VAE',
  title: 'Decoder p(x|z)',
  description: 'P_θ(x|z): an MLP from z to the mean of p(x|z) (Bernoulli pixel probabilities with a sigmoid).',
  role: 'decoder',
  stem: 'dec',
  inputs: [{ name: 'z', kind: 'sample', doc: 'z [B,d] or [K,B,d]' }],
  outputs: [{ name: 'xHat', kind: 'recon', doc: 'x̂, the mean of p(x|z)' }],
  params,
  controls: [
    { param: 'hidden', label: 'hidden layers', help: 'widths in forward order, z → … → x' },
    { param: 'activation', label: 'activation' },
    { param: 'outputActivation', label: 'output', help: 'sigmoid gives probabilities for a Bernoulli likelihood' },
    { param: 'outputUnits', label: 'output units', help: 'auto: the width of the data the loss compares against' },
    { param: 'arch', label: 'architecture' },
  ],
  inferShapes: ({ inputs, params: p, hint }) => {
    const z = inputs.z;
    if (!z) return { ok: true, outputs: {} };
    const bad = needFeatures('z', z, 'The decoder');
    if (bad) return bad;
    let units: number | null = p.outputUnits === 'auto' ? null : p.outputUnits;
    if (units === null) {
      const h = hint('xHat');
      units = h ? lastDim(h) : null;
      if (units === null) {
        return {
          ok: false,
          code: 'BAD_PARAM',
          port: 'xHat',
          message: 'outputUnits is "auto", but xHat feeds no reconstruction loss whose data would give the width.',
          fix: 'Wire xHat into a reconstruction loss, or set outputUnits to a number (784 for MNIST).',
        };
      }
    }
    return { ok: true, outputs: { xHat: [...z.slice(0, -1), units] } };
  },
  variables: (p, inShapes, outShapes) => {
    const d = lastDim(inShapes.z!)!;
    const out = lastDim(outShapes.xHat!)!;
    const widths = [d, ...p.hidden];
    return [...mlpVars('hidden', widths), ...denseVars('out', widths[widths.length - 1]!, out)];
  },
  range: (p) => (p.outputActivation === 'sigmoid' ? [0, 1] : null),
  forward: ({ inputs, vars, params: p, fast }) => {
    const h = runMlp(inputs.z!, vars, 'hidden', p.hidden.length, p.activation, fast);
    return { xHat: dense(h, vars['out/kernel']!, vars['out/bias']!, p.outputActivation, fast) };
  },
});
