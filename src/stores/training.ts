/**
 * The training store: the main thread's view of the training worker (status, metrics,
 * images, probes, breakpoints). It owns the TrainingClient; no tfjs work happens here.
 *
 * It watches the graph store: a new document re-initialises the trainer; a β, learning-rate
 * or optimizer edit is sent as updateGraph and applies from the next step (weights kept);
 * a structural edit makes the worker answer needsReset, and the panel asks for a Reset.
 * It writes the overlay store: badges on nodes, numbers on wires, the breakpoint highlight;
 * and it probes the wire the editor reports as selected (or hovered).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { useGraphStore } from './graph';
import { useOverlayStore, type OverlayEdge } from './overlay';
import { TrainingClient, type WorkerLike } from '../worker/client';
import { nodeBadges } from '../runtime/badges';
import type { Backend, DiagnosticShape, EvalMetrics, NodeInfo, PortStat, RendererInfo, StepMetrics, WorkerEvent, WorkerEventOf } from '../worker/protocol';

export type Phase = 'off' | 'starting' | 'ready' | 'running' | 'crashed';

/** The per-step series, kept out of Vue's reactivity (charts read them on `version`). */
export interface Series {
  step: number[];
  epoch: number[];
  loss: number[];
  recon: number[];
  kl: number[];
  klWeighted: number[];
  ms: number[];
  evalStep: number[];
  heldOut: number[];
}

export function emptySeries(): Series {
  return { step: [], epoch: [], loss: [], recon: [], kl: [], klWeighted: [], ms: [], evalStep: [], heldOut: [] };
}

export interface Notice {
  code: string;
  message: string;
}

/** Compact number for badges and wires: 3 significant digits, exponent when tiny or huge. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return Number(x.toPrecision(3)).toString();
}

export function portText(s: PortStat): string {
  if (s.nonFinite > 0) return `⚠ ${s.nonFinite} non-finite`;
  return `${fmt(s.mean)} ± ${fmt(s.std)}`;
}

export function seriesCsv(s: Series): string {
  const evals = new Map(s.evalStep.map((st, i) => [st, s.heldOut[i]!]));
  const lines = ['step,epoch,loss,recon,kl,klWeighted,msPerStep,heldOutNegElbo'];
  for (let i = 0; i < s.step.length; i++) {
    const st = s.step[i]!;
    const h = evals.get(st);
    lines.push([st, s.epoch[i], s.loss[i], s.recon[i], s.kl[i], s.klWeighted[i], s.ms[i]!.toFixed(2), h === undefined ? '' : h].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** A few words for the node's breakpoint label (the banner has the full message). */
export function shortReason(d: DiagnosticShape): string {
  const at = d.step !== undefined ? ` at step ${d.step}` : '';
  switch (d.code) {
    case 'NON_FINITE': {
      const nan = d.nanCount ?? 0;
      const inf = d.infCount ?? 0;
      const what = inf > 0 && nan === 0 ? 'Infinity' : nan > 0 && inf === 0 ? 'NaN' : 'NaN/Infinity';
      return `${what} first appears here${at}`;
    }
    case 'KL_NEGATIVE':
      return `KL < 0${at}`;
    case 'LOSS_JUMP':
      return `loss jumped${at}`;
    default:
      return `${d.code}${at}`;
  }
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const BACKEND_KEY = 'vae-lab:backend';

function savedBackend(): Backend | null {
  try {
    const v = typeof localStorage !== 'undefined' ? localStorage.getItem(BACKEND_KEY) : null;
    return v === 'webgl' || v === 'wasm' || v === 'cpu' ? v : null;
  } catch {
    return null;
  }
}

export const useTrainingStore = defineStore('training', () => {
  const graphStore = useGraphStore();
  const overlay = useOverlayStore();

  let client: TrainingClient | null = null;
  let workerFactory: (() => WorkerLike) | undefined;

  // ------------------------------------------------------------------ state
  const phase = ref<Phase>('off');
  /** A request is in flight (init, step, reset…): buttons wait. */
  const busy = ref(false);
  const saved = savedBackend();
  const backend = ref<Backend>(saved ?? 'webgl');
  /** The person chose the backend (now or in an earlier visit); until then the worker picks ('auto'). */
  let chosen = saved !== null;
  /** Why the worker picked the backend it runs on (null: the person chose it). */
  const backendReason = ref<string | null>(null);
  /** The backend the worker actually runs (after a fallback). */
  const activeBackend = ref<Backend | null>(null);
  const renderer = ref<RendererInfo | null>(null);
  const seed = ref<number>(graphStore.graph.training?.seed ?? 1);
  const step = ref(0);
  const epoch = ref(0);
  const stepsPerEpoch = ref(0);
  const parameters = ref(0);
  const nodes = shallowRef<NodeInfo[]>([]);
  const decoder = ref<string | null>(null);
  const last = shallowRef<StepMetrics | null>(null);
  const lastEval = shallowRef<EvalMetrics | null>(null);
  const numTensors = ref<number | null>(null);
  const series = shallowRef<Series>(emptySeries());
  /** The run before the last Reset, drawn faintly. */
  const previous = shallowRef<Series | null>(null);
  /** Bumped whenever series (or previous) change. */
  const version = ref(0);
  const images = shallowRef<WorkerEventOf<'images'> | null>(null);
  const probe = shallowRef<WorkerEventOf<'probe'> | null>(null);
  const probeEdge = shallowRef<OverlayEdge | null>(null);
  const portStats = shallowRef<Record<string, PortStat>>({});
  const breakpoint = shallowRef<(DiagnosticShape & { loss: number | null }) | null>(null);
  /** A structural edit: the weights no longer fit; Reset to go on. */
  const needsReset = ref<string | null>(null);
  const lastNotice = shallowRef<Notice | null>(null);
  /** Fatal: the worker crashed or lost its context. */
  const fatal = shallowRef<Notice | null>(null);
  const advice = shallowRef<WorkerEventOf<'backendAdvice'> | null>(null);
  const lossJumpFactor = ref<number | null>(null);
  const breakOnKlNegative = ref(true);
  const evalEvery = ref(50);
  const imagesEvery = ref(25);
  /** The graph document that the worker trains (for "graph untouched" after a crash). */
  let sentDocument = -1;
  let syncPending = false;
  let fellBack = false;
  let pendingStep: { m: StepMetrics; numTensors: number } | null = null;
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  const SHOW_EVERY_MS = 100;

  const canTrain = computed(() => graphStore.canTrain);
  const blockedReason = computed(() => (graphStore.canTrain ? null : graphStore.blockingReason));
  const running = computed(() => phase.value === 'running');
  const msPerStep = computed(() => {
    void version.value;
    const ms = series.value.ms;
    return median(ms.slice(Math.max(1, ms.length - 20)));
  });
  const canStep = computed(() => phase.value === 'ready' && !busy.value && canTrain.value && !needsReset.value && !fatal.value);

  // ------------------------------------------------------------------ worker

  function ensureClient(): TrainingClient {
    client ??= new TrainingClient(onEvent, workerFactory);
    return client;
  }

  /** Tests may inject a fake worker before start(). */
  function useWorkerFactory(f: () => WorkerLike): void {
    workerFactory = f;
  }

  function options() {
    return {
      lossJumpFactor: lossJumpFactor.value,
      breakOnKlNegative: breakOnKlNegative.value,
      evalEvery: evalEvery.value,
      imagesEvery: imagesEvery.value,
    };
  }

  function plainGraph(): unknown {
    return JSON.parse(JSON.stringify(graphStore.graph));
  }

  /** Start the worker and build the trainer for the open graph (when it compiles). */
  function start(): void {
    const c = ensureClient();
    c.start();
    if (!canTrain.value) {
      phase.value = 'ready';
      return;
    }
    init();
  }

  function init(): void {
    const c = ensureClient();
    phase.value = 'starting';
    busy.value = true;
    sentDocument = graphStore.documentVersion;
    c.send({ type: 'init', graph: plainGraph(), backend: chosen ? backend.value : 'auto', seed: seed.value, options: options() });
  }

  function send(req: Parameters<TrainingClient['send']>[0]): void {
    ensureClient().send(req);
  }

  function clearRun(keepPrevious: boolean): void {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    pendingStep = null;
    if (keepPrevious && series.value.step.length) previous.value = series.value;
    else if (!keepPrevious) previous.value = null;
    series.value = emptySeries();
    version.value++;
    step.value = 0;
    epoch.value = 0;
    last.value = null;
    lastEval.value = null;
    breakpoint.value = null;
    overlay.highlight = null;
    probe.value = null;
    portStats.value = {};
    overlay.portValues = {};
    overlay.badges = {};
  }

  // ------------------------------------------------------------------ actions

  function stepOnce(): void {
    if (!canStep.value) return;
    clearBreakpoint();
    busy.value = true;
    send({ type: 'step', n: 1 });
  }

  function run(): void {
    if (!canStep.value) return;
    clearBreakpoint();
    busy.value = true;
    send({ type: 'run' });
  }

  function pause(): void {
    send({ type: 'pause' });
  }

  function reset(): void {
    if (fatal.value) return restart();
    if (!canTrain.value) return;
    clearRun(true);
    needsReset.value = null;
    busy.value = true;
    phase.value = 'starting';
    // The graph may have changed since the worker last saw it: send it along.
    send({ type: 'updateGraph', graph: plainGraph() });
    send({ type: 'reset', seed: seed.value });
  }

  function setBackend(name: Backend): void {
    if (name === backend.value && activeBackend.value === name && !fatal.value) return;
    backend.value = name;
    chosen = true;
    backendReason.value = null;
    advice.value = null;
    try {
      localStorage.setItem(BACKEND_KEY, name);
    } catch {
      // best effort
    }
    if (phase.value === 'off' || !canTrain.value) return;
    clearRun(true);
    busy.value = true;
    phase.value = 'starting';
    send({ type: 'setBackend', backend: name });
  }

  /** The seed is the document's training.seed (saved with it, undoable); Reset uses it. */
  function setSeed(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) return;
    if ((graphStore.graph.training?.seed ?? 1) !== value) graphStore.apply({ op: 'setSeed', seed: value }, { label: `Set seed ${value}` });
    seed.value = value;
    // Nothing trained yet: rebuild at once so the grids and first losses follow the seed.
    if (step.value === 0 && phase.value === 'ready' && canTrain.value) reset();
  }

  function setOptions(o: { lossJumpFactor?: number | null; breakOnKlNegative?: boolean; evalEvery?: number; imagesEvery?: number }): void {
    if (o.lossJumpFactor !== undefined) lossJumpFactor.value = o.lossJumpFactor;
    if (o.breakOnKlNegative !== undefined) breakOnKlNegative.value = o.breakOnKlNegative;
    if (o.evalEvery !== undefined) evalEvery.value = o.evalEvery;
    if (o.imagesEvery !== undefined) imagesEvery.value = o.imagesEvery;
    if (phase.value !== 'off') send({ type: 'setOptions', options: options() });
  }

  function evaluate(): void {
    send({ type: 'evaluate' });
  }

  function refreshImages(): void {
    send({ type: 'images' });
  }

  /** A fresh worker after a crash or a lost context; the graph is untouched. */
  function restart(): void {
    fatal.value = null;
    lastNotice.value = null;
    clearRun(true);
    busy.value = false;
    ensureClient().restart();
    phase.value = 'off';
    start();
  }

  function requestMemory(): void {
    send({ type: 'memory' });
  }

  function dismissNotice(): void {
    lastNotice.value = null;
  }

  function clearBreakpoint(): void {
    if (breakpoint.value) {
      breakpoint.value = null;
      overlay.highlight = null;
    }
  }

  function stop(): void {
    client?.terminate();
    client = null;
    phase.value = 'off';
  }

  // ------------------------------------------------------------------ events

  /** Other stores that read the worker's events (the instruments store); see onWorkerEvent. */
  const listeners = new Set<(ev: WorkerEvent) => void>();
  function onWorkerEvent(fn: (ev: WorkerEvent) => void): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  function onEvent(ev: WorkerEvent): void {
    for (const fn of listeners) fn(ev);
    switch (ev.type) {
      case 'ready':
        // Another rebuild is queued behind this one (e.g. a preset opened during start-up): not ready yet.
        if (ev.queued) {
          activeBackend.value = ev.backend;
          return;
        }
        phase.value = 'ready';
        busy.value = false;
        activeBackend.value = ev.backend;
        if (!chosen && ev.reason) backend.value = ev.backend;
        backendReason.value = chosen ? null : (ev.reason ?? null);
        // The user's choice stands, unless the worker had to fall back (no WebGL).
        if (fellBack && ev.backend !== backend.value) backend.value = ev.backend;
        fellBack = false;
        renderer.value = ev.renderer;
        stepsPerEpoch.value = ev.stepsPerEpoch;
        parameters.value = ev.parameters;
        nodes.value = ev.nodes;
        decoder.value = ev.decoder;
        numTensors.value = ev.numTensors;
        step.value = ev.step;
        needsReset.value = null;
        return;
      case 'stepped': {
        const m = ev.metrics;
        const s = series.value;
        s.step.push(m.step);
        s.epoch.push(m.epoch);
        s.loss.push(m.loss);
        s.recon.push(m.recon);
        s.kl.push(m.kl);
        s.klWeighted.push(m.klWeighted);
        s.ms.push(m.ms);
        pendingStep = { m, numTensors: ev.numTensors };
        // While running, the numbers on screen change at most every 100 ms (the series keeps every step).
        if (phase.value !== 'running') flushStep();
        else if (!flushTimer) flushTimer = setTimeout(flushStep, SHOW_EVERY_MS);
        return;
      }
      case 'stats':
        flushStep();
        portStats.value = ev.portStats;
        writePortValues(ev.portStats);
        updateBadges();
        return;
      case 'evaluated': {
        const s = series.value;
        const i = s.evalStep.indexOf(ev.metrics.step);
        if (i >= 0) s.heldOut[i] = ev.metrics.heldOutLoss;
        else {
          s.evalStep.push(ev.metrics.step);
          s.heldOut.push(ev.metrics.heldOutLoss);
        }
        lastEval.value = ev.metrics;
        version.value++;
        return;
      }
      case 'images':
        images.value = ev;
        return;
      case 'probe':
        if (probeEdge.value && ev.edge.from === probeEdge.value.from && ev.edge.to === probeEdge.value.to) probe.value = ev;
        return;
      case 'breakpoint':
        breakpoint.value = { ...ev.diagnostic, loss: ev.loss };
        if (ev.diagnostic.node) overlay.highlight = { node: ev.diagnostic.node, port: ev.diagnostic.port, reason: shortReason(ev.diagnostic) };
        return;
      case 'state':
        flushStep();
        if (ev.running) {
          phase.value = 'running';
          busy.value = false;
        } else {
          if (phase.value === 'running' || phase.value === 'starting') phase.value = 'ready';
          busy.value = false;
          if (ev.reason === 'stale' && !needsReset.value && !canTrain.value) {
            lastNotice.value = { code: 'STALE_GRAPH', message: 'Training paused: the graph does not compile.' };
          }
        }
        step.value = ev.step;
        return;
      case 'graphUpdated':
        if (ev.needsReset) {
          needsReset.value = ev.message;
          probe.value = null;
          portStats.value = {};
          overlay.portValues = {};
          overlay.badges = {};
          clearBreakpoint();
          if (phase.value === 'running') phase.value = 'ready';
        } else if (!ev.hot) {
          // Rebuilt before anything was trained: a fresh start.
          clearRun(true);
        }
        return;
      case 'backendAdvice':
        if (backend.value === ev.current) advice.value = ev;
        return;
      case 'error':
        if (ev.fatal) {
          fatal.value = { code: ev.code, message: ev.message };
          phase.value = 'crashed';
          busy.value = false;
        } else {
          if (ev.code === 'BACKEND_FAILED') fellBack = true;
          lastNotice.value = { code: ev.code, message: ev.message };
          busy.value = false;
          if (phase.value === 'starting') phase.value = 'ready';
        }
        return;
      case 'memory':
        numTensors.value = ev.numTensors;
        return;
      case 'disposed':
        return;
    }
  }

  function flushStep(): void {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    const p = pendingStep;
    pendingStep = null;
    if (!p) return;
    version.value++;
    step.value = p.m.step;
    epoch.value = p.m.epoch;
    last.value = p.m;
    numTensors.value = p.numTensors;
    updateBadges();
  }

  function writePortValues(stats: Record<string, PortStat>): void {
    const next: Record<string, string> = {};
    for (const [k, s] of Object.entries(stats)) next[k] = portText(s);
    overlay.setPortValues(next);
  }

  function updateBadges(): void {
    overlay.setBadges(nodeBadges(graphStore.registry(), { nodes: nodes.value, stats: portStats.value, step: last.value }, fmt));
  }

  // ------------------------------------------------------------------ graph and overlay watchers

  function syncGraph(): void {
    syncPending = false;
    if (phase.value === 'off' || phase.value === 'crashed') return;
    if (!canTrain.value) {
      if (phase.value === 'running') pause();
      return;
    }
    if (graphStore.documentVersion !== sentDocument) {
      // A new document: start over (the last document's run is not comparable).
      clearRun(false);
      needsReset.value = null;
      seed.value = graphStore.graph.training?.seed ?? seed.value;
      init();
      return;
    }
    send({ type: 'updateGraph', graph: plainGraph() });
  }

  // The graph store bumps these when its analysis lands (~50 ms after an edit), so canTrain
  // is meaningful by then; an analysis still pending (a load bumps at once) syncs when it lands.
  watch(
    () => [graphStore.structureVersion, graphStore.paramsVersion, graphStore.documentVersion],
    () => {
      syncPending = true;
      if (graphStore.documentVersion !== sentDocument) overlay.clear();
      if (!graphStore.analysisPending) syncGraph();
    },
  );
  watch(
    () => graphStore.analysis,
    () => {
      if (syncPending) syncGraph();
    },
  );

  watch(
    () => graphStore.graph.training?.seed,
    (v) => {
      if (typeof v === 'number' && v !== seed.value) seed.value = v;
    },
  );

  // The selected wire wins; without one, the hovered wire (after a short pause, so that
  // sweeping the mouse across the canvas does not queue a probe per wire).
  let hoverTimer: ReturnType<typeof setTimeout> | null = null;
  function probeWire(edge: OverlayEdge | null): void {
    const same = edge && probeEdge.value && edge.from === probeEdge.value.from && edge.to === probeEdge.value.to;
    if (same || (!edge && !probeEdge.value)) return;
    probeEdge.value = edge ? { from: edge.from, to: edge.to } : null;
    probe.value = null;
    if (phase.value !== 'off') send({ type: 'probe', edge: probeEdge.value, watch: true });
  }
  watch(
    () => [overlay.selectedEdge, overlay.hoveredEdge] as const,
    ([selected, hovered]) => {
      if (hoverTimer) clearTimeout(hoverTimer);
      hoverTimer = null;
      if (selected || !hovered) return probeWire(selected ?? null);
      hoverTimer = setTimeout(() => {
        hoverTimer = null;
        probeWire(overlay.selectedEdge ?? overlay.hoveredEdge);
      }, 150);
    },
  );

  return {
    // state
    phase,
    busy,
    backend,
    activeBackend,
    backendReason,
    renderer,
    seed,
    step,
    epoch,
    stepsPerEpoch,
    parameters,
    nodes,
    decoder,
    last,
    lastEval,
    numTensors,
    series,
    previous,
    version,
    images,
    probe,
    probeEdge,
    portStats,
    breakpoint,
    needsReset,
    lastNotice,
    fatal,
    advice,
    lossJumpFactor,
    breakOnKlNegative,
    evalEvery,
    imagesEvery,
    // derived
    canTrain,
    blockedReason,
    running,
    msPerStep,
    canStep,
    // actions
    start,
    stop,
    stepOnce,
    run,
    pause,
    reset,
    setBackend,
    setSeed,
    setOptions,
    evaluate,
    refreshImages,
    restart,
    requestMemory,
    dismissNotice,
    clearBreakpoint,
    useWorkerFactory,
    onEvent,
    // for the instruments store: the same worker, its events
    send,
    onWorkerEvent,
  };
});

export type TrainingStore = ReturnType<typeof useTrainingStore>;
