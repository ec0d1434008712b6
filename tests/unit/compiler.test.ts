/**
 * The compiler: plans for good graphs, each hard error with its node and port, each lint
 * (and that a linted graph still compiles), K samples, primitives, a large graph.
 */
import { describe, expect, it } from 'vitest';
import { compile, type CompileResult, type Plan } from '../../src/compiler/compile';
import type { Diagnostic } from '../../src/graph/diagnostics';
import type { Graph } from '../../src/graph/schema';
import { registry } from '../../nodes';
import { loadGraph, node, PRIMITIVES_PATH, removeEdge, setParam, standardDoc, toGraph, STANDARD_PATH, type RawGraph } from '../fixtures/graph-helpers';

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

function ok(g: Graph): Plan {
  const r = compile(deepFreeze(g), registry);
  if (!r.ok) throw new Error(`expected a plan, got ${JSON.stringify(r.diagnostics)}`);
  expect(r.warnings).toBe(r.plan.warnings);
  return r.plan;
}

function errors(g: Graph): Diagnostic[] {
  let r: CompileResult | undefined;
  expect(() => (r = compile(deepFreeze(g), registry))).not.toThrow();
  expect(r!.ok).toBe(false);
  const ds = (r as { ok: false; diagnostics: Diagnostic[] }).diagnostics;
  expect(ds.length).toBeGreaterThan(0);
  for (const d of ds) {
    expect(d.severity).toBe('error');
    // every diagnostic names a node and port that exist
    if (d.node !== null) {
      const n = g.nodes.find((x) => x.id === d.node);
      expect(n, `node ${d.node}`).toBeDefined();
      if (d.port !== null && d.code !== 'PORT_NOT_FOUND') {
        const info = registry.get(n!.type)!;
        expect([...info.inputs, ...info.outputs].map((p) => p.name)).toContain(d.port);
      }
    }
  }
  return ds;
}

const edit = (f: (d: RawGraph) => void): Graph => toGraph(standardDoc(f));
const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);
const lint = (p: Plan, code: string) => p.warnings.filter((w) => w.code === code);

/** Parameters of the standard preset, from its architecture: 784-400-(20,20) and 20-400-784, weights and biases. */
function denseParams(widths: number[]): number {
  let n = 0;
  for (let i = 0; i + 1 < widths.length; i++) n += widths[i]! * widths[i + 1]! + widths[i + 1]!;
  return n;
}
const STANDARD_PARAMS = denseParams([784, 400]) + 2 * denseParams([400, 20]) + denseParams([20, 400, 784]);

describe('the standard preset', () => {
  const plan = ok(loadGraph(STANDARD_PATH));

  it('compiles with no warnings', () => {
    expect(plan.warnings).toEqual([]);
  });
  it(`has 784·400+400 + 2·(400·20+20) + 20·400+400 + 400·784+784 = ${STANDARD_PARAMS} parameters`, () => {
    expect(STANDARD_PARAMS).toBe(784 * 400 + 400 + 2 * (400 * 20 + 20) + 20 * 400 + 400 + 400 * 784 + 784);
    expect(plan.parameters).toBe(STANDARD_PARAMS);
    const fromVars = [...plan.nodes.values()].flatMap((n) => n.variables).reduce((s, v) => s + v.shape.reduce((a, b) => a * b, 1), 0);
    expect(fromVars).toBe(STANDARD_PARAMS);
  });
  it('shapes: x [B,784], μ and log σ² [B,20], z [B,20], x̂ [B,784], losses [B]', () => {
    const out = (id: string) => plan.nodes.get(id)!.outShapes;
    expect(out('data')).toEqual({ x: ['B', 784], label: ['B'] });
    expect(out('enc')).toEqual({ mu: ['B', 20], logvar: ['B', 20] });
    expect(out('rep')).toEqual({ z: ['B', 20] });
    expect(out('dec')).toEqual({ xHat: ['B', 784] });
    expect(out('recon')).toEqual({ nll: ['B'] });
    expect(out('kl')).toEqual({ kl: ['B'] });
    expect(out('beta')).toEqual({ kl: ['B'] });
  });
  it('the plan: topological order, every node active, the optimizer, data, batch, held-out, seed', () => {
    expect(plan.order).toHaveLength(8);
    const pos = new Map(plan.order.map((id, i) => [id, i]));
    for (const e of plan.graph.edges) expect(pos.get(e.from.split('.')[0]!)!).toBeLessThan(pos.get(e.to.split('.')[0]!)!);
    expect(plan.activeOrder).toEqual(plan.order);
    expect([plan.optimizer, plan.data, plan.batchSize, plan.heldOut, plan.seed]).toEqual(['opt', 'data', 128, 1000, 1]);
    expect(plan.nodes.get('opt')!.inputs.loss).toEqual([
      { node: 'recon', port: 'nll' },
      { node: 'beta', port: 'kl' },
    ]);
  });
  it('the decoder\'s outputUnits "auto" resolves from the loss\'s x (784)', () => {
    expect(plan.nodes.get('dec')!.params.outputUnits).toBe('auto');
    expect(plan.nodes.get('dec')!.variables.find((v) => v.name === 'out/kernel')!.shape).toEqual([400, 784]);
  });
  it('the seed comes from training.seed', () => {
    expect(ok(edit((d) => (d.training = { seed: 77 }))).seed).toBe(77);
  });
});

describe('hard errors name the node and port', () => {
  it('CYCLE: a wire from the decoder back into the encoder', () => {
    const g = edit((d) => {
      removeEdge(d, 'data.x', 'enc.x');
      d.nodes.push({ id: 'loop', type: 'op.add', params: {} });
      d.edges.push({ from: 'data.x', to: 'loop.a' }, { from: 'dec.xHat', to: 'loop.b' }, { from: 'loop.y', to: 'enc.x' });
    });
    const ds = errors(g);
    expect(codes(ds)).toEqual(['CYCLE']);
    const d = ds[0]!;
    expect(['enc', 'rep', 'dec', 'loop']).toContain(d.node);
    // the port is the input of that node through which the cycle runs
    const closing: Record<string, string> = { enc: 'x', rep: 'mu', dec: 'z', loop: 'b' };
    if (d.node === 'rep') expect(['mu', 'logvar']).toContain(d.port);
    else expect(d.port).toBe(closing[d.node!]);
    for (const id of ['enc', 'rep', 'dec', 'loop']) expect(d.message).toContain(id);
  });
  it('CYCLE: a two-node loop off the training path still refuses the graph', () => {
    const g = edit((d) => {
      d.nodes.push({ id: 's1', type: 'op.scale', params: {} }, { id: 's2', type: 'op.exp', params: {} });
      d.edges.push({ from: 's1.y', to: 's2.x' }, { from: 's2.y', to: 's1.x' });
    });
    const ds = errors(g);
    expect(ds[0]).toMatchObject({ code: 'CYCLE', port: 'x' });
    expect(['s1', 's2']).toContain(ds[0]!.node);
  });
  it('MISSING_INPUT: reparameterize without log σ²', () => {
    expect(errors(edit((d) => removeEdge(d, 'enc.logvar', 'rep.logvar')))).toEqual([expect.objectContaining({ code: 'MISSING_INPUT', node: 'rep', port: 'logvar' })]);
  });
  it('MISSING_INPUT: the encoder without data', () => {
    expect(errors(edit((d) => removeEdge(d, 'data.x', 'enc.x')))).toEqual([expect.objectContaining({ code: 'MISSING_INPUT', node: 'enc', port: 'x' })]);
  });
  it('SHAPE_MISMATCH: decoder outputUnits 100 against data of 784, on the loss\'s xHat, with a fix', () => {
    const ds = errors(edit((d) => setParam(d, 'dec', 'outputUnits', 100)));
    expect(ds).toEqual([expect.objectContaining({ code: 'SHAPE_MISMATCH', node: 'recon', port: 'xHat' })]);
    expect(ds[0]!.message).toMatch(/100/);
    expect(ds[0]!.fix).toMatch(/784/);
  });
  it('SHAPE_MISMATCH: KL fed μ and log σ² of different widths (two encoders)', () => {
    const ds = errors(
      edit((d) => {
        d.nodes.push({ id: 'enc2', type: 'vae.encoder', params: { latentDim: 10 } });
        d.edges.push({ from: 'data.x', to: 'enc2.x' });
        removeEdge(d, 'enc.logvar', 'kl.logvar');
        d.edges.push({ from: 'enc2.logvar', to: 'kl.logvar' });
      }),
    );
    expect(ds).toEqual([expect.objectContaining({ code: 'SHAPE_MISMATCH', node: 'kl', port: 'logvar' })]);
  });
  it('NO_OPTIMIZER: no optimizer node', () => {
    const ds = errors(
      edit((d) => {
        d.nodes = d.nodes.filter((n) => n.id !== 'opt');
        d.edges = d.edges.filter((e) => !e.to.startsWith('opt.'));
      }),
    );
    expect(codes(ds)).toContain('NO_OPTIMIZER');
    expect(ds.find((x) => x.code === 'NO_OPTIMIZER')!.node).toBeNull();
  });
  it('NO_OPTIMIZER: two optimizers name the extra one', () => {
    const ds = errors(edit((d) => d.nodes.push({ id: 'opt2', type: 'train.optimizer', params: {} })));
    expect(ds).toEqual([expect.objectContaining({ code: 'NO_OPTIMIZER', node: 'opt2' })]);
  });
  it('NO_LOSS: an optimizer with nothing wired into loss', () => {
    const ds = errors(edit((d) => (d.edges = d.edges.filter((e) => !e.to.startsWith('opt.')))));
    expect(ds).toEqual([expect.objectContaining({ code: 'NO_LOSS', node: 'opt', port: 'loss' })]);
  });
  it('UNKNOWN_NODE_TYPE: a graph built in memory with a type the registry lacks', () => {
    const g = loadGraph(STANDARD_PATH);
    g.nodes[2] = { ...g.nodes[2]!, type: 'vae.reparametrize' };
    expect(errors(g)).toEqual([expect.objectContaining({ code: 'UNKNOWN_NODE_TYPE', node: 'rep' })]);
  });
  it('BAD_PARAM: a param out of range in a graph built in memory', () => {
    const g = loadGraph(STANDARD_PATH);
    g.nodes[1] = { ...g.nodes[1]!, params: { ...g.nodes[1]!.params, latentDim: 0 } };
    expect(errors(g)).toEqual([expect.objectContaining({ code: 'BAD_PARAM', node: 'enc' })]);
  });
  it('BAD_PARAM: outputUnits "auto" on a decoder whose xHat feeds no reconstruction loss', () => {
    const ds = errors(
      edit((d) => {
        removeEdge(d, 'dec.xHat', 'recon.xHat');
        d.nodes.push({ id: 'e', type: 'op.exp', params: {} });
        d.edges.push({ from: 'dec.xHat', to: 'e.x' }, { from: 'e.y', to: 'recon.xHat' });
      }),
    );
    expect(ds[0]).toMatchObject({ code: 'BAD_PARAM', node: 'dec', port: 'xHat' });
    expect(ds[0]!.fix).toMatch(/outputUnits/);
  });
  it('TOO_LARGE: more than 50 million parameters', () => {
    const ds = errors(edit((d) => setParam(d, 'enc', 'hidden', [16384, 16384])));
    expect(ds).toEqual([expect.objectContaining({ code: 'TOO_LARGE' })]);
  });
  it('an edge into a missing port (in memory) is PORT_NOT_FOUND', () => {
    const g = loadGraph(STANDARD_PATH);
    g.edges = [...g.edges, { from: 'enc.sigma', to: 'opt.loss' }];
    expect(errors(g)).toEqual([expect.objectContaining({ code: 'PORT_NOT_FOUND', node: 'enc', port: 'sigma' })]);
  });
});

describe('lint: warnings that still compile', () => {
  it('SEMANTIC_MISMATCH and UNUSED_OUTPUT: the decoder fed μ, reparameterize dangling', () => {
    const p = ok(
      edit((d) => {
        removeEdge(d, 'rep.z', 'dec.z');
        d.edges.push({ from: 'enc.mu', to: 'dec.z' });
      }),
    );
    expect(lint(p, 'SEMANTIC_MISMATCH')).toEqual([expect.objectContaining({ severity: 'warning', node: 'dec', port: 'z' })]);
    expect(lint(p, 'UNUSED_OUTPUT')).toEqual([expect.objectContaining({ node: 'rep', port: 'z' })]);
    expect(p.activeOrder).not.toContain('rep');
    expect(p.order).toContain('rep'); // still evaluable, for probes
  });
  it('SEMANTIC_MISMATCH: μ and log σ² swapped into the KL', () => {
    const p = ok(
      edit((d) => {
        removeEdge(d, 'enc.mu', 'kl.mu');
        removeEdge(d, 'enc.logvar', 'kl.logvar');
        d.edges.push({ from: 'enc.logvar', to: 'kl.mu' }, { from: 'enc.mu', to: 'kl.logvar' });
      }),
    );
    expect(lint(p, 'SEMANTIC_MISMATCH').map((w) => [w.node, w.port]).sort()).toEqual([
      ['kl', 'logvar'],
      ['kl', 'mu'],
    ]);
  });
  it('NO_SIGMOID_BERNOULLI: a decoder without a sigmoid feeding a Bernoulli loss', () => {
    const p = ok(edit((d) => setParam(d, 'dec', 'outputActivation', 'none')));
    expect(lint(p, 'NO_SIGMOID_BERNOULLI')).toEqual([expect.objectContaining({ node: 'dec', port: 'xHat' })]);
    expect(lint(p, 'NO_SIGMOID_BERNOULLI')[0]!.fix).toMatch(/sigmoid/);
    // and not with a Gaussian likelihood
    expect(lint(ok(edit((d) => (setParam(d, 'dec', 'outputActivation', 'none'), setParam(d, 'recon', 'likelihood', 'gaussian')))), 'NO_SIGMOID_BERNOULLI')).toEqual([]);
  });
  it('NO_SIGMOID_BERNOULLI follows ranges through primitives: a sigmoid dense layer is fine, a scaled one is not', () => {
    expect(ok(loadGraph(PRIMITIVES_PATH)).warnings).toEqual([]);
    const prim = toGraph(
      (() => {
        const d = JSON.parse(JSON.stringify(loadGraph(PRIMITIVES_PATH))) as RawGraph;
        d.nodes.push({ id: 'x2', type: 'op.scale', params: { factor: 2 } });
        d.edges = d.edges.filter((e) => e.to !== 'recon.xHat');
        d.edges.push({ from: 'dout.y', to: 'x2.x' }, { from: 'x2.y', to: 'recon.xHat' });
        return d;
      })(),
    );
    expect(lint(ok(prim), 'NO_SIGMOID_BERNOULLI')).toEqual([expect.objectContaining({ node: 'recon', port: 'xHat' })]);
  });
  it('REDUCTION_MISMATCH: KL mean against reconstruction sum', () => {
    const p = ok(edit((d) => setParam(d, 'kl', 'reduction', 'mean')));
    expect(lint(p, 'REDUCTION_MISMATCH')).toEqual([expect.objectContaining({ node: 'kl', port: 'kl' })]);
    expect(lint(ok(edit((d) => (setParam(d, 'kl', 'reduction', 'mean'), setParam(d, 'recon', 'reduction', 'mean')))), 'REDUCTION_MISMATCH')).toEqual([]);
  });
  it('BETA_NOT_POSITIVE: β = 0 and β = −1', () => {
    for (const beta of [0, -1]) expect(lint(ok(edit((d) => setParam(d, 'beta', 'beta', beta))), 'BETA_NOT_POSITIVE')).toEqual([expect.objectContaining({ node: 'beta', port: 'kl' })]);
    expect(lint(ok(edit((d) => setParam(d, 'beta', 'beta', 0.01))), 'BETA_NOT_POSITIVE')).toEqual([]);
  });
  it('DATA_OUT_OF_RANGE: scale 255 into a Bernoulli loss', () => {
    const p = ok(edit((d) => setParam(d, 'data', 'scale', 255)));
    expect(lint(p, 'DATA_OUT_OF_RANGE')).toEqual([expect.objectContaining({ node: 'data', port: 'x' })]);
    expect(lint(ok(edit((d) => setParam(d, 'data', 'scale', 0.5))), 'DATA_OUT_OF_RANGE')).toEqual([]);
  });
  it('UNUSED_OUTPUT: an encoder whose log σ² reaches no loss', () => {
    const p = ok(
      edit((d) => {
        // a deterministic autoencoder path: z = μ; KL on μ and a second encoder's logvar
        removeEdge(d, 'rep.z', 'dec.z');
        removeEdge(d, 'enc.logvar', 'rep.logvar');
        removeEdge(d, 'enc.mu', 'rep.mu');
        d.nodes = d.nodes.filter((n) => n.id !== 'rep');
        d.edges.push({ from: 'enc.mu', to: 'dec.z' });
        removeEdge(d, 'enc.logvar', 'kl.logvar');
        removeEdge(d, 'enc.mu', 'kl.mu');
        d.edges = d.edges.filter((e) => !e.from.startsWith('beta.') && !e.to.startsWith('beta.'));
        d.nodes = d.nodes.filter((n) => n.id !== 'beta' && n.id !== 'kl');
      }),
    );
    expect(lint(p, 'UNUSED_OUTPUT')).toEqual([expect.objectContaining({ node: 'enc', port: 'logvar' })]);
  });
  it('no UNUSED_OUTPUT for an unused label', () => {
    expect(lint(ok(loadGraph(STANDARD_PATH)), 'UNUSED_OUTPUT')).toEqual([]);
  });
  it('an inactive node with a missing input does not block training (only a hint)', () => {
    const p = ok(
      edit((d) => {
        d.nodes.push({ id: 'm', type: 'op.mul', params: {} });
        d.edges.push({ from: 'enc.mu', to: 'm.a' });
      }),
    );
    expect(p.order).not.toContain('m');
    expect(p.activeOrder).toHaveLength(8);
    expect(lint(p, 'UNUSED_OUTPUT')).toEqual([expect.objectContaining({ node: 'm' })]);
  });
  it('lint warnings are warnings: the bug-hunt style graph with several of them still compiles', () => {
    const p = ok(
      edit((d) => {
        setParam(d, 'dec', 'outputActivation', 'none');
        setParam(d, 'kl', 'reduction', 'mean');
        setParam(d, 'beta', 'beta', 0);
        setParam(d, 'data', 'scale', 255);
      }),
    );
    expect(new Set(p.warnings.map((w) => w.code))).toEqual(new Set(['NO_SIGMOID_BERNOULLI', 'REDUCTION_MISMATCH', 'BETA_NOT_POSITIVE', 'DATA_OUT_OF_RANGE']));
    for (const w of p.warnings) expect(w.severity).toBe('warning');
  });
});

describe('shapes through the compiler', () => {
  it('the primitives-wired VAE compiles with the standard VAE\'s shapes and parameter count', () => {
    const p = ok(loadGraph(PRIMITIVES_PATH));
    const out = (id: string) => p.nodes.get(id)!.outShapes;
    expect(out('heads')).toEqual({ y: ['B', 40] });
    expect(out('split')).toEqual({ a: ['B', 20], b: ['B', 20] });
    expect(out('eps')).toEqual({ eps: ['B', 20] });
    expect(out('std')).toEqual({ y: ['B', 20] });
    expect(out('z')).toEqual({ y: ['B', 20] });
    expect(out('dout')).toEqual({ y: ['B', 784] });
    expect(out('recon')).toEqual({ nll: ['B'] });
    expect(out('kl')).toEqual({ kl: ['B'] });
    expect(p.parameters).toBe(STANDARD_PARAMS);
    expect(p.activeOrder).toHaveLength(14);
  });
  it('K = 5 gives z [5,B,20], x̂ [5,B,784] and loss ports [B]', () => {
    const p = ok(edit((d) => setParam(d, 'rep', 'samples', 5)));
    expect(p.nodes.get('rep')!.outShapes.z).toEqual([5, 'B', 20]);
    expect(p.nodes.get('dec')!.outShapes.xHat).toEqual([5, 'B', 784]);
    expect(p.nodes.get('recon')!.outShapes.nll).toEqual(['B']);
    expect(p.nodes.get('kl')!.outShapes.kl).toEqual(['B']);
    expect(p.parameters).toBe(STANDARD_PARAMS);
  });
  it('a number for outputUnits overrides "auto" (a decoder that feeds no loss)', () => {
    const p = ok(
      edit((d) => {
        d.nodes.push({ id: 'dec2', type: 'vae.decoder', params: { outputUnits: 50, hidden: [] } });
        d.edges.push({ from: 'rep.z', to: 'dec2.z' });
      }),
    );
    expect(p.nodes.get('dec2')!.outShapes.xHat).toEqual(['B', 50]);
    expect(p.nodes.get('dec2')!.active).toBe(false);
  });
  it('op.split of an odd width is a SHAPE_MISMATCH on split.x', () => {
    const d = JSON.parse(JSON.stringify(loadGraph(PRIMITIVES_PATH))) as RawGraph;
    setParam(d, 'heads', 'units', 41);
    expect(errors(toGraph(d))).toEqual([expect.objectContaining({ code: 'SHAPE_MISMATCH', node: 'split', port: 'x' })]);
  });
  it('op.add of [B,20] and [B,400] is a SHAPE_MISMATCH on add.b', () => {
    const d = JSON.parse(JSON.stringify(loadGraph(PRIMITIVES_PATH))) as RawGraph;
    removeEdge(d, 'epsStd.y', 'z.b');
    d.edges.push({ from: 'h.y', to: 'z.b' });
    expect(errors(toGraph(d))).toEqual([expect.objectContaining({ code: 'SHAPE_MISMATCH', node: 'z', port: 'b' })]);
  });
  it('op.mul of [B,20] and [B,40] is a SHAPE_MISMATCH on mul.b', () => {
    const d = JSON.parse(JSON.stringify(loadGraph(PRIMITIVES_PATH))) as RawGraph;
    removeEdge(d, 'std.y', 'epsStd.b');
    d.edges.push({ from: 'heads.y', to: 'epsStd.b' });
    expect(errors(toGraph(d))).toEqual([expect.objectContaining({ code: 'SHAPE_MISMATCH', node: 'epsStd', port: 'b' })]);
  });
  it('a loss fed a [B,784] tensor is a SHAPE_MISMATCH on the optimizer\'s loss', () => {
    const ds = errors(edit((d) => d.edges.push({ from: 'dec.xHat', to: 'opt.loss' })));
    expect(ds).toEqual([expect.objectContaining({ code: 'SHAPE_MISMATCH', node: 'opt', port: 'loss' })]);
  });
  it('a shape error downstream of another is reported once, at its source', () => {
    const ds = errors(edit((d) => setParam(d, 'dec', 'outputUnits', 100)));
    expect(ds).toHaveLength(1);
  });
  it('a 200-node generated graph compiles, in topological order', () => {
    const N = 192; // + the standard 8 = 200 nodes
    const doc = standardDoc((d) => {
      removeEdge(d, 'rep.z', 'dec.z');
      let prev = 'rep.z';
      // nodes listed in reverse so that graph order is not already topological
      const extra: RawGraph['nodes'] = [];
      for (let i = 0; i < N; i++) {
        extra.unshift({ id: `l${i}`, type: i % 3 === 0 ? 'layer.dense' : i % 3 === 1 ? 'op.scale' : 'op.exp', params: i % 3 === 0 ? { units: 20, activation: 'tanh' } : {} });
        d.edges.push({ from: prev, to: `l${i}.x` });
        prev = `l${i}.y`;
      }
      d.nodes.push(...extra);
      d.edges.push({ from: prev, to: 'dec.z' });
    });
    expect(doc.nodes).toHaveLength(200);
    const p = ok(toGraph(doc));
    expect(p.order).toHaveLength(200);
    const pos = new Map(p.order.map((id, i) => [id, i]));
    for (const e of p.graph.edges) expect(pos.get(e.from.split('.')[0]!)!).toBeLessThan(pos.get(e.to.split('.')[0]!)!);
    expect(p.parameters).toBe(STANDARD_PARAMS + 64 * (20 * 20 + 20));
    expect(p.nodes.get('l191')!.outShapes.y).toEqual(['B', 20]);
  });
  it('compile does not modify its graph (the input is frozen in these tests)', () => {
    const g = loadGraph(STANDARD_PATH);
    const before = JSON.stringify(g);
    ok(g);
    expect(JSON.stringify(g)).toBe(before);
  });
  it('the node helper finds nodes', () => {
    expect(node(standardDoc(), 'enc').type).toBe('vae.encoder');
  });
});
