/**
 * layer.gru and layer.lstm: one module each, built here (the part they share). PyTorch's cells,
 * gate order and initialisation (nodes/lib/rnn.ts).
 */
import { z } from 'zod';
import { defineNode, formatStructure, type DataStructure, type NodeDef, type Shape, type ShapeResult } from '../types';
import { formatShape, sameShape } from '../../src/graph/ports';
import { lastStep, rnn, rnnVars, rnnWeights, type Cell } from './rnn';
import { mismatch } from './shapes';

export const rnnParams = z.strictObject({
  units: z.number().int().min(1).max(4096),
});
export type RnnParams = z.infer<typeof rnnParams>;

/** What would fit a recurrent layer fed `x` (flat data carrying structure `s`, or anything else). */
function sequenceFix(x: Shape, s: DataStructure | undefined): string {
  if (s?.kind === 'sequence') return `x is a ${formatStructure(s)}, flat as ${formatShape(x)}: put an op.reshape with shape [${s.t}, ${s.f}] before it.`;
  if (s?.kind === 'image') return `x is a ${formatStructure(s)}, not a sequence: a conv (after an op.reshape with shape [${s.h}, ${s.w}, ${s.c}]) reads images, or an op.reshape with shape [${s.h}, ${s.w * s.c}] reads it row by row.`;
  if (s?.kind === 'table') return `x is a ${formatStructure(s)}, not a sequence: use layer.dense.`;
  return 'Put an op.reshape before it, shape [T, F], or an op.repeat to feed the same vector at every step.';
}

/** A batch of sequences [..., T, F], or why not and what would fit. */
export function sequenceDims(port: string, x: Shape, what: string, s?: DataStructure): { t: number; f: number } | ShapeResult {
  const [t, f] = x.slice(-2);
  if (x.length < 3 || typeof t !== 'number' || typeof f !== 'number') {
    return mismatch(port, `${what} expects a batch of sequences [B,T,F] on "${port}", got ${formatShape(x)}.`, sequenceFix(x, s));
  }
  return { t, f };
}

export function rnnLayerNode(cell: Cell): NodeDef<RnnParams> {
  const name = cell.toUpperCase();
  return defineNode<RnnParams>({
    type: `layer.${cell}`,
    category: 'Layers',
    title: name,
    description:
      cell === 'gru'
        ? 'nn.GRU over the T steps of x [B,T,F]: r, z = σ(…), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h′ = (1 − z) ⊙ n + z ⊙ h.'
        : 'nn.LSTM over the T steps of x [B,T,F]: gates i, f, g, o; c′ = f ⊙ c + i ⊙ g, h′ = o ⊙ tanh(c′); c0 = 0.',
    help:
      cell === 'gru'
        ? { formula: String.raw`\mathbf{h}_t = (1 - \mathbf{z}_t) \odot \mathbf{n}_t + \mathbf{z}_t \odot \mathbf{h}_{t-1}`, where: 'In a sequence VAE: the encoder reads x reshaped to [B,T,F] and its last state h feeds dense heads for μ and log σ²; the decoder reads z repeated T times (op.repeat) and its every-step output y feeds a dense layer per step.' }
        : { formula: String.raw`\mathbf{c}_t = \mathbf{f}_t \odot \mathbf{c}_{t-1} + \mathbf{i}_t \odot \mathbf{g}_t,\quad \mathbf{h}_t = \mathbf{o}_t \odot \tanh(\mathbf{c}_t)`, where: 'In a sequence VAE: the encoder reads x reshaped to [B,T,F] and its last state h feeds dense heads for μ and log σ²; the decoder reads z repeated T times (op.repeat) and its every-step output y feeds a dense layer per step (an LSTM keeps a cell state c beside h).' },
    role: 'op',
    stem: cell,
    aliases: ['rnn', 'recurrent'],
    inputs: [
      { name: 'x', kind: 'tensor', doc: '[B,T,F]' },
      { name: 'h0', kind: 'tensor', doc: '[B,units] initial state (optional: zeros)', optional: true },
    ],
    outputs: [
      { name: 'y', kind: 'tensor', doc: '[B,T,units] every step' },
      { name: 'h', kind: 'tensor', doc: '[B,units] the last step' },
    ],
    params: rnnParams,
    controls: [{ param: 'units', label: 'units' }],
    inferShapes: ({ inputs, params: p, structures }) => {
      const x = inputs.x;
      if (!x) return { ok: true, outputs: {} };
      const d = sequenceDims('x', x, `A ${name}`, structures?.x);
      if ('ok' in d) return d;
      const lead = x.slice(0, -2);
      const h: Shape = [...lead, p.units];
      if (inputs.h0 && !sameShape(inputs.h0, h)) return mismatch('h0', `The initial state h0 of a ${name} with ${p.units} units is ${formatShape(h)}, got ${formatShape(inputs.h0)}.`);
      return { ok: true, outputs: { y: [...lead, d.t, p.units], h } };
    },
    variables: (p, inShapes) => rnnVars(cell, cell, inShapes.x![inShapes.x!.length - 1] as number, p.units),
    forward: ({ inputs, vars, fast }) => {
      const y = rnn(cell, inputs.x!, inputs.h0 ?? null, rnnWeights(vars, cell), { fast });
      return { y, h: lastStep(y) };
    },
  });
}
