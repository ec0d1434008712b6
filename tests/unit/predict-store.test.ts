/**
 * The prediction store against a fake training worker: a committed prediction reads the
 * instruments at the start (asking the worker only for what is missing), waits for the
 * steps, reads them again, and checks each item with the numbers; a student who does not
 * predict costs nothing; a new graph or a Reset drops the prediction.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { useGraphStore } from '../../src/stores/graph';
import { useTrainingStore } from '../../src/stores/training';
import { useInstrumentsStore } from '../../src/stores/instruments';
import { usePredictStore } from '../../src/stores/predict';
import { FakeWorker } from '../fixtures/fake-worker';
import type { WorkerEvent } from '../../src/worker/protocol';
import type { InstrumentEventOf } from '../../src/worker/instruments-protocol';

function ready(): WorkerEvent {
  return { type: 'ready', backend: 'wasm', renderer: null, seed: 1, step: 0, stepsPerEpoch: 71, parameters: 1, nodes: [], decoder: 'dec', latentDim: 3, numTensors: 1 };
}

function stats(step: number, muVariance: number[]): InstrumentEventOf<'latentStats'> {
  const klPerDim = muVariance.map((v) => v * 10);
  const activeUnits = muVariance.filter((v) => v > 0.01).length;
  return { type: 'latentStats', step, kl: 'kl', klPerDim, klTotal: klPerDim.reduce((a, b) => a + b, 0), muVariance, activeUnits, latentDim: 3, count: 1000, alarm: false, activeThreshold: 0.01, collapseKl: 0.5 };
}

function images(step: number, recon: number): WorkerEvent {
  const block = (v: number) => ({ count: 1, width: 2, height: 1, pixels: Uint8Array.from([v, v]) });
  return { type: 'images', step, inputs: block(255), recons: block(recon), samples: null, note: null };
}

function evaluated(step: number, heldOutLoss: number, kl: number): WorkerEvent {
  return { type: 'evaluated', metrics: { step, heldOutLoss, recon: heldOutLoss - kl, kl, count: 1000 }, epochEnd: false };
}

function stepped(step: number): WorkerEvent {
  return { type: 'stepped', metrics: { step, epoch: 0, loss: 500, recon: 499, kl: 1, klWeighted: 50, ms: 20 }, numTensors: 5 };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await nextTick();
}

function setup() {
  const graph = useGraphStore();
  graph.useStorage(null);
  expect(graph.loadPreset('posterior-collapse').ok).toBe(true);
  const training = useTrainingStore();
  let worker: FakeWorker | null = null;
  training.useWorkerFactory(() => (worker = new FakeWorker()));
  const instruments = useInstrumentsStore();
  const store = usePredictStore();
  training.start();
  const w = worker as unknown as FakeWorker;
  w.emit(images(0, 128));
  w.emit(ready());
  return { graph, training, instruments, store, w };
}

/** The worker's answer to one Step. */
function oneStep(w: FakeWorker, step: number, recon: number): void {
  w.emit(stepped(step));
  w.emit(images(step, recon));
  w.emit({ type: 'state', running: false, step, reason: 'done' });
}

describe('prediction store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('a student who does not predict: a Step sends a step and nothing else', async () => {
    const { training, w } = setup();
    const before = w.sent.length;
    training.stepOnce();
    oneStep(w, 1, 150);
    await settle();
    expect(w.sent.slice(before).map((m) => m.type)).toEqual(['step', 'latentStats']); // the stats: the instruments' own refresh on stop
  });

  it('checks "the KL will rise" against the held-out KL after the step: wrong, with the numbers', async () => {
    const { training, store, w } = setup();
    store.draft = { ...store.draft, horizon: 1, kl: 'rises', recon: 'sharper', loss: 'down', lossSize: 'medium', predictInactive: true, inactive: [0, 1, 2] };
    expect(store.canCommit).toBe(true);
    expect(store.commit()).toBe(true);
    await settle();
    // The start: the images at step 0 are there; the held-out numbers and the statistics are asked for.
    expect(w.of('evaluate')).toHaveLength(1);
    expect(w.of('latentStats').length).toBeGreaterThanOrEqual(1);
    w.emit(evaluated(0, 546.4, 0.098));
    w.emit(stats(0, [0.004, 0.001, 0.002]));
    await settle();
    expect(store.pending?.before?.heldOutKl).toBe(0.098);
    expect(store.stepsToGo).toBe(1);

    training.stepOnce();
    oneStep(w, 1, 200);
    await settle();
    expect(w.of('evaluate')).toHaveLength(2);
    expect(store.lastResult).toBeNull();
    w.emit(evaluated(1, 519.3, 0.082));
    w.emit(stats(1, [0.006, 0.001, 0.002]));
    await settle();

    const r = store.lastResult!;
    expect(r).toMatchObject({ fromStep: 0, toStep: 1, graph: 'Posterior collapse (β = 50)' });
    const by = Object.fromEntries(r.verdicts.map((v) => [v.item, v]));
    expect(by.kl).toMatchObject({ right: false, actual: 'fell' });
    expect(by.kl!.reason).toContain('0.098 nats → 0.082 nats');
    expect(by.lossDirection!.right).toBe(true);
    expect(by.lossSize!.right).toBe(true);
    expect(by.recon).toMatchObject({ right: true, actual: 'sharper' }); // 128 → 200 against inputs of 255
    expect(by.inactive!.right).toBe(true);
    expect(store.score).toEqual({ right: 4, checked: 5 });
    expect(store.history).toHaveLength(1);
    expect(store.pending).toBeNull();
    expect(JSON.parse(store.exportJson()).entries).toHaveLength(1);
  });

  it('Commit & step trains exactly the horizon once the start is read', async () => {
    const { store, w } = setup();
    store.draft = { ...store.draft, horizon: 20, kl: 'not' };
    store.commitAndStep();
    await settle();
    expect(w.of('step')).toHaveLength(0);
    w.emit(evaluated(0, 546.4, 0.098));
    await settle();
    expect(w.of('step')).toEqual([{ type: 'step', n: 20 }]);
  });

  it('does not check before the steps are done, and a new graph drops the prediction', async () => {
    const { graph, training, store, w } = setup();
    store.draft = { ...store.draft, horizon: 3, kl: 'rises' };
    store.commit();
    await settle();
    w.emit(evaluated(0, 546.4, 0.098));
    await settle();
    training.stepOnce();
    oneStep(w, 1, 200);
    await settle();
    expect(w.of('evaluate')).toHaveLength(1); // nothing asked before step 3
    expect(store.stepsToGo).toBe(2);
    graph.loadPreset('standard-vae');
    await settle();
    expect(store.pending).toBeNull();
    expect(store.notice).toMatch(/another graph/);
    expect(store.history).toHaveLength(0);
  });

  it('a number the worker cannot give (an error instead of the evaluation) is not checked, and the prediction does not hang', async () => {
    const { training, store, w } = setup();
    store.draft = { ...store.draft, horizon: 1, loss: 'down', recon: 'sharper' };
    store.commit();
    await settle();
    w.emit({ type: 'error', code: 'BAD_EVENT', message: 'heldOutLoss: expected number, received NaN', fatal: false });
    await settle();
    expect(store.stepsToGo).toBe(1);
    training.stepOnce();
    oneStep(w, 1, 200);
    await settle();
    w.emit({ type: 'error', code: 'BAD_EVENT', message: 'heldOutLoss: expected number, received NaN', fatal: false });
    await settle();
    const by = Object.fromEntries(store.lastResult!.verdicts.map((v) => [v.item, v.right]));
    expect(by).toEqual({ lossDirection: null, recon: true });
  });

  it('cannot commit while training runs, or with nothing predicted', async () => {
    const { training, store, w } = setup();
    expect(store.canCommit).toBe(false); // nothing predicted
    store.draft = { ...store.draft, kl: 'rises' };
    expect(store.canCommit).toBe(true);
    training.run();
    w.emit({ type: 'state', running: true, step: 0, reason: 'run' });
    await settle();
    expect(store.canCommit).toBe(false);
    expect(store.commit()).toBe(false);
  });
});
