import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';

export const params = z.strictObject({});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'op.exp',
  category: 'Ops',
  title: 'Exp',
  description: 'y = eˣ element-wise (e.g. σ = exp(½ log σ²)).',
  help: {
    formula: String.raw`y_i = e^{x_i}\qquad\text{e.g. } \sigma = \exp\!\big(\tfrac{1}{2}\log\sigma^2\big)`,
    where: 'In a hand-built reparameterization: turns ½ log σ² (from op.scale) into σ, which op.mul multiplies with ε.',
  },
  role: 'op',
  nonFiniteHint: () => 'exp overflowed: check the factor before it (σ = exp(½·log σ²)).',
  inputs: [{ name: 'x', kind: 'tensor' }],
  outputs: [{ name: 'y', kind: 'tensor' }],
  params,
  controls: [],
  inferShapes: ({ inputs }) => ({ ok: true, outputs: inputs.x ? { y: inputs.x } : ({} as Record<string, never>) }),
  range: (_p, _port, inputs) => (inputs.x ? [Math.exp(inputs.x[0]), Math.exp(inputs.x[1])] : [0, Infinity]),
  forward: ({ inputs }) => ({ y: tf.exp(inputs.x!) }),
});
