import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { broadcastShapes, formatShape } from '../src/graph/ports';
import { mismatch } from './lib/shapes';

export const params = z.strictObject({});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'op.mul',
  category: 'Ops',
  title: 'Multiply',
  description: 'y = a ⊙ b element-wise, broadcasting as NumPy (e.g. ε ⊙ σ).',
  role: 'op',
  inputs: [
    { name: 'a', kind: 'tensor' },
    { name: 'b', kind: 'tensor' },
  ],
  outputs: [{ name: 'y', kind: 'tensor', doc: 'a ⊙ b' }],
  params,
  controls: [],
  inferShapes: ({ inputs }) => {
    const { a, b } = inputs;
    if (!a || !b) return { ok: true, outputs: {} };
    const y = broadcastShapes(a, b);
    if (!y) return mismatch('b', `Shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast.`);
    return { ok: true, outputs: { y } };
  },
  forward: ({ inputs }) => ({ y: tf.mul(inputs.a!, inputs.b!) }),
});
