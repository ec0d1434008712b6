/**
 * Element-wise binary ops (op.add, op.mul): two tensor inputs a and b, broadcast as NumPy,
 * one output y. Each op keeps its own module; this is the part they share.
 */
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode, type NodeDef } from '../types';
import { broadcastShapes, formatShape } from '../../src/graph/ports';
import { mismatch } from './shapes';
import type { NodeHelp } from '../../src/graph/catalog';

export const binaryParams = z.strictObject({});
export type BinaryParams = z.infer<typeof binaryParams>;

export function binaryOp(spec: { type: string; title: string; description: string; help: NodeHelp; symbol: string; op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor }): NodeDef<BinaryParams> {
  return defineNode<BinaryParams>({
    type: spec.type,
    category: 'Ops',
    title: spec.title,
    description: spec.description,
    help: spec.help,
    role: 'op',
    inputs: [
      { name: 'a', kind: 'tensor' },
      { name: 'b', kind: 'tensor' },
    ],
    outputs: [{ name: 'y', kind: 'tensor', doc: spec.symbol }],
    params: binaryParams,
    controls: [],
    inferShapes: ({ inputs }) => {
      const { a, b } = inputs;
      if (!a || !b) return { ok: true, outputs: {} };
      const y = broadcastShapes(a, b);
      if (!y) return mismatch('b', `Shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast.`);
      return { ok: true, outputs: { y } };
    },
    forward: ({ inputs }) => ({ y: spec.op(inputs.a!, inputs.b!) }),
  });
}
