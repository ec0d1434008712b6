import { z } from 'zod';
import { defineNode, structureWidth, type DataInfo } from './types';
import { binarizeTransform } from './lib/binarize';
import { dataNode } from './lib/data-node';

export const params = z.strictObject({
  batchSize: z.number().int().min(1).max(10000).default(128),
  binarize: z.enum(['none', 'threshold', 'sample']).default('none'),
  scale: z.number().refine(Number.isFinite, 'must be finite').default(1),
  heldOut: z.number().int().min(1).max(5000).default(1000),
});
export type Params = z.infer<typeof params>;

/** The built-in MNIST (public/data/mnist.bin): 10,000 digits of 28×28×1 (DESIGN §3). */
export const MNIST_INFO: DataInfo = { structure: { kind: 'image', h: 28, w: 28, c: 1 }, n: 10000 };
const WIDTH = structureWidth(MNIST_INFO.structure);

export default defineNode<Params>({
  type: 'data.mnist',
  category: 'Data',
  title: 'MNIST',
  description: 'x: a batch of 28×28 handwritten digits, pixels in [0,1] (10,000 real digits; a fixed held-out split).',
  help: {
    formula: String.raw`\mathbf{x} \in [0,1]^{784},\ \ \{\mathbf{x}^{(i)}\}_{i=1}^{\tilde n} \subset \mathbb{R}^{m}`,
    where: 'A source: nothing is wired into it. Its x (a data port) feeds the encoder and the reconstruction loss\'s target x; label feeds nothing in training (the latent views colour codes by it). Its held-out digits are the ones the reconstructions, the held-out −ELBO and the instruments use.',
  },
  stem: 'data',
  ...dataNode<Params>({ x: 'images [B,784]', label: 'digit classes [B]' }, { builtin: MNIST_INFO, batchSize: (p) => p.batchSize, heldOut: (p) => p.heldOut }, binarizeTransform),
  params,
  controls: [
    { param: 'batchSize', label: 'batch size' },
    { param: 'binarize', label: 'binarize', help: 'threshold: x > 0.5; sample: x ~ Bernoulli(pixel), drawn anew per batch' },
    { param: 'scale', label: 'scale', step: 0.1, help: 'multiplies the [0,1] pixels' },
    { param: 'heldOut', label: 'held-out digits' },
  ],
  inferShapes: () => ({ ok: true, outputs: { x: ['B', WIDTH], label: ['B'] }, structure: { x: MNIST_INFO.structure } }),
  range: (p, port) => (port === 'x' ? [Math.min(0, p.scale), Math.max(0, p.scale)] : [0, 9]),
});
