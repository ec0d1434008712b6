/**
 * A parameter edit compiles at most once on the main thread: the graph store's debounced
 * analysis is the only compile, and it also gives the edit its hot/rebuild verdict. (It used
 * to compile the new graph synchronously inside `apply`, once per edit of a slider drag.)
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';

const compiles = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../src/compiler/compile', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/compiler/compile')>();
  return {
    ...real,
    compile: (...args: Parameters<typeof real.compile>) => {
      compiles.n++;
      return real.compile(...args);
    },
  };
});

const { useGraphStore } = await import('../../src/stores/graph');

function loaded() {
  setActivePinia(createPinia());
  const store = useGraphStore();
  store.useStorage(null);
  expect(store.loadPreset('standard-vae').ok).toBe(true);
  compiles.n = 0;
  return store;
}

describe('graph store: compiles per edit', () => {
  beforeEach(() => {
    compiles.n = 0;
  });

  it('a β edit compiles nothing in apply, then once when the analysis lands, and is a hot update', async () => {
    const store = loaded();
    const p0 = store.paramsVersion;
    const s0 = store.structureVersion;
    store.apply({ op: 'setParam', node: 'beta', param: 'beta', value: 4 });
    expect(compiles.n).toBe(0);
    await new Promise((r) => setTimeout(r, 120)); // the ~50 ms debounce
    expect(compiles.n).toBe(1);
    expect(store.plan?.nodes.get('beta')?.params.beta).toBe(4);
    expect(store.paramsVersion).toBe(p0 + 1);
    expect(store.structureVersion).toBe(s0);
    expect(store.lastChange).toEqual({ kind: 'params', nodes: ['beta'] });
  });

  it('a slider drag (five β edits merged into one undo step) compiles once', async () => {
    const store = loaded();
    const p0 = store.paramsVersion;
    for (const v of [1.5, 2, 2.5, 3, 3.5]) store.apply({ op: 'setParam', node: 'beta', param: 'beta', value: v }, { mergeKey: 'drag:beta' });
    expect(compiles.n).toBe(0);
    store.analyzeNow();
    store.analyzeNow(); // flushing again costs nothing: the analysis is memoised per graph
    expect(compiles.n).toBe(1);
    expect(store.paramsVersion).toBe(p0 + 1);
    expect(store.undoStack.length).toBe(1);
  });

  it('an edit that changes variables compiles once too and asks for a rebuild', () => {
    const store = loaded();
    const s0 = store.structureVersion;
    store.apply({ op: 'setParam', node: 'enc', param: 'latentDim', value: 8 });
    expect(compiles.n).toBe(0);
    store.analyzeNow();
    expect(compiles.n).toBe(1);
    expect(store.structureVersion).toBe(s0 + 1);
    expect(store.lastChange.kind).toBe('structure');
  });
});
