/**
 * One parameter edit (β) end to end while a model trains, as the app runs it: graph store →
 * debounced analysis (compile on the main thread, the hot/rebuild verdict) → training store →
 * worker request (the real TrainingSession, inline, messages structured-cloned) → worker
 * compile → trainer.updatePlan (the same rule) → event back → training store → the next
 * step's metrics. Counts the compiles on each side and the messages between them.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { WorkerLike } from '../../src/worker/client';

const compiles = vi.hoisted(() => ({ main: 0, worker: 0 }));
vi.mock('../../src/compiler/compile', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/compiler/compile')>();
  return {
    ...real,
    compile: (...args: Parameters<typeof real.compile>) => {
      // Which side compiles: the worker's modules live in src/worker/.
      if (/src[\\/]worker[\\/]/.test(new Error().stack ?? '')) compiles.worker++;
      else compiles.main++;
      return real.compile(...args);
    },
  };
});

const { useBackend } = await import('../../src/runtime/backends');
const { loadMnistNode } = await import('../../src/runtime/data/mnist-node');
const { TrainingSession } = await import('../../src/worker/session');
const { useGraphStore } = await import('../../src/stores/graph');
const { useTrainingStore } = await import('../../src/stores/training');

/** A Worker whose other side is a TrainingSession in this process; every message is cloned, as postMessage does. */
class InlineWorker implements WorkerLike {
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: ErrorEvent | Event) => void) | null = null;
  onmessageerror: ((ev: MessageEvent) => void) | null = null;
  toWorker: string[] = [];
  toMain: string[] = [];
  session = new TrainingSession({
    post: (ev) => {
      const data = structuredClone(ev);
      this.toMain.push(data.type);
      setTimeout(() => this.onmessage?.({ data } as MessageEvent), 0);
    },
    loadMnist: () => loadMnistNode(),
  });
  postMessage(m: unknown): void {
    const msg = structuredClone(m) as { type: string };
    this.toWorker.push(msg.type);
    setTimeout(() => void this.session.handle(msg), 0);
  }
  terminate(): void {
    void this.session.handle({ type: 'dispose' });
  }
}

async function until(pred: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a β edit while training: the path and its cost', () => {
  let worker: InlineWorker | null = null;
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(() => worker?.terminate());

  it('compiles once on each side, sends one request and gets one answer, and the next step uses the new β with the weights kept', async () => {
    setActivePinia(createPinia());
    const graph = useGraphStore();
    graph.useStorage(null);
    expect(graph.loadPreset('standard-vae').ok).toBe(true);
    const training = useTrainingStore();
    training.useWorkerFactory(() => (worker = new InlineWorker()));
    training.setBackend('wasm');
    training.start();
    await until(() => training.phase === 'ready' && !training.busy);
    training.stepOnce();
    await until(() => training.step === 1 && !training.busy);
    const w = worker!;

    // The edit, as the inspector makes it.
    compiles.main = 0;
    compiles.worker = 0;
    w.toWorker = [];
    w.toMain = [];
    const p0 = graph.paramsVersion;
    graph.apply({ op: 'setParam', node: 'beta', param: 'beta', value: 4 }, { mergeKey: 'param:beta.beta' });
    expect(compiles.main).toBe(0); // nothing compiles inside apply
    await until(() => w.toMain.includes('graphUpdated'));
    await new Promise((r) => setTimeout(r, 20)); // the event reaches the store
    expect(graph.paramsVersion).toBe(p0 + 1);
    expect(graph.lastChange).toEqual({ kind: 'params', nodes: ['beta'] });
    expect(compiles).toEqual({ main: 1, worker: 1 });
    expect(w.toWorker).toEqual(['updateGraph']);
    expect(w.toMain).toEqual(['graphUpdated']);
    expect(training.needsReset).toBeNull();

    // The next step runs with β = 4 and goes on from step 1 (weights kept).
    training.stepOnce();
    await until(() => training.step === 2 && !training.busy);
    const m = training.last!;
    expect(m.step).toBe(2);
    expect(m.loss).toBeCloseTo(m.recon + 4 * m.kl, 1);
  });
});
