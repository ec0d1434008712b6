/**
 * The instruments store against a fake training worker: what it sends (compare with the
 * answer key's fixed graph, a preset or a file; latent statistics with each evaluation; IWAE;
 * throttled hover decodes) and what it does with the answers (the diverging node highlighted
 * and focused, the collapse alarm, the IWAE gap, errors routed to their panel).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { useGraphStore } from '../../src/stores/graph';
import { useOverlayStore } from '../../src/stores/overlay';
import { useTrainingStore } from '../../src/stores/training';
import { useBugHuntStore } from '../../src/stores/bughunt';
import { COMPARE_REASON, HOVER_INTERVAL_MS, useInstrumentsStore } from '../../src/stores/instruments';
import { FakeWorker } from '../fixtures/fake-worker';
import type { WorkerEvent } from '../../src/worker/protocol';
import type { InstrumentEventOf } from '../../src/worker/instruments-protocol';

function ready(latentDim = 20): WorkerEvent {
  return { type: 'ready', backend: 'wasm', renderer: null, seed: 1, step: 0, stepsPerEpoch: 71, parameters: 1, nodes: [], decoder: 'dec', latentDim, numTensors: 1 };
}

function stats(step: number, klPerDim: number[], muVariance: number[]): InstrumentEventOf<'latentStats'> {
  const klTotal = klPerDim.reduce((a, b) => a + b, 0);
  const activeUnits = muVariance.filter((v) => v > 0.01).length;
  return {
    type: 'latentStats',
    step,
    kl: 'kl',
    klPerDim,
    klTotal,
    muVariance,
    activeUnits,
    latentDim: klPerDim.length,
    count: 1000,
    alarm: activeUnits === 0 || klTotal < 0.5,
    activeThreshold: 0.01,
    collapseKl: 0.5,
  };
}

function setup(preset = 'standard-vae') {
  const graph = useGraphStore();
  graph.useStorage(null);
  expect(graph.loadPreset(preset).ok).toBe(true);
  const training = useTrainingStore();
  const overlay = useOverlayStore();
  const hunt = useBugHuntStore();
  let worker: FakeWorker | null = null;
  training.useWorkerFactory(() => (worker = new FakeWorker()));
  const store = useInstrumentsStore();
  training.start();
  const w = worker as unknown as FakeWorker;
  w.emit(ready());
  return { graph, training, overlay, hunt, store, w };
}

describe('instruments store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('bug hunt: compares with the answer key’s fixed graph, highlights the diverging node and focuses it on click', async () => {
    const { graph, hunt, overlay, store, w } = setup('bug-hunt');
    await expect.poll(() => hunt.key !== null).toBe(true);
    expect(store.referenceOptions.map((o) => o.id)).toContain('answers');
    expect(store.reference).toBe('answers');
    store.runCompare();
    const [req] = w.of('compare');
    expect(req).toMatchObject({ type: 'compare', steps: 5, tolerance: 1e-4 });
    const a = req!.graph as { nodes: Array<{ id: string; params: Record<string, unknown> }> };
    const b = req!.reference as typeof a;
    // a is the open graph; b has every fix applied (β = 1 instead of −1, no ReLU on the heads).
    expect(a.nodes.find((n) => n.id === 'beta')!.params.beta).toBe(-1);
    expect(b.nodes.find((n) => n.id === 'beta')!.params.beta).toBe(1);
    expect(b.nodes.find((n) => n.id === 'fc2')!.params.activation).toBe('none');
    expect(store.compareBusy).toBe(true);
    store.runCompare(); // ignored while one runs
    expect(w.of('compare')).toHaveLength(1);
    w.emit({ type: 'compareProgress', step: 1, steps: 5 });
    expect(store.compareProgress).toEqual({ step: 1, steps: 5 });
    const summary = { shape: [128, 32], mean: 0.04, min: 0, max: 0.3, nonFinite: 0, values: [0, 0.12] };
    w.emit({
      type: 'compareResult',
      result: { event: 'diverged', step: 1, node: 'fc2', port: 'y', a: summary, b: { ...summary, mean: 0.008 }, diff: 0.79, reason: 'value', message: 'fc2.y differs' },
      steps: 5,
      tolerance: 1e-4,
      ms: 300,
    });
    expect(store.compareBusy).toBe(false);
    expect(overlay.highlight).toEqual({ node: 'fc2', port: 'y', reason: COMPARE_REASON });
    store.focusCompareNode();
    expect(graph.selection).toEqual(['fc2']);
    expect(graph.focusRequest?.node).toBe('fc2');
    // An edit: the result describes an earlier graph; its highlight goes.
    expect(graph.apply({ op: 'setParam', node: 'fc2', param: 'activation', value: 'none' }).ok).toBe(true);
    graph.analyzeNow(); // the edit's verdict lands with the debounced analysis
    await nextTick();
    expect(store.compare?.outdated).toBe(true);
    expect(overlay.highlight).toBeNull();
  });

  it('without an answer key the standard preset is the reference; a file can be chosen; a bad one is refused', async () => {
    const { store, w } = setup('posterior-collapse');
    expect(store.reference).toBe('preset:standard-vae');
    store.runCompare();
    expect((w.of('compare')[0]!.reference as { meta: { name: string } }).meta.name).toBe('Standard VAE (MNIST)');
    w.emit({ type: 'compareResult', result: { event: 'same', steps: 5, maxDiff: 0, sharedVariables: 10 }, steps: 5, tolerance: 1e-4, ms: 1 });
    expect(store.compare?.result.event).toBe('same');

    const good = JSON.stringify({ format: 'vae-lab/graph', version: 1, meta: { name: 'Mine' }, nodes: [{ id: 'data', type: 'data.mnist' }], edges: [] });
    expect(await store.loadReferenceFile({ name: 'mine.json', text: async () => good })).toBeNull();
    expect(store.reference).toBe('file');
    expect(store.referenceOptions.at(-1)!.label).toBe('File: mine.json');
    const bad = await store.loadReferenceFile({ name: 'bad.json', text: async () => '{"format":"nope"}' });
    expect(bad).toMatch(/bad\.json is not a graph: WRONG_FORMAT/);
    expect(store.reference).toBe('file'); // the last good file stays
    store.compareSteps = 12;
    store.compareTolerance = 1e-6;
    store.runCompare();
    expect(w.of('compare')[1]).toMatchObject({ steps: 12, tolerance: 1e-6, reference: { meta: { name: 'Mine' } } });
    // A compile error from the worker goes to the compare panel, not the training notices.
    w.emit({ type: 'instrumentError', request: 'compare', id: null, code: 'COMPILE', message: 'The reference graph does not compile: NO_OPTIMIZER' });
    expect(store.compareError).toMatch(/NO_OPTIMIZER/);
    expect(store.compareBusy).toBe(false);
  });

  it('asks for the latent statistics with each evaluation, one at a time, and raises the collapse alarm once collapse is established', () => {
    const { store, w } = setup();
    const evaluated = (step: number): WorkerEvent => ({ type: 'evaluated', metrics: { step, heldOutLoss: 200, recon: 190, kl: 10, count: 1000 }, epochEnd: false });
    const flat = (step: number) => stats(step, new Array(20).fill(0.001), new Array(20).fill(1e-4));
    w.emit(evaluated(50));
    w.emit(evaluated(100)); // while the first is in flight: one more afterwards, not two
    expect(w.of('latentStats')).toHaveLength(1);
    w.emit(flat(50));
    expect(w.of('latentStats')).toHaveLength(2);
    w.emit(flat(100));
    expect(w.of('latentStats')).toHaveLength(2);
    // Early in training every VAE looks like that: no alarm yet.
    expect(store.stats?.activeUnits).toBe(0);
    expect(store.alarm).toBe(false);
    for (const step of [200, 250]) w.emit(flat(step));
    expect(store.alarm).toBe(false);
    w.emit(flat(300));
    expect(store.alarm).toBe(true);
    expect(store.collapseRule).toMatch(/from step 200 on, 3 consecutive held-out evaluations/);
    // Statistics from an earlier step (a Reset) start over.
    w.emit(flat(0));
    expect(store.alarm).toBe(false);
    for (const step of [200, 250, 300]) w.emit(flat(step));
    expect(store.alarm).toBe(true);
    // A healthy model clears it: bars sorted by KL for the traversal rows.
    const kl = Array.from({ length: 20 }, (_, j) => (j === 3 ? 5 : j === 7 ? 2 : 0.01));
    w.emit(stats(350, kl, kl.map((k) => (k > 1 ? 1 : 0.001))));
    expect(store.alarm).toBe(false);
    expect(store.dimsByKl.slice(0, 2)).toEqual([3, 7]);
    // A new trainer forgets them.
    w.emit(ready());
    expect(store.stats).toBeNull();
  });

  it('a new document (New, Open, a preset) forgets the statistics and the alarm, and ignores late answers about the old weights', async () => {
    const { store, graph, w } = setup();
    for (const step of [200, 250, 300]) w.emit(stats(step, new Array(20).fill(0.001), new Array(20).fill(1e-4)));
    expect(store.alarm).toBe(true);
    graph.newGraph();
    await nextTick();
    expect(store.stats).toBeNull();
    expect(store.alarm).toBe(false);
    expect(store.ready).toBe(false);
    w.emit(stats(350, new Array(20).fill(0.001), new Array(20).fill(1e-4)));
    expect(store.stats).toBeNull();
    expect(graph.loadPreset('posterior-collapse').ok).toBe(true);
    graph.analyzeNow();
    await nextTick();
    expect(store.stats).toBeNull();
    w.emit(ready());
    w.emit(stats(10, new Array(20).fill(0.001), new Array(20).fill(1e-4)));
    expect(store.stats?.step).toBe(10);
    expect(store.alarm).toBe(false);
  });

  it('IWAE: busy with progress, then the gap to the −ELBO; an error clears busy', () => {
    const { store, w } = setup();
    store.computeIwae();
    store.computeIwae();
    expect(w.of('iwae')).toEqual([{ type: 'iwae', k: 50 }]);
    expect(store.iwaeBusy).toBe(true);
    w.emit({ type: 'iwaeProgress', done: 250, total: 1000 });
    expect(store.iwaeProgress).toEqual({ done: 250, total: 1000 });
    w.emit({ type: 'iwaeResult', step: 300, k: 50, nll: 120.5, elboSameDraws: 124, heldOutLoss: 124.25, count: 1000, ms: 4000 });
    expect(store.iwaeBusy).toBe(false);
    expect(store.iwaeGap).toBeCloseTo(3.75, 9);
    store.computeIwae();
    w.emit({ type: 'instrumentError', request: 'iwae', id: null, code: 'STALE_GRAPH', message: 'Reset to train it.' });
    expect(store.iwaeBusy).toBe(false);
    expect(store.iwaeError).toBe('Reset to train it.');
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('hover decodes at most one point at a time, and the newest point wins', () => {
    // The throttle's clock is faked: a real 60 ms wait for a 40 ms timer fails on a loaded machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { store, w } = setup();
    store.hover(Float32Array.of(0, 0));
    store.hover(Float32Array.of(1, 1));
    store.hover(Float32Array.of(2, 2));
    const first = w.of('latentDecode');
    expect(first).toHaveLength(1);
    expect(Array.from(first[0]!.z as Float32Array)).toEqual([0, 0]);
    const img = { count: 1, width: 28, height: 28, pixels: new Uint8Array(784) };
    w.emit({ type: 'latentDecoded', id: first[0]!.id as number, purpose: 'hover', step: 0, images: img, note: null });
    expect(store.decoded.hover?.images).toEqual(img);
    vi.advanceTimersByTime(HOVER_INTERVAL_MS - 1);
    expect(w.of('latentDecode')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    const all = w.of('latentDecode');
    expect(all).toHaveLength(2);
    expect(Array.from(all[1]!.z as Float32Array)).toEqual([2, 2]);
    // A stale answer for a purpose is dropped.
    const idA = store.decode('manifold', new Float32Array(2), 1)!;
    const idB = store.decode('manifold', new Float32Array(2), 1)!;
    w.emit({ type: 'latentDecoded', id: idA, purpose: 'manifold', step: 0, images: img, note: null });
    expect(store.decoded.manifold).toBeUndefined();
    w.emit({ type: 'latentDecoded', id: idB, purpose: 'manifold', step: 0, images: img, note: null });
    expect(store.decoded.manifold?.id).toBe(idB);
  });

  it('the latent views refresh when the tab is open: codes and the picked digit’s q(z|x)', async () => {
    const { store, w } = setup();
    expect(w.of('latentCodes')).toHaveLength(0);
    store.visible = true;
    await nextTick();
    expect(w.of('latentCodes')).toHaveLength(1);
    expect(w.of('latentEncode')[0]).toMatchObject({ heldOut: 0, pixels: null, samples: 6 });
    store.pickHeldOut(5);
    expect(w.of('latentEncode')[1]).toMatchObject({ heldOut: 5 });
    const drawing = new Float32Array(784).fill(0.5);
    store.useDrawing(drawing);
    const enc = w.of('latentEncode')[2]!;
    expect(enc.heldOut).toBeNull();
    expect((enc.pixels as Float32Array).length).toBe(784);
    // Only the answer to the newest request is shown.
    const base = { type: 'latentEncoded' as const, step: 0, label: null, mu: new Float32Array(2), logvar: new Float32Array(2), z: new Float32Array(0), input: null, decodedMean: null, decodedSamples: null };
    w.emit({ ...base, id: w.of('latentEncode')[1]!.id as number, heldOut: 5 });
    expect(store.probe).toBeNull();
    w.emit({ ...base, id: enc.id as number, heldOut: null });
    expect(store.probe?.heldOut).toBeNull();
  });

  it('sends nothing before the trainer is ready', () => {
    const graph = useGraphStore();
    graph.useStorage(null);
    graph.loadPreset('standard-vae');
    const training = useTrainingStore();
    let worker: FakeWorker | null = null;
    training.useWorkerFactory(() => (worker = new FakeWorker()));
    const store = useInstrumentsStore();
    training.start();
    store.computeIwae();
    store.refreshStats();
    store.hover(Float32Array.of(0, 0));
    expect((worker as unknown as FakeWorker).sent.map((m) => m.type)).toEqual(['init']);
  });
});
