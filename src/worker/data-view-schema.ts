/**
 * The training panel's views of tables and sequences as they cross the worker boundary
 * (parsed with zod on arrival): per-column errors and rows side by side, or windows drawn
 * over their inputs, and decoded prior samples; built by src/runtime/instruments/data-views.ts.
 */
import { z } from 'zod';

const value = z.number().nullable();
const values = z.array(value);

const ColumnError = z.object({ column: z.string(), rmse: value, spread: value, mae: value });

export const TableView = z.object({
  kind: z.literal('table'),
  columns: z.array(z.string()),
  units: z.enum(['file', 'model']),
  count: z.number().int(),
  errors: z.array(ColumnError),
  rows: z.array(z.object({ label: z.string().nullable(), input: values, recon: values })),
  /** Decoded prior samples, one row each (null: no decoder path). */
  samples: z.array(values).nullable(),
});

export const SeriesView = z.object({
  kind: z.literal('series'),
  columns: z.array(z.string()),
  units: z.enum(['file', 'model']),
  steps: z.number().int(),
  count: z.number().int(),
  errors: z.array(ColumnError),
  windows: z.array(z.object({ index: z.number().int(), input: values, recon: values })),
  /** Decoded prior samples, T·F values each, time-major (null: no decoder path). */
  samples: z.array(values).nullable(),
});

export const DataView = z.discriminatedUnion('kind', [TableView, SeriesView]);
export type DataView = z.infer<typeof DataView>;
export type TableView = z.infer<typeof TableView>;
export type SeriesView = z.infer<typeof SeriesView>;
