import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';

export const params = z.strictObject({
  std: z.number().min(0).max(1e6).default(1),
  share: z.enum(['per-example', 'batch']).default('per-example'),
});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'op.noise',
  category: 'Ops',
  title: 'Noise ε',
  description: 'ε ~ N(0, std² I) shaped like its input (drawn anew every step); "batch" draws one ε for the whole batch.',
  help: {
    formula: String.raw`\epsilon \sim \mathcal{N}(\mathbf{0}, s^2\mathbf{I}),\ \ \epsilon \in \mathbb{R}^{B \times d}\ \text{(shaped like its input)}`,
    where: 'In a hand-built reparameterization: its like input takes σ (or μ) only for the shape; eps feeds op.mul. A fresh ε every step.',
  },
  role: 'op',
  inputs: [{ name: 'like', kind: 'tensor', doc: 'only its shape is used' }],
  outputs: [{ name: 'eps', kind: 'tensor' }],
  params,
  controls: [
    { param: 'std', label: 'std', step: 0.1 },
    { param: 'share', label: 'share', help: 'batch: every example gets the same ε (a bug in a VAE)' },
  ],
  inferShapes: ({ inputs }) => ({ ok: true, outputs: inputs.like ? { eps: inputs.like } : ({} as Record<string, never>) }),
  forward: ({ inputs, params: p, random, inShapes }) => {
    const shape = inputs.like!.shape;
    let eps: tf.Tensor;
    if (p.share === 'batch') {
      // One draw per position outside the batch axis, broadcast over the batch. The batch
      // axis is found in the symbolic shape counted from the right: in eval a [K,B,d] input
      // arrives as [B,d] (one z sample), so counting from the left would pick the wrong axis.
      const symbolic = inShapes.like;
      const fromRight = symbolic && symbolic.includes('B') ? symbolic.length - symbolic.indexOf('B') : shape.length;
      const batchAxis = Math.max(0, shape.length - fromRight);
      const drawShape = shape.map((d, i) => (i === batchAxis ? 1 : d));
      eps = tf.broadcastTo(random.normal(drawShape), shape);
    } else {
      eps = random.normal(shape);
    }
    return { eps: p.std === 1 ? eps : tf.mul(eps, p.std) };
  },
});
