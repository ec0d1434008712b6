/**
 * The training store's reducer, on its own: what each worker event does to the state. Every
 * input is deep-frozen, so a reducer that mutated its state or event would throw here.
 */
import { describe, expect, it } from 'vitest';
import { clearRun, documentReplaced, initialTrainingState, reduce, type TrainingState } from '../../src/stores/training-reducer';
import type { WorkerEvent } from '../../src/worker/protocol';

function freeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) freeze(v);
  }
  return x;
}

/** reduce over frozen inputs, left to right. */
function run(s: TrainingState, ...events: WorkerEvent[]): TrainingState {
  return events.reduce((acc, ev) => reduce(freeze(acc), freeze(ev)), s);
}

const NODES = [
  { id: 'enc', type: 'vae.encoder', role: 'encoder', active: true },
  { id: 'opt', type: 'train.optimizer', role: 'optimizer', active: true },
];

function ready(over: Partial<Extract<WorkerEvent, { type: 'ready' }>> = {}): WorkerEvent {
  return { type: 'ready', backend: 'webgl', renderer: null, seed: 1, step: 0, stepsPerEpoch: 71, parameters: 100, nodes: NODES, decoder: 'dec', latentDim: 2, numTensors: 30, ...over };
}

function stepped(step: number, loss = 500 - step): WorkerEvent {
  return { type: 'stepped', metrics: { step, epoch: 0, loss, recon: loss - 10, kl: 10, klWeighted: 10, ms: 70 }, numTensors: 41 };
}

const start = (over: Partial<TrainingState> = {}): TrainingState => ({
  ...initialTrainingState({ backend: 'webgl', chosen: true, graphCompiles: true }),
  phase: 'starting',
  busy: true,
  ...over,
});

describe('the training reducer', () => {
  it('ready: the trainer is built; a ready with rebuilds queued behind it only names the backend', () => {
    const queued = run(start(), ready({ queued: 1, backend: 'wasm' }));
    expect(queued).toMatchObject({ phase: 'starting', busy: true, activeBackend: 'wasm', nodes: [] });
    const s = run(queued, ready());
    expect(s).toMatchObject({ phase: 'ready', busy: false, activeBackend: 'webgl', stepsPerEpoch: 71, parameters: 100, decoder: 'dec', numTensors: 30, needsReset: null });
    expect(s.nodes).toEqual(NODES);
  });

  it('the chosen backend stands unless the worker fell back; an unchosen one follows the worker and keeps its reason', () => {
    expect(run(start(), ready({ backend: 'wasm' })).backend).toBe('webgl');
    const fell = run(start(), { type: 'error', code: 'BACKEND_FAILED', message: 'no WebGL', fatal: false }, ready({ backend: 'wasm' }));
    expect(fell).toMatchObject({ backend: 'wasm', fellBack: false, lastNotice: { code: 'BACKEND_FAILED', message: 'no WebGL' } });
    const auto = run(start({ chosen: false }), ready({ backend: 'wasm', reason: 'software renderer' }));
    expect(auto).toMatchObject({ backend: 'wasm', backendReason: 'software renderer' });
    expect(run(start(), ready({ reason: 'ignored' })).backendReason).toBeNull();
  });

  it('on wasm the ready event carries the build and its threads; another backend clears them', () => {
    const wasm = { build: 'threaded-simd' as const, threads: 2, isolated: true, cores: 4 };
    const s = run(start(), ready({ backend: 'wasm', wasm }));
    expect(s.wasmRuntime).toEqual(wasm);
    expect(run(s, ready({ backend: 'webgl' })).wasmRuntime).toBeNull();
  });

  it('a step while idle shows at once; while running it waits (the series keeps it) until stats or a state event', () => {
    const idle = run(start(), ready(), stepped(1, 480));
    expect(idle).toMatchObject({ step: 1, pendingStep: null });
    expect(idle.last?.loss).toBe(480);
    expect(idle.series.loss).toEqual([480]);

    const running = run(idle, { type: 'state', running: true, step: 1, reason: 'run' }, stepped(2, 470), stepped(3, 460));
    expect(running.phase).toBe('running');
    expect(running.step).toBe(1);
    expect(running.pendingStep?.m.step).toBe(3);
    expect(running.series.step).toEqual([1, 2, 3]);
    const shown = run(running, { type: 'stats', step: 3, portStats: { 'enc.mu': { shape: [2], mean: 0.5, std: 1, nonFinite: 0 } } });
    expect(shown).toMatchObject({ step: 3, pendingStep: null });
    expect(shown.last?.loss).toBe(460);
    expect(shown.portStats['enc.mu']!.mean).toBe(0.5);
    expect(shown.version).toBeGreaterThan(running.version);
    // The earlier states are untouched (the frozen inputs would have thrown otherwise).
    expect(idle.series.step).toEqual([1]);
  });

  it('a held-out evaluation is added once per step (a second one at the same step replaces it)', () => {
    const ev = (step: number, heldOutLoss: number): WorkerEvent => ({ type: 'evaluated', metrics: { step, heldOutLoss, recon: 0, kl: 0, count: 100 }, epochEnd: false });
    const s = run(start(), ready(), ev(50, 120), ev(100, 110), ev(100, 108));
    expect(s.series.evalStep).toEqual([50, 100]);
    expect(s.series.heldOut).toEqual([120, 108]);
    expect(s.lastEval?.heldOutLoss).toBe(108);
  });

  it('keeps only the probe of the watched wire', () => {
    const probe = (from: string): WorkerEvent => ({ type: 'probe', edge: { from, to: 'x.y' }, step: 1, summary: null, message: 'none' });
    const s = run(start({ probeEdge: { from: 'enc.mu', to: 'x.y' } }), ready());
    expect(run(s, probe('dec.xHat'))).toBe(s);
    expect(run(s, probe('enc.mu')).probe?.edge.from).toBe('enc.mu');
  });

  it('a breakpoint is kept with its loss; a stop reports a graph that no longer compiles once', () => {
    const bp = run(start(), ready(), {
      type: 'breakpoint',
      diagnostic: { code: 'NON_FINITE', severity: 'error', node: 'sigma', port: 'y', step: 1, nanCount: 0, infCount: 9, message: 'm' },
      loss: null,
    });
    expect(bp.breakpoint).toMatchObject({ node: 'sigma', infCount: 9, loss: null });
    const stale: WorkerEvent = { type: 'state', running: false, step: 4, reason: 'stale' };
    expect(run({ ...bp, graphCompiles: false, phase: 'running' }, stale)).toMatchObject({ phase: 'ready', step: 4, lastNotice: { code: 'STALE_GRAPH' } });
    expect(run({ ...bp, graphCompiles: true }, stale).lastNotice).toBeNull();
    expect(run({ ...bp, graphCompiles: false, needsReset: 'structure' }, stale).lastNotice).toBeNull();
  });

  it('a structural edit forgets what is stale; a rebuild before any step starts a fresh run, keeping the last one to draw', () => {
    const trained = run(start(), ready(), stepped(1), { type: 'stats', step: 1, portStats: { 'enc.mu': { shape: [2], mean: 1, std: 0, nonFinite: 0 } } }, {
      type: 'breakpoint',
      diagnostic: { code: 'KL_NEGATIVE', severity: 'error', node: 'kl', port: 'kl', step: 2, message: 'm' },
      loss: 3,
    });
    const drawn = run(trained, { type: 'images', step: 1, inputs: null, recons: null, samples: null, view: null, note: null });
    expect(drawn.images).not.toBeNull();
    // another data file (or another structure): the reconstructions of the old one are not shown beside the new
    const structural = run({ ...drawn, phase: 'running' }, { type: 'graphUpdated', hot: false, needsReset: true, message: 'structure changed' });
    expect(structural).toMatchObject({ needsReset: 'structure changed', breakpoint: null, images: null, probe: null, portStats: {}, phase: 'ready', step: 1 });
    expect(run(trained, { type: 'graphUpdated', hot: true, needsReset: false, message: 'ok' })).toBe(trained);
    const rebuilt = run(trained, { type: 'graphUpdated', hot: false, needsReset: false, message: 'rebuilt' });
    expect(rebuilt).toMatchObject({ step: 0, last: null, breakpoint: null, portStats: {}, run: trained.run + 1 });
    expect(rebuilt.series.step).toEqual([]);
    expect(rebuilt.previous?.step).toEqual([1]);
    expect(clearRun(freeze(rebuilt), false).previous).toBeNull();
  });

  it('a fatal error crashes; other errors become the notice and end a start; advice only for the backend in use', () => {
    expect(run(start(), { type: 'error', code: 'CONTEXT_LOST', message: 'gone', fatal: true })).toMatchObject({ phase: 'crashed', busy: false, fatal: { code: 'CONTEXT_LOST' } });
    expect(run(start(), { type: 'error', code: 'COMPILE', message: 'bad', fatal: false })).toMatchObject({ phase: 'ready', busy: false, lastNotice: { code: 'COMPILE' } });
    const advice: WorkerEvent = { type: 'backendAdvice', current: 'webgl', currentMs: 90, suggested: 'wasm', suggestedMs: 30, renderer: 'SwiftShader' };
    expect(run(start(), advice).advice?.suggested).toBe('wasm');
    expect(run(start({ backend: 'wasm' }), advice).advice).toBeNull();
  });

  it('events it has no use for leave the state as it was', () => {
    const s = run(start(), ready());
    expect(run(s, { type: 'disposed' })).toBe(s);
    expect(run(s, { type: 'iwaeProgress', done: 1, total: 2 } as WorkerEvent)).toBe(s);
    expect(run(s, { type: 'memory', numTensors: 7, numBytes: 1 }).numTensors).toBe(7);
  });

  it('a replaced document (New, Open, a preset) starts the panel clean, keeping the old run only as the faint previous one', () => {
    const images = { type: 'images', step: 3, inputs: null, recons: null, samples: null, note: null } as unknown as WorkerEvent;
    const breakpoint: WorkerEvent = { type: 'breakpoint', diagnostic: { code: 'NON_FINITE', severity: 'error', node: 'enc', port: 'mu', message: 'NaN', step: 3 }, loss: null };
    const evaluated: WorkerEvent = { type: 'evaluated', metrics: { step: 3, heldOutLoss: 120, recon: 0, kl: 0, count: 100 }, epochEnd: false };
    const old = run(start({ probeEdge: { from: 'enc.mu', to: 'x.y' } }), ready(), stepped(1), stepped(2), stepped(3), evaluated, images, breakpoint, {
      type: 'state',
      running: false,
      step: 3,
      reason: 'breakpoint',
    });
    expect(old).toMatchObject({ step: 3, images: { step: 3 }, breakpoint: { code: 'NON_FINITE' } });
    const fresh = documentReplaced(freeze(old));
    expect(fresh).toMatchObject({ step: 0, epoch: 0, last: null, lastEval: null, images: null, probe: null, probeEdge: null, breakpoint: null, needsReset: null, detached: true });
    expect(fresh.series.step).toEqual([]);
    expect(fresh.series.evalStep).toEqual([]);
    expect(fresh.previous?.step).toEqual([1, 2, 3]);
    expect(fresh.run).toBe(old.run + 1);
    // Cleared again when the new graph is sent: the previous run stays.
    expect(documentReplaced(freeze(fresh)).previous?.step).toEqual([1, 2, 3]);

    // What the old trainer still reports (in flight, or the pause that stops it) is not the new document's.
    const late = run(fresh, stepped(4), evaluated, images, breakpoint, { type: 'state', running: false, step: 4, reason: 'pause' });
    expect(late).toMatchObject({ step: 0, images: null, breakpoint: null, phase: 'ready', detached: true });
    expect(late.series.step).toEqual([]);
    // The new trainer's step-0 grids come just before its ready; its ready ends that.
    const grids = run(late, { ...images, step: 0 } as WorkerEvent);
    expect(grids.images?.step).toBe(0);
    const next = run(grids, ready(), stepped(1));
    expect(next).toMatchObject({ step: 1, detached: false });
    expect(next.series.step).toEqual([1]);
  });

  it('lists the backends the worker offers: webgpu only when it reports an adapter', () => {
    const fresh = initialTrainingState({ backend: 'webgl', chosen: false, graphCompiles: true });
    expect(fresh.offered).not.toContain('webgpu');
    expect(run(fresh, ready({ offered: ['webgl', 'webgpu', 'wasm', 'cpu'] })).offered).toEqual(['webgl', 'webgpu', 'wasm', 'cpu']);
    expect(run(fresh, ready({ offered: ['webgl', 'webgpu', 'wasm', 'cpu'] }), ready({ offered: ['webgl', 'wasm', 'cpu'] })).offered).toEqual(['webgl', 'wasm', 'cpu']);
  });
});
