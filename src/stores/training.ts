/**
 * The training store: the main thread's view of the training worker (status, metrics,
 * images, probes, breakpoints). It owns the TrainingClient; no tfjs work happens here.
 *
 * It watches the graph store: a new document re-initialises the trainer; a β, learning-rate
 * or optimizer edit is sent as updateGraph and applies from the next step (weights kept);
 * a structural edit makes the worker answer needsReset, and the panel asks for a Reset.
 * Each worker event goes through the pure reducer of training-reducer.ts: the store applies
 * `reduce(state, event)`, then draws what changed on the overlay (through its actions):
 * badges on nodes, numbers on wires, the breakpoint highlight. It probes the wire the
 * editor reports as selected (or hovered).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch, type ComputedRef } from 'vue';
import { useGraphStore } from './graph';
import { useOverlayStore, type OverlayEdge } from './overlay';
import { TrainingClient, type WorkerLike } from '../worker/client';
import { nodeBadges } from '../runtime/badges';
import { median } from '../runtime/stats';
import { Backend, type DiagnosticShape, type PortStat, type WorkerEvent } from '../worker/protocol';
import { clearBreakpoint, clearRun, documentReplaced, flushPending, initialTrainingState, reduce, type Series, type TrainingState } from './training-reducer';

export { emptySeries, reduce, type Notice, type Phase, type Series, type TrainingState } from './training-reducer';

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

/** The numbers on the wires: "node.port" → its text. */
export function portValues(stats: Record<string, PortStat>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, st] of Object.entries(stats)) out[k] = portText(st);
  return out;
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

const BACKEND_KEY = 'vae-lab:backend';

function savedBackend(): Backend | null {
  try {
    const v = typeof localStorage !== 'undefined' ? localStorage.getItem(BACKEND_KEY) : null;
    const parsed = Backend.safeParse(v);
    return parsed.success ? parsed.data : null;
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
  // Everything the worker's events change lives in one state object, changed only by
  // reduce(state, event) and the pure helpers of training-reducer.ts (see commit()).
  const saved = savedBackend();
  const state = shallowRef<TrainingState>(initialTrainingState({ backend: saved ?? 'webgl', chosen: saved !== null, graphCompiles: graphStore.canTrain }));
  const field = <K extends keyof TrainingState>(k: K): ComputedRef<TrainingState[K]> => computed(() => state.value[k]);
  const phase = field('phase');
  const busy = field('busy');
  const backend = field('backend');
  const needsReset = field('needsReset');
  const fatal = field('fatal');
  const series = field('series');
  const version = field('version');

  // Settings the person picks (sent with init and setOptions).
  const seed = ref<number>(graphStore.graph.training?.seed ?? 1);
  const lossJumpFactor = ref<number | null>(null);
  const breakOnKlNegative = ref(true);
  const evalEvery = ref(50);
  const imagesEvery = ref(25);
  /** The graph document that the worker trains (for "graph untouched" after a crash). */
  let sentDocument = -1;
  let syncPending = false;
  /** The documentVersion the panel was last cleared for. */
  let clearedDocument = -1;
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  const SHOW_EVERY_MS = 100;

  const canTrain = computed(() => graphStore.canTrain);
  const blockedReason = computed(() => (graphStore.canTrain ? null : graphStore.blockingReason));
  const running = computed(() => phase.value === 'running');
  const msPerStep = computed(() => {
    void version.value;
    const ms = series.value.ms;
    const recent = ms.slice(Math.max(1, ms.length - 20));
    return recent.length ? median(recent) : null;
  });
  const canStep = computed(() => phase.value === 'ready' && !busy.value && canTrain.value && !needsReset.value && !fatal.value);

  /** Takes the next state, then draws what changed on the overlay and times the next flush. */
  function commit(next: TrainingState): void {
    const prev = state.value;
    if (next === prev) return;
    state.value = next;
    if (next.run !== prev.run) overlay.clearHighlight();
    if (next.breakpoint !== prev.breakpoint) {
      const d = next.breakpoint;
      if (d?.node) overlay.setHighlight({ node: d.node, port: d.port, reason: shortReason(d) });
      else if (!d && prev.breakpoint) overlay.clearHighlight();
    }
    if (next.portStats !== prev.portStats) overlay.setPortValues(portValues(next.portStats));
    if (next.portStats !== prev.portStats || next.last !== prev.last || next.nodes !== prev.nodes || next.needsReset !== prev.needsReset) {
      // While a Reset is due nothing stale is shown.
      overlay.setBadges(next.needsReset ? {} : nodeBadges(graphStore.registry(), { nodes: next.nodes, stats: next.portStats, step: next.last }, fmt));
    }
    if (!next.pendingStep && flushTimer) {
      clearTimeout(flushTimer);
      flushTimer = null;
    } else if (next.pendingStep && !flushTimer) {
      flushTimer = setTimeout(() => {
        flushTimer = null;
        commit(flushPending(state.value));
      }, SHOW_EVERY_MS);
    }
  }

  function update(patch: Partial<TrainingState>): void {
    commit({ ...state.value, ...patch });
  }

  watch(
    () => graphStore.canTrain,
    (ok) => update({ graphCompiles: ok }),
    { flush: 'sync' },
  );

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
      update({ phase: 'ready' });
      return;
    }
    init();
  }

  function init(): void {
    const c = ensureClient();
    update({ phase: 'starting', busy: true });
    sentDocument = graphStore.documentVersion;
    const s = state.value;
    c.send({ type: 'init', graph: plainGraph(), backend: s.chosen ? s.backend : 'auto', seed: seed.value, options: options() });
  }

  function send(req: Parameters<TrainingClient['send']>[0]): void {
    ensureClient().send(req);
  }

  // ------------------------------------------------------------------ actions

  function stepOnce(): void {
    stepBy(1);
  }

  /** `n` batches in one request (the prediction and lesson panels' "Step N"); the buttons wait until all are done. */
  function stepBy(n: number): void {
    if (!canStep.value || !Number.isFinite(n)) return;
    commit({ ...clearBreakpoint(state.value), busy: true });
    send({ type: 'step', n: Math.max(1, Math.min(100000, Math.floor(n))) });
  }

  function run(): void {
    if (!canStep.value) return;
    commit({ ...clearBreakpoint(state.value), busy: true });
    send({ type: 'run' });
  }

  function pause(): void {
    send({ type: 'pause' });
  }

  function reset(): void {
    if (fatal.value) return restart();
    if (!canTrain.value) return;
    commit({ ...clearRun(state.value, true), needsReset: null, busy: true, phase: 'starting' });
    // The graph may have changed since the worker last saw it: send it along.
    send({ type: 'updateGraph', graph: plainGraph() });
    send({ type: 'reset', seed: seed.value });
  }

  function setBackend(name: Backend): void {
    const s = state.value;
    if (name === s.backend && s.activeBackend === name && !s.fatal) return;
    update({ backend: name, chosen: true, backendReason: null, advice: null });
    try {
      localStorage.setItem(BACKEND_KEY, name);
    } catch {
      // best effort
    }
    if (phase.value === 'off' || !canTrain.value) return;
    commit({ ...clearRun(state.value, true), busy: true, phase: 'starting' });
    send({ type: 'setBackend', backend: name });
  }

  /** The seed is the document's training.seed (saved with it, undoable); Reset uses it. */
  function setSeed(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) return;
    if ((graphStore.graph.training?.seed ?? 1) !== value) graphStore.apply({ op: 'setSeed', seed: value }, { label: `Set seed ${value}` });
    seed.value = value;
    // Nothing trained yet: rebuild at once so the grids and first losses follow the seed.
    if (state.value.step === 0 && phase.value === 'ready' && canTrain.value) reset();
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
    commit({ ...clearRun(state.value, true), fatal: null, lastNotice: null, busy: false });
    ensureClient().restart();
    update({ phase: 'off' });
    start();
  }

  function requestMemory(): void {
    send({ type: 'memory' });
  }

  function dismissNotice(): void {
    update({ lastNotice: null });
  }

  /** "Keep" the backend the advice suggested replacing. */
  function dismissAdvice(): void {
    update({ advice: null });
  }

  function stop(): void {
    client?.terminate();
    client = null;
    update({ phase: 'off' });
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
    commit(reduce(state.value, ev));
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
      // A new document: start over (the panel was cleared when it arrived, see the watcher below).
      commit(documentReplaced(state.value));
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
      if (graphStore.documentVersion !== sentDocument && clearedDocument !== graphStore.documentVersion) {
        // A new document: the panel starts clean at once, whether or not the new graph can train
        // (an empty one cannot) and before its analysis lands; a running run stops.
        clearedDocument = graphStore.documentVersion;
        overlay.clear();
        if (phase.value === 'running') pause();
        commit(documentReplaced(state.value));
      }
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
    const current = state.value.probeEdge;
    const same = edge && current && edge.from === current.from && edge.to === current.to;
    if (same || (!edge && !current)) return;
    const probeEdge = edge ? { from: edge.from, to: edge.to } : null;
    update({ probeEdge, probe: null });
    if (phase.value !== 'off') send({ type: 'probe', edge: probeEdge, watch: true });
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
    activeBackend: field('activeBackend'),
    backendReason: field('backendReason'),
    renderer: field('renderer'),
    offered: field('offered'),
    wasmRuntime: field('wasmRuntime'),
    seed,
    step: field('step'),
    epoch: field('epoch'),
    stepsPerEpoch: field('stepsPerEpoch'),
    parameters: field('parameters'),
    nodes: field('nodes'),
    decoder: field('decoder'),
    last: field('last'),
    lastEval: field('lastEval'),
    numTensors: field('numTensors'),
    series,
    previous: field('previous'),
    version,
    images: field('images'),
    probe: field('probe'),
    probeEdge: field('probeEdge'),
    portStats: field('portStats'),
    breakpoint: field('breakpoint'),
    detached: field('detached'),
    needsReset,
    lastNotice: field('lastNotice'),
    fatal,
    advice: field('advice'),
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
    stepBy,
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
    dismissAdvice,
    clearBreakpoint: () => commit(clearBreakpoint(state.value)),
    useWorkerFactory,
    onEvent,
    // for the instruments store: the same worker, its events
    send,
    onWorkerEvent,
  };
});

export type TrainingStore = ReturnType<typeof useTrainingStore>;
