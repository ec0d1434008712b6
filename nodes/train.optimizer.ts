import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { formatShape } from '../src/graph/ports';
import { isPerExample } from './lib/shapes';

export const params = z.strictObject({
  algorithm: z.enum(['adam', 'sgd', 'rmsprop']).default('adam'),
  learningRate: z.number().gt(0).max(10).default(0.001),
});
export type Params = z.infer<typeof params>;

export function createOptimizer(p: Params): tf.Optimizer {
  switch (p.algorithm) {
    case 'adam':
      return tf.train.adam(p.learningRate);
    case 'sgd':
      return tf.train.sgd(p.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(p.learningRate);
  }
}

export default defineNode<Params>({
  type: 'train.optimizer',
  category: 'Training',
  title: 'Optimizer',
  description: 'Minimises the mean over the batch of the summed losses (the negative ELBO): θ, φ ← θ, φ − η ∇.',
  role: 'optimizer',
  stem: 'opt',
  aliases: ['adam', 'sgd', 'rmsprop'],
  badge: ({ step }) => (step ? { label: 'loss', value: step.loss } : null),
  inputs: [{ name: 'loss', kind: 'loss', multi: true, doc: 'per-example losses [B], summed' }],
  outputs: [],
  params,
  controls: [
    { param: 'algorithm', label: 'algorithm' },
    { param: 'learningRate', label: 'learning rate', step: 0.0001 },
  ],
  inferShapes: ({ multi }) => {
    const losses = multi.loss ?? [];
    for (const s of losses) {
      if (!isPerExample(s)) {
        return { ok: false, code: 'SHAPE_MISMATCH', port: 'loss', message: `The optimizer takes per-example losses [B], got ${formatShape(s)}.` };
      }
    }
    return { ok: true, outputs: {} };
  },
  forward: ({ multi }) => {
    const losses = multi.loss ?? [];
    const total = losses.length === 1 ? losses[0]! : tf.addN(losses);
    return { objective: tf.mean(total) };
  },
});
