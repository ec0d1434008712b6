/**
 * The data files' part of the worker protocol (DESIGN.md section 7): the page asks the
 * worker to load the data of a graph's file-backed nodes (`loadData`) or to take a file a
 * person picked or dropped for a node (`dataFile`); the worker answers with progress, each
 * node's result (`data`: what compile needs, a preview and the warnings, or its coded
 * diagnostics) and, for a picked file, whether it was taken (`dataPicked`). protocol.ts
 * spreads these into its unions, so they are parsed with zod at the boundary.
 *
 * No tfjs here: the main thread imports this file. It imports nothing from protocol.ts.
 */
import { z } from 'zod';
import { DiagnosticShape } from './diagnostic-schema';

const Int = z.number().int();

export const DataStructureShape = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('image'), h: Int, w: Int, c: Int }),
  z.object({ kind: z.literal('sequence'), t: Int, f: Int }),
  z.object({ kind: z.literal('table'), f: Int }),
]);

export const DataInfoShape = z.object({
  structure: DataStructureShape,
  n: Int,
  columns: z.array(z.string()).readonly().optional(),
  heldOut: Int.optional(),
  labels: z.array(z.string()).readonly().optional(),
  scale: z.object({ mean: z.array(z.number()).readonly(), std: z.array(z.number()).readonly() }).optional(),
});

const DroppedRowShape = z.object({ line: Int.optional(), record: Int.optional(), field: z.string().optional(), reason: z.string() });

/** runtime/data/preview.ts DataPreview, as it crosses the boundary. */
export const DataPreviewShape = z.object({
  kind: z.enum(['table', 'sequence', 'image']),
  examples: Int,
  train: Int,
  heldOut: Int,
  rows: Int.nullable(),
  columns: z.array(z.object({ name: z.string(), mean: z.number(), sd: z.number(), min: z.number(), max: z.number(), missing: Int })),
  head: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.union([z.number(), z.string()]))) }).nullable(),
  classes: z.array(z.object({ name: z.string(), count: Int })).nullable(),
  series: z.object({ rows: z.instanceof(Float64Array), values: z.array(z.instanceof(Float32Array)) }).nullable(),
  windows: z.object({ total: Int, train: Int, heldOut: Int, overlapping: Int, heldOutStartRow: Int }).nullable(),
  images: z.object({ count: Int, height: Int, width: Int, channels: Int, pixels: z.instanceof(Uint8Array) }).nullable(),
  dropped: z.object({ count: Int, first: z.array(DroppedRowShape), text: z.string().nullable() }),
});
export type DataPreviewShape = z.infer<typeof DataPreviewShape>;

export const DATA_REQUESTS = [
  /** Load the data of the graph's file-backed nodes (those already loaded for the same params are reported again). */
  z.strictObject({ type: z.literal('loadData'), graph: z.unknown() }),
  /** A file a person picked or dropped for node `node`'s file param `param` (of the graph as it is). */
  z.strictObject({
    type: z.literal('dataFile'),
    graph: z.unknown(),
    node: z.string().min(1).max(200),
    param: z.string().min(1).max(100).default('file'),
    name: z.string().max(1000),
    file: z.instanceof(Blob),
  }),
] as const;

export const DATA_EVENTS = [
  z.object({ type: z.literal('dataProgress'), node: z.string(), fraction: z.number().min(0).max(1), stage: z.enum(['reading', 'parsing', 'done']) }),
  /** A node's data for its params (`key`, runtime/data/graph-data.ts dataKey): loaded, or why not. */
  z.object({
    type: z.literal('data'),
    node: z.string(),
    key: z.string(),
    file: z.string(),
    ok: z.boolean(),
    sha256: z.string().optional(),
    info: DataInfoShape.optional(),
    preview: DataPreviewShape.optional(),
    warnings: z.array(DiagnosticShape),
    diagnostics: z.array(DiagnosticShape),
  }),
  /** A picked file: taken (record `file` and `sha256` on the node) or refused (the node keeps what it had). */
  z.object({
    type: z.literal('dataPicked'),
    node: z.string(),
    param: z.string(),
    file: z.string(),
    ok: z.boolean(),
    sha256: z.string().optional(),
    diagnostics: z.array(DiagnosticShape),
  }),
] as const;
