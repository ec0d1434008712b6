/**
 * The worker protocol's part for taking a model out of the browser and back (issue 15,
 * DESIGN.md §9): save the trained weights (the weights file, as `train --out` writes it),
 * load a weights file into the model (checked first: WEIGHTS_FORMAT / WEIGHTS_MISMATCH, and
 * then nothing is loaded), and export the compiled graph as a PyTorch program (a zip).
 * protocol.ts spreads these variants into its unions, so they are parsed with zod at the
 * boundary like every other message.
 *
 * No tfjs here: the main thread imports this file.
 */
import { z } from 'zod';
import { DiagnosticShape } from './diagnostic-schema';

/** The largest weights file the app reads: 50 million float32 parameters (DESIGN §2) and its header. */
export const MAX_WEIGHTS_BYTES = 50_000_000 * 4 + 16 * 1024 * 1024;

export const TRANSFER_REQUESTS = [
  /** The trainer's weights as a weights file; heldOutLoss (the last evaluation at this step) goes into its metadata. */
  z.strictObject({ type: z.literal('saveWeights'), heldOutLoss: z.number().nullable().optional() }),
  /** Check a weights file against the graph; when it fits, a fresh trainer starts from it. */
  z.strictObject({ type: z.literal('loadWeights'), bytes: z.instanceof(Uint8Array), name: z.string().max(1000) }),
  /** The graph (file format v1) as a PyTorch program, zipped; the trained weights go with it when they fit. */
  z.strictObject({ type: z.literal('exportPytorch'), graph: z.unknown() }),
] as const;

export const TRANSFER_EVENTS = [
  z.object({ type: z.literal('weightsSaved'), bytes: z.instanceof(Uint8Array), step: z.number().int(), tensors: z.number().int() }),
  z.object({
    type: z.literal('weightsLoaded'),
    ok: z.boolean(),
    name: z.string(),
    /** ok: the file's metadata (steps, seed, what wrote it). */
    metadata: z.record(z.string(), z.string()).optional(),
    tensors: z.number().int().optional(),
    /** not ok: WEIGHTS_FORMAT, WEIGHTS_MISMATCH (listing what differs) or NOT_READY. */
    diagnostic: DiagnosticShape.optional(),
  }),
  z.object({
    type: z.literal('exported'),
    ok: z.boolean(),
    /** ok: the zip, its file names, whether the trained weights went with it. */
    zip: z.instanceof(Uint8Array).optional(),
    files: z.array(z.string()).optional(),
    withWeights: z.boolean().optional(),
    folder: z.string().optional(),
    /** not ok: EXPORT_UNSUPPORTED (naming each node), COMPILE problems. */
    diagnostics: z.array(DiagnosticShape).optional(),
  }),
] as const;

type TransferEventShape = z.infer<(typeof TRANSFER_EVENTS)[number]>;

export function transferTransferables(ev: { type: string }): ArrayBuffer[] {
  const e = ev as TransferEventShape;
  const buf = e.type === 'weightsSaved' ? e.bytes : e.type === 'exported' ? e.zip : undefined;
  return buf && buf.buffer instanceof ArrayBuffer && buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? [buf.buffer] : [];
}
