/**
 * The instruments store (issue 9): the main thread's side of the instruments in the
 * training worker. It speaks through the training store's worker (send / onWorkerEvent) and
 * keeps what the instrument panels show:
 *
 * - compare with a reference graph (the bug hunt's fixed graph from its answer key, a preset,
 *   or a file) in lockstep on a fresh pair of models; the first diverging node is highlighted
 *   on the canvas ("diverges from reference");
 * - per-dimension KL, active units and the posterior-collapse alarm, refreshed with every
 *   held-out evaluation (and whenever training stops);
 * - the IWAE log-likelihood (K = 50) beside the held-out −ELBO, on demand, with progress;
 * - the latent views' data: the held-out codes, q(z|x) of a picked or drawn digit, decodings
 *   of given z (the views build the z: manifold grid, traversal, hover).
 *
 * No tfjs work happens here.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { useGraphStore } from './graph';
import { findPreset, PRESETS } from './presets';
import { useTrainingStore } from './training';
import { useBugHuntStore } from './bughunt';
import { useOverlayStore } from './overlay';
import { parseGraph } from '../graph/schema';
import { firstDiagnosticText } from '../graph/diagnostics';
import { LatestRequest } from './latest-request';
import { applyFixes } from '../graph/answers';
import { COLLAPSE_CALM, collapseRuleText, watchCollapse, type CollapseWatch } from '../runtime/instruments/collapse';
import type { WorkerEvent } from '../worker/protocol';
import type { CompareOutcome, InstrumentEventOf, InstrumentRequestType } from '../worker/instruments-protocol';
import type { ImageBlock } from '../worker/image-block';

export const COMPARE_REASON = 'diverges from reference';
export const DEFAULT_IWAE_K = 50;
export const DEFAULT_COMPARE_STEPS = 5;
export const DEFAULT_COMPARE_TOLERANCE = 1e-4;
/** The least time between two hover decodes (one is in flight at most anyway). */
export const HOVER_INTERVAL_MS = 40;

export interface ReferenceOption {
  id: string;
  label: string;
}

export interface CompareState {
  result: CompareOutcome;
  steps: number;
  tolerance: number;
  ms: number;
  /** What the open graph was compared with. */
  reference: string;
  /** The graph changed since: the result describes an earlier version. */
  outdated: boolean;
}

export interface DecodedView {
  id: number;
  purpose: string;
  step: number;
  images: ImageBlock | null;
  note: string | null;
  /** What the view sent (e.g. the grid's z), echoed for drawing. */
  z: Float32Array;
  count: number;
  meta: Record<string, unknown>;
}

export type ProbeSource = { kind: 'heldOut'; index: number } | { kind: 'drawing'; pixels: Float32Array };

export const useInstrumentsStore = defineStore('instruments', () => {
  const graphStore = useGraphStore();
  const training = useTrainingStore();
  const hunt = useBugHuntStore();
  const overlay = useOverlayStore();

  let nextId = 1;
  const newId = () => nextId++;

  /** The worker holds a trainer for the open graph (instrument requests can be answered). */
  const ready = computed(
    () =>
      (training.phase === 'ready' || training.phase === 'running') && training.canTrain && !training.needsReset && !training.fatal && !training.detached,
  );
  /** The instruments tab is open: the latent views refresh only then. */
  const visible = ref(false);

  // ---------------------------------------------------------------- per-dimension KL, collapse alarm

  const stats = shallowRef<InstrumentEventOf<'latentStats'> | null>(null);
  const statsError = ref<string | null>(null);
  const statsRequest = new LatestRequest<void>(() => {
    if (!ready.value) return false;
    training.send({ type: 'latentStats' });
    return true;
  });
  /** The posterior-collapse alarm: watchCollapse over this run's held-out statistics (it waits until collapse is established). */
  const collapseWatch = shallowRef<CollapseWatch>(COLLAPSE_CALM);
  const alarm = computed(() => !!stats.value && collapseWatch.value.alarm);
  /** The alarm's rule in words (its title and help). */
  const collapseRule = collapseRuleText();
  /** Dimensions, most KL first. */
  const dimsByKl = computed(() => {
    const s = stats.value;
    if (!s) return [];
    return s.klPerDim.map((k, j) => [k, j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, j]) => j);
  });

  function refreshStats(): void {
    if (ready.value) statsRequest.request();
  }

  // ---------------------------------------------------------------- IWAE

  const iwaeK = ref(DEFAULT_IWAE_K);
  const iwae = shallowRef<InstrumentEventOf<'iwaeResult'> | null>(null);
  const iwaeBusy = ref(false);
  const iwaeProgress = ref<{ done: number; total: number } | null>(null);
  const iwaeError = ref<string | null>(null);
  /** The gap −ELBO − (−log p(x)) ≥ 0 up to noise: how loose the bound is. */
  const iwaeGap = computed(() => (iwae.value ? iwae.value.heldOutLoss - iwae.value.nll : null));

  function computeIwae(): void {
    if (!ready.value || iwaeBusy.value) return;
    iwaeBusy.value = true;
    iwaeError.value = null;
    iwaeProgress.value = { done: 0, total: 0 };
    training.send({ type: 'iwae', k: iwaeK.value });
  }

  // ---------------------------------------------------------------- compare

  const compareSteps = ref(DEFAULT_COMPARE_STEPS);
  const compareTolerance = ref(DEFAULT_COMPARE_TOLERANCE);
  const referenceChoice = ref<string>('');
  const referenceFile = shallowRef<{ name: string; graph: unknown } | null>(null);
  const compare = shallowRef<CompareState | null>(null);
  const compareBusy = ref(false);
  const compareProgress = ref<{ step: number; steps: number } | null>(null);
  const compareError = ref<string | null>(null);
  let compareLabel = '';

  const answerKeyAvailable = computed(() => !!hunt.key && !!hunt.presetId);
  const referenceOptions = computed<ReferenceOption[]>(() => {
    const out: ReferenceOption[] = [];
    if (answerKeyAvailable.value) out.push({ id: 'answers', label: 'The fixed graph (answer key)' });
    for (const p of PRESETS) out.push({ id: `preset:${p.id}`, label: `Preset: ${p.name}` });
    out.push({ id: 'file', label: referenceFile.value ? `File: ${referenceFile.value.name}` : 'A file…' });
    return out;
  });
  /** The default: the answer key's fixed graph on a bug hunt, else the standard preset. */
  const defaultReference = computed(() => (answerKeyAvailable.value ? 'answers' : 'preset:standard-vae'));
  const reference = computed(() => {
    const ids = referenceOptions.value.map((o) => o.id);
    return ids.includes(referenceChoice.value) ? referenceChoice.value : defaultReference.value;
  });

  function chooseReference(id: string): void {
    referenceChoice.value = id;
  }

  /** Loads a reference graph from a file (parsed as every file is); null on success, else the message. */
  async function loadReferenceFile(file: { name: string; text(): Promise<string> }): Promise<string | null> {
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      return (compareError.value = `${file.name} could not be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    const parsed = parseGraph(text, graphStore.registry());
    if (!parsed.ok) {
      return (compareError.value = `${file.name} is not a graph: ${firstDiagnosticText(parsed.diagnostics)}`);
    }
    referenceFile.value = { name: file.name, graph: JSON.parse(JSON.stringify(parsed.graph)) };
    referenceChoice.value = 'file';
    compareError.value = null;
    return null;
  }

  function referenceGraph(): { ok: true; graph: unknown; label: string } | { ok: false; message: string } {
    const id = reference.value;
    if (id === 'answers') {
      const key = hunt.key;
      const preset = hunt.presetId ? findPreset(hunt.presetId) : undefined;
      if (!key || !preset) return { ok: false, message: 'This graph has no answer key.' };
      const parsed = parseGraph(preset.value, graphStore.registry());
      if (!parsed.ok) return { ok: false, message: `The preset ${preset.id} does not parse.` };
      const fixed = applyFixes(parsed.graph, key.bugs, graphStore.registry());
      if (!fixed.ok) return { ok: false, message: fixed.diagnostic.message };
      return { ok: true, graph: JSON.parse(JSON.stringify(fixed.graph)), label: `${preset.name}, every bug fixed (answer key)` };
    }
    if (id === 'file') {
      const f = referenceFile.value;
      return f ? { ok: true, graph: f.graph, label: f.name } : { ok: false, message: 'Choose a reference file first.' };
    }
    const preset = PRESETS.find((p) => `preset:${p.id}` === id);
    if (!preset) return { ok: false, message: `No preset ${id}.` };
    return { ok: true, graph: preset.value, label: preset.name };
  }

  function runCompare(): void {
    if (compareBusy.value) return;
    compareError.value = null;
    if (!graphStore.canTrain) {
      compareError.value = `The open graph cannot run: ${graphStore.blockingReason ?? 'it does not compile'}.`;
      return;
    }
    if (training.phase === 'off' || training.phase === 'starting' || training.phase === 'crashed') {
      compareError.value = 'The trainer is not ready yet.';
      return;
    }
    const ref = referenceGraph();
    if (!ref.ok) {
      compareError.value = ref.message;
      return;
    }
    const steps = Math.max(1, Math.min(500, Math.floor(compareSteps.value) || DEFAULT_COMPARE_STEPS));
    const tolerance = compareTolerance.value > 0 && Number.isFinite(compareTolerance.value) ? compareTolerance.value : DEFAULT_COMPARE_TOLERANCE;
    compareLabel = ref.label;
    compareBusy.value = true;
    compareProgress.value = { step: 0, steps };
    clearCompareHighlight();
    training.send({ type: 'compare', graph: JSON.parse(JSON.stringify(graphStore.graph)), reference: ref.graph, steps, tolerance, seed: training.seed });
  }

  function clearCompareHighlight(): void {
    overlay.clearHighlight(COMPARE_REASON);
  }

  function showCompareHighlight(): void {
    const r = compare.value?.result;
    if (!r || r.event !== 'diverged' || compare.value?.outdated) return;
    if (!graphStore.nodeById.has(r.node)) return;
    overlay.setHighlight({ node: r.node, port: r.port, reason: COMPARE_REASON });
  }

  /** Selects and centres the diverging node. */
  function focusCompareNode(): void {
    const r = compare.value?.result;
    if (!r || r.event !== 'diverged') return;
    showCompareHighlight();
    graphStore.focusNode(r.node);
  }

  // ---------------------------------------------------------------- latent views

  const codes = shallowRef<InstrumentEventOf<'latentCodes'> | null>(null);
  const codesError = ref<string | null>(null);
  const codesRequest = new LatestRequest<void>(() => {
    if (!ready.value) return false;
    codesError.value = null;
    training.send({ type: 'latentCodes', thumbnails: 24 });
    return true;
  });
  /** The digit whose q(z|x) is shown: a held-out one or a drawing. */
  const probeSource = shallowRef<ProbeSource>({ kind: 'heldOut', index: 0 });
  const probe = shallowRef<InstrumentEventOf<'latentEncoded'> | null>(null);
  const probeError = ref<string | null>(null);
  let probeId = 0;
  /** Decodings by purpose (the newest answer for each). */
  const decoded = shallowRef<Record<string, DecodedView>>({});
  const decodeError = ref<string | null>(null);
  const pendingDecodes = new Map<number, { purpose: string; z: Float32Array; count: number; meta: Record<string, unknown> }>();
  const latestDecode = new Map<string, number>();
  /** The latent point under the mouse and its decoding. */
  const hoverZ = shallowRef<Float32Array | null>(null);
  /** At most one hover decode in flight, at most one per HOVER_INTERVAL_MS; the newest point wins. */
  const hoverRequest = new LatestRequest<Float32Array>((z) => decode('hover', z, 1) !== null, { minIntervalMs: HOVER_INTERVAL_MS });

  const latentDim = computed(() => codes.value?.latentDim ?? stats.value?.latentDim ?? null);

  function refreshCodes(): void {
    if (ready.value) codesRequest.request();
  }

  function encodeProbe(): void {
    if (!ready.value) return;
    const src = probeSource.value;
    probeId = newId();
    probeError.value = null;
    if (src.kind === 'heldOut') training.send({ type: 'latentEncode', id: probeId, heldOut: src.index, pixels: null, samples: 6 });
    else training.send({ type: 'latentEncode', id: probeId, heldOut: null, pixels: new Float32Array(src.pixels), samples: 6 });
  }

  function pickHeldOut(index: number): void {
    probeSource.value = { kind: 'heldOut', index };
    encodeProbe();
  }

  function useDrawing(pixels: Float32Array): void {
    probeSource.value = { kind: 'drawing', pixels };
    encodeProbe();
  }

  /** Decode `count` z ([count, d]) for a view; only the newest answer per purpose is kept. */
  function decode(purpose: string, z: Float32Array, count: number, meta: Record<string, unknown> = {}): number | null {
    if (!ready.value) return null;
    const id = newId();
    pendingDecodes.set(id, { purpose, z, count, meta });
    latestDecode.set(purpose, id);
    training.send({ type: 'latentDecode', id, purpose, z: new Float32Array(z), count });
    return id;
  }

  /** Decode the point under the mouse: at most one request in flight, the newest point wins. */
  function hover(z: Float32Array | null): void {
    hoverZ.value = z;
    if (z) hoverRequest.request(z);
    else hoverRequest.withdraw();
  }

  function refreshLatent(): void {
    refreshCodes();
    encodeProbe();
  }

  // ---------------------------------------------------------------- worker events

  /** A new trainer or a crash: no answer is due any more. */
  function abandonRequests(): void {
    statsRequest.abandon();
    codesRequest.abandon();
    hoverRequest.abandon();
  }

  /** What describes the trainer's weights: a new trainer or a new document forgets it. */
  function forgetRun(): void {
    stats.value = null;
    collapseWatch.value = COLLAPSE_CALM;
    codes.value = null;
    probe.value = null;
    decoded.value = {};
    iwae.value = null;
    iwaeBusy.value = false;
    iwaeProgress.value = null;
    compareBusy.value = false;
    compareProgress.value = null;
    abandonRequests();
    pendingDecodes.clear();
  }

  function onEvent(ev: WorkerEvent): void {
    switch (ev.type) {
      case 'ready':
        // A new trainer (new graph, reset, backend): the old numbers describe other weights.
        forgetRun();
        if (visible.value) queueMicrotask(() => refreshLatent());
        return;
      case 'evaluated':
        refreshStats();
        if (visible.value) refreshLatent();
        return;
      case 'state':
        if (!ev.running && (ev.reason === 'pause' || ev.reason === 'done' || ev.reason === 'breakpoint') && ev.step > 0) {
          refreshStats();
          if (visible.value) refreshLatent();
        }
        return;
      case 'error':
        if (ev.fatal) {
          iwaeBusy.value = false;
          compareBusy.value = false;
          abandonRequests();
        }
        return;
      case 'latentStats':
        if (training.detached) {
          statsRequest.answered(); // about the previous document's weights
          return;
        }
        stats.value = ev;
        collapseWatch.value = watchCollapse(collapseWatch.value, ev);
        statsError.value = null;
        statsRequest.answered();
        return;
      case 'iwaeProgress':
        iwaeProgress.value = { done: ev.done, total: ev.total };
        return;
      case 'iwaeResult':
        iwae.value = ev;
        iwaeBusy.value = false;
        iwaeProgress.value = null;
        return;
      case 'compareProgress':
        compareProgress.value = { step: ev.step, steps: ev.steps };
        return;
      case 'compareResult':
        compareBusy.value = false;
        compareProgress.value = null;
        compare.value = { result: ev.result, steps: ev.steps, tolerance: ev.tolerance, ms: ev.ms, reference: compareLabel, outdated: false };
        showCompareHighlight();
        return;
      case 'latentCodes':
        codes.value = ev;
        codesRequest.answered();
        return;
      case 'latentEncoded':
        if (ev.id === probeId) probe.value = ev;
        return;
      case 'latentDecoded': {
        const sent = pendingDecodes.get(ev.id);
        pendingDecodes.delete(ev.id);
        if (ev.purpose === 'hover') hoverRequest.answered();
        if (!sent || latestDecode.get(ev.purpose) !== ev.id) return;
        decodeError.value = ev.note;
        decoded.value = { ...decoded.value, [ev.purpose]: { id: ev.id, purpose: ev.purpose, step: ev.step, images: ev.images, note: ev.note, z: sent.z, count: sent.count, meta: sent.meta } };
        return;
      }
      case 'instrumentError':
        onError(ev.request, ev.id, ev.message);
        return;
      default:
        return;
    }
  }

  function onError(request: InstrumentRequestType, id: number | null, message: string): void {
    switch (request) {
      case 'latentStats':
        statsRequest.abandon();
        statsError.value = message;
        return;
      case 'iwae':
        iwaeBusy.value = false;
        iwaeProgress.value = null;
        iwaeError.value = message;
        return;
      case 'compare':
        compareBusy.value = false;
        compareProgress.value = null;
        compareError.value = message;
        return;
      case 'latentCodes':
        codesRequest.abandon();
        codesError.value = message;
        return;
      case 'latentEncode':
        if (id === probeId) probeError.value = message;
        return;
      case 'latentDecode': {
        const sent = id !== null ? pendingDecodes.get(id) : undefined;
        if (id !== null) pendingDecodes.delete(id);
        if (sent?.purpose === 'hover') hoverRequest.answered();
        decodeError.value = message;
        return;
      }
    }
  }

  training.onWorkerEvent(onEvent);

  // An edit makes the compare result describe an earlier graph; a new document forgets it.
  watch(
    () => [graphStore.structureVersion, graphStore.paramsVersion] as const,
    () => {
      if (compare.value && !compare.value.outdated) {
        compare.value = { ...compare.value, outdated: true };
        clearCompareHighlight();
      }
    },
  );
  watch(
    () => graphStore.documentVersion,
    () => {
      // The old run's statistics, alarm and views describe another graph (New, Open, a preset).
      forgetRun();
      compare.value = null;
      compareError.value = null;
      referenceChoice.value = '';
      probeSource.value = { kind: 'heldOut', index: 0 };
    },
  );
  watch(visible, (v) => {
    if (v) {
      refreshLatent();
      if (!stats.value) refreshStats();
    }
  });

  return {
    ready,
    visible,
    // KL per dimension and the alarm
    stats,
    statsError,
    alarm,
    collapseWatch,
    collapseRule,
    dimsByKl,
    refreshStats,
    // IWAE
    iwaeK,
    iwae,
    iwaeBusy,
    iwaeProgress,
    iwaeError,
    iwaeGap,
    computeIwae,
    // compare
    compareSteps,
    compareTolerance,
    referenceOptions,
    reference,
    referenceFile,
    chooseReference,
    loadReferenceFile,
    compare,
    compareBusy,
    compareProgress,
    compareError,
    runCompare,
    focusCompareNode,
    // latent views
    latentDim,
    codes,
    codesError,
    probeSource,
    probe,
    probeError,
    decoded,
    decodeError,
    hoverZ,
    refreshCodes,
    refreshLatent,
    pickHeldOut,
    useDrawing,
    decode,
    hover,
    onEvent,
  };
});

export type InstrumentsStore = ReturnType<typeof useInstrumentsStore>;
