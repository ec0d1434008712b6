/**
 * Edit commands: each one and its inverse, atomic batches, and a seeded property test of
 * undo/redo chains.
 */
import { describe, expect, it } from 'vitest';
import { applyCommand, applyCommands, describeCommand, freshNodeId, type Command } from '../../src/graph/commands';
import { serializeGraph, validateGraph, type Graph } from '../../src/graph/schema';
import { registry } from '../../nodes';
import { rng } from '../fixtures/node-harness';
import { loadGraph, STANDARD_PATH } from '../fixtures/graph-helpers';

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/** A fresh, frozen standard graph: any mutation by a command throws. */
function standard(): Graph {
  return deepFreeze(loadGraph(STANDARD_PATH));
}

function apply(g: Graph, cmd: Command): { graph: Graph; inverse: Command } {
  const r = applyCommand(g, cmd, registry);
  if (!r.ok) throw new Error(`${cmd.op} failed: ${r.diagnostic.code} ${r.diagnostic.message}`);
  return r;
}

function fail(g: Graph, cmd: Command) {
  const r = applyCommand(g, cmd, registry);
  expect(r.ok).toBe(false);
  return (r as { ok: false; diagnostic: { code: string; node: string | null; port: string | null } }).diagnostic;
}

const bytes = (g: Graph) => serializeGraph(g, registry);

/** Apply, check the edit happened, apply the inverse, check we are back (deep-equal and same bytes). */
function roundTrip(cmd: Command, changed: (g: Graph) => void): void {
  const g0 = standard();
  const before = bytes(g0);
  const { graph: g1, inverse } = apply(g0, cmd);
  changed(g1);
  expect(bytes(g1)).not.toBe(before);
  const { graph: g2 } = apply(deepFreeze(g1), inverse);
  expect(g2).toEqual(g0);
  expect(bytes(g2)).toBe(before);
}

describe('each command and its inverse', () => {
  it('setParam', () => {
    roundTrip({ op: 'setParam', node: 'enc', param: 'latentDim', value: 2 }, (g) => expect(g.nodes[1]!.params.latentDim).toBe(2));
    roundTrip({ op: 'setParam', node: 'dec', param: 'outputUnits', value: 100 }, (g) => expect(g.nodes[3]!.params.outputUnits).toBe(100));
    roundTrip({ op: 'setParam', node: 'enc', param: 'hidden', value: [64, 32] }, (g) => expect(g.nodes[1]!.params.hidden).toEqual([64, 32]));
  });
  it('connect (and it appends unless given an index)', () => {
    roundTrip({ op: 'connect', from: 'kl.kl', to: 'opt.loss' }, (g) => expect(g.edges[g.edges.length - 1]).toEqual({ from: 'kl.kl', to: 'opt.loss' }));
    roundTrip({ op: 'connect', from: 'kl.kl', to: 'opt.loss', index: 0 }, (g) => expect(g.edges[0]).toEqual({ from: 'kl.kl', to: 'opt.loss' }));
  });
  it('disconnect (its inverse puts the wire back at its index)', () => {
    roundTrip({ op: 'disconnect', from: 'enc.mu', to: 'kl.mu' }, (g) => expect(g.edges.some((e) => e.to === 'kl.mu')).toBe(false));
  });
  it('addNode (defaults filled) and removeNode', () => {
    roundTrip({ op: 'addNode', node: { id: 'noise', type: 'op.noise', position: { x: 1, y: 2 }, label: 'ε' } }, (g) =>
      expect(g.nodes[g.nodes.length - 1]).toEqual({ id: 'noise', type: 'op.noise', params: { std: 1, share: 'per-example' }, position: { x: 1, y: 2 }, label: 'ε' }),
    );
  });
  it('removeNode removes its edges; the inverse restores node and edges at their original positions', () => {
    for (const id of ['enc', 'data', 'opt', 'kl', 'rep']) {
      roundTrip({ op: 'removeNode', node: id }, (g) => {
        expect(g.nodes.some((n) => n.id === id)).toBe(false);
        expect(g.edges.some((e) => e.from.startsWith(`${id}.`) || e.to.startsWith(`${id}.`))).toBe(false);
      });
    }
  });
  it('move (and moving to null drops the position)', () => {
    roundTrip({ op: 'move', node: 'enc', position: { x: -5, y: 7.5 } }, (g) => expect(g.nodes[1]!.position).toEqual({ x: -5, y: 7.5 }));
    roundTrip({ op: 'move', node: 'enc', position: null }, (g) => expect(g.nodes[1]!.position).toBeUndefined());
  });
  it('rename (and an empty label drops it)', () => {
    roundTrip({ op: 'rename', node: 'enc', label: 'q(z|x)' }, (g) => expect(g.nodes[1]!.label).toBe('q(z|x)'));
    const { graph } = apply(standard(), { op: 'rename', node: 'enc', label: 'x' });
    const { graph: g2, inverse } = apply(graph, { op: 'rename', node: 'enc', label: '' });
    expect(g2.nodes[1]!.label).toBeUndefined();
    expect(apply(g2, inverse).graph).toEqual(graph);
  });
  it('setMeta (name, description, and removing the description)', () => {
    roundTrip({ op: 'setMeta', name: 'Mine' }, (g) => expect(g.meta.name).toBe('Mine'));
    roundTrip({ op: 'setMeta', description: null }, (g) => expect(g.meta.description).toBeUndefined());
    roundTrip({ op: 'setMeta', name: 'A', description: 'B' }, (g) => expect(g.meta).toEqual({ name: 'A', description: 'B' }));
  });
  it('setSeed', () => {
    roundTrip({ op: 'setSeed', seed: 42 }, (g) => expect(g.training).toEqual({ seed: 42 }));
  });
  it('batch: all edits, undone in reverse order by one inverse', () => {
    roundTrip(
      {
        op: 'batch',
        label: 'swap heads',
        commands: [
          { op: 'disconnect', from: 'enc.mu', to: 'rep.mu' },
          { op: 'disconnect', from: 'enc.logvar', to: 'rep.logvar' },
          { op: 'connect', from: 'enc.logvar', to: 'rep.mu' },
          { op: 'connect', from: 'enc.mu', to: 'rep.logvar' },
          { op: 'setParam', node: 'beta', param: 'beta', value: 4 },
        ],
      },
      (g) => expect(g.edges.some((e) => e.from === 'enc.logvar' && e.to === 'rep.mu')).toBe(true),
    );
  });
  it('the inverse of a batch keeps its label', () => {
    const { inverse } = apply(standard(), { op: 'batch', label: 'L', commands: [{ op: 'setSeed', seed: 3 }] });
    expect(inverse).toMatchObject({ op: 'batch', label: 'L' });
  });
});

describe('commands refuse bad edits with a coded diagnostic', () => {
  it('connect into an occupied single input is TOO_MANY_EDGES on that input', () => {
    expect(fail(standard(), { op: 'connect', from: 'enc.logvar', to: 'rep.mu' })).toMatchObject({ code: 'TOO_MANY_EDGES', node: 'rep', port: 'mu' });
  });
  it('connect the same wire twice is DUPLICATE_EDGE', () => {
    expect(fail(standard(), { op: 'connect', from: 'recon.nll', to: 'opt.loss' })).toMatchObject({ code: 'DUPLICATE_EDGE', node: 'opt', port: 'loss' });
  });
  it('connect to a missing node or port', () => {
    expect(fail(standard(), { op: 'connect', from: 'ghost.x', to: 'opt.loss' })).toMatchObject({ code: 'NODE_NOT_FOUND', node: 'ghost' });
    expect(fail(standard(), { op: 'connect', from: 'enc.sigma', to: 'opt.loss' })).toMatchObject({ code: 'PORT_NOT_FOUND', node: 'enc', port: 'sigma' });
    // an input used as a source
    expect(fail(standard(), { op: 'connect', from: 'enc.x', to: 'opt.loss' })).toMatchObject({ code: 'PORT_NOT_FOUND', node: 'enc', port: 'x' });
  });
  it('disconnect a wire that is not there', () => {
    expect(fail(standard(), { op: 'disconnect', from: 'enc.mu', to: 'rep.logvar' }).code).toBe('PORT_NOT_FOUND');
  });
  it('setParam: unknown param, bad value, unknown node', () => {
    expect(fail(standard(), { op: 'setParam', node: 'enc', param: 'latentDims', value: 3 })).toMatchObject({ code: 'BAD_PARAM', node: 'enc' });
    expect(fail(standard(), { op: 'setParam', node: 'enc', param: 'latentDim', value: 0 })).toMatchObject({ code: 'BAD_PARAM', node: 'enc' });
    expect(fail(standard(), { op: 'setParam', node: 'opt', param: 'learningRate', value: 11 })).toMatchObject({ code: 'BAD_PARAM', node: 'opt' });
    expect(fail(standard(), { op: 'setParam', node: 'nope', param: 'x', value: 1 }).code).toBe('NODE_NOT_FOUND');
  });
  it('addNode: bad id, duplicate id, unknown type, bad params', () => {
    expect(fail(standard(), { op: 'addNode', node: { id: '9x', type: 'op.exp' } }).code).toBe('BAD_NODE_ID');
    expect(fail(standard(), { op: 'addNode', node: { id: 'enc', type: 'op.exp' } }).code).toBe('DUPLICATE_NODE_ID');
    expect(fail(standard(), { op: 'addNode', node: { id: 'e2', type: 'op.expp' } }).code).toBe('UNKNOWN_NODE_TYPE');
    expect(fail(standard(), { op: 'addNode', node: { id: 'd', type: 'layer.dense', params: {} } })).toMatchObject({ code: 'BAD_PARAM', node: 'd' });
    expect(fail(standard(), { op: 'addNode', node: { id: 'd', type: 'layer.dense', params: { units: 4, colour: 1 } } })).toMatchObject({ code: 'BAD_PARAM', node: 'd' });
  });
  it('removeNode, move, rename of a missing node', () => {
    for (const cmd of [
      { op: 'removeNode', node: 'x' },
      { op: 'move', node: 'x', position: { x: 0, y: 0 } },
      { op: 'rename', node: 'x', label: 'y' },
    ] as Command[]) {
      expect(fail(standard(), cmd)).toMatchObject({ code: 'NODE_NOT_FOUND', node: 'x' });
    }
  });
  it('setSeed outside 0…2³²−1 or not an integer', () => {
    for (const seed of [-1, 2 ** 32, 1.5, NaN]) expect(fail(standard(), { op: 'setSeed', seed }).code).toBe('BAD_PARAM');
  });
  it('a batch is atomic: one failing edit leaves the graph as it was and reports that edit', () => {
    const g0 = standard();
    const r = applyCommands(
      g0,
      [
        { op: 'setParam', node: 'beta', param: 'beta', value: 4 },
        { op: 'removeNode', node: 'kl' },
        { op: 'connect', from: 'enc.logvar', to: 'rep.mu' }, // occupied
        { op: 'setSeed', seed: 9 },
      ],
      registry,
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.diagnostic).toMatchObject({ code: 'TOO_MANY_EDGES', node: 'rep', port: 'mu' });
    expect(g0).toEqual(loadGraph(STANDARD_PATH));
  });
});

describe('commands keep a graph valid', () => {
  it('removing a node and adding it back at the end leaves a graph that validates', () => {
    const { graph } = apply(standard(), { op: 'removeNode', node: 'kl' });
    expect(validateGraph(graph, registry).diagnostics).toEqual([]);
  });
  it('describeCommand gives short labels', () => {
    expect(describeCommand({ op: 'connect', from: 'enc.mu', to: 'rep.mu' })).toBe('Connect enc.mu → rep.mu');
    expect(describeCommand({ op: 'batch', commands: [{ op: 'setSeed', seed: 1 }, { op: 'setSeed', seed: 2 }] })).toBe('2 edits');
    expect(describeCommand({ op: 'batch', label: 'Fix bug 1', commands: [] })).toBe('Fix bug 1');
  });
  it('freshNodeId picks an unused id from the type', () => {
    const g = standard();
    expect(freshNodeId(g, 'enc')).toBe('enc2');
    expect(freshNodeId(g, 'op.noise')).toBe('opnoise');
    expect(freshNodeId(g, '3d')).toBe('d');
    expect(freshNodeId(g, '...')).toBe('node');
  });
});

/** A random edit that applies to g (generated from g's current contents), or null. */
function randomEdit(g: Graph, r: () => number, counter: { n: number }): Command {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const node = pick(g.nodes);
  const kind = r();
  if (kind < 0.2) {
    const options: Record<string, Array<[string, unknown]>> = {
      'data.mnist': [['batchSize', 64], ['binarize', 'threshold'], ['scale', 2]],
      'vae.encoder': [['latentDim', 1 + Math.floor(r() * 30)], ['hidden', [16, 8]], ['activation', 'tanh']],
      'vae.decoder': [['outputUnits', 784], ['outputActivation', 'none'], ['hidden', []]],
      'vae.reparameterize': [['samples', 1 + Math.floor(r() * 5)]],
      'loss.kl': [['reduction', 'mean']],
      'loss.reconstruction': [['likelihood', 'gaussian'], ['reduction', 'mean']],
      'loss.beta': [['beta', r() * 8], ['warmupSteps', 100], ['freeBits', 0.5]],
      'train.optimizer': [['algorithm', 'sgd'], ['learningRate', 0.01]],
      'op.scale': [['factor', r() * 4 - 2]],
      'op.noise': [['std', r()], ['share', 'batch']],
    };
    const opts = options[node.type];
    if (opts) {
      const [param, value] = pick(opts);
      return { op: 'setParam', node: node.id, param, value };
    }
  }
  if (kind < 0.35 && g.edges.length) {
    const e = pick(g.edges);
    return { op: 'disconnect', from: e.from, to: e.to };
  }
  if (kind < 0.5) {
    // a connection that may or may not be allowed (the caller skips refused edits)
    const from = pick(g.nodes);
    const to = pick(g.nodes);
    const fromInfo = registry.get(from.type)!;
    const toInfo = registry.get(to.type)!;
    if (fromInfo.outputs.length && toInfo.inputs.length) return { op: 'connect', from: `${from.id}.${pick(fromInfo.outputs).name}`, to: `${to.id}.${pick(toInfo.inputs).name}` };
  }
  if (kind < 0.6) return { op: 'addNode', node: { id: `n${counter.n++}`, type: pick(['op.scale', 'op.noise', 'op.exp', 'loss.kl']), position: { x: Math.round(r() * 100), y: 0 } } };
  if (kind < 0.7) return { op: 'removeNode', node: node.id };
  if (kind < 0.78) return { op: 'move', node: node.id, position: r() < 0.2 ? null : { x: Math.round(r() * 500), y: Math.round(r() * 500) } };
  if (kind < 0.85) return { op: 'rename', node: node.id, label: r() < 0.3 ? null : `L${Math.floor(r() * 10)}` };
  if (kind < 0.9) return { op: 'setMeta', name: `G${Math.floor(r() * 10)}`, description: r() < 0.5 ? null : 'd' };
  if (kind < 0.95) return { op: 'setSeed', seed: Math.floor(r() * 1000) };
  const sub: Command[] = [];
  let h = g;
  for (let k = 0; k < 3; k++) {
    const c = randomEdit(h, r, counter);
    const res = applyCommand(h, c, registry);
    if (res.ok) {
      sub.push(c);
      h = res.graph;
    }
  }
  return { op: 'batch', commands: sub };
}

describe('undo/redo chains (seeded property test)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: 60 random edits, undone one by one, return to the start; redone, return to the end`, () => {
      const r = rng(seed * 7919);
      const counter = { n: 0 };
      const states: Graph[] = [standard()];
      const undo: Command[] = [];
      let refused = 0;
      while (undo.length < 60) {
        const g = states[states.length - 1]!;
        const cmd = randomEdit(g, r, counter);
        const res = applyCommand(g, cmd, registry);
        if (!res.ok) {
          refused++;
          continue;
        }
        // never mutates its input
        states.push(deepFreeze(res.graph));
        undo.push(res.inverse);
      }
      expect(refused).toBeGreaterThan(0); // the generator also tries refused edits
      // undo all the way, checking each intermediate state
      const redo: Command[] = [];
      let g = states[states.length - 1]!;
      for (let i = undo.length - 1; i >= 0; i--) {
        const res = apply(g, undo[i]!);
        g = deepFreeze(res.graph);
        expect(g).toEqual(states[i]);
        redo.unshift(res.inverse);
      }
      expect(bytes(g)).toBe(bytes(states[0]!));
      // redo all the way
      for (let i = 0; i < redo.length; i++) {
        g = deepFreeze(apply(g, redo[i]!).graph);
        expect(g).toEqual(states[i + 1]);
      }
      expect(bytes(g)).toBe(bytes(states[states.length - 1]!));
    });
  }
});
