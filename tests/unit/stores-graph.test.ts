import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { readFileSync } from 'node:fs';
import { useGraphStore } from '../../src/stores/graph';
import { useClipboardStore } from '../../src/stores/clipboard';
import { PRESETS } from '../../src/stores/presets';
import { AUTOSAVE_KEY, type StorageLike } from '../../src/stores/persistence';
import { parseGraph, serializeGraph, type Graph } from '../../src/graph/schema';
import { registry } from '../../nodes';
import { partialShapes } from '../../src/compiler/analysis';

const standardText = readFileSync(new URL('../../presets/standard-vae.json', import.meta.url), 'utf8');

function memoryStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

function fresh() {
  setActivePinia(createPinia());
  const store = useGraphStore();
  store.useStorage(null);
  return store;
}

describe('graph store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
  });

  it('lists the presets without answer keys, standard first', () => {
    expect(PRESETS.length).toBeGreaterThan(0);
    expect(PRESETS[0]!.id).toBe('standard-vae');
    expect(PRESETS.some((p) => p.id.endsWith('.answers'))).toBe(false);
    // the data presets of DESIGN §8 are in the menu beside the MNIST ones
    expect(PRESETS.find((p) => p.id === 'tabular-vae')?.name).toBe('Tabular VAE: penguins (d = 2)');
  });

  it('loads the standard preset clean, compiles it and infers every shape', () => {
    const store = fresh();
    expect(store.loadPreset('standard-vae').ok).toBe(true);
    expect(store.dirty).toBe(false);
    expect(store.canTrain).toBe(true);
    expect(store.blockingReason).toBeNull();
    const a = store.analysis;
    expect(a.outShapes.enc!.mu).toEqual(['B', 20]);
    expect(a.outShapes.dec!.xHat).toEqual(['B', 784]);
    expect(a.inShapes.recon!.x).toEqual(['B', 784]);
    expect(a.outShapes.beta!.kl).toEqual(['B']);
    expect(a.parameters).toBeGreaterThan(600_000);
    expect(JSON.parse(store.serialize())).toEqual(JSON.parse(standardText));
  });

  it('undoes every kind of edit back to the start and redoes it forward again', () => {
    const store = fresh();
    store.loadPreset('standard-vae');
    const start = store.serialize();
    const steps: string[] = [start];
    const doStep = (ok: boolean) => {
      expect(ok).toBe(true);
      steps.push(store.serialize());
    };
    doStep(store.apply({ op: 'setParam', node: 'enc', param: 'latentDim', value: 2 }).ok);
    doStep(store.apply({ op: 'disconnect', from: 'beta.kl', to: 'opt.loss' }).ok);
    doStep(store.addNode('layer.dense', { x: 10, y: 20 }, { units: 32 }) === 'dense');
    doStep(store.apply({ op: 'connect', from: 'data.x', to: 'dense.x' }).ok);
    doStep(store.moveNodes([{ node: 'enc', position: { x: 300, y: 400 } }, { node: 'dec', position: { x: 1, y: 2 } }]));
    doStep(store.rename('enc', 'my encoder'));
    doStep(store.setName('Edited'));
    store.select(['enc', 'rep']);
    const clipboard = useClipboardStore();
    expect(clipboard.copy()).toBe(true);
    const pasted = clipboard.paste();
    expect(pasted).toEqual(['enc2', 'rep2']);
    steps.push(store.serialize());
    doStep(store.removeNodes(['kl', 'beta']));
    expect(store.undoStack.length).toBe(steps.length - 1);
    const end = store.serialize();
    expect(end).not.toBe(start);
    for (let i = steps.length - 2; i >= 0; i--) {
      expect(store.undo()).toBe(true);
      expect(store.serialize()).toBe(steps[i]);
    }
    expect(store.undo()).toBe(false);
    expect(store.dirty).toBe(false);
    for (let i = 1; i < steps.length; i++) {
      expect(store.redo()).toBe(true);
      expect(store.serialize()).toBe(steps[i]);
    }
    expect(store.redo()).toBe(false);
    expect(store.serialize()).toBe(end);
  });

  it('pastes nodes with their inner wires only, under fresh ids, offset, as one step', () => {
    const store = fresh();
    store.loadPreset('standard-vae');
    const clipboard = useClipboardStore();
    clipboard.copy(['enc', 'rep', 'dec']);
    const before = store.graph;
    const ids = clipboard.paste()!;
    expect(ids).toEqual(['enc2', 'rep2', 'dec2']);
    const g = store.graph;
    expect(g.nodes.length).toBe(before.nodes.length + 3);
    const inner = g.edges.filter((e) => ids.some((id) => e.from.startsWith(`${id}.`) || e.to.startsWith(`${id}.`)));
    expect(inner).toEqual([
      { from: 'enc2.mu', to: 'rep2.mu' },
      { from: 'enc2.logvar', to: 'rep2.logvar' },
      { from: 'rep2.z', to: 'dec2.z' },
    ]);
    const enc = before.nodes.find((n) => n.id === 'enc')!;
    const enc2 = g.nodes.find((n) => n.id === 'enc2')!;
    expect(enc2.position).toEqual({ x: enc.position!.x + 40, y: enc.position!.y + 40 });
    expect(enc2.params).toEqual(enc.params);
    expect(store.selection).toEqual(ids);
    store.undo();
    expect(store.graph.nodes.length).toBe(before.nodes.length);
    // at a point: the copies' top-left corner goes there (shifted 30 more for this second paste), keeping their layout
    const at = clipboard.paste({ x: 1000, y: 900 })!;
    const pos = (id: string) => store.graph.nodes.find((n) => n.id === id)!.position!;
    const top = Math.min(...['enc', 'rep', 'dec'].map((id) => before.nodes.find((n) => n.id === id)!.position!.y));
    const left = Math.min(...['enc', 'rep', 'dec'].map((id) => before.nodes.find((n) => n.id === id)!.position!.x));
    expect(pos(at[0]!)).toEqual({ x: 1030 + (enc.position!.x - left), y: 930 + (enc.position!.y - top) });
    expect(pos(at[1]!).x - pos(at[0]!).x).toBe(260);
    // duplicate: just below the originals
    const dup = clipboard.duplicate(['kl', 'beta'])!;
    const kl = before.nodes.find((n) => n.id === 'kl')!;
    expect(pos(dup[0]!).x).toBe(kl.position!.x);
    expect(pos(dup[0]!).y).toBeGreaterThan(kl.position!.y + 100);
  });

  it('merges edits that share a merge key into one undo step', () => {
    const store = fresh();
    store.loadPreset('standard-vae');
    store.apply({ op: 'disconnect', from: 'enc.mu', to: 'rep.mu' }, { mergeKey: 'g1', label: 'Rewire' });
    store.apply({ op: 'connect', from: 'enc.logvar', to: 'rep.mu' }, { mergeKey: 'g1' });
    expect(store.undoStack.length).toBe(1);
    expect(store.undoLabel).toBe('Rewire');
    store.undo();
    expect(store.dirty).toBe(false);
  });

  it('refuses a second wire into a single input, a cycle and a shape mismatch; allows a semantic mismatch', () => {
    const store = fresh();
    store.loadPreset('standard-vae');
    const busy = store.checkConnect('enc.logvar', 'rep.mu');
    expect(busy).toMatchObject({ ok: false, code: 'TOO_MANY_EDGES' });
    store.addNode('op.add', { x: 0, y: 0 });
    store.apply({ op: 'connect', from: 'data.x', to: 'add.a' });
    const shape = store.checkConnect('enc.mu', 'add.b');
    expect(shape.ok).toBe(false);
    if (!shape.ok) {
      expect(shape.code).toBe('SHAPE_MISMATCH');
      expect(shape.reason).toContain('[B,784]');
    }
    expect(store.checkConnect('data.x', 'add.b').ok).toBe(true);
    store.apply({ op: 'disconnect', from: 'data.x', to: 'enc.x' });
    const cycle = store.checkConnect('dec.xHat', 'enc.x');
    expect(cycle).toMatchObject({ ok: false, code: 'CYCLE' });
    store.apply({ op: 'disconnect', from: 'enc.logvar', to: 'kl.logvar' });
    const semantic = store.checkConnect('enc.mu', 'kl.logvar');
    expect(semantic).toMatchObject({ ok: true, semantic: true });
    // the multi input takes more than one wire
    store.addNode('loss.kl', { x: 0, y: 0 });
    expect(store.checkConnect('kl.kl', 'opt.loss').ok).toBe(true);
  });

  it('shows shapes on an incomplete graph and flags a mismatch the compiler does not reach', () => {
    const store = fresh();
    store.newGraph();
    store.addNode('data.mnist', { x: 0, y: 0 });
    store.addNode('vae.encoder', { x: 300, y: 0 });
    store.apply({ op: 'connect', from: 'data.x', to: 'enc.x' });
    store.addNode('op.add', { x: 600, y: 0 });
    store.apply({ op: 'connect', from: 'data.x', to: 'add.a' });
    store.apply({ op: 'connect', from: 'enc.mu', to: 'add.b' });
    const a = store.analyzeNow();
    expect(a.compiled.ok).toBe(false);
    expect(a.outShapes.enc!.logvar).toEqual(['B', 20]);
    expect(a.inShapes.add!.a).toEqual(['B', 784]);
    expect(a.errors.some((d) => d.code === 'NO_OPTIMIZER')).toBe(true);
    expect(a.errors.some((d) => d.code === 'SHAPE_MISMATCH' && d.node === 'add')).toBe(true);
    expect(store.canTrain).toBe(false);
    expect(store.blockingReason).toMatch(/NO_OPTIMIZER|SHAPE_MISMATCH/);
  });

  it('says why an empty or incomplete graph cannot train', () => {
    const store = fresh();
    store.newGraph();
    expect(store.canTrain).toBe(false);
    expect(store.blockingReason).toMatch(/empty/);
    store.loadPreset('standard-vae');
    store.apply({ op: 'disconnect', from: 'data.x', to: 'enc.x' });
    store.analyzeNow();
    expect(store.canTrain).toBe(false);
    expect(store.blockingReason).toContain('MISSING_INPUT');
    expect(store.diagnosticsByNode.enc?.[0]?.code).toBe('MISSING_INPUT');
  });

  it('recompiles about 50 ms after an edit, not before', async () => {
    const store = fresh();
    store.loadPreset('standard-vae');
    store.apply({ op: 'setParam', node: 'enc', param: 'latentDim', value: 3 });
    expect(store.analysisPending).toBe(true);
    expect(store.analysis.outShapes.enc!.mu).toEqual(['B', 20]);
    await new Promise((r) => setTimeout(r, 120));
    expect(store.analysisPending).toBe(false);
    expect(store.analysis.outShapes.enc!.mu).toEqual(['B', 3]);
  });

  it('tells structural changes from hot-updatable param changes when the analysis lands', () => {
    const store = fresh();
    store.loadPreset('standard-vae');
    const s0 = store.structureVersion;
    const p0 = store.paramsVersion;
    store.apply({ op: 'setParam', node: 'beta', param: 'beta', value: 4 });
    expect(store.paramsVersion).toBe(p0); // decided with the debounced analysis, not before
    store.analyzeNow();
    expect(store.paramsVersion).toBe(p0 + 1);
    expect(store.structureVersion).toBe(s0);
    expect(store.lastChange).toEqual({ kind: 'params', nodes: ['beta'] });
    store.apply({ op: 'setParam', node: 'enc', param: 'latentDim', value: 2 });
    store.analyzeNow();
    expect(store.structureVersion).toBe(s0 + 1);
    // The KL term leaves the loss: no variable changes, so the trainer keeps its weights.
    store.apply({ op: 'disconnect', from: 'beta.kl', to: 'opt.loss' });
    store.analyzeNow();
    expect(store.structureVersion).toBe(s0 + 1);
    expect(store.lastChange).toEqual({ kind: 'params', nodes: ['beta', 'opt'] });
    // A graph that does not compile: nothing to hot-update.
    store.apply({ op: 'disconnect', from: 'data.x', to: 'enc.x' });
    store.analyzeNow();
    expect(store.structureVersion).toBe(s0 + 2);
    store.moveNodes([{ node: 'enc', position: { x: 5, y: 5 } }]);
    store.analyzeNow();
    expect(store.structureVersion).toBe(s0 + 2);
    expect(store.lastChange.kind).toBe('cosmetic');
    // Wired back: compared with the last plan that compiled (β = 4, latentDim = 2), a hot update.
    store.apply({ op: 'connect', from: 'data.x', to: 'enc.x' });
    store.analyzeNow();
    expect(store.lastChange).toEqual({ kind: 'params', nodes: ['data', 'enc'] });
    expect(store.structureVersion).toBe(s0 + 2);
  });

  it('leaves the graph untouched and reports a coded error when a file does not parse', () => {
    const store = fresh();
    store.loadPreset('standard-vae');
    store.apply({ op: 'setParam', node: 'beta', param: 'beta', value: 2 });
    const before = store.serialize();
    const r = store.openText('{ "format": "vae-lab/graph", ', 'bad.json');
    expect(r.ok).toBe(false);
    expect(store.lastError?.code).toBe('INVALID_JSON');
    expect(store.lastError?.message).toContain('bad.json');
    expect(store.serialize()).toBe(before);
    expect(store.canUndo).toBe(true);
    const wrong = store.openText(JSON.stringify({ format: 'vae-lab/answers', version: 1 }));
    expect(wrong.ok).toBe(false);
    expect(store.lastError?.code).toBe('WRONG_FORMAT');
    expect(store.serialize()).toBe(before);
  });

  it('opens a saved file to the identical graph', () => {
    const store = fresh();
    store.loadPreset('standard-vae');
    store.apply({ op: 'setParam', node: 'enc', param: 'hidden', value: [512, 256] });
    store.rename('dec', 'decoder');
    const saved = store.serialize();
    store.markSaved();
    expect(store.dirty).toBe(false);
    const other = fresh();
    expect(other.openText(saved).ok).toBe(true);
    expect(other.serialize()).toBe(saved);
    expect(other.fileName()).toBe('Standard VAE (MNIST).json');
  });

  it('autosaves after every edit and restores the document (and its dirty state) in a new session', () => {
    const mem = memoryStorage();
    setActivePinia(createPinia());
    const a = useGraphStore();
    a.useStorage(mem);
    a.loadPreset('standard-vae');
    a.apply({ op: 'setParam', node: 'beta', param: 'beta', value: 3 });
    expect(mem.data.has(AUTOSAVE_KEY)).toBe(true);
    const text = a.serialize();
    setActivePinia(createPinia());
    const b = useGraphStore();
    b.useStorage(mem);
    expect(b.restoreAutosave()).toBe(true);
    expect(b.serialize()).toBe(text);
    expect(b.dirty).toBe(true);
    mem.data.set(AUTOSAVE_KEY, '{"format":"vae-lab/autosave","graph":"{oops"}');
    setActivePinia(createPinia());
    const c = useGraphStore();
    c.useStorage(mem);
    expect(c.restoreAutosave()).toBe(false);
  });

  it('gives positions to a graph saved without them, and removing nodes undoes exactly', () => {
    const value = JSON.parse(standardText) as { nodes: Array<{ position?: unknown }> };
    for (const n of value.nodes) delete n.position;
    const parsed = parseGraph(value, registry);
    expect(parsed.ok).toBe(true);
    const store = fresh();
    store.loadGraph((parsed as { graph: Graph }).graph);
    expect(store.graph.nodes.every((n) => n.position)).toBe(true);
    const xs = new Map(store.graph.nodes.map((n) => [n.id, n.position!.x]));
    expect(xs.get('enc')!).toBeGreaterThan(xs.get('data')!);
    expect(xs.get('opt')!).toBeGreaterThan(xs.get('recon')!);
    const before = serializeGraph(store.graph, registry);
    store.removeNodes(['enc', 'dec', 'opt']);
    expect(store.graph.nodes.length).toBe(5);
    store.undo();
    expect(serializeGraph(store.graph, registry)).toBe(before);
  });

  it('infers partial shapes without throwing on a graph with a cycle', () => {
    const parsed = parseGraph(JSON.parse(standardText), registry) as { ok: true; graph: Graph };
    const g: Graph = { ...parsed.graph, edges: [...parsed.graph.edges.filter((e) => e.to !== 'enc.x'), { from: 'dec.xHat', to: 'enc.x' }] };
    const r = partialShapes(g, registry);
    expect(r.outShapes.enc).toEqual({});
    expect(r.outShapes.data!.x).toEqual(['B', 784]);
  });
});

describe('adding nodes', () => {
  it('adds every node type of the registry from the palette with working params', () => {
    const store = fresh();
    store.newGraph();
    for (const type of registry.types()) {
      const id = store.addNode(type, { x: 0, y: 0 });
      expect(id, type).not.toBeNull();
      expect(store.graph.nodes.find((n) => n.id === id)!.type).toBe(type);
    }
    expect(store.graph.nodes.find((n) => n.type === 'layer.dense')!.params.units).toBe(64);
    expect(store.lastError).toBeNull();
  });
});

describe('overlay store', () => {
  it('sets and clears badges and port values, and prunes what refers to removed nodes', async () => {
    setActivePinia(createPinia());
    const { useOverlayStore } = await import('../../src/stores/overlay');
    const o = useOverlayStore();
    o.setBadge('kl', 'KL 12.3');
    o.setBadge('enc', 'μ²');
    o.setPortValue('dec.xHat', 'mean 0.13');
    o.setHighlight({ node: 'dec', port: 'xHat', reason: 'NaN' });
    o.selectEdge({ from: 'rep.z', to: 'dec.z' });
    o.hoverEdge({ from: 'enc.mu', to: 'kl.mu' });
    const before = o.badges;
    o.setBadge('kl', 'KL 12.3');
    expect(o.badges).toBe(before); // unchanged text: no new object, no re-render
    o.setBadge('enc', null);
    expect(o.badges).toEqual({ kl: 'KL 12.3' });
    o.prune(['kl', 'enc', 'rep']);
    expect(o.portValues).toEqual({});
    expect(o.highlight).toBeNull();
    expect(o.selectedEdge).toBeNull();
    expect(o.hoveredEdge).toEqual({ from: 'enc.mu', to: 'kl.mu' });
    o.clear();
    expect(o.badges).toEqual({});
    expect(o.hoveredEdge).toBeNull();
  });

  it('writes live values in place, so a reader of one key re-runs only when that key changes', async () => {
    setActivePinia(createPinia());
    const { useOverlayStore } = await import('../../src/stores/overlay');
    const { watchEffect, nextTick } = await import('vue');
    const o = useOverlayStore();
    o.setBadges({ kl: 'KL 1', opt: 'loss 200' });
    o.setPortValues({ 'enc.mu': 'mean 0.1', 'dec.xHat': 'mean 0.5' });
    let klRuns = 0;
    let muRuns = 0;
    const stop1 = watchEffect(() => {
      void o.badges.kl;
      klRuns++;
    });
    const stop2 = watchEffect(() => {
      void o.portValues['enc.mu'];
      muRuns++;
    });
    expect([klRuns, muRuns]).toEqual([1, 1]);
    // Another node's badge and another port's value change (as on every step while running).
    o.setBadges({ kl: 'KL 1', opt: 'loss 190' });
    o.setPortValues({ 'enc.mu': 'mean 0.1', 'dec.xHat': 'mean 0.4' });
    await nextTick();
    expect([klRuns, muRuns]).toEqual([1, 1]);
    // The key itself changes: its reader re-runs.
    o.setBadges({ kl: 'KL 2', opt: 'loss 190' });
    o.setPortValues({ 'dec.xHat': 'mean 0.4' });
    await nextTick();
    expect([klRuns, muRuns]).toEqual([2, 2]);
    expect(o.badges).toEqual({ kl: 'KL 2', opt: 'loss 190' });
    expect(o.portValues).toEqual({ 'dec.xHat': 'mean 0.4' });
    stop1();
    stop2();
  });
});
