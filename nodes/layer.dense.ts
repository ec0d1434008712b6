import { z } from 'zod';
import { defineNode } from './types';
import { ACTIVATIONS, activationRange, dense, denseVars } from './lib/dense';
import { lastDim, needFeatures } from './lib/shapes';

export const params = z.strictObject({
  units: z.number().int().min(1).max(16384),
  activation: z.enum(ACTIVATIONS).default('none'),
});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'layer.dense',
  category: 'Layers',
  title: 'Dense',
  description: 'y = act(x·W + b) on the last axis: one linear layer (nn.Linear) with an optional activation.',
  help: {
    formula: String.raw`\mathbf{y} = \mathrm{act}(\mathbf{x} W + \mathbf{b}),\quad W \in \mathbb{R}^{F \times \text{units}}`,
    where: 'Anywhere a tensor [B,…,F] flows: hand-built encoders and decoders chain dense layers from x to μ and log σ² (the bug hunt does), or from z to xHat.',
  },
  role: 'op',
  inputs: [{ name: 'x', kind: 'tensor', doc: '[…, n]' }],
  outputs: [{ name: 'y', kind: 'tensor', doc: '[…, units]' }],
  params,
  controls: [
    { param: 'units', label: 'units' },
    { param: 'activation', label: 'activation' },
  ],
  inferShapes: ({ inputs, params: p }) => {
    const x = inputs.x;
    if (!x) return { ok: true, outputs: {} };
    const bad = needFeatures('x', x, 'A dense layer');
    if (bad) return bad;
    return { ok: true, outputs: { y: [...x.slice(0, -1), p.units] } };
  },
  variables: (p, inShapes) => denseVars('dense', lastDim(inShapes.x!)!, p.units),
  range: (p) => activationRange(p.activation),
  forward: ({ inputs, vars, params: p, fast }) => ({ y: dense(inputs.x!, vars['dense/kernel']!, vars['dense/bias']!, p.activation, fast) }),
});
