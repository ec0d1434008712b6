/**
 * The training session: everything the training worker does, as a plain class that takes
 * parsed-or-not requests and posts events through a callback. training.worker.ts wires it
 * to `self`; tests/integration/worker-trainer.test.ts drives the same class in Node.
 *
 * Every request and every Run tick goes through one queue, so a step, a probe, a backend
 * switch and a graph update never interleave; Pause takes effect between two steps.
 */
import * as tf from '@tensorflow/tfjs';
import { parseGraph, type Graph } from '../graph/schema';
import type { Diagnostic } from '../graph/diagnostics';
import { parseEndpoint } from '../graph/ports';
import { compile, type Plan } from '../compiler/compile';
import { registry } from '../../nodes';
import type { DataFeed } from '../../nodes/types';
import { createTrainer, disposeCaptured, type Captured, type Trainer } from '../runtime/trainer';
import { useBackend } from '../runtime/backends';
import { chooseBackend, probeWebgl, rendererInfo } from './backend-choice';
import type { MnistRaw } from '../runtime/data/mnist';
import { hashKey, mulberry32 } from '../runtime/random';
import { InstrumentHandlers, decodeLatent, greyImages } from './instruments';
import { findLatent } from '../runtime/instruments/subgraph';
import {
  parseRequest,
  type Backend,
  type BackendRequest,
  type Edge,
  type ImageBlock,
  type NodeInfo,
  type ParsedRequest,
  type PortStat,
  type ProbeSummary,
  type RendererInfo,
  type TrainOptions,
  type WorkerEvent,
  type WorkerErrorCode,
} from './protocol';

export interface SessionEnv {
  /** Sends one event (with the buffers to transfer). */
  post(ev: WorkerEvent, transfer?: ArrayBuffer[]): void;
  /** Loads the MNIST asset (fetch in the worker, the file in Node). */
  loadMnist(): Promise<MnistRaw>;
  /** Browser: where Vite serves the tfjs wasm binaries. */
  wasmPaths?: Record<string, string>;
  /** Lets queued messages in between two Run steps (default: a macrotask). */
  yieldNow?: () => Promise<void>;
}

const DEFAULT_OPTIONS: Required<TrainOptions> = {
  lossJumpFactor: null,
  breakOnKlNegative: true,
  evalEvery: 50,
  imagesEvery: 25,
  statsEveryMs: 500,
};

/** Images in the grids. */
export const GRID_COUNT = 16;
const HIST_BINS = 24;
const IMAGES_AT_LEAST_MS = 3000;
const THUMBS = 8;

export class SessionError extends Error {
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    readonly fatal = false,
    readonly diagnostics?: Diagnostic[],
  ) {
    super(message);
  }
}

function defaultYield(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  if (typeof MessageChannel === 'function') {
    return new Promise((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export class TrainingSession {
  private queue: Promise<void> = Promise.resolve();
  private trainer: Trainer | null = null;
  private graph: Graph | null = null;
  /** A structural edit that waits for Reset; training is refused meanwhile. */
  private pending: Graph | null = null;
  private stale = false;
  private backend: Backend = 'webgl';
  private renderer: RendererInfo | null = null;
  /** Why the worker picked the backend (init 'auto'); undefined once the person chose one. */
  private reason: string | undefined;
  private seed = 1;
  private options: Required<TrainOptions> = { ...DEFAULT_OPTIONS };
  private running = false;
  private mnist: MnistRaw | null = null;
  private captured: Captured | undefined;
  private capturedStep = 0;
  private probeEdge: Edge | null = null;
  private lastStatsAt = -Infinity;
  private lastImagesAt = -Infinity;
  private fixedZ: { dim: number; seed: number; data: Float32Array } | null = null;
  private skipJumpOnce = false;
  /** init / reset / setBackend requests waiting in the queue. */
  private queuedRebuilds = 0;
  private fatal = false;
  private advised = false;
  private backendMs: number[] = [];
  private watchedCanvas: unknown = null;
  private readonly yieldNow: () => Promise<void>;
  /** The instruments' requests (src/worker/instruments.ts), over this session's trainer. */
  private readonly instruments: InstrumentHandlers;

  constructor(private readonly env: SessionEnv) {
    this.yieldNow = env.yieldNow ?? defaultYield;
    this.instruments = new InstrumentHandlers({
      trainer: () => this.requireTrainable(),
      mnist: () => {
        if (!this.mnist) throw new SessionError('NOT_READY', 'The trainer is not initialised yet.');
        return this.mnist;
      },
      seed: () => this.seed,
      post: (ev, transfer) => this.post(ev, transfer),
    });
  }

  /** Steps done by the current trainer (tests). */
  get stepsDone(): number {
    return this.trainer?.stepsDone ?? 0;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The message handler: parse, then queue. Resolves when this request has been handled. */
  handle(data: unknown): Promise<void> {
    const parsed = parseRequest(data);
    if (!parsed.ok) {
      this.emitError('BAD_REQUEST', parsed.message);
      return Promise.resolve();
    }
    const req = parsed.value;
    const rebuilds = req.type === 'init' || req.type === 'reset' || req.type === 'setBackend';
    if (rebuilds) this.queuedRebuilds++;
    // Pause acts at once: the step in flight finishes, the next one does not start.
    if (req.type === 'pause') {
      const was = this.running;
      this.running = false;
      return this.enqueue(async () => {
        if (was) this.afterStop('pause');
      });
    }
    return this.enqueue(() => {
      if (rebuilds) this.queuedRebuilds--;
      return this.dispatch(req);
    });
  }

  /** The worker lost its WebGL context (or crashed): nothing more can be trained here. */
  markFatal(code: WorkerErrorCode, message: string): void {
    if (this.fatal) return;
    this.fatal = true;
    this.running = false;
    this.emitError(code, message, true);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task).catch((err: unknown) => this.report(err));
    this.queue = run;
    return run;
  }

  private report(err: unknown): void {
    if (err instanceof SessionError) {
      this.emitError(err.code, err.message, err.fatal, err.diagnostics);
    } else {
      const message = err instanceof Error ? err.message : String(err);
      this.emitError('INTERNAL', `The trainer failed: ${message}`);
    }
    if (this.running) {
      this.running = false;
      this.post({ type: 'state', running: false, step: this.stepsDone, reason: 'error' });
    }
  }

  private emitError(code: WorkerErrorCode, message: string, fatal = false, diagnostics?: Diagnostic[]): void {
    this.post(diagnostics ? { type: 'error', code, message, fatal, diagnostics } : { type: 'error', code, message, fatal });
  }

  private post(ev: WorkerEvent, transfer?: ArrayBuffer[]): void {
    this.env.post(ev, transfer);
  }

  private async dispatch(req: ParsedRequest): Promise<void> {
    if (this.fatal && req.type !== 'dispose' && req.type !== 'memory') {
      throw new SessionError('CONTEXT_LOST', 'The trainer can no longer run in this worker: restart it.', true);
    }
    switch (req.type) {
      case 'init':
        this.running = false;
        if (req.options) this.setOptions(req.options);
        this.seed = req.seed;
        await this.init(req.graph, req.backend);
        return;
      case 'step':
        return this.stepN(req.n);
      case 'run':
        return this.startRun();
      case 'pause':
        return;
      case 'reset':
        this.running = false;
        if (req.seed !== undefined) this.seed = req.seed;
        await this.rebuild(this.pending ?? this.graph);
        return;
      case 'setBackend': {
        this.running = false;
        const previous = this.backend;
        try {
          this.reason = undefined;
          await this.switchBackend(req.backend);
        } catch (err) {
          // Say so, then go back to the backend that worked, so training can go on there.
          this.report(err);
          await this.switchBackend(previous);
          if (this.graph || this.pending) await this.rebuild(this.pending ?? this.graph);
          return;
        }
        if (this.graph || this.pending) await this.rebuild(this.pending ?? this.graph);
        return;
      }
      case 'updateGraph':
        return this.updateGraph(req.graph);
      case 'probe':
        this.probeEdge = req.watch ? req.edge : null;
        if (req.edge) this.postProbe(req.edge);
        return;
      case 'evaluate': {
        const t = this.requireTrainable();
        this.post({ type: 'evaluated', metrics: t.evaluate(), epochEnd: false });
        return;
      }
      case 'images':
        this.postImages();
        return;
      case 'setOptions':
        this.setOptions(req.options);
        return;
      case 'memory': {
        const m = tf.memory();
        this.post({ type: 'memory', numTensors: m.numTensors, numBytes: m.numBytes });
        return;
      }
      case 'dispose':
        this.running = false;
        this.disposeTrainer();
        this.post({ type: 'disposed' });
        return;
      default:
        return this.instruments.handle(req);
    }
  }

  private setOptions(o: TrainOptions): void {
    const next = { ...this.options };
    for (const [k, v] of Object.entries(o)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    this.options = next;
    if (this.trainer) {
      this.trainer.lossJumpFactor = next.lossJumpFactor;
      this.trainer.breakOnKlNegative = next.breakOnKlNegative;
    }
  }

  // ------------------------------------------------------------------ building

  private compileGraph(doc: unknown): { graph: Graph; plan: Plan } {
    const parsed = parseGraph(doc, registry);
    if (!parsed.ok) throw new SessionError('COMPILE', `The graph is not valid: ${parsed.diagnostics[0]?.message ?? 'unknown problem'}`, false, parsed.diagnostics);
    const compiled = compile(parsed.graph, registry);
    if (!compiled.ok) {
      const first = compiled.diagnostics[0];
      throw new SessionError('COMPILE', `The graph does not compile: ${first ? `${first.code}${first.node ? ` at ${first.node}${first.port ? `.${first.port}` : ''}` : ''}: ${first.message}` : 'unknown problem'}`, false, compiled.diagnostics);
    }
    return { graph: parsed.graph, plan: compiled.plan };
  }

  private async init(doc: unknown, requested: BackendRequest): Promise<void> {
    const { graph } = this.compileGraph(doc);
    if (!this.mnist) {
      try {
        this.mnist = await this.env.loadMnist();
      } catch (err) {
        throw new SessionError('DATA_LOAD_FAILED', `Could not load the MNIST digits: ${(err as Error).message}`, true);
      }
    }
    const choice = requested === 'auto' ? chooseBackend(probeWebgl()) : null;
    this.reason = choice?.reason;
    await this.switchBackend(choice?.backend ?? (requested as Backend));
    await this.rebuild(graph);
  }

  private async switchBackend(name: Backend): Promise<void> {
    if (this.trainer) this.disposeTrainer();
    try {
      await useBackend(name, this.env.wasmPaths ? { wasmPaths: this.env.wasmPaths } : {});
      this.backend = name;
    } catch (err) {
      if (name === 'webgl') {
        // No WebGL here: fall back to wasm and say so.
        await useBackend('wasm', this.env.wasmPaths ? { wasmPaths: this.env.wasmPaths } : {});
        this.backend = 'wasm';
        this.emitError('BACKEND_FAILED', `WebGL is not available here (${(err as Error).message}); training on wasm instead.`);
      } else {
        throw new SessionError('BACKEND_FAILED', `The ${name} backend could not start: ${(err as Error).message}`);
      }
    }
    this.renderer = this.backend === 'webgl' ? this.readRenderer() : null;
    this.backendMs = [];
    this.advised = false;
  }

  private readRenderer(): RendererInfo | null {
    const be = tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } };
    const gl = be.gpgpu?.gl;
    if (!gl) return null;
    const canvas = gl.canvas as unknown as EventTarget | undefined;
    if (canvas && canvas !== this.watchedCanvas && typeof canvas.addEventListener === 'function') {
      this.watchedCanvas = canvas;
      canvas.addEventListener('webglcontextlost', () => {
        this.markFatal('CONTEXT_LOST', 'The GPU was reset or reclaimed, and the trainer cannot go on in this worker: restart it');
      });
    }
    return rendererInfo(gl);
  }

  private async rebuild(graph: Graph | null): Promise<void> {
    if (!graph) throw new SessionError('NOT_READY', 'No graph to train yet.');
    if (!this.mnist) throw new SessionError('NOT_READY', 'The trainer is not initialised.');
    const { plan } = this.compileGraph(graph);
    this.disposeTrainer();
    this.trainer = createTrainer(plan, {
      mnist: this.mnist,
      seed: this.seed,
      lossJumpFactor: this.options.lossJumpFactor,
      breakOnKlNegative: this.options.breakOnKlNegative,
    });
    this.graph = graph;
    this.pending = null;
    this.stale = false;
    this.skipJumpOnce = false;
    this.lastStatsAt = -Infinity;
    // Skip the warm-up when another rebuild is already queued (e.g. a backend picked during start-up).
    if (this.backend === 'webgl' && this.queuedRebuilds === 0) this.warmUp(plan);
    // The grids at step 0 (what the untrained model does), before 'ready': on WebGL their
    // first forward compiles shaders too, and Run must not wait behind that.
    if (this.queuedRebuilds === 0) this.postImages();
    const dec = this.findDecoder(plan);
    this.post({
      type: 'ready',
      backend: this.backend,
      renderer: this.renderer,
      ...(this.reason ? { reason: this.reason } : {}),
      seed: this.seed,
      step: 0,
      stepsPerEpoch: this.trainer.stepsPerEpoch,
      parameters: plan.parameters,
      nodes: this.nodeInfo(plan),
      decoder: dec?.node ?? null,
      latentDim: dec?.dim ?? null,
      numTensors: tf.memory().numTensors,
      queued: this.queuedRebuilds,
    });
  }

  /**
   * WebGL compiles a shader program the first time each op runs, which makes the first step
   * take seconds on a software renderer. Run one throwaway step of the same plan now (the
   * programs are cached by op and shape), so that Run answers with a step at once.
   */
  private warmUp(plan: Plan): void {
    let temp: Trainer | null = null;
    try {
      temp = createTrainer(plan, { mnist: this.mnist!, seed: this.seed, breakOnKlNegative: false });
      const r = temp.step({ capture: true });
      if (r.ok && r.captured) {
        this.portStats(r.captured);
        disposeCaptured(r.captured);
      }
    } catch {
      // a warm-up failure shows up again (and is reported) on the real step
    } finally {
      temp?.dispose();
    }
  }

  private nodeInfo(plan: Plan): NodeInfo[] {
    return plan.graph.nodes.map((n) => {
      const p = plan.nodes.get(n.id);
      return { id: n.id, type: n.type, role: registry.get(n.type)?.role ?? 'op', active: !!p?.active };
    });
  }

  private disposeTrainer(): void {
    disposeCaptured(this.captured);
    this.captured = undefined;
    this.capturedStep = 0;
    this.trainer?.dispose();
    this.trainer = null;
  }

  private async updateGraph(doc: unknown): Promise<void> {
    let compiled: { graph: Graph; plan: Plan };
    try {
      compiled = this.compileGraph(doc);
    } catch (err) {
      if (this.running) {
        this.running = false;
        this.post({ type: 'state', running: false, step: this.stepsDone, reason: 'stale' });
      }
      this.stale = true;
      throw err;
    }
    const { graph, plan } = compiled;
    if (!this.trainer || !this.mnist) {
      // Nothing trained yet (or init failed): just remember it.
      this.graph = graph;
      if (this.mnist) await this.rebuild(graph);
      return;
    }
    if (this.trainer.updatePlan(plan)) {
      this.graph = graph;
      this.pending = null;
      this.stale = false;
      this.post({ type: 'graphUpdated', hot: true, needsReset: false, message: 'Applied from the next step; the weights are kept.' });
      return;
    }
    if (this.trainer.stepsDone === 0) {
      await this.rebuild(graph);
      this.post({ type: 'graphUpdated', hot: false, needsReset: false, message: 'Rebuilt (nothing had been trained yet).' });
      return;
    }
    // A structural edit: the weights no longer fit. Keep nothing stale, wait for Reset.
    const was = this.running;
    this.running = false;
    this.pending = graph;
    this.stale = true;
    disposeCaptured(this.captured);
    this.captured = undefined;
    this.post({
      type: 'graphUpdated',
      hot: false,
      needsReset: true,
      message: 'The graph’s structure changed (its variables differ), so the trained weights no longer fit. Reset to train the new graph.',
    });
    if (was) this.post({ type: 'state', running: false, step: this.stepsDone, reason: 'stale' });
  }

  private requireTrainer(): Trainer {
    if (!this.trainer) throw new SessionError('NOT_READY', 'The trainer is not initialised yet.');
    return this.trainer;
  }

  private requireTrainable(): Trainer {
    const t = this.requireTrainer();
    if (this.stale) {
      throw new SessionError(
        'STALE_GRAPH',
        this.pending ? 'The graph’s structure changed since these weights were made: Reset to train it.' : 'The graph does not compile; fix it to train.',
      );
    }
    return t;
  }

  // ------------------------------------------------------------------ training

  private async stepN(n: number): Promise<void> {
    this.requireTrainable();
    this.running = false;
    for (let i = 0; i < n; i++) {
      const ok = await this.doStep(true);
      if (!ok) return;
      if (n > 1 && i < n - 1) await this.yieldNow();
    }
    this.post({ type: 'state', running: false, step: this.stepsDone, reason: 'done' });
  }

  private async startRun(): Promise<void> {
    this.requireTrainable();
    if (this.running) return;
    this.running = true;
    this.post({ type: 'state', running: true, step: this.stepsDone, reason: 'run' });
    void this.enqueue(() => this.tick());
  }

  private async tick(): Promise<void> {
    if (!this.running || !this.trainer || this.stale) return;
    const ok = await this.doStep(false);
    if (!ok || !this.running) return;
    await this.yieldNow();
    if (this.running) void this.enqueue(() => this.tick());
  }

  /** What the UI should see when a run stops: a fresh image grid and the numbers on the wires. */
  private afterStop(reason: 'pause'): void {
    if (this.trainer && !this.stale) {
      this.postStats(true);
      this.postImages();
    }
    this.post({ type: 'state', running: false, step: this.stepsDone, reason });
  }

  /** One batch. Returns false when training stopped (breakpoint). */
  private async doStep(single: boolean): Promise<boolean> {
    const trainer = this.requireTrainable();
    let restore: number | null | undefined;
    if (this.skipJumpOnce) {
      restore = trainer.lossJumpFactor;
      trainer.lossJumpFactor = null;
      this.skipJumpOnce = false;
    }
    const r = trainer.step({ capture: true });
    if (restore !== undefined) trainer.lossJumpFactor = restore;
    if (!r.ok) {
      this.onBreakpoint(r.diagnostic, r.loss);
      return false;
    }
    disposeCaptured(this.captured);
    this.captured = r.captured;
    this.capturedStep = r.metrics.step;
    const m = r.metrics;
    const now = performance.now();
    this.post({ type: 'stepped', metrics: m, numTensors: tf.memory().numTensors });
    const statsDue = single || now - this.lastStatsAt >= this.options.statsEveryMs;
    if (statsDue) {
      this.postStats(false);
      this.lastStatsAt = now;
      if (this.probeEdge) this.postProbe(this.probeEdge);
    }
    const epochEnd = m.step % trainer.stepsPerEpoch === 0;
    if (epochEnd || m.step % this.options.evalEvery === 0) {
      this.post({ type: 'evaluated', metrics: trainer.evaluate(), epochEnd });
    }
    // Every imagesEvery steps, and at least every few seconds when steps are slow (software WebGL).
    if (single || m.step % this.options.imagesEvery === 0 || now - this.lastImagesAt >= IMAGES_AT_LEAST_MS) this.postImages();
    if (this.backend === 'webgl' && m.step > 1) {
      this.backendMs.push(m.ms);
      if (!this.advised && this.renderer?.software && this.backendMs.length >= 4) await this.adviseBackend();
    }
    return true;
  }

  private onBreakpoint(d: Diagnostic, loss: number): void {
    const wasRunning = this.running;
    this.running = false;
    if (d.code === 'LOSS_JUMP') this.skipJumpOnce = true;
    // Keep the failing step's tensors for the probes (the update was not applied).
    const t = this.requireTrainer();
    const step = (d.step ?? t.stepsDone + 1) as number;
    disposeCaptured(this.captured);
    this.captured = this.recapture(step);
    this.capturedStep = step;
    this.post({ type: 'breakpoint', diagnostic: d, loss: finite(loss) });
    this.postStats(true);
    if (this.probeEdge) this.postProbe(this.probeEdge);
    this.post({ type: 'state', running: false, step: t.stepsDone, reason: 'breakpoint' });
    void wasRunning;
  }

  private recapture(step: number): Captured {
    const t = this.requireTrainer();
    const captured: Captured = new Map();
    tf.tidy(() => {
      const r = t.model.forward({ mode: 'train', step, data: t.trainFeed(step), fast: t.fast, nodes: 'all' });
      for (const [id, outs] of r.outputs) {
        const kept: Record<string, tf.Tensor> = {};
        for (const [port, tensor] of Object.entries(outs)) kept[port] = tf.keep(tensor);
        captured.set(id, kept);
      }
    });
    return captured;
  }

  /** On a software WebGL renderer, time wasm on the same graph once and suggest it when faster. */
  private async adviseBackend(): Promise<void> {
    this.advised = true;
    const trainer = this.requireTrainer();
    const webglMs = median(this.backendMs);
    let wasmMs = Infinity;
    let temp: Trainer | null = null;
    try {
      await useBackend('wasm', this.env.wasmPaths ? { wasmPaths: this.env.wasmPaths } : {});
      temp = createTrainer(trainer.plan, { mnist: this.mnist!, seed: this.seed });
      temp.step();
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = temp.step();
        if (r.ok) times.push(r.metrics.ms);
      }
      if (times.length) wasmMs = median(times);
    } catch {
      // wasm not available: no advice
    } finally {
      temp?.dispose();
      await useBackend('webgl');
    }
    if (wasmMs < webglMs * 0.9) {
      this.post({ type: 'backendAdvice', current: 'webgl', currentMs: webglMs, suggested: 'wasm', suggestedMs: wasmMs, renderer: this.renderer?.renderer ?? '' });
    }
  }

  // ------------------------------------------------------------------ instruments

  private postStats(force: boolean): void {
    if (!this.trainer || !this.captured) return;
    const portStats = this.portStats();
    if (!portStats) return;
    if (force) this.lastStatsAt = performance.now();
    this.post({ type: 'stats', step: this.capturedStep, portStats });
  }

  /** Mean, std and non-finite count of every captured output, in one read. */
  private portStats(c: Captured | undefined = this.captured): Record<string, PortStat> | undefined {
    if (!c) return undefined;
    const keys: string[] = [];
    const shapes: number[][] = [];
    let data: tf.Tensor | null = null;
    tf.tidy(() => {
      const rows: tf.Tensor[] = [];
      for (const [id, outs] of c) {
        for (const [port, tensor] of Object.entries(outs)) {
          if (tensor.size === 0) continue;
          const x = tensor.dtype === 'float32' ? tensor : tf.cast(tensor, 'float32');
          const ok = tf.isFinite(x);
          const n = tf.sum(tf.cast(ok, 'float32'));
          const safe = tf.where(ok, x, tf.zerosLike(x));
          const mean = tf.div(tf.sum(safe), tf.maximum(n, 1));
          const dev = tf.where(ok, tf.sub(x, mean), tf.zerosLike(x));
          const variance = tf.div(tf.sum(tf.square(dev)), tf.maximum(n, 1));
          rows.push(tf.stack([mean, tf.sqrt(variance), tf.sub(tensor.size, n)]));
          keys.push(`${id}.${port}`);
          shapes.push(tensor.shape.slice());
        }
      }
      if (rows.length) data = tf.keep(tf.stack(rows));
    });
    if (!data) return {};
    const v = (data as tf.Tensor).dataSync();
    (data as tf.Tensor).dispose();
    const out: Record<string, PortStat> = {};
    keys.forEach((k, i) => {
      const nonFinite = Math.round(v[i * 3 + 2]!);
      const size = shapes[i]!.reduce((a, b) => a * b, 1);
      const allBad = nonFinite >= size;
      out[k] = { shape: shapes[i]!, mean: allBad ? null : finite(v[i * 3]!), std: allBad ? null : finite(v[i * 3 + 1]!), nonFinite };
    });
    return out;
  }

  private postProbe(edge: Edge): void {
    const src = parseEndpoint(edge.from);
    const step = this.capturedStep;
    const tensor = src ? this.captured?.get(src.node)?.[src.port] : undefined;
    if (!tensor) {
      const why = !this.trainer
        ? 'The trainer is not ready.'
        : !this.captured
          ? 'Nothing to show yet: press Step to run one batch.'
          : `${edge.from} did not run in the last step (it is not wired to anything that trains).`;
      this.post({ type: 'probe', edge, step, summary: null, message: why });
      return;
    }
    const summary = summarize(tensor);
    this.post({ type: 'probe', edge, step, summary, message: null }, summary.thumbnail ? [summary.thumbnail.pixels.buffer as ArrayBuffer] : []);
  }

  /** Reconstructions of a fixed held-out batch, and decodes of fixed prior z. */
  private postImages(): void {
    const t = this.trainer;
    if (!t || this.stale) return;
    this.lastImagesAt = performance.now();
    const plan = t.plan;
    const ds = t.dataset;
    const count = Math.min(GRID_COUNT, ds.heldOutCount);
    const indices = ds.heldOutIndices.subarray(0, count);
    let inputs: ImageBlock | null = null;
    let recons: ImageBlock | null = null;
    let samples: ImageBlock | null = null;
    const notes: string[] = [];
    const reconNode = plan.activeOrder.find((id) => plan.nodes.get(id)!.def.role === 'reconstruction');
    const feed: DataFeed = {
      size: count,
      images: (o, nodeId) => {
        const rand = o.binarize === 'sample' ? mulberry32(hashKey(this.seed, 'grid', nodeId)) : undefined;
        return tf.tensor2d(ds.fillImages(indices, { binarize: o.binarize, scale: o.scale, rand }), [count, ds.pixels]);
      },
      labels: () => tf.tensor1d(ds.labels(indices), 'int32'),
    };
    if (reconNode) {
      const rn = plan.nodes.get(reconNode)!;
      const xHatSrc = rn.inputs.xHat?.[0];
      const xSrc = rn.inputs.x?.[0];
      const pair: Array<tf.Tensor | null> = [null, null];
      tf.tidy(() => {
        const r = t.model.forward({ mode: 'eval', step: 0, streamKey: 'grid', data: feed, fast: t.fast, nodes: 'all' });
        const xh = xHatSrc ? r.outputs.get(xHatSrc.node)?.[xHatSrc.port] : undefined;
        const x = xSrc ? r.outputs.get(xSrc.node)?.[xSrc.port] : undefined;
        if (x) pair[0] = tf.keep(x);
        if (xh) pair[1] = tf.keep(firstSample(xh, count));
      });
      inputs = pair[0] ? toImages(pair[0], notes, 'inputs') : null;
      recons = pair[1] ? toImages(pair[1], notes, 'reconstructions') : null;
      tf.dispose(pair.filter((x): x is tf.Tensor => !!x));
    } else {
      notes.push('No reconstruction loss trains, so there is nothing to reconstruct.');
    }
    // Samples from the prior: fixed z ~ N(0, I) through the graph's own decoder path (a
    // vae.decoder or one wired from dense layers), as the latent views decode them.
    const dec = this.findDecoder(plan);
    if (dec) {
      if (!this.fixedZ || this.fixedZ.dim !== dec.dim || this.fixedZ.seed !== this.seed) {
        this.fixedZ = { dim: dec.dim, seed: this.seed, data: gaussian(GRID_COUNT * dec.dim, hashKey(this.seed, 'prior-grid')) };
      }
      const decoded = decodeLatent(t, this.fixedZ.data, GRID_COUNT);
      samples = decoded.images;
      if (decoded.note) notes.push(decoded.note);
    } else {
      notes.push('No z feeds a reconstruction loss, so there is nothing to decode from the prior.');
    }
    const ev: WorkerEvent = { type: 'images', step: t.stepsDone, inputs, recons, samples, note: notes.length ? notes.join(' ') : null };
    this.post(ev, [inputs?.pixels.buffer, recons?.pixels.buffer, samples?.pixels.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
  }

  /** The decoder path for prior samples: z (found through the KL node, as the instruments find it) → the reconstruction's xHat. */
  private findDecoder(plan: Plan): { node: string; dim: number } | null {
    const latent = findLatent(plan, true);
    if (!latent.ok || !latent.site.z || !latent.site.recon.length) return null;
    const d = latent.site.muShape[latent.site.muShape.length - 1];
    if (typeof d !== 'number' || d <= 0) return null;
    const xHat = plan.nodes.get(latent.site.recon[0]!)!.inputs.xHat?.[0];
    return { node: xHat?.node ?? latent.site.z.node, dim: d };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

/** Standard normal draws (Box–Muller over mulberry32), fixed by the key. */
export function gaussian(n: number, key: number): Float32Array {
  const rand = mulberry32(key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** [K,B,F] → [B,F] (the first sample); [B,F] unchanged. */
function firstSample(t: tf.Tensor, count: number): tf.Tensor {
  if (t.rank === 3) return tf.squeeze(tf.slice(t, [0, 0, 0], [1, Math.min(count, t.shape[1]!), t.shape[2]!]), [0]);
  return t;
}

function squareSide(features: number): number | null {
  const s = Math.round(Math.sqrt(features));
  return s * s === features && s >= 4 ? s : null;
}

/** A [N, side²] tensor as grey images (values clamped to [0,1]). */
function toImages(t: tf.Tensor, notes: string[], what: string): ImageBlock | null {
  const f = t.shape[t.shape.length - 1]!;
  const side = squareSide(f);
  if (t.rank !== 2 || !side) {
    notes.push(`The ${what} are not images (shape [${t.shape.join(',')}]).`);
    return null;
  }
  return greyImages(t.dataSync(), t.shape[0]!, f);
}

/** Statistics of a tensor for the probe view. */
export function summarize(t: tf.Tensor): ProbeSummary {
  const v = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  let n = 0;
  let nan = 0;
  let inf = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x)) inf++;
    else {
      n++;
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  const mean = n ? sum / n : null;
  let sq = 0;
  if (mean !== null) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (Number.isFinite(x)) sq += (x - mean) * (x - mean);
    }
  }
  let histogram: ProbeSummary['histogram'] = null;
  if (n > 0) {
    const counts = new Array<number>(HIST_BINS).fill(0);
    const width = max > min ? (max - min) / HIST_BINS : 1;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (!Number.isFinite(x)) continue;
      const b = max > min ? Math.min(HIST_BINS - 1, Math.floor((x - min) / width)) : Math.floor(HIST_BINS / 2);
      counts[b]!++;
    }
    histogram = { min, max, counts };
  }
  let thumbnail: ProbeSummary['thumbnail'] = null;
  const f = t.shape[t.shape.length - 1] ?? 0;
  const side = t.rank >= 2 ? squareSide(f) : null;
  if (side) {
    const rows = Math.min(THUMBS, v.length / f);
    const lo = n ? min : 0;
    const hi = n ? max : 1;
    const unit = lo >= 0 && hi <= 1;
    const px = new Uint8Array(rows * f);
    for (let i = 0; i < px.length; i++) {
      const x = v[i]!;
      const y = !Number.isFinite(x) ? (x > 0 ? 1 : 0) : unit ? x : hi > lo ? (x - lo) / (hi - lo) : 0.5;
      px[i] = Math.round(Math.min(1, Math.max(0, y)) * 255);
    }
    thumbnail = { count: rows, width: side, height: side, pixels: px };
  }
  return {
    shape: t.shape.slice(),
    size: t.size,
    mean: mean === null ? null : finite(mean),
    std: mean === null ? null : finite(Math.sqrt(sq / n)),
    min: n ? min : null,
    max: n ? max : null,
    nanCount: nan,
    infCount: inf,
    histogram,
    thumbnail,
  };
}
