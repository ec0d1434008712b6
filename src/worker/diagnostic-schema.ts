/**
 * A Diagnostic (src/graph/diagnostics.ts) as it crosses the worker boundary, parsed with
 * zod on arrival. Shared by the training protocol and the instruments' messages.
 */
import { z } from 'zod';

export const DiagnosticShape = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  node: z.string().nullable(),
  port: z.string().nullable(),
  message: z.string(),
  fix: z.string().optional(),
  path: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
  field: z.string().optional(),
  record: z.number().optional(),
  step: z.number().optional(),
  /** NON_FINITE: NaN and ±Infinity counts of the named output. */
  nanCount: z.number().int().min(0).optional(),
  infCount: z.number().int().min(0).optional(),
});
export type DiagnosticShape = z.infer<typeof DiagnosticShape>;
