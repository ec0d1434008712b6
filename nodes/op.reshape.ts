import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { formatShape } from '../src/graph/ports';
import { isConstant, markConstant } from './lib/dense';
import { mismatch } from './lib/shapes';

export const params = z.strictObject({
  shape: z
    .array(z.number().int().min(-1).max(1 << 24).refine((d) => d !== 0, 'a dimension is −1 or at least 1'))
    .min(1)
    .max(6)
    .refine((s) => s.filter((d) => d === -1).length <= 1, 'at most one dimension may be −1')
    .default([-1]),
});
export type Params = z.infer<typeof params>;

/** The axes after the batch axis B (a leading K-sample axis stays in front of B). */
function afterBatch(shape: readonly (number | 'B')[]): number {
  const b = shape.indexOf('B');
  return b < 0 ? shape.length - 1 : shape.length - 1 - b;
}

export default defineNode<Params>({
  type: 'op.reshape',
  category: 'Ops',
  title: 'Reshape',
  description: 'Gives each example a new shape, e.g. [B,784] → [B,28,28,1] for a conv, and back ([-1] flattens, in H, W, C order).',
  help: {
    formula: String.raw`[B, H \cdot W \cdot C] \;\leftrightarrow\; [B, H, W, C]`,
    where: 'Between flat data and layers that read structure: x [B,784] → [B,28,28,1] before a conv (layer.conv2d), [B,T·F] → [B,T,F] before a recurrent layer, and [B,-1] back to flat before a dense head or the reconstruction loss.',
  },
  role: 'op',
  aliases: ['flatten', 'view'],
  inputs: [{ name: 'x', kind: 'tensor' }],
  outputs: [{ name: 'y', kind: 'tensor', doc: '[B, …shape]' }],
  params,
  controls: [{ param: 'shape', label: 'shape', help: 'the dims after the batch axis; one may be −1 (inferred)' }],
  inferShapes: ({ inputs, params: p }) => {
    const x = inputs.x;
    if (!x) return { ok: true, outputs: {} };
    const n = afterBatch(x);
    const lead = x.slice(0, x.length - n);
    const rest = x.slice(x.length - n);
    if (n < 1 || rest.some((d) => typeof d !== 'number')) return mismatch('x', `Reshape needs the dims after the batch axis to be known, got ${formatShape(x)}.`);
    const size = (rest as number[]).reduce((a, d) => a * d, 1);
    const known = p.shape.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    const free = p.shape.includes(-1);
    if (free ? size % known !== 0 : size !== known) {
      return mismatch('x', `Reshape cannot turn ${formatShape(x)} (${size} values per example) into ${formatShape(['B', ...p.shape])}.`, free ? `The known dims must divide ${size}.` : `The dims must multiply to ${size}, e.g. [${size}] or [-1].`);
    }
    return { ok: true, outputs: { y: [...lead, ...p.shape.map((d) => (d === -1 ? size / known : d))] } };
  },
  range: (_p, _port, inputs) => inputs.x ?? null,
  forward: ({ inputs, params: p, inShapes }) => {
    const x = inputs.x!;
    // Count the axes from the right: in eval a [K,B,…] input arrives as [B,…].
    const n = afterBatch(inShapes.x ?? x.shape);
    const y = tf.reshape(x, [...x.shape.slice(0, x.rank - n), ...p.shape]);
    // A reshaped data batch is still data no gradient is asked of (the layers after it may skip dL/dx).
    return { y: isConstant(x) ? markConstant(y) : y };
  },
});
