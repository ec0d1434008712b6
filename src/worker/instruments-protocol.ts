/**
 * The instruments' part of the worker protocol (issue 9): compare with a reference graph,
 * per-dimension KL and the posterior-collapse alarm, the IWAE log-likelihood, and the
 * latent views (held-out codes, encode an image, decode given z). protocol.ts spreads these
 * variants into its Request and WorkerEvent unions, so they are parsed with zod at the
 * boundary like every other message.
 *
 * No tfjs here: the main thread imports this file. It imports nothing from protocol.ts
 * (which imports it).
 */
import { z } from 'zod';
import { DiagnosticShape } from './diagnostic-schema';
import { ImageBlock } from './image-block';

/** compareGraphs' summary of a tensor (a NaN spelt as a string). */
const JsonNumber = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
export const TensorSummaryShape = z.object({
  shape: z.array(z.number().int()),
  mean: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  nonFinite: z.number().int(),
  values: z.array(JsonNumber),
});

export const CompareOutcome = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('diverged'),
    step: z.number().int(),
    node: z.string(),
    port: z.string().nullable(),
    a: TensorSummaryShape.nullable(),
    b: TensorSummaryShape.nullable(),
    diff: z.number().nullable(),
    reason: z.enum(['shape', 'non-finite', 'value', 'objective', 'gradient', 'update']),
    variable: z.string().optional(),
    message: z.string(),
  }),
  z.object({ event: z.literal('same'), steps: z.number().int(), maxDiff: z.number(), sharedVariables: z.number().int() }),
]);
export type CompareOutcome = z.infer<typeof CompareOutcome>;

export const INSTRUMENT_REQUEST_TYPES = ['latentStats', 'iwae', 'compare', 'latentCodes', 'latentEncode', 'latentDecode'] as const;
export type InstrumentRequestType = (typeof INSTRUMENT_REQUEST_TYPES)[number];

const Seed = z.number().int().min(0).max(0xffffffff);

// ---------------------------------------------------------------- requests (main → worker)

export const INSTRUMENT_REQUESTS = [
  /** Per-dimension KL, active units and the collapse alarm on the held-out set. */
  z.strictObject({ type: z.literal('latentStats') }),
  /** −log p(x) by importance sampling with K samples (seconds: progress events follow). */
  z.strictObject({ type: z.literal('iwae'), k: z.number().int().min(1).max(5000).default(50) }),
  /**
   * The open graph (a) against a reference (b) in lockstep, on a fresh pair of models: the
   * training session's weights are not touched.
   */
  z.strictObject({
    type: z.literal('compare'),
    graph: z.unknown(),
    reference: z.unknown(),
    steps: z.number().int().min(1).max(500).default(5),
    tolerance: z.number().gt(0).max(10).default(1e-4),
    seed: Seed.optional(),
  }),
  /** μ and log σ² of every held-out example, with their digits, and a few held-out images to pick from. */
  z.strictObject({ type: z.literal('latentCodes'), thumbnails: z.number().int().min(0).max(256).default(24) }),
  /**
   * q(z|x) of one image: a held-out example (its index) or 784 pixels in [0,1] (a drawing),
   * with `samples` draws of z and their decodings.
   */
  z.strictObject({
    type: z.literal('latentEncode'),
    id: z.number().int(),
    heldOut: z.number().int().min(0).nullable(),
    pixels: z.instanceof(Float32Array).nullable(),
    samples: z.number().int().min(0).max(64).default(6),
  }),
  /** Decode count z vectors ([count, d], row-major) through the graph's own decoder path. */
  z.strictObject({
    type: z.literal('latentDecode'),
    id: z.number().int(),
    purpose: z.string().max(40),
    z: z.instanceof(Float32Array),
    count: z.number().int().min(1).max(4096),
  }),
] as const;

// ---------------------------------------------------------------- events (worker → main)

export const INSTRUMENT_EVENTS = [
  z.object({
    type: z.literal('latentStats'),
    step: z.number().int(),
    /** The KL node read. */
    kl: z.string(),
    klPerDim: z.array(z.number()),
    klTotal: z.number(),
    muVariance: z.array(z.number()),
    activeUnits: z.number().int(),
    latentDim: z.number().int(),
    count: z.number().int(),
    /** collapseAlarm(stats) with its defaults: this statistic looks collapsed (the store's alarm waits for watchCollapse). */
    alarm: z.boolean(),
    activeThreshold: z.number(),
    collapseKl: z.number(),
  }),
  z.object({ type: z.literal('iwaeProgress'), done: z.number().int(), total: z.number().int() }),
  z.object({
    type: z.literal('iwaeResult'),
    step: z.number().int(),
    k: z.number().int(),
    /** −log p(x) per held-out example, K importance samples. */
    nll: z.number(),
    /** The −ELBO from the same draws (mean of −log w). */
    elboSameDraws: z.number(),
    /** Trainer.evaluate()'s held-out −ELBO at the same step (what the training panel shows). */
    heldOutLoss: z.number(),
    count: z.number().int(),
    ms: z.number(),
  }),
  z.object({ type: z.literal('compareProgress'), step: z.number().int(), steps: z.number().int() }),
  z.object({ type: z.literal('compareResult'), result: CompareOutcome, steps: z.number().int(), tolerance: z.number(), ms: z.number() }),
  z.object({
    type: z.literal('latentCodes'),
    step: z.number().int(),
    latentDim: z.number().int(),
    count: z.number().int(),
    /** [count, latentDim] row-major. */
    mu: z.instanceof(Float32Array),
    logvar: z.instanceof(Float32Array),
    labels: z.instanceof(Uint8Array),
    /** The class names by label (a table's label column, the digits of MNIST); null: the data has no labels. */
    classes: z.array(z.string()).nullable().optional(),
    /** The first held-out images (as stored, 0…255), to pick one; null when the data are not images. */
    thumbnails: ImageBlock.nullable(),
  }),
  z.object({
    type: z.literal('latentEncoded'),
    id: z.number().int(),
    step: z.number().int(),
    heldOut: z.number().int().nullable(),
    label: z.number().int().nullable(),
    mu: z.instanceof(Float32Array),
    logvar: z.instanceof(Float32Array),
    /** [samples, d] row-major: z ~ q(z|x). */
    z: z.instanceof(Float32Array),
    /** The image as the data node gives it to the encoder. */
    input: ImageBlock.nullable(),
    /** decoder(μ), then decoder(z_s) for each sample. */
    decodedMean: ImageBlock.nullable(),
    decodedSamples: ImageBlock.nullable(),
  }),
  z.object({ type: z.literal('latentDecoded'), id: z.number().int(), purpose: z.string(), step: z.number().int(), images: ImageBlock.nullable(), note: z.string().nullable() }),
  /** An instrument request failed; the panel that asked shows it (training is unaffected). */
  z.object({
    type: z.literal('instrumentError'),
    request: z.enum(INSTRUMENT_REQUEST_TYPES),
    id: z.number().int().nullable(),
    code: z.string(),
    message: z.string(),
    diagnostics: z.array(DiagnosticShape).optional(),
  }),
] as const;

type RequestSchemas = (typeof INSTRUMENT_REQUESTS)[number];
type EventSchemas = (typeof INSTRUMENT_EVENTS)[number];
export type InstrumentRequest = z.input<RequestSchemas>;
export type ParsedInstrumentRequest = z.output<RequestSchemas>;
export type InstrumentEvent = z.infer<EventSchemas>;
export type InstrumentEventOf<T extends InstrumentEvent['type']> = Extract<InstrumentEvent, { type: T }>;

export function isInstrumentRequest(req: { type: string }): req is ParsedInstrumentRequest {
  return (INSTRUMENT_REQUEST_TYPES as readonly string[]).includes(req.type);
}

/** The buffers of an instrument event to transfer with postMessage. */
export function instrumentTransferables(ev: InstrumentEvent): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const add = (a: ArrayBufferView | null | undefined) => {
    if (a && a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !out.includes(a.buffer)) out.push(a.buffer);
  };
  switch (ev.type) {
    case 'latentCodes':
      add(ev.mu);
      add(ev.logvar);
      add(ev.labels);
      add(ev.thumbnails?.pixels);
      break;
    case 'latentEncoded':
      add(ev.mu);
      add(ev.logvar);
      add(ev.z);
      add(ev.input?.pixels);
      add(ev.decodedMean?.pixels);
      add(ev.decodedSamples?.pixels);
      break;
    case 'latentDecoded':
      add(ev.images?.pixels);
      break;
    default:
      break;
  }
  return out;
}
