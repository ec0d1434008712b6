/**
 * The instruments in the training worker (issue 9): handlers for the requests of
 * instruments-protocol.ts, over the session's trainer. They read the trained weights and
 * never change them: compare builds its own pair of models (compareGraphs), the latent
 * statistics and IWAE run the encoder and decoder in eval mode, and the latent views run the
 * encoder on given images and the decoder path on given z — the path iwaeNll re-runs with z
 * swapped, found with the same helpers (findLatent, ancestors, descendants, runNodes).
 *
 * The session queues these requests like any other, so they never interleave with a step.
 * A failure is posted as an `instrumentError` for the panel that asked; training goes on.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedData, Plan, PlanInput } from '../compiler/compile';
import type { DataFeed, DataSource } from '../../nodes/types';
import type { Trainer } from '../runtime/trainer';
import type { MnistRaw } from '../runtime/data/mnist';
import { hashKey, mulberry32 } from '../runtime/random';
import { ACTIVE_UNIT_THRESHOLD, COLLAPSE_KL_NATS, collapseAlarm, compareGraphs, findLatent, iwaeNll, latentStats } from '../runtime/instruments';
import { heldOutChunks } from '../runtime/instruments/heldout';
import { ancestors, descendants, runNodes, type Outputs } from '../runtime/instruments/subgraph';
import {
  instrumentTransferables,
  type InstrumentEvent,
  type InstrumentRequestType,
  type ParsedInstrumentRequest,
} from './instruments-protocol';
import type { ImageBlock } from './image-block';
import { WorkerError } from './errors';
import { compileDocument } from './compile-document';
import { imagesOf } from './grey-images';
import { labelClasses } from './plan-info';

/** What the handlers need from the session. */
export interface InstrumentHost {
  /** The trainer, ready and matching the open graph; throws (with a `code`) when it is not. */
  trainer(): Trainer;
  /** The MNIST digits the session loaded; throws when init has not run. */
  mnist(): MnistRaw;
  /** The session's seed (the graph's training.seed unless overridden). */
  seed(): number;
  /**
   * Compiles the open graph with its file-backed data nodes loaded as the session loads them,
   * and says what loading learned (absent: compile without data, as for MNIST).
   */
  compileWithData?(doc: unknown, what: string): Promise<{ plan: Plan; data: LoadedData }>;
  /** The examples of a loaded data node (null when it has none). */
  dataSource?(node: string): DataSource | null;
  post(ev: InstrumentEvent, transfer?: ArrayBuffer[]): void;
}

/** Held-out examples per chunk for IWAE: smaller chunks, finer progress. */
const IWAE_CHUNK = 125;

export class InstrumentHandlers {
  constructor(private readonly host: InstrumentHost) {}

  async handle(req: ParsedInstrumentRequest): Promise<void> {
    try {
      await this.dispatch(req);
    } catch (err) {
      this.fail(req.type, 'id' in req ? req.id : null, err);
    }
  }

  private fail(request: InstrumentRequestType, id: number | null, err: unknown): void {
    const code = err instanceof WorkerError ? err.code : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    const diagnostics = err instanceof WorkerError ? err.diagnostics : undefined;
    this.post(diagnostics?.length ? { type: 'instrumentError', request, id, code, message, diagnostics } : { type: 'instrumentError', request, id, code, message });
  }

  private post(ev: InstrumentEvent): void {
    this.host.post(ev, instrumentTransferables(ev));
  }

  private async dispatch(req: ParsedInstrumentRequest): Promise<void> {
    switch (req.type) {
      case 'latentStats':
        return this.latentStats();
      case 'iwae':
        return this.iwae(req.k);
      case 'compare':
        return this.compare(req.graph, req.reference, req.steps, req.tolerance, req.seed);
      case 'latentCodes':
        return this.latentCodes(req.thumbnails);
      case 'latentEncode':
        return this.encode(req.id, req.heldOut, req.pixels, req.samples);
      case 'latentDecode':
        return this.decode(req.id, req.purpose, req.z, req.count);
    }
  }

  // ---------------------------------------------------------------- statistics

  private latentStats(): void {
    const t = this.host.trainer();
    const s = latentStats(t);
    if (!s.ok) throw new WorkerError(s.diagnostic.code, s.diagnostic.message, { diagnostics: [s.diagnostic] });
    this.post({
      type: 'latentStats',
      step: t.stepsDone,
      kl: s.kl,
      klPerDim: s.klPerDim.map(finiteOr0),
      klTotal: finiteOr0(s.klTotal),
      muVariance: s.muVariance.map(finiteOr0),
      activeUnits: s.activeUnits,
      latentDim: s.latentDim,
      count: s.count,
      alarm: collapseAlarm(s),
      activeThreshold: ACTIVE_UNIT_THRESHOLD,
      collapseKl: COLLAPSE_KL_NATS,
    });
  }

  private iwae(k: number): void {
    const t = this.host.trainer();
    const t0 = performance.now();
    const ev = t.evaluate();
    this.post({ type: 'iwaeProgress', done: 0, total: t.dataset.heldOutCount });
    const r = iwaeNll(t, { k, key: t.stepsDone, chunk: IWAE_CHUNK, onChunk: (done, total) => this.post({ type: 'iwaeProgress', done, total }) });
    if (!r.ok) throw new WorkerError(r.diagnostic.code, r.diagnostic.message, { diagnostics: [r.diagnostic] });
    if (!Number.isFinite(r.nll) || !Number.isFinite(ev.heldOutLoss)) {
      throw new WorkerError('NON_FINITE', `The estimate is not finite (−log p(x) ≈ ${r.nll}, −ELBO ${ev.heldOutLoss}): the model gives some held-out digit no probability.`);
    }
    this.post({
      type: 'iwaeResult',
      step: t.stepsDone,
      k: r.k,
      nll: r.nll,
      elboSameDraws: finiteOr0(r.elbo),
      heldOutLoss: ev.heldOutLoss,
      count: r.count,
      ms: performance.now() - t0,
    });
  }

  // ---------------------------------------------------------------- compare

  private async compare(graphDoc: unknown, refDoc: unknown, steps: number, tolerance: number, seed: number | undefined): Promise<void> {
    // The open graph with its data as the session loaded it; the reference compiles with the
    // same data (its data node of the same id reads the same examples, so both share batches).
    const open = this.host.compileWithData ? await this.host.compileWithData(graphDoc, 'The open graph') : { plan: compileDocument(graphDoc, 'The open graph').plan, data: {} };
    const a = open.plan;
    const b = compileDocument(refDoc, 'The reference graph', open.data).plan;
    const source = (p: Plan) => (p.nodes.get(p.data)?.def.data?.file ? (this.host.dataSource?.(p.data) ?? undefined) : undefined);
    const data = { a: source(a), b: source(b) };
    const t0 = performance.now();
    this.post({ type: 'compareProgress', step: 0, steps });
    const result = await compareGraphs(a, b, {
      mnist: data.a && data.b ? undefined : this.host.mnist(),
      data,
      steps,
      tolerance,
      seed: seed ?? this.host.seed(),
      onStep: (step) => this.post({ type: 'compareProgress', step, steps }),
      yieldEvery: 1,
    });
    this.post({ type: 'compareResult', result, steps, tolerance, ms: performance.now() - t0 });
  }

  // ---------------------------------------------------------------- latent views

  private latentCodes(thumbCount: number): void {
    const t = this.host.trainer();
    const plan = t.plan;
    const found = findLatent(plan, false);
    if (!found.ok) throw new WorkerError(found.diagnostic.code, found.diagnostic.message, { diagnostics: [found.diagnostic] });
    const { site } = found;
    const ids = ancestors(plan, [site.mu.node, site.logvar.node]);
    const n = t.dataset.heldOutCount;
    let d = 0;
    let mu = new Float32Array(0);
    let logvar = new Float32Array(0);
    for (const chunk of heldOutChunks(t, 500)) {
      const [m, l] = encodeFeed(t, ids, site.mu, site.logvar, chunk.feed, `codes${chunk.index}`);
      if (!d) {
        d = m.shape[1]!;
        mu = new Float32Array(n * d);
        logvar = new Float32Array(n * d);
      }
      mu.set(m.dataSync(), chunk.start * d);
      logvar.set(l.dataSync(), chunk.start * d);
      tf.dispose([m, l]);
    }
    const ds = t.dataset;
    const labels = Uint8Array.from(ds.labels(ds.heldOutIndices));
    const k = Math.min(thumbCount, n);
    let thumbnails: ImageBlock | null = null;
    if (k > 0) {
      const f = ds.fillImages(ds.heldOutIndices.subarray(0, k), { binarize: 'none', scale: 1 });
      thumbnails = imagesOf(f, k, ds.pixels, plan.dataInfo.structure);
    }
    this.post({ type: 'latentCodes', step: t.stepsDone, latentDim: d, count: n, mu, logvar, labels, classes: labelClasses(plan), thumbnails });
  }

  private encode(id: number, heldOut: number | null, pixels: Float32Array | null, samples: number): void {
    const t = this.host.trainer();
    const plan = t.plan;
    const found = findLatent(plan, false);
    if (!found.ok) throw new WorkerError(found.diagnostic.code, found.diagnostic.message, { diagnostics: [found.diagnostic] });
    const { site } = found;
    const ds = t.dataset;
    let feed: DataFeed;
    let label: number | null = null;
    if (heldOut !== null) {
      if (heldOut >= ds.heldOutCount) throw new WorkerError('BAD_REQUEST', `There are ${ds.heldOutCount} held-out digits; #${heldOut} is not one of them.`);
      feed = t.heldOutFeed(heldOut, heldOut + 1);
      label = ds.labels(ds.heldOutIndices.subarray(heldOut, heldOut + 1))[0]!;
    } else if (pixels && pixels.length === ds.pixels) {
      feed = imageFeed(pixels, this.host.seed(), id);
    } else {
      throw new WorkerError('BAD_REQUEST', `A drawing has ${ds.pixels} pixels, not ${pixels?.length ?? 0}.`);
    }
    const ids = ancestors(plan, [site.mu.node, site.logvar.node, plan.data]);
    const seen: { input: ImageBlock | null } = { input: null };
    const [m, l] = tf.tidy(() => {
      const out: Outputs = new Map();
      runNodes(t.model, ids, { mode: 'eval', step: t.stepsDone, streamKey: `encode${id}`, data: feed, fast: t.fast }, out);
      const x = out.get(plan.data)?.x;
      if (x && x.shape[x.shape.length - 1] === ds.pixels) seen.input = imagesOf(x.dataSync(), 1, ds.pixels, plan.dataInfo.structure);
      return [flat(out.get(site.mu.node)![site.mu.port]!), flat(out.get(site.logvar.node)![site.logvar.port]!)];
    });
    const mu = Float32Array.from(m.dataSync());
    const logvar = Float32Array.from(l.dataSync());
    tf.dispose([m, l]);
    const d = mu.length;
    // z_s = μ + σ·ε_s, with ε keyed by the request so a redraw of the same x shows the same z.
    const rand = mulberry32(hashKey(this.host.seed(), 'latent-probe', id));
    const z = new Float32Array(samples * d);
    for (let s = 0; s < samples; s++) {
      for (let j = 0; j < d; j++) z[s * d + j] = mu[j]! + Math.exp(0.5 * logvar[j]!) * gaussian(rand);
    }
    const all = new Float32Array((samples + 1) * d);
    all.set(mu, 0);
    all.set(z, d);
    const dec = decodeLatent(t, all, samples + 1);
    let decodedMean: ImageBlock | null = null;
    let decodedSamples: ImageBlock | null = null;
    if (dec.images) {
      const px = dec.images.width * dec.images.height * (dec.images.channels ?? 1);
      decodedMean = { ...dec.images, count: 1, pixels: dec.images.pixels.slice(0, px) };
      decodedSamples = samples > 0 ? { ...dec.images, count: samples, pixels: dec.images.pixels.slice(px) } : null;
    }
    this.post({ type: 'latentEncoded', id, step: t.stepsDone, heldOut, label, mu, logvar, z, input: seen.input, decodedMean, decodedSamples });
  }

  private decode(id: number, purpose: string, z: Float32Array, count: number): void {
    const t = this.host.trainer();
    const r = decodeLatent(t, z, count);
    this.post({ type: 'latentDecoded', id, purpose, step: t.stepsDone, images: r.images, note: r.note });
  }
}

function finiteOr0(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

/** [.., d] → [n, d]. */
function flat(t: tf.Tensor): tf.Tensor2D {
  return t.reshape([-1, t.shape[t.shape.length - 1]!]) as tf.Tensor2D;
}

/** μ and log σ² of a feed's examples, [n, d] each (the caller disposes them). */
function encodeFeed(t: Trainer, ids: string[], mu: PlanInput, logvar: PlanInput, feed: DataFeed, streamKey: string): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => {
    const out: Outputs = new Map();
    runNodes(t.model, ids, { mode: 'eval', step: t.stepsDone, streamKey, data: feed, fast: t.fast }, out);
    return [flat(out.get(mu.node)![mu.port]!), flat(out.get(logvar.node)![logvar.port]!)];
  });
}

/**
 * Pixels in [0,1] (a drawing) as a data node would give them: its transform applied
 * (binarize "sample": one Bernoulli draw keyed by the request). Labels are unknown (0).
 */
function imageFeed(pixels: Float32Array, seed: number, id: number): DataFeed {
  const n = pixels.length;
  return {
    size: 1,
    x: (nodeId, transform) => {
      const out = pixels.map((p) => Math.min(1, Math.max(0, p)));
      transform?.apply(out, transform.random ? mulberry32(hashKey(seed, 'drawing', id, nodeId)) : undefined);
      return tf.tensor2d(out, [1, n]);
    },
    labels: () => tf.zeros([1], 'int32'),
  };
}

/** A feed of `size` blank images, for the rare decoder path that reads more than z. */
function blankFeed(size: number, pixels: number): DataFeed {
  return { size, x: () => tf.zeros([size, pixels]), labels: () => tf.zeros([size], 'int32') };
}

/**
 * decoder(z) for `count` given z ([count, d] row-major): the nodes between the graph's z
 * (findLatent's site, as iwaeNll uses it) and the first reconstruction loss's xHat, re-run
 * with z swapped in. Returns the decoded values ([count, features]) and, when they are
 * images (the data's H × W × C, or a square), the images; else a note.
 */
export function decodeLatent(
  t: Trainer,
  zValues: Float32Array,
  count: number,
): { images: ImageBlock | null; values: Float32Array | null; features: number; note: string | null } {
  const plan = t.plan;
  const found = findLatent(plan, true);
  if (!found.ok) throw new WorkerError(found.diagnostic.code, found.diagnostic.message, { diagnostics: [found.diagnostic] });
  const { site } = found;
  const z = site.z!;
  const d = site.muShape[site.muShape.length - 1];
  if (typeof d !== 'number' || zValues.length !== count * d) {
    throw new WorkerError('BAD_REQUEST', `Decoding needs ${count} × ${String(d)} values of z, got ${zValues.length}.`);
  }
  const xHatSrc = plan.nodes.get(site.recon[0]!)!.inputs.xHat![0]!;
  const upToX = new Set(ancestors(plan, [xHatSrc.node]));
  const path = descendants(plan, z).filter((id) => upToX.has(id));
  const pathSet = new Set(path);
  // Whatever the path reads besides z and its own outputs (rare: e.g. a skip from μ).
  const outside = new Set<string>();
  for (const id of path) {
    for (const list of Object.values(plan.nodes.get(id)!.inputs)) {
      for (const s of list) if (!pathSet.has(s.node) && !(s.node === z.node && s.port === z.port)) outside.add(s.node);
    }
  }
  const pixels = t.dataset.pixels;
  const y = tf.tidy(() => {
    const out: Outputs = new Map();
    if (outside.size) {
      runNodes(t.model, ancestors(plan, outside), { mode: 'eval', step: t.stepsDone, streamKey: 'decode-base', data: blankFeed(count, pixels), fast: t.fast }, out);
    }
    out.set(z.node, { ...(out.get(z.node) ?? {}), [z.port]: tf.tensor2d(zValues, [count, d]) });
    runNodes(t.model, path, { mode: 'eval', step: t.stepsDone, streamKey: 'decode', data: blankFeed(count, pixels), fast: t.fast }, out);
    const x = out.get(xHatSrc.node)![xHatSrc.port]!;
    return x.rank > 2 ? x.reshape([-1, x.shape[x.shape.length - 1]!]).slice([0, 0], [count, -1]) : x;
  });
  const f = y.shape[y.shape.length - 1]!;
  const rows = y.shape[0];
  const v = y.dataSync() as Float32Array;
  y.dispose();
  if (rows !== count) return { images: null, values: null, features: f, note: `${xHatSrc.node}.${xHatSrc.port} gives ${String(rows)} rows for ${count} z.` };
  const images = imagesOf(v, count, f, plan.dataInfo.structure);
  return { images, values: v, features: f, note: images ? null : `${xHatSrc.node}.${xHatSrc.port} is not an image (shape [${y.shape.join(',')}]).` };
}

/** One standard normal draw (Box–Muller) from a uniform source. */
function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
