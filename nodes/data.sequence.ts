import { z } from 'zod';
import { defineNode, heldOutCount } from './types';
import { fileDataNode, fileParams } from './lib/data-node';

export const params = z.strictObject({
  /** file: a CSV whose rows are time steps. */
  ...fileParams,
  /** Feature columns by exact header name; empty: every numeric column. */
  columns: z.array(z.string().max(255)).max(10000).default([]),
  /** T: rows per window. */
  length: z.number().int().min(1).max(10000).default(32),
  /** Rows between window starts; 0: = length. */
  stride: z.number().int().min(0).max(10000).default(0),
  standardize: z.boolean().default(true),
  batchSize: z.number().int().min(1).max(10000).default(64),
  heldOutFraction: z.number().gt(0).max(0.9).default(0.1),
});
export type Params = z.infer<typeof params>;

/** Windows of one multivariate series (a CSV, rows are time steps): x [B,T·F] time-major, split in time (DESIGN §7). */
export default defineNode<Params>({
  type: 'data.sequence',
  category: 'Data',
  title: 'Sequence',
  description: 'x: a batch of windows of T time steps of a series (a CSV, one row per step), time-major: t0’s F values, then t1’s…; the last windows in time are held out.',
  help: {
    formula: String.raw`\mathbf{x}^{(i)} = (\mathbf{s}_{t}, \mathbf{s}_{t+1}, \dots, \mathbf{s}_{t+T-1}) \in \mathbb{R}^{T \cdot F}`,
    where: 'A source for a CSV series: its x (a data port, windows of T steps, time-major) feeds an op.reshape to [B,T,F] and a recurrent layer (layer.gru, layer.lstm), and the reconstruction loss\'s target x.',
  },
  stem: 'seq',
  aliases: ['time series', 'series', 'csv', 'windows'],
  ...fileDataNode<Params>({
    docs: { x: 'windows [B,T·F]', label: 'zeros [B] (a series has no labels)' },
    kind: 'sequence',
    expects: 'a sequence',
    // split in time: loading says how many windows are held out
    heldOut: (p, n, info) => info?.heldOut ?? heldOutCount(n, p.heldOutFraction),
  }),
  params,
  controls: [
    { param: 'length', label: 'window length (T)' },
    { param: 'stride', label: 'stride', help: 'rows between window starts; 0: the window length (no overlap)' },
    { param: 'standardize', label: 'standardize', help: 'per column, with the training windows’ rows' },
    { param: 'batchSize', label: 'batch size' },
    { param: 'heldOutFraction', label: 'held out', step: 0.05 },
  ],
});
