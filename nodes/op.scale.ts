import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';

export const params = z.strictObject({
  factor: z.number().refine(Number.isFinite, 'must be finite').default(1),
});
export type Params = z.infer<typeof params>;

export default defineNode<Params>({
  type: 'op.scale',
  category: 'Ops',
  title: 'Scale',
  description: 'y = c · x: multiplies by a constant factor (e.g. ½ · log σ² = log σ).',
  help: {
    formula: String.raw`\mathbf{y} = c \cdot \mathbf{x}\qquad\text{e.g. } \log\sigma = \tfrac{1}{2}\log\sigma^2`,
    where: 'In a hand-built reparameterization: scales log σ² by ½ before op.exp makes σ.',
  },
  role: 'op',
  inputs: [{ name: 'x', kind: 'tensor' }],
  outputs: [{ name: 'y', kind: 'tensor' }],
  params,
  controls: [{ param: 'factor', label: 'factor c', step: 0.1 }],
  inferShapes: ({ inputs }) => ({ ok: true, outputs: inputs.x ? { y: inputs.x } : ({} as Record<string, never>) }),
  range: (p, _port, inputs) => {
    const r = inputs.x;
    if (!r) return null;
    if (p.factor === 0) return [0, 0]; // 0 · ∞ would be NaN
    const a = r[0] * p.factor;
    const b = r[1] * p.factor;
    return [Math.min(a, b), Math.max(a, b)];
  },
  forward: ({ inputs, params: p }) => ({ y: tf.mul(inputs.x!, p.factor) }),
});
