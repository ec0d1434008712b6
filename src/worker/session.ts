/**
 * The training session: the worker's state machine. It takes parsed-or-not requests, runs
 * each through one queue (task-queue.ts), and posts events through a callback.
 * training.worker.ts wires it to `self`; tests/integration/worker-trainer.test.ts drives the
 * same class in Node.
 *
 * Its states: no trainer yet; a trainer that trains (idle or running); a stale trainer (the
 * graph does not compile, or a structural edit waits for Reset: training is refused); fatal
 * (the context is lost). Pause takes effect between two steps. The other jobs live in their
 * own modules: the backend (backend-control.ts, backend-choice.ts), compiling a document (compile-document.ts),
 * the read-outs of a step (step-capture.ts, port-stats.ts, probe-summary.ts, image-grids.ts),
 * what a plan is made of (plan-info.ts) and the instruments (instruments.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../graph/schema';
import type { Diagnostic } from '../graph/diagnostics';
import { parseEndpoint } from '../graph/ports';
import type { Plan } from '../compiler/compile';
import { rebuildReason } from '../compiler/change';
import { createTrainer, type Trainer } from '../runtime/trainer';
import type { MnistRaw } from '../runtime/data/mnist';
import { finiteOrNull } from '../runtime/instruments/summary';
import { InstrumentHandlers } from './instruments';
import { TransferHandlers } from './transfer';
import { WorkerError, isWorkerErrorCode } from './errors';
import { TaskQueue, yieldToEvents } from './task-queue';
import { compileDocument, parseDocument } from './compile-document';
import { WorkerData, type DataFiles } from './data-loading';
import { BackendControl } from './backend-control';
import { chooseBackend, offeredBackends, probeWebgl, probeWebgpu } from './backend-choice';
import { StepCapture } from './step-capture';
import { portStats } from './port-stats';
import { probeSummary } from './probe-summary';
import { ImageGrids } from './image-grids';
import { findDecoder, nodeInfo } from './plan-info';
import { parseRequest, type Backend, type BackendRequest, type Edge, type ParsedRequest, type TrainOptions, type WorkerEvent, type WorkerEventOf, type WorkerErrorCode } from './protocol';

export interface SessionEnv {
  /** Sends one event (with the buffers to transfer). */
  post(ev: WorkerEvent, transfer?: ArrayBuffer[]): void;
  /** Loads the MNIST asset (fetch in the worker, the file in Node). */
  loadMnist(): Promise<MnistRaw>;
  /** Browser: where Vite serves the tfjs wasm binaries. */
  wasmPaths?: Record<string, string>;
  /** Lets queued messages in between two Run steps (default: a macrotask). */
  yieldNow?: () => Promise<void>;
  /** Where data files are (the built samples, IndexedDB); without it a file-backed data node is DATA_MISSING. */
  dataFiles?: DataFiles;
}

const DEFAULT_OPTIONS: Required<TrainOptions> = {
  lossJumpFactor: null,
  breakOnKlNegative: true,
  evalEvery: 50,
  imagesEvery: 25,
  statsEveryMs: 500,
};

const IMAGES_AT_LEAST_MS = 3000;

/** The requests that build a new trainer. */
const REBUILDS = new Set<ParsedRequest['type']>(['init', 'reset', 'setBackend']);

export class TrainingSession {
  private readonly queue = new TaskQueue((err) => this.report(err));
  private trainer: Trainer | null = null;
  private graph: Graph | null = null;
  /** A structural edit that waits for Reset; training is refused meanwhile. */
  private pending: Graph | null = null;
  private stale = false;
  /** Why the worker picked the backend (init 'auto'); undefined once the person chose one. */
  private reason: string | undefined;
  /** The backends this browser can run (webgpu where it has an adapter), probed at the first init. */
  private offered: Backend[] | null = null;
  private seed = 1;
  private options: Required<TrainOptions> = { ...DEFAULT_OPTIONS };
  private running = false;
  private mnist: MnistRaw | null = null;
  private readonly capture = new StepCapture();
  private readonly grids = new ImageGrids();
  private readonly backends: BackendControl;
  private probeEdge: Edge | null = null;
  private lastStatsAt = -Infinity;
  private lastImagesAt = -Infinity;
  private skipJumpOnce = false;
  /** init / reset / setBackend requests waiting in the queue. */
  private queuedRebuilds = 0;
  private fatal = false;
  private readonly yieldNow: () => Promise<void>;
  /** The instruments' requests (src/worker/instruments.ts), over this session's trainer. */
  private readonly instruments: InstrumentHandlers;
  /** The file-backed data nodes' datasets (data-loading.ts). */
  private readonly data: WorkerData;
  /** Weights in and out, the PyTorch export (src/worker/transfer.ts). */
  private readonly transfer: TransferHandlers;

  constructor(private readonly env: SessionEnv) {
    this.yieldNow = env.yieldNow ?? yieldToEvents;
    this.backends = new BackendControl({
      wasmPaths: env.wasmPaths,
      fellBack: (message) => this.emitError('BACKEND_FAILED', message),
      contextLost: (message) => this.markFatal('CONTEXT_LOST', message),
    });
    this.data = new WorkerData(env.dataFiles, (ev, transfer) => this.post(ev, transfer));
    this.instruments = new InstrumentHandlers({
      trainer: () => this.requireTrainable(),
      mnist: () => this.requireMnist(),
      seed: () => this.seed,
      post: (ev, transfer) => this.post(ev, transfer),
      compileWithData: async (doc, what) => {
        const graph = parseDocument(doc, what);
        const data = await this.data.ensure(graph);
        return { plan: compileDocument(graph, what, data).plan, data };
      },
      dataSource: (node) => this.data.source(node) ?? null,
    });
    this.transfer = new TransferHandlers({
      trainer: () => this.requireTrainable(),
      currentTrainer: () => (this.stale ? null : this.trainer),
      mnist: () => this.requireMnist(),
      compile: (doc) => this.compileWithData(doc),
      dataSource: (node) => this.data.source(node) ?? null,
      rebuild: async () => {
        const was = this.running;
        this.running = false;
        if (was) this.postState('pause');
        await this.rebuild(this.graph);
        return this.requireTrainable();
      },
      refresh: (t) => {
        this.post({ type: 'evaluated', metrics: t.evaluate(), epochEnd: false });
        this.postImages();
      },
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
    const rebuilds = REBUILDS.has(req.type);
    if (rebuilds) this.queuedRebuilds++;
    // Pause acts at once: the step in flight finishes, the next one does not start.
    if (req.type === 'pause') {
      const was = this.running;
      this.running = false;
      return this.queue.push(() => {
        if (was) this.afterStop('pause');
      });
    }
    return this.queue.push(() => {
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

  private report(err: unknown): void {
    if (err instanceof WorkerError && isWorkerErrorCode(err.code)) {
      this.emitError(err.code, err.message, err.fatal, err.diagnostics);
    } else {
      const message = err instanceof Error ? err.message : String(err);
      this.emitError('INTERNAL', `The trainer failed: ${message}`);
    }
    if (this.running) {
      this.running = false;
      this.postState('error');
    }
  }

  private emitError(code: WorkerErrorCode, message: string, fatal = false, diagnostics?: Diagnostic[]): void {
    this.post(diagnostics ? { type: 'error', code, message, fatal, diagnostics } : { type: 'error', code, message, fatal });
  }

  private post(ev: WorkerEvent, transfer?: ArrayBuffer[]): void {
    this.env.post(ev, transfer);
  }

  private postState(reason: WorkerEventOf<'state'>['reason'], running = false): void {
    this.post({ type: 'state', running, step: this.stepsDone, reason });
  }

  private async dispatch(req: ParsedRequest): Promise<void> {
    if (this.fatal && req.type !== 'dispose' && req.type !== 'memory') {
      throw new WorkerError('CONTEXT_LOST', 'The trainer can no longer run in this worker: restart it.', { fatal: true });
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
      case 'setBackend':
        this.running = false;
        return this.setBackend(req.backend);
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
      case 'loadData':
        await this.data.ensure(parseDocument(req.graph, 'The graph'), true);
        return;
      case 'dataFile':
        return this.data.pick(parseDocument(req.graph, 'The graph'), req.node, req.param, req.name, req.file);
      case 'saveWeights':
      case 'loadWeights':
      case 'exportPytorch':
        return this.transfer.handle(req);
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

  /** Parses and compiles a document with its file-backed data nodes loaded (loading them first when their params changed). */
  private async compileWithData(doc: unknown): Promise<{ graph: Graph; plan: Plan }> {
    const graph = parseDocument(doc, 'The graph');
    return compileDocument(graph, 'The graph', await this.data.ensure(graph));
  }

  private async init(doc: unknown, requested: BackendRequest): Promise<void> {
    const { graph } = await this.compileWithData(doc);
    if (!this.mnist) {
      try {
        this.mnist = await this.env.loadMnist();
      } catch (err) {
        throw new WorkerError('DATA_LOAD_FAILED', `Could not load the MNIST digits: ${(err as Error).message}`, { fatal: true });
      }
    }
    this.offered ??= offeredBackends(await probeWebgpu());
    const choice = requested === 'auto' ? chooseBackend(probeWebgl()) : null;
    this.reason = choice?.reason;
    this.disposeTrainer();
    await this.backends.use(choice?.backend ?? (requested as Backend));
    await this.rebuild(graph);
  }

  private async setBackend(backend: Backend): Promise<void> {
    const previous = this.backends.current;
    this.disposeTrainer();
    try {
      this.reason = undefined;
      await this.backends.use(backend);
    } catch (err) {
      // Say so, then go back to the backend that worked, so training can go on there.
      this.report(err);
      await this.backends.use(previous);
    }
    if (this.graph || this.pending) await this.rebuild(this.pending ?? this.graph);
  }

  private async rebuild(graph: Graph | null): Promise<void> {
    if (!graph) throw new WorkerError('NOT_READY', 'No graph to train yet.');
    const mnist = this.mnist;
    if (!mnist) throw new WorkerError('NOT_READY', 'The trainer is not initialised.');
    const { plan } = await this.compileWithData(graph);
    this.disposeTrainer();
    const data = this.data.source(plan.data);
    this.trainer = createTrainer(plan, {
      mnist,
      ...(data ? { data } : {}),
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
    if (this.queuedRebuilds === 0) this.backends.warmUp(plan, mnist, this.seed);
    // The grids at step 0 (what the untrained model does), before 'ready': on WebGL their
    // first forward compiles shaders too, and Run must not wait behind that.
    if (this.queuedRebuilds === 0) this.postImages();
    this.postReady(plan, this.trainer);
  }

  private postReady(plan: Plan, trainer: Trainer): void {
    const dec = findDecoder(plan);
    this.post({
      type: 'ready',
      backend: this.backends.current,
      renderer: this.backends.renderer,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.offered ? { offered: this.offered } : {}),
      ...(this.backends.wasm ? { wasm: this.backends.wasm } : {}),
      seed: this.seed,
      step: 0,
      stepsPerEpoch: trainer.stepsPerEpoch,
      parameters: plan.parameters,
      nodes: nodeInfo(plan),
      decoder: dec?.node ?? null,
      latentDim: dec?.dim ?? null,
      numTensors: tf.memory().numTensors,
      queued: this.queuedRebuilds,
    });
  }

  private disposeTrainer(): void {
    this.capture.reset();
    this.trainer?.dispose();
    this.trainer = null;
  }

  private async updateGraph(doc: unknown): Promise<void> {
    let compiled: { graph: Graph; plan: Plan };
    try {
      compiled = await this.compileWithData(doc);
    } catch (err) {
      if (this.running) {
        this.running = false;
        this.postState('stale');
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
    if (this.hotUpdate(this.trainer, plan)) {
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
    this.capture.free();
    this.post({
      type: 'graphUpdated',
      hot: false,
      needsReset: true,
      message:
        rebuildReason(this.trainer.plan, plan) === 'data'
          ? 'The data changed (another file, column, batch size or held-out split), so training starts over on it. Reset to train the new graph.'
          : 'The graph’s structure changed (its variables differ), so the trained weights no longer fit. Reset to train the new graph.',
    });
    if (was) this.postState('stale');
  }

  /**
   * The one place that decides hot update or rebuild: true when the trainer took the new
   * plan in place (its variables are the same), false when the weights no longer fit.
   */
  private hotUpdate(trainer: Trainer, plan: Plan): boolean {
    return trainer.updatePlan(plan);
  }

  private requireMnist(): MnistRaw {
    if (!this.mnist) throw new WorkerError('NOT_READY', 'The trainer is not initialised yet.');
    return this.mnist;
  }

  private requireTrainer(): Trainer {
    if (!this.trainer) throw new WorkerError('NOT_READY', 'The trainer is not initialised yet.');
    return this.trainer;
  }

  private requireTrainable(): Trainer {
    const t = this.requireTrainer();
    if (this.stale) {
      throw new WorkerError(
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
      // Steps within a multi-step request are paced like a run's (grids and wire numbers now
      // and then); the last one refreshes everything, as a single Step does.
      const ok = await this.doStep(i === n - 1);
      if (!ok) return;
      if (n > 1 && i < n - 1) await this.yieldNow();
    }
    this.postState('done');
  }

  private startRun(): void {
    this.requireTrainable();
    if (this.running) return;
    this.running = true;
    this.postState('run', true);
    void this.queue.push(() => this.tick());
  }

  private async tick(): Promise<void> {
    if (!this.running || !this.trainer || this.stale) return;
    const ok = await this.doStep(false);
    if (!ok || !this.running) return;
    await this.yieldNow();
    if (this.running) void this.queue.push(() => this.tick());
  }

  /** What the UI should see when a run stops: a fresh image grid and the numbers on the wires. */
  private afterStop(reason: 'pause'): void {
    if (this.trainer && !this.stale) {
      this.postStats(true);
      this.postImages();
    }
    this.postState(reason);
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
      this.onBreakpoint(trainer, r.diagnostic, r.loss);
      return false;
    }
    const m = r.metrics;
    this.capture.keep(r.captured, m.step);
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
    const advice = await this.backends.afterStep(m.step, m.ms, trainer, this.requireMnist(), this.seed);
    if (advice) this.post(advice);
    return true;
  }

  private onBreakpoint(trainer: Trainer, d: Diagnostic, loss: number): void {
    this.running = false;
    if (d.code === 'LOSS_JUMP') this.skipJumpOnce = true;
    // Keep the failing step's tensors for the probes (the update was not applied).
    this.capture.recapture(trainer, d.step ?? trainer.stepsDone + 1);
    this.post({ type: 'breakpoint', diagnostic: d, loss: finiteOrNull(loss) });
    this.postStats(true);
    if (this.probeEdge) this.postProbe(this.probeEdge);
    this.postState('breakpoint');
  }

  // ------------------------------------------------------------------ read-outs

  private postStats(force: boolean): void {
    const captured = this.capture.tensors;
    if (!this.trainer || !captured) return;
    if (force) this.lastStatsAt = performance.now();
    this.post({ type: 'stats', step: this.capture.step, portStats: portStats(captured) });
  }

  private postProbe(edge: Edge): void {
    const src = parseEndpoint(edge.from);
    const step = this.capture.step;
    const tensor = src ? this.capture.output(src.node, src.port) : undefined;
    if (!tensor) {
      const why = !this.trainer
        ? 'The trainer is not ready.'
        : !this.capture.tensors
          ? 'Nothing to show yet: press Step to run one batch.'
          : `${edge.from} did not run in the last step (it is not wired to anything that trains).`;
      this.post({ type: 'probe', edge, step, summary: null, message: why });
      return;
    }
    const summary = probeSummary(tensor);
    this.post({ type: 'probe', edge, step, summary, message: null }, summary.thumbnail ? [summary.thumbnail.pixels.buffer as ArrayBuffer] : []);
  }

  /** Reconstructions of a fixed held-out batch, and decodes of fixed prior z. */
  private postImages(): void {
    const t = this.trainer;
    if (!t || this.stale) return;
    this.lastImagesAt = performance.now();
    const { event, transfer } = this.grids.render(t, this.seed);
    this.post(event, transfer);
  }
}
