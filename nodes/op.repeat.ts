import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { formatShape } from '../src/graph/ports';
import { lastDim, mismatch } from './lib/shapes';

export const params = z.strictObject({
  times: z.number().int().min(1).max(4096),
});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'op.repeat',
  category: 'Ops',
  title: 'Repeat',
  description: 'Repeats each example T times as a sequence, [B,D] → [B,T,D]: the same z fed to a recurrent decoder at every step.',
  help: {
    formula: String.raw`\mathbf{y}_{t} = \mathbf{x}\quad (t = 1, \dots, T),\ \ [B, D] \to [B, T, D]`,
    where: 'In a recurrent decoder: z from the reparameterization, repeated T times, feeds layer.gru or layer.lstm.',
  },
  role: 'op',
  inputs: [{ name: 'x', kind: 'tensor', doc: '[B,D]' }],
  outputs: [{ name: 'y', kind: 'tensor', doc: '[B,T,D]' }],
  params,
  controls: [{ param: 'times', label: 'times T' }],
  inferShapes: ({ inputs, params: p }) => {
    const x = inputs.x;
    if (!x) return { ok: true, outputs: {} };
    if (x.length < 2 || lastDim(x) === null) return mismatch('x', `Repeat expects a batch of vectors [B,D] on "x", got ${formatShape(x)}.`);
    return { ok: true, outputs: { y: [...x.slice(0, -1), p.times, x[x.length - 1]!] } };
  },
  range: (_p, _port, inputs) => inputs.x ?? null,
  forward: ({ inputs, params: p }) => {
    const x = inputs.x!;
    return { y: tf.tile(tf.expandDims(x, -2), [...x.shape.slice(0, -1).map(() => 1), p.times, 1]) };
  },
});
