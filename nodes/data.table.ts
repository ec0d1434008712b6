import { z } from 'zod';
import { defineNode, heldOutCount } from './types';
import { fileDataNode, fileParams } from './lib/data-node';

export const params = z.strictObject({
  ...fileParams,
  /** Feature columns by exact header name; empty: every numeric column except the label. */
  columns: z.array(z.string().max(255)).max(10000).default([]),
  /** "" for none; may hold strings (classes). */
  labelColumn: z.string().max(255).default(''),
  missing: z.enum(['drop-rows', 'error']).default('drop-rows'),
  standardize: z.boolean().default(true),
  batchSize: z.number().int().min(1).max(10000).default(64),
  heldOutFraction: z.number().gt(0).max(0.9).default(0.1),
});
export type Params = z.infer<typeof params>;

/** A table file (CSV, TSV or JSON records): x [B,F] of its feature columns, label [B] (DESIGN §7). */
export default defineNode<Params>({
  type: 'data.table',
  category: 'Data',
  title: 'Table',
  description: 'x: a batch of rows of a table file (CSV, TSV or JSON records), its numeric columns standardised; label: the label column’s class.',
  help: {
    formula: String.raw`x_{ij} \leftarrow \frac{x_{ij} - \bar{x}_j}{s_j},\quad \mathbf{x}^{(i)} \in \mathbb{R}^{F}`,
    where: 'A source for a table file: its x (a data port, one row per example, F standardised columns) feeds an encoder and the reconstruction loss\'s target x; label carries the label column for the latent views.',
  },
  stem: 'table',
  aliases: ['csv', 'tsv', 'json', 'spreadsheet', 'tabular'],
  ...fileDataNode<Params>({
    docs: { x: 'rows [B,F]', label: 'label classes [B] (0 without a label column)' },
    kind: 'table',
    expects: 'a table',
    heldOut: (p, n) => heldOutCount(n, p.heldOutFraction),
  }),
  params,
  controls: [
    { param: 'missing', label: 'missing cells', help: 'drop-rows: leave out rows with a missing feature (and say how many); error: stop at the first' },
    { param: 'standardize', label: 'standardize', help: 'subtract each column’s mean and divide by its standard deviation (training rows only)' },
    { param: 'batchSize', label: 'batch size' },
    { param: 'heldOutFraction', label: 'held out', step: 0.05 },
  ],
});
