/**
 * The training worker's protocol: what the main thread asks (Request) and what the worker
 * tells (WorkerEvent). Both are discriminated unions on `type`, and both are parsed with
 * zod where they cross the boundary (the worker parses requests, the client parses events),
 * so a malformed message becomes a coded error instead of a stray exception.
 *
 * No tfjs here: the main thread imports this file.
 */
import { z } from 'zod';
import { DiagnosticShape } from './diagnostic-schema';
import { ImageBlock } from './image-block';
import { DataView } from './data-view-schema';
import { DATA_EVENTS, DATA_REQUESTS } from './data-protocol';
import { INSTRUMENT_EVENTS, INSTRUMENT_REQUESTS, instrumentTransferables, type InstrumentEvent } from './instruments-protocol';
import { TRANSFER_EVENTS, TRANSFER_REQUESTS, transferTransferables } from './transfer-protocol';

/** webgpu runs only where the browser hands the worker a GPU adapter (backend-choice.ts probeWebgpu). */
export const BACKEND_NAMES = ['webgl', 'wasm', 'cpu', 'webgpu'] as const;
export const Backend = z.enum(BACKEND_NAMES);
export type Backend = z.infer<typeof Backend>;
/** What init asks for: a backend, or 'auto' (the person has not chosen: the worker picks, src/worker/backend-choice.ts). */
export const BackendRequest = z.union([Backend, z.literal('auto')]);
export type BackendRequest = z.infer<typeof BackendRequest>;

/** An edge as the editor names it: endpoints "node.port". */
export const Edge = z.strictObject({ from: z.string().min(3).max(300), to: z.string().min(3).max(300) });
export type Edge = z.infer<typeof Edge>;

const finiteOrNull = z.number().nullable();

export const TrainOptions = z.strictObject({
  /** Pause when the loss grows by more than this factor in one step; null: off. */
  lossJumpFactor: z.number().gt(1).max(1e6).nullable().optional(),
  /** Pause when the batch-mean KL goes below −1e-3. */
  breakOnKlNegative: z.boolean().optional(),
  /** During Run: held-out −ELBO every N steps (and at each epoch end). */
  evalEvery: z.number().int().min(1).max(100000).optional(),
  /** During Run: image grids every N steps. */
  imagesEvery: z.number().int().min(1).max(100000).optional(),
  /** During Run: port summaries (numbers on wires, badges) at most every this many ms. */
  statsEveryMs: z.number().min(0).max(60000).optional(),
});
export type TrainOptions = z.infer<typeof TrainOptions>;

// ---------------------------------------------------------------- requests (main → worker)

export const Request = z.discriminatedUnion('type', [
  /** (Re)build the trainer from a graph document (file format v1) on a backend with a seed. */
  z.strictObject({ type: z.literal('init'), graph: z.unknown(), backend: BackendRequest, seed: z.number().int().min(0).max(0xffffffff), options: TrainOptions.optional() }),
  /** Exactly n batches (default 1), then stop. */
  z.strictObject({ type: z.literal('step'), n: z.number().int().min(1).max(100000).default(1) }),
  /** Train continuously until pause, a breakpoint or an error. */
  z.strictObject({ type: z.literal('run') }),
  z.strictObject({ type: z.literal('pause') }),
  /** Re-initialise from the seed (optionally a new one) on the current graph. */
  z.strictObject({ type: z.literal('reset'), seed: z.number().int().min(0).max(0xffffffff).optional() }),
  /** Switch backend; the weights are re-initialised from the seed. */
  z.strictObject({ type: z.literal('setBackend'), backend: Backend }),
  /** A new version of the graph: applied in place when the variables are unchanged, else needsReset. */
  z.strictObject({ type: z.literal('updateGraph'), graph: z.unknown() }),
  /** Summarise an edge's tensor at the last step; watch: send it again after each step. */
  z.strictObject({ type: z.literal('probe'), edge: Edge.nullable(), watch: z.boolean().default(true) }),
  z.strictObject({ type: z.literal('evaluate') }),
  /** Reconstructions of a fixed held-out batch and decodes of fixed prior z. */
  z.strictObject({ type: z.literal('images') }),
  z.strictObject({ type: z.literal('setOptions'), options: TrainOptions }),
  z.strictObject({ type: z.literal('memory') }),
  z.strictObject({ type: z.literal('dispose') }),
  /** The instruments (issue 9): instruments-protocol.ts. */
  ...INSTRUMENT_REQUESTS,
  /** Data files (DESIGN §7): data-protocol.ts. */
  ...DATA_REQUESTS,
  /** Weights in and out, the PyTorch export (issue 15): transfer-protocol.ts. */
  ...TRANSFER_REQUESTS,
]);
export type Request = z.input<typeof Request>;
export type ParsedRequest = z.output<typeof Request>;

// ---------------------------------------------------------------- events (worker → main)

export { DiagnosticShape } from './diagnostic-schema';

export const StepMetrics = z.object({
  step: z.number().int(),
  epoch: z.number().int(),
  loss: z.number(),
  recon: z.number(),
  kl: z.number(),
  klWeighted: z.number(),
  ms: z.number(),
});
export type StepMetrics = z.infer<typeof StepMetrics>;

export const EvalMetrics = z.object({
  step: z.number().int(),
  heldOutLoss: z.number(),
  recon: z.number(),
  kl: z.number(),
  count: z.number().int(),
});
export type EvalMetrics = z.infer<typeof EvalMetrics>;

/** A short summary of one output port after a step: the numbers on the wires. */
export const PortStat = z.object({
  shape: z.array(z.number().int()),
  mean: finiteOrNull,
  std: finiteOrNull,
  nonFinite: z.number().int(),
});
export type PortStat = z.infer<typeof PortStat>;

export const ProbeSummary = z.object({
  shape: z.array(z.number().int()),
  size: z.number().int(),
  /** Over the finite values; null when there are none. */
  mean: finiteOrNull,
  std: finiteOrNull,
  min: finiteOrNull,
  max: finiteOrNull,
  nanCount: z.number().int(),
  infCount: z.number().int(),
  histogram: z.object({ min: z.number(), max: z.number(), counts: z.array(z.number().int()) }).nullable(),
  /** Grey images (0…255) when the last dimension is a square image (e.g. 784 = 28×28). */
  thumbnail: z.object({ count: z.number().int(), width: z.number().int(), height: z.number().int(), pixels: z.instanceof(Uint8Array) }).nullable(),
});
export type ProbeSummary = z.infer<typeof ProbeSummary>;

export { ImageBlock } from './image-block';
export { DataView, TableView, SeriesView } from './data-view-schema';

export const RendererInfo = z.object({ vendor: z.string(), renderer: z.string(), software: z.boolean() });
export type RendererInfo = z.infer<typeof RendererInfo>;

export const NodeInfo = z.object({ id: z.string(), type: z.string(), role: z.string(), active: z.boolean() });
export type NodeInfo = z.infer<typeof NodeInfo>;

export const WORKER_ERROR_CODES = [
  'BAD_REQUEST',
  'NOT_READY',
  'COMPILE',
  'BACKEND_FAILED',
  'DATA_LOAD_FAILED',
  'CONTEXT_LOST',
  'STALE_GRAPH',
  'WORKER_CRASHED',
  'BAD_EVENT',
  'INTERNAL',
] as const;
export const WorkerErrorCode = z.enum(WORKER_ERROR_CODES);
export type WorkerErrorCode = z.infer<typeof WorkerErrorCode>;

export const WorkerEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    backend: Backend,
    renderer: RendererInfo.nullable(),
    /** On wasm: the build tfjs loaded and its threads (src/runtime/backends.ts wasmRuntime). */
    wasm: z
      .object({ build: z.enum(['threaded-simd', 'simd', 'plain']), threads: z.number().int(), isolated: z.boolean(), cores: z.number().int().nullable() })
      .optional(),
    /** Why the worker chose this backend (init with 'auto'); absent when the person chose it. */
    reason: z.string().optional(),
    /** The backends this browser can run (webgpu only where it has an adapter), in menu order. */
    offered: z.array(Backend).optional(),
    seed: z.number(),
    step: z.number().int(),
    stepsPerEpoch: z.number().int(),
    parameters: z.number().int(),
    nodes: z.array(NodeInfo),
    /** The decoder used for prior samples (null: none found) and the latent width. */
    decoder: z.string().nullable(),
    latentDim: z.number().int().nullable(),
    numTensors: z.number().int(),
    /** init / reset / setBackend requests still queued behind this one: the trainer is rebuilt again soon. */
    queued: z.number().int().optional(),
  }),
  z.object({
    type: z.literal('stepped'),
    metrics: StepMetrics,
    numTensors: z.number().int(),
  }),
  /** "node.port" → summary of every output at `step`: after single steps, every statsEveryMs while running, at stops. */
  z.object({ type: z.literal('stats'), step: z.number().int(), portStats: z.record(z.string(), PortStat) }),
  z.object({ type: z.literal('evaluated'), metrics: EvalMetrics, epochEnd: z.boolean() }),
  z.object({
    type: z.literal('images'),
    step: z.number().int(),
    /** A fixed batch of held-out inputs and their reconstructions (same count, same order). */
    inputs: ImageBlock.nullable(),
    recons: ImageBlock.nullable(),
    /** Decodes of fixed z ~ N(0, I). */
    samples: ImageBlock.nullable(),
    /** Tables and sequences (not images): per-column errors, rows or windows beside their reconstructions, and decoded samples. */
    view: DataView.nullable().optional(),
    note: z.string().nullable(),
  }),
  /** summary null: the edge has no tensor to show (message says why). */
  z.object({ type: z.literal('probe'), edge: Edge, step: z.number().int(), summary: ProbeSummary.nullable(), message: z.string().nullable() }),
  z.object({ type: z.literal('breakpoint'), diagnostic: DiagnosticShape, loss: z.number().nullable() }),
  /** Whether the worker is training continuously; why it stopped. */
  z.object({ type: z.literal('state'), running: z.boolean(), step: z.number().int(), reason: z.enum(['run', 'pause', 'done', 'breakpoint', 'error', 'stale']) }),
  z.object({ type: z.literal('graphUpdated'), hot: z.boolean(), needsReset: z.boolean(), message: z.string() }),
  z.object({
    type: z.literal('backendAdvice'),
    current: Backend,
    currentMs: z.number(),
    suggested: Backend,
    suggestedMs: z.number(),
    renderer: z.string(),
  }),
  z.object({
    type: z.literal('error'),
    code: WorkerErrorCode,
    message: z.string(),
    /** Fatal: the worker can no longer train (context lost, crash); the UI offers a restart. */
    fatal: z.boolean(),
    diagnostics: z.array(DiagnosticShape).optional(),
  }),
  z.object({ type: z.literal('memory'), numTensors: z.number().int(), numBytes: z.number() }),
  z.object({ type: z.literal('disposed') }),
  ...INSTRUMENT_EVENTS,
  ...DATA_EVENTS,
  ...TRANSFER_EVENTS,
]);
export type WorkerEvent = z.infer<typeof WorkerEvent>;
export type WorkerEventOf<T extends WorkerEvent['type']> = Extract<WorkerEvent, { type: T }>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function describe(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export function parseRequest(data: unknown): Parsed<ParsedRequest> {
  const r = Request.safeParse(data);
  return r.success ? { ok: true, value: r.data } : { ok: false, message: `Bad request: ${describe(r.error)}` };
}

export function parseEvent(data: unknown): Parsed<WorkerEvent> {
  const r = WorkerEvent.safeParse(data);
  return r.success ? { ok: true, value: r.data } : { ok: false, message: `Bad event from the training worker: ${describe(r.error)}` };
}

/** The transferable buffers of an event (image and thumbnail pixels), for postMessage. */
export function transferablesOf(ev: WorkerEvent): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const add = (a: Uint8Array | undefined | null) => {
    if (a && a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !out.includes(a.buffer)) out.push(a.buffer);
  };
  if (ev.type === 'images') {
    add(ev.inputs?.pixels);
    add(ev.recons?.pixels);
    add(ev.samples?.pixels);
  } else if (ev.type === 'probe') {
    add(ev.summary?.thumbnail?.pixels);
  } else if (ev.type === 'data') {
    add(ev.preview?.images?.pixels);
  } else {
    for (const b of instrumentTransferables(ev as InstrumentEvent)) if (!out.includes(b)) out.push(b);
    for (const b of transferTransferables(ev)) if (!out.includes(b)) out.push(b);
  }
  return out;
}
