/**
 * layer.conv2d and layer.conv2dTranspose: one module each, built here (the part they share,
 * as nodes/lib/elementwise.ts does for op.add and op.mul). NHWC, PyTorch's padding and
 * initialisation (nodes/lib/conv.ts).
 */
import { z } from 'zod';
import { defineNode, formatStructure, type DataStructure, type NodeDef, type Shape, type ShapeResult } from '../types';
import { formatShape } from '../../src/graph/ports';
import { ACTIVATIONS, activationRange } from './dense';
import { conv2d, conv2dTranspose, conv2dTransposeVars, conv2dVars, convOutSize, convTransposeOutSize } from './conv';
import { mismatch } from './shapes';
import type { NodeHelp } from '../../src/graph/catalog';

export const convParams = z.strictObject({
  filters: z.number().int().min(1).max(4096),
  kernel: z.number().int().min(1).max(15).default(4),
  stride: z.number().int().min(1).max(8).default(2),
  padding: z.number().int().min(0).max(14).default(1),
  activation: z.enum(ACTIVATIONS).default('none'),
});
export type ConvParams = z.infer<typeof convParams>;

/** What would fit a conv fed `x` (flat data carrying structure `s`, or anything else). */
function imageFix(x: Shape, s: DataStructure | undefined): string {
  if (s?.kind === 'image') return `x is a ${formatStructure(s)}, flat as ${formatShape(x)}: put an op.reshape with shape [${s.h}, ${s.w}, ${s.c}] before it.`;
  if (s?.kind === 'sequence') return `x is a ${formatStructure(s)}, not an image: a conv reads images; for sequences use layer.gru or layer.lstm after an op.reshape with shape [${s.t}, ${s.f}].`;
  if (s?.kind === 'table') return `x is a ${formatStructure(s)}, not an image: use layer.dense.`;
  return 'Put an op.reshape before it, e.g. shape [28, 28, 1] for MNIST digits.';
}

/** An image batch [..., H, W, C] (a leading K-sample axis allowed), or why not and what would fit. */
export function imageDims(port: string, x: Shape, what: string, s?: DataStructure): { h: number; w: number; c: number } | ShapeResult {
  const [h, w, c] = x.slice(-3);
  if (x.length < 4 || typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') {
    return mismatch(port, `${what} expects a batch of images [B,H,W,C] on "${port}", got ${formatShape(x)}.`, imageFix(x, s));
  }
  return { h, w, c };
}

export function convLayerNode(spec: { type: string; title: string; description: string; help: NodeHelp; transposed: boolean }): NodeDef<ConvParams> {
  const what = spec.transposed ? 'A transposed conv' : 'A conv';
  const outSize = spec.transposed ? convTransposeOutSize : convOutSize;
  return defineNode<ConvParams>({
    type: spec.type,
    category: 'Layers',
    title: spec.title,
    description: spec.description,
    help: spec.help,
    role: 'op',
    stem: spec.transposed ? 'deconv' : 'conv',
    aliases: spec.transposed ? ['deconv', 'convtranspose', 'upsample'] : ['convolution', 'cnn'],
    inputs: [{ name: 'x', kind: 'tensor', doc: '[B,H,W,C]' }],
    outputs: [{ name: 'y', kind: 'tensor', doc: '[B,H′,W′,filters]' }],
    params: convParams,
    controls: [
      { param: 'filters', label: 'filters', help: 'output channels' },
      { param: 'kernel', label: 'kernel', help: 'k×k' },
      { param: 'stride', label: 'stride' },
      { param: 'padding', label: 'padding', help: 'zeros on each side (PyTorch’s padding)' },
      { param: 'activation', label: 'activation' },
    ],
    inferShapes: ({ inputs, params: p, structures }) => {
      const x = inputs.x;
      if (!x) return { ok: true, outputs: {} };
      const d = imageDims('x', x, what, structures?.x);
      if ('ok' in d) return d;
      const g = { kernel: p.kernel, stride: p.stride, padding: p.padding };
      const [ho, wo] = [outSize(d.h, g), outSize(d.w, g)];
      if (ho < 1 || wo < 1) {
        const fit = spec.transposed ? `padding at most ${Math.floor(((Math.min(d.h, d.w) - 1) * p.stride + p.kernel - 1) / 2)}` : `kernel at most ${Math.min(d.h, d.w) + 2 * p.padding}`;
        return mismatch('x', `${what} with kernel ${p.kernel}, stride ${p.stride}, padding ${p.padding} does not fit a ${d.h}×${d.w} input (output ${ho}×${wo}).`, `Use a ${fit}.`);
      }
      return { ok: true, outputs: { y: [...x.slice(0, -3), ho, wo, p.filters] } };
    },
    variables: (p, inShapes) => {
      const c = inShapes.x![inShapes.x!.length - 1] as number;
      return (spec.transposed ? conv2dTransposeVars : conv2dVars)('conv', c, p.filters, p.kernel);
    },
    range: (p) => activationRange(p.activation),
    forward: ({ inputs, vars, params: p, fast }) => {
      const f = spec.transposed ? conv2dTranspose : conv2d;
      return { y: f(inputs.x!, vars['conv/kernel']!, vars['conv/bias']!, { kernel: p.kernel, stride: p.stride, padding: p.padding, activation: p.activation, fast }) };
    },
  });
}
