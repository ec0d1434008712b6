import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { formatShape } from '../src/graph/ports';
import { lastDim, mismatch } from './lib/shapes';

export const params = z.strictObject({});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'op.split',
  category: 'Ops',
  title: 'Split',
  description: 'Splits the last axis in two halves: 2d outputs → the first d (e.g. μ) and the second d (e.g. log σ²).',
  help: {
    formula: String.raw`[\mathbf{a}, \mathbf{b}] = \mathbf{x},\quad \mathbf{x} \in \mathbb{R}^{2d},\ \mathbf{a}, \mathbf{b} \in \mathbb{R}^{d}`,
    where: 'After a dense layer with 2d units in a hand-built encoder: a feeds the KL\'s and the reparameterization\'s μ, b their log σ².',
  },
  role: 'op',
  inputs: [{ name: 'x', kind: 'tensor', doc: '[…, 2d]' }],
  outputs: [
    { name: 'a', kind: 'tensor', doc: 'first half […, d]' },
    { name: 'b', kind: 'tensor', doc: 'second half […, d]' },
  ],
  params,
  controls: [],
  inferShapes: ({ inputs }) => {
    const x = inputs.x;
    if (!x) return { ok: true, outputs: {} };
    const n = lastDim(x);
    if (n === null || x.length < 1 || n % 2 !== 0) return mismatch('x', `Split needs an even last axis, got ${formatShape(x)}.`);
    const half = [...x.slice(0, -1), n / 2];
    return { ok: true, outputs: { a: half, b: half } };
  },
  forward: ({ inputs }) => {
    const [a, b] = tf.split(inputs.x!, 2, -1);
    return { a: a!, b: b! };
  },
});
