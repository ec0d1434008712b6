import { z } from 'zod';
import { defineNode } from './types';

export const params = z.strictObject({
  batchSize: z.number().int().min(1).max(10000).default(128),
  binarize: z.enum(['none', 'threshold', 'sample']).default('none'),
  scale: z.number().refine(Number.isFinite, 'must be finite').default(1),
  heldOut: z.number().int().min(1).max(5000).default(1000),
});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'data.mnist',
  category: 'Data',
  title: 'MNIST',
  description: 'x: a batch of 28×28 handwritten digits, pixels in [0,1] (10,000 real digits; a fixed held-out split).',
  role: 'data',
  stem: 'data',
  inputs: [],
  outputs: [
    { name: 'x', kind: 'data', doc: 'images [B,784]' },
    { name: 'label', kind: 'tensor', doc: 'digit classes [B]' },
  ],
  params,
  controls: [
    { param: 'batchSize', label: 'batch size' },
    { param: 'binarize', label: 'binarize', help: 'threshold: x > 0.5; sample: x ~ Bernoulli(pixel), drawn anew per batch' },
    { param: 'scale', label: 'scale', step: 0.1, help: 'multiplies the [0,1] pixels' },
    { param: 'heldOut', label: 'held-out digits' },
  ],
  inferShapes: () => ({ ok: true, outputs: { x: ['B', 784], label: ['B'] } }),
  range: (p, port) => (port === 'x' ? [Math.min(0, p.scale), Math.max(0, p.scale)] : [0, 9]),
  forward: (ctx) => ({
    x: ctx.data.images({ binarize: ctx.params.binarize, scale: ctx.params.scale }, ctx.nodeId),
    label: ctx.data.labels(),
  }),
});
