import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { warning } from '../src/graph/diagnostics';
import { formatShape } from '../src/graph/ports';
import { mismatch, isPerExample } from './lib/shapes';
import { LECTURE } from '../src/graph/formulas';

export const params = z.strictObject({
  beta: z.number().min(-1e6).max(1e6).default(1),
  warmupSteps: z.number().int().min(0).max(1e9).default(0),
  freeBits: z.number().min(0).max(1e6).default(0),
});
export type Params = z.infer<typeof params>;

/** β_t = β · min(1, t / warmupSteps), t counted from 1. */
export function betaAt(p: Params, step: number): number {
  return p.warmupSteps > 0 ? p.beta * Math.min(1, step / p.warmupSteps) : p.beta;
}

export default defineNode<Params>({
  type: 'loss.beta',
  category: 'Losses',
  title: 'β weight',
  description: 'β_t · max(freeBits, KL): the β-VAE weight on the KL, with optional warm-up β_t = β·min(1, t/T) and free bits.',
  help: {
    formula: LECTURE.beta,
    where: 'Between the KL (loss.kl) and the optimizer (train.optimizer): it multiplies the kl it receives by β (warmed up over T steps, floored at the free bits). The training panel\'s β·KL metric is its output.',
    badge: 'β·KL: the batch mean of its weighted kl output at the last step.',
  },
  role: 'beta',
  aliases: ['warmup', 'anneal'],
  metrics: { klWeighted: 'kl' },
  inputs: [{ name: 'kl', kind: 'loss', doc: 'KL per example [B]' }],
  outputs: [{ name: 'kl', kind: 'loss', doc: 'β-weighted KL per example [B]' }],
  params,
  controls: [
    { param: 'beta', label: 'β', step: 0.1 },
    { param: 'warmupSteps', label: 'warm-up steps', help: 'β ramps linearly from 0 over this many steps' },
    { param: 'freeBits', label: 'free bits (nats)', step: 0.1, help: 'each example pays at least this much KL' },
  ],
  inferShapes: ({ inputs }) => {
    if (!inputs.kl) return { ok: true, outputs: {} };
    if (!isPerExample(inputs.kl)) return mismatch('kl', `β takes a per-example loss [B], got ${formatShape(inputs.kl)}.`);
    return { ok: true, outputs: { kl: ['B'] } };
  },
  lint: ({ nodeId, params: p }) =>
    p.beta <= 0
      ? [
          warning('BETA_NOT_POSITIVE', `β is ${String(p.beta)} on "${nodeId}": a β ≤ 0 rewards (or ignores) the KL instead of penalising it.`, {
            node: nodeId,
            port: 'kl',
            fix: 'Set β to a positive value (1 for the ELBO).',
          }),
        ]
      : [],
  badge: ({ mean }) => {
    const v = mean('kl');
    return v === undefined ? null : { label: 'β·KL', value: v };
  },
  forward: ({ inputs, params: p, mode, step }) => {
    const kl = inputs.kl!;
    if (mode === 'eval') return { kl };
    const floored = p.freeBits > 0 ? tf.maximum(kl, p.freeBits) : kl;
    return { kl: tf.mul(floored, betaAt(p, step)) };
  },
});
