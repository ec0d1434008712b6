/**
 * The training store against a fake worker: what it sends for each action and graph edit,
 * and what it does with the worker's events (metrics, badges, numbers on wires, breakpoint
 * highlight, needsReset, a crash and a restart).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { useGraphStore } from '../../src/stores/graph';
import { useOverlayStore } from '../../src/stores/overlay';
import { fmt, portText, seriesCsv, shortReason, useTrainingStore } from '../../src/stores/training';
import { FakeWorker } from '../fixtures/fake-worker';
import type { WorkerEvent } from '../../src/worker/protocol';

const NODES = [
  { id: 'data', type: 'data.mnist', role: 'data', active: true },
  { id: 'enc', type: 'vae.encoder', role: 'encoder', active: true },
  { id: 'rep', type: 'vae.reparameterize', role: 'reparameterize', active: true },
  { id: 'dec', type: 'vae.decoder', role: 'decoder', active: true },
  { id: 'recon', type: 'loss.reconstruction', role: 'reconstruction', active: true },
  { id: 'kl', type: 'loss.kl', role: 'kl', active: true },
  { id: 'beta', type: 'loss.beta', role: 'beta', active: true },
  { id: 'opt', type: 'train.optimizer', role: 'optimizer', active: true },
];

function ready(backend: 'webgl' | 'wasm' | 'cpu' = 'webgl', reason?: string): WorkerEvent {
  return { type: 'ready', backend, renderer: null, ...(reason ? { reason } : {}), seed: 1, step: 0, stepsPerEpoch: 71, parameters: 652824, nodes: NODES, decoder: 'dec', latentDim: 20, numTensors: 30 };
}

function stepped(step: number, loss = 500 - step): WorkerEvent {
  return { type: 'stepped', metrics: { step, epoch: 0, loss, recon: loss - 10, kl: 10, klWeighted: 10, ms: 70 }, numTensors: 41 };
}

function setup() {
  setActivePinia(createPinia());
  const graph = useGraphStore();
  graph.useStorage(null);
  expect(graph.loadPreset('standard-vae').ok).toBe(true);
  const overlay = useOverlayStore();
  const store = useTrainingStore();
  const workers: FakeWorker[] = [];
  store.useWorkerFactory(() => {
    const w = new FakeWorker();
    workers.push(w);
    return w;
  });
  store.start();
  return { graph, overlay, store, workers, w: () => workers[workers.length - 1]! };
}

describe('training store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('starts the worker with the open graph, then steps exactly one batch per Step', () => {
    const { store, w } = setup();
    const init = w().sent[0]!;
    expect(init.type).toBe('init');
    expect((init.graph as { meta: { name: string } }).meta.name).toBe('Standard VAE (MNIST)');
    expect(init.seed).toBe(1);
    expect(store.canStep).toBe(false); // not ready yet
    store.stepOnce();
    expect(w().types()).toEqual(['init']);
    w().emit(ready());
    expect(store.phase).toBe('ready');
    expect(store.step).toBe(0);
    store.stepOnce();
    store.stepOnce(); // ignored while the first is in flight
    expect(w().types()).toEqual(['init', 'step']);
    expect(w().sent[1]).toEqual({ type: 'step', n: 1 });
    w().emit(stepped(1));
    w().emit({ type: 'state', running: false, step: 1, reason: 'done' });
    expect(store.step).toBe(1);
    expect(store.last?.loss).toBe(499);
    expect(store.series.step).toEqual([1]);
    expect(store.canStep).toBe(true);
  });

  it('a ready with rebuilds still queued behind it is not ready yet (Run would wait behind them)', () => {
    const { store, w } = setup();
    w().emit({ ...ready(), queued: 1 } as WorkerEvent);
    expect(store.phase).toBe('starting');
    expect(store.canStep).toBe(false);
    w().emit({ ...ready(), queued: 0 } as WorkerEvent);
    expect(store.phase).toBe('ready');
    expect(store.canStep).toBe(true);
  });

  it('writes badges and numbers on wires from the step and its port statistics', () => {
    const { store, overlay, w } = setup();
    w().emit(ready());
    w().emit(stepped(1, 480.5));
    w().emit({
      type: 'stats',
      step: 1,
      portStats: {
        'enc.mu': { shape: [128, 20], mean: 0.0123, std: 0.5, nonFinite: 0 },
        'kl.kl': { shape: [128], mean: 12.34, std: 1, nonFinite: 0 },
        'recon.nll': { shape: [128], mean: 470, std: 20, nonFinite: 0 },
        'dec.xHat': { shape: [128, 784], mean: null, std: null, nonFinite: 100352 },
      },
    });
    expect(overlay.badges.kl).toBe('KL 12.3');
    expect(overlay.badges.opt).toBe('loss 481');
    expect(overlay.badges.recon).toBe('recon 470');
    expect(overlay.portValues['enc.mu']).toBe('0.0123 ± 0.5');
    expect(overlay.portValues['dec.xHat']).toMatch(/non-finite/);
    expect(store.portStats['kl.kl']!.mean).toBe(12.34);
  });

  it('a β edit is sent as updateGraph once the analysis lands; the weights stay', async () => {
    const { store, graph, w } = setup();
    w().emit(ready());
    w().emit(stepped(1));
    expect(graph.apply({ op: 'setParam', node: 'beta', param: 'beta', value: 4 }).ok).toBe(true);
    graph.analyzeNow();
    await nextTick();
    const upd = w().sent.filter((m) => m.type === 'updateGraph');
    expect(upd).toHaveLength(1);
    const beta = (upd[0]!.graph as { nodes: Array<{ id: string; params: Record<string, unknown> }> }).nodes.find((n) => n.id === 'beta')!;
    expect(beta.params.beta).toBe(4);
    w().emit({ type: 'graphUpdated', hot: true, needsReset: false, message: 'ok' });
    expect(store.step).toBe(1);
    expect(store.needsReset).toBeNull();
  });

  it('a structural edit waits for Reset: nothing stale is shown and Step is off until then', async () => {
    const { store, overlay, graph, w } = setup();
    w().emit(ready());
    w().emit(stepped(1));
    w().emit({ type: 'stats', step: 1, portStats: { 'kl.kl': { shape: [128], mean: 3, std: 1, nonFinite: 0 } } });
    expect(Object.keys(overlay.badges).length).toBeGreaterThan(0);
    graph.apply({ op: 'setParam', node: 'enc', param: 'latentDim', value: 8 });
    graph.analyzeNow();
    await nextTick();
    w().emit({ type: 'graphUpdated', hot: false, needsReset: true, message: 'structure changed' });
    expect(store.needsReset).toBe('structure changed');
    expect(store.canStep).toBe(false);
    expect(overlay.badges).toEqual({});
    expect(overlay.portValues).toEqual({});
    store.reset();
    expect(w().types().slice(-2)).toEqual(['updateGraph', 'reset']);
    expect(store.step).toBe(0);
    expect(store.previous?.step).toEqual([1]); // the last run, drawn faintly
    w().emit(ready());
    expect(store.needsReset).toBeNull();
    expect(store.canStep).toBe(true);
  });

  it('an uncompilable edit blocks training (and pauses a run) without telling the worker a bad graph', async () => {
    const { store, graph, w } = setup();
    w().emit(ready());
    store.run();
    w().emit({ type: 'state', running: true, step: 0, reason: 'run' });
    expect(store.running).toBe(true);
    graph.apply({ op: 'disconnect', from: 'data.x', to: 'enc.x' });
    graph.analyzeNow();
    await nextTick();
    expect(store.canTrain).toBe(false);
    expect(w().types()).toContain('pause');
    expect(w().types()).not.toContain('updateGraph');
  });

  it('a breakpoint highlights the node; Reset clears it; the probe follows the selected wire', async () => {
    const { store, overlay, w } = setup();
    w().emit(ready());
    w().emit({
      type: 'breakpoint',
      diagnostic: { code: 'NON_FINITE', severity: 'error', node: 'sigma', port: 'y', step: 1, nanCount: 0, infCount: 1047, message: 'first non-finite value appeared at sigma.y' },
      loss: null,
    });
    expect(store.breakpoint?.node).toBe('sigma');
    expect(overlay.highlight).toEqual({ node: 'sigma', port: 'y', reason: 'Infinity first appears here at step 1' });
    overlay.selectEdge({ from: 'enc.mu', to: 'rep.mu' });
    await nextTick();
    expect(w().sent[w().sent.length - 1]).toEqual({ type: 'probe', edge: { from: 'enc.mu', to: 'rep.mu' }, watch: true });
    // Hovering another wire does not replace the selected one; without a selection it probes after a pause.
    const probes = () => w().sent.filter((m) => m.type === 'probe').length;
    const before = probes();
    overlay.hoverEdge({ from: 'dec.xHat', to: 'recon.xHat' });
    await new Promise((r) => setTimeout(r, 200));
    expect(probes()).toBe(before);
    overlay.selectEdge(null);
    await nextTick();
    expect(probes()).toBe(before);
    await new Promise((r) => setTimeout(r, 200));
    expect(probes()).toBe(before + 1);
    expect(store.probeEdge).toEqual({ from: 'dec.xHat', to: 'recon.xHat' });
    store.reset();
    expect(store.breakpoint).toBeNull();
    expect(overlay.highlight).toBeNull();
  });

  it('New, Open or a preset starts the panel clean, even for an empty graph; the old run is only the faint previous one', async () => {
    const { store, overlay, graph, w } = setup();
    w().emit(ready());
    store.run();
    w().emit({ type: 'state', running: true, step: 0, reason: 'run' });
    for (let i = 1; i <= 5; i++) w().emit(stepped(i));
    w().emit({ type: 'images', step: 5, inputs: null, recons: null, samples: null, note: null } as unknown as WorkerEvent);
    w().emit({ type: 'breakpoint', diagnostic: { code: 'NON_FINITE', severity: 'error', node: 'enc', port: 'mu', step: 5, message: 'NaN' }, loss: null });
    w().emit({ type: 'state', running: false, step: 5, reason: 'breakpoint' });
    expect(store.step).toBe(5);
    expect(store.images).not.toBeNull();
    store.run();
    w().emit({ type: 'state', running: true, step: 5, reason: 'run' });

    graph.newGraph();
    await nextTick();
    expect(store.canTrain).toBe(false); // "Cannot train: the graph is empty"
    expect(w().types()).toContain('pause');
    expect(store.step).toBe(0);
    expect(store.series.step).toEqual([]);
    expect(store.previous?.step).toEqual([1, 2, 3, 4, 5]);
    expect(store.images).toBeNull();
    expect(store.breakpoint).toBeNull();
    expect(overlay.highlight).toBeNull();
    // The old run's last step and its pause arrive after New: not shown.
    w().emit(stepped(6));
    w().emit({ type: 'state', running: false, step: 6, reason: 'pause' });
    expect(store.step).toBe(0);
    expect(store.series.step).toEqual([]);

    // A preset: a fresh trainer for it, still clean.
    expect(graph.loadPreset('standard-vae').ok).toBe(true);
    graph.analyzeNow();
    await nextTick();
    expect(w().types().at(-1)).toBe('init');
    expect(store.step).toBe(0);
    expect(store.previous?.step).toEqual([1, 2, 3, 4, 5]);
    w().emit(ready());
    w().emit(stepped(1));
    expect(store.step).toBe(1);
  });

  it('a crashed worker is reported as fatal; Restart starts a fresh one with the untouched graph', () => {
    const { store, graph, workers, w } = setup();
    w().emit(ready());
    const doc = graph.graph;
    w().onerror?.({ message: 'out of memory', preventDefault() {} } as unknown as ErrorEvent);
    expect(store.phase).toBe('crashed');
    expect(store.fatal?.code).toBe('WORKER_CRASHED');
    expect(store.canStep).toBe(false);
    expect(workers[0]!.terminated).toBe(true);
    expect(graph.graph).toBe(doc);
    store.restart();
    expect(workers).toHaveLength(2);
    expect(workers[1]!.sent[0]).toMatchObject({ type: 'init', backend: 'auto' });
    expect(store.fatal).toBeNull();
    // A lost WebGL context arrives as a fatal event from the worker itself.
    workers[1]!.emit({ type: 'error', code: 'CONTEXT_LOST', message: 'lost', fatal: true });
    expect(store.phase).toBe('crashed');
    expect(store.fatal?.code).toBe('CONTEXT_LOST');
  });

  it('switching backend re-initialises on the chosen one; a fallback is reflected', () => {
    const { store, w } = setup();
    w().emit(ready());
    store.setBackend('wasm');
    expect(w().sent[w().sent.length - 1]).toEqual({ type: 'setBackend', backend: 'wasm' });
    // A late ready from the first init does not overwrite the user's choice.
    w().emit(ready('webgl'));
    expect(store.backend).toBe('wasm');
    w().emit(ready('wasm'));
    expect(store.activeBackend).toBe('wasm');
    store.setBackend('webgl');
    w().emit({ type: 'error', code: 'BACKEND_FAILED', message: 'no WebGL; using wasm', fatal: false });
    w().emit(ready('wasm'));
    expect(store.backend).toBe('wasm');
  });
});

describe('training store: the backend the app picks, and the one the person picks', () => {
  let stored: Map<string, string>;
  beforeEach(() => {
    setActivePinia(createPinia());
    stored = new Map();
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, String(v)),
      removeItem: (k: string) => void stored.delete(k),
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('a fresh page lets the worker pick; its reason is shown and its backend selected', () => {
    const { store, w } = setup();
    expect(w().sent[0]).toMatchObject({ type: 'init', backend: 'auto' });
    w().emit(ready('wasm', 'Started on wasm: WebGL here is a software renderer (SwiftShader), much slower than wasm on the same CPU.'));
    expect(store.backend).toBe('wasm');
    expect(store.activeBackend).toBe('wasm');
    expect(store.backendReason).toMatch(/software renderer/);
    expect(stored.size).toBe(0); // the app's pick is not remembered as the person's
  });

  it('one click back to WebGL is remembered: the next page starts on it, with no reason line', () => {
    const first = setup();
    first.w().emit(ready('wasm', 'Started on wasm: WebGL here is a software renderer (SwiftShader).'));
    first.store.setBackend('webgl');
    expect(first.store.backendReason).toBeNull();
    expect(first.w().sent[first.w().sent.length - 1]).toEqual({ type: 'setBackend', backend: 'webgl' });
    first.w().emit(ready('webgl'));
    expect(first.store.backend).toBe('webgl');
    expect(stored.get('vae-lab:backend')).toBe('webgl');
    // A new page (a new store) asks for the remembered backend, not 'auto'.
    setActivePinia(createPinia());
    const second = setup();
    expect(second.w().sent[0]).toMatchObject({ type: 'init', backend: 'webgl' });
    second.w().emit(ready('webgl'));
    expect(second.store.backendReason).toBeNull();
  });
});

describe('training store helpers', () => {
  it('formats numbers compactly and port summaries readably', () => {
    expect(fmt(12.3456)).toBe('12.3');
    expect(fmt(0.000012)).toBe('1.20e-5');
    expect(fmt(123456)).toBe('1.23e+5');
    expect(portText({ shape: [2], mean: 1, std: 0.25, nonFinite: 0 })).toBe('1 ± 0.25');
    expect(portText({ shape: [2], mean: 1, std: 0, nonFinite: 2 })).toBe('⚠ 2 non-finite');
  });

  it('exports every step as CSV with the held-out −ELBO where measured', () => {
    const csv = seriesCsv({ step: [1, 2], epoch: [0, 0], loss: [5, 4], recon: [4, 3], kl: [1, 1], klWeighted: [1, 1], ms: [70, 71], evalStep: [2], heldOut: [3.5] });
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('step,epoch,loss,recon,kl,klWeighted,msPerStep,heldOutNegElbo');
    expect(lines[1]).toBe('1,0,5,4,1,1,70.00,');
    expect(lines[2]).toBe('2,0,4,3,1,1,71.00,3.5');
  });

  it('names what went wrong in a few words for the node label', () => {
    const d = (code: string, counts: { nanCount?: number; infCount?: number } = {}) => ({ code, severity: 'error' as const, node: 'n', port: null, message: '', step: 3, ...counts });
    // The counts are the diagnostic's fields; its message is never read back.
    expect(shortReason(d('NON_FINITE', { nanCount: 5, infCount: 0 }))).toBe('NaN first appears here at step 3');
    expect(shortReason(d('NON_FINITE', { nanCount: 0, infCount: 7 }))).toBe('Infinity first appears here at step 3');
    expect(shortReason({ ...d('NON_FINITE', { nanCount: 2, infCount: 3 }), message: '(5 NaN, 0 ±Infinity of 10 values)' })).toBe('NaN/Infinity first appears here at step 3');
    expect(shortReason(d('KL_NEGATIVE'))).toBe('KL < 0 at step 3');
    expect(shortReason(d('LOSS_JUMP'))).toBe('loss jumped at step 3');
  });
});
