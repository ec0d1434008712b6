/**
 * The `arch` variants of vae.encoder and vae.decoder (DESIGN §8), at compile time: each arch's
 * params and defaults ("mlp" is today's, byte for byte), a param of another arch is BAD_PARAM,
 * switching arch in an edit gives the new arch's defaults (and undoes exactly), the inspector
 * shows only the current arch's controls, and the shapes, structures, variables and
 * SHAPE_MISMATCH diagnostics of conv and rnn graphs (and of the conv/GRU primitives).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import encoder from '../../nodes/vae.encoder';
import decoder from '../../nodes/vae.decoder';
import type { AnyNodeDef } from '../../nodes/types';
import { compile, type CompileResult, type LoadedData } from '../../src/compiler/compile';
import { analyzeGraph } from '../../src/compiler/analysis';
import { applyCommand } from '../../src/graph/commands';
import { visibleControls } from '../../src/graph/controls';
import { parseGraph, serializeGraph, type Graph } from '../../src/graph/schema';
import type { Diagnostic } from '../../src/graph/diagnostics';
import { readText, standardDoc, toGraph, type RawGraph } from '../fixtures/graph-helpers';

const SEQ: LoadedData = { data: { structure: { kind: 'sequence', t: 32, f: 4 }, n: 300, heldOut: 30 } };
const TABLE: LoadedData = { data: { structure: { kind: 'table', f: 5 }, n: 300 } };

/** The standard preset with the encoder's and decoder's params replaced, and optionally another data node. */
function doc(enc: Record<string, unknown>, dec: Record<string, unknown>, data?: { type: string; params: Record<string, unknown> }, likelihood = 'bernoulli'): RawGraph {
  return standardDoc((g) => {
    for (const n of g.nodes) {
      if (n.id === 'enc') n.params = enc;
      if (n.id === 'dec') n.params = dec;
      if (n.id === 'recon') n.params = { likelihood, reduction: 'sum' };
      if (n.id === 'data' && data) {
        n.type = data.type;
        n.params = data.params;
      }
    }
  });
}

const seqNode = { type: 'data.sequence', params: { file: 'w.csv', length: 32 } };
const tableNode = { type: 'data.table', params: { file: 't.csv' } };

function errorsOf(r: CompileResult): Diagnostic[] {
  return r.ok ? [] : r.diagnostics;
}

function plan(r: CompileResult) {
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}

describe('arch params (DESIGN §8)', () => {
  it('"mlp" parses to exactly today\'s params, in today\'s order; conv and rnn to their own defaults', () => {
    expect(encoder.params.parse({})).toEqual({ arch: 'mlp', hidden: [400], activation: 'relu', latentDim: 20 });
    expect(Object.keys(encoder.params.parse({}))).toEqual(['arch', 'hidden', 'activation', 'latentDim']);
    expect(Object.keys(decoder.params.parse({}))).toEqual(['arch', 'hidden', 'activation', 'outputActivation', 'outputUnits']);
    expect(encoder.params.parse({ arch: 'conv' })).toEqual({ arch: 'conv', channels: [32, 64], hidden: [256], activation: 'relu', latentDim: 20 });
    expect(encoder.params.parse({ arch: 'rnn' })).toEqual({ arch: 'rnn', cell: 'gru', rnnUnits: 64, hidden: [], activation: 'relu', latentDim: 8 });
    expect(decoder.params.parse({ arch: 'conv' })).toEqual({ arch: 'conv', channels: [32, 64], hidden: [256], activation: 'relu', outputActivation: 'sigmoid', outputUnits: 'auto' });
    expect(decoder.params.parse({ arch: 'rnn' })).toEqual({ arch: 'rnn', cell: 'gru', rnnUnits: 64, hidden: [], activation: 'relu', outputActivation: 'none' });
    // given values win over the defaults
    expect(encoder.params.parse({ arch: 'rnn', cell: 'lstm', latentDim: 3 })).toMatchObject({ cell: 'lstm', latentDim: 3, rnnUnits: 64 });
  });

  it('every preset and graph fixture round-trips byte for byte (mlp files unchanged by the arch union)', () => {
    const files = [
      ...readdirSync(new URL('../../presets/', import.meta.url))
        .filter((f) => f.endsWith('.json') && !f.endsWith('.answers.json'))
        .map((f) => `presets/${f}`),
    ];
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) {
      const t = readText(f);
      const r = parseGraph(t, registry);
      expect(r.ok, f).toBe(true);
      if (r.ok) expect(serializeGraph(r.graph, registry), f).toBe(t);
    }
  });

  it('a param of another arch is BAD_PARAM on that param, naming the arch that takes it', () => {
    const cases: Array<[RawGraph, string, string, RegExp]> = [
      [doc({ arch: 'mlp', channels: [8] }, {}), 'enc', 'channels', /"conv"/],
      [doc({ arch: 'conv', cell: 'gru' }, {}), 'enc', 'cell', /"rnn"/],
      [doc({ arch: 'rnn', channels: [8] }, {}), 'enc', 'channels', /"conv"/],
      [doc({}, { arch: 'rnn', outputUnits: 784 }), 'dec', 'outputUnits', /"mlp" or "conv"/],
      [doc({}, { arch: 'mlp', rnnUnits: 16 }), 'dec', 'rnnUnits', /"rnn"/],
    ];
    for (const [d, node, param, names] of cases) {
      const r = parseGraph(d, registry);
      expect(r.ok, `${node}.${param}`).toBe(false);
      if (r.ok) continue;
      const bad = r.diagnostics.find((x) => x.code === 'BAD_PARAM' && x.node === node);
      expect(bad?.path, `${node}.${param}`).toMatch(new RegExp(`params\\.${param}$`));
      expect(bad?.message).toMatch(names);
    }
    // the same param in its own arch is fine
    expect(parseGraph(doc({ arch: 'conv', channels: [8] }, {}), registry).ok).toBe(true);
  });

  it('switching arch gives the new arch\'s defaults, keeps what a person set, and undoes exactly', () => {
    const std = toGraph(standardDoc((g) => (g.nodes.find((n) => n.id === 'enc')!.params = { latentDim: 2 })));
    const r = applyCommand(std, { op: 'setParam', node: 'enc', param: 'arch', value: 'conv' }, registry);
    if (!r.ok) throw new Error(r.diagnostic.message);
    // hidden [400] was mlp's default: conv's [256] replaces it; latentDim 2 was set by hand: kept
    expect(r.graph.nodes.find((n) => n.id === 'enc')!.params).toEqual({ arch: 'conv', channels: [32, 64], hidden: [256], activation: 'relu', latentDim: 2 });
    const back = applyCommand(r.graph, r.inverse, registry);
    if (!back.ok) throw new Error(back.diagnostic.message);
    expect(serializeGraph(back.graph, registry)).toBe(serializeGraph(std, registry));
    // rnn → mlp drops cell and rnnUnits (they would be BAD_PARAM)
    const rnn = applyCommand(r.graph, { op: 'setParam', node: 'enc', param: 'arch', value: 'rnn' }, registry);
    if (!rnn.ok) throw new Error(rnn.diagnostic.message);
    const mlp = applyCommand(rnn.graph, { op: 'setParam', node: 'enc', param: 'arch', value: 'mlp' }, registry);
    if (!mlp.ok) throw new Error(mlp.diagnostic.message);
    expect(mlp.graph.nodes.find((n) => n.id === 'enc')!.params).toEqual({ arch: 'mlp', hidden: [400], activation: 'relu', latentDim: 2 });
    // an unknown arch is refused
    expect(applyCommand(std, { op: 'setParam', node: 'enc', param: 'arch', value: 'transformer' }, registry).ok).toBe(false);
  });

  it('the inspector shows only the current arch\'s controls', () => {
    const shown = (def: AnyNodeDef, arch: string) => visibleControls(def.controls, def.params.parse({ arch }) as Record<string, unknown>).map((c) => c.param);
    // arch first: the params below it are the chosen arch's
    expect(shown(encoder, 'mlp')).toEqual(['arch', 'hidden', 'activation', 'latentDim']);
    expect(shown(encoder, 'conv')).toEqual(['arch', 'channels', 'hidden', 'activation', 'latentDim']);
    expect(shown(encoder, 'rnn')).toEqual(['arch', 'cell', 'rnnUnits', 'hidden', 'activation', 'latentDim']);
    expect(shown(decoder, 'mlp')).toEqual(['arch', 'hidden', 'activation', 'outputActivation', 'outputUnits']);
    expect(shown(decoder, 'rnn')).toEqual(['arch', 'cell', 'rnnUnits', 'hidden', 'activation', 'outputActivation']);
    expect(encoder.controls.find((c) => c.param === 'arch')).toMatchObject({ kind: 'select', options: ['mlp', 'conv', 'rnn'] });
    expect(encoder.controls.find((c) => c.param === 'channels')).toMatchObject({ kind: 'intList', min: 1 });
    expect(encoder.controls.find((c) => c.param === 'cell')).toMatchObject({ kind: 'select', options: ['gru', 'lstm'] });
  });
});

const CONV = { arch: 'conv' };
const RNN = { arch: 'rnn' };

describe('conv and rnn arch shapes, structures and variables', () => {
  it('conv on MNIST: [B,784] with 28×28×1 in, μ [B,20], x̂ [B,784] carrying the image; PyTorch-initialised variables', () => {
    const p = plan(compile(toGraph(doc(CONV, CONV)), registry));
    const enc = p.nodes.get('enc')!;
    const dec = p.nodes.get('dec')!;
    expect(enc.inShapes.x).toEqual(['B', 784]);
    expect(enc.inStructure.x).toEqual({ kind: 'image', h: 28, w: 28, c: 1 });
    expect(enc.outShapes.mu).toEqual(['B', 20]);
    expect(dec.outShapes.xHat).toEqual(['B', 784]);
    expect(dec.outStructure.xHat).toEqual({ kind: 'image', h: 28, w: 28, c: 1 });
    const b = (fanIn: number) => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
    expect(enc.variables.map((v) => [v.name, v.shape, v.init])).toEqual([
      ['conv0/kernel', [4, 4, 1, 32], b(16)],
      ['conv0/bias', [32], b(16)],
      ['conv1/kernel', [4, 4, 32, 64], b(32 * 16)],
      ['conv1/bias', [64], b(32 * 16)],
      ['hidden0/kernel', [7 * 7 * 64, 256], b(3136)],
      ['hidden0/bias', [256], b(3136)],
      ['mu/kernel', [256, 20], b(256)],
      ['mu/bias', [20], b(256)],
      ['logvar/kernel', [256, 20], b(256)],
      ['logvar/bias', [20], b(256)],
    ]);
    // ConvTranspose2d's fan_in is out_channels·k² (PyTorch reads the weight's dim 1)
    expect(dec.variables.map((v) => [v.name, v.shape, v.init])).toEqual([
      ['hidden0/kernel', [20, 256], b(20)],
      ['hidden0/bias', [256], b(20)],
      ['grid/kernel', [256, 3136], b(256)],
      ['grid/bias', [3136], b(256)],
      ['deconv0/kernel', [4, 4, 32, 64], b(32 * 16)],
      ['deconv0/bias', [32], b(32 * 16)],
      ['deconv1/kernel', [4, 4, 1, 32], b(16)],
      ['deconv1/bias', [1], b(16)],
    ]);
  });

  it('rnn on a 32×4 sequence: μ [B,8], x̂ [B,128] carrying the sequence; PyTorch GRU/LSTM variables', () => {
    const p = plan(compile(toGraph(doc(RNN, RNN, seqNode, 'gaussian')), registry, SEQ));
    const enc = p.nodes.get('enc')!;
    const dec = p.nodes.get('dec')!;
    expect(enc.outShapes.mu).toEqual(['B', 8]);
    expect(dec.outShapes.xHat).toEqual(['B', 128]);
    expect(dec.outStructure.xHat).toEqual({ kind: 'sequence', t: 32, f: 4 });
    const b = (fanIn: number) => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
    expect(enc.variables.map((v) => [v.name, v.shape, v.init])).toEqual([
      ['rnn/kernel', [4, 192], b(64)],
      ['rnn/recurrentKernel', [64, 192], b(64)],
      ['rnn/biasIh', [192], b(64)],
      ['rnn/biasHh', [192], b(64)],
      ['mu/kernel', [64, 8], b(64)],
      ['mu/bias', [8], b(64)],
      ['logvar/kernel', [64, 8], b(64)],
      ['logvar/bias', [8], b(64)],
    ]);
    expect(dec.variables.map((v) => [v.name, v.shape])).toEqual([
      ['h0/kernel', [8, 64]],
      ['h0/bias', [64]],
      ['rnn/kernel', [8, 192]],
      ['rnn/recurrentKernel', [64, 192]],
      ['rnn/biasIh', [192]],
      ['rnn/biasHh', [192]],
      ['out/kernel', [64, 4]],
      ['out/bias', [4]],
    ]);
    const lstm = plan(compile(toGraph(doc({ arch: 'rnn', cell: 'lstm', hidden: [16] }, { arch: 'rnn', cell: 'lstm', rnnUnits: 10, hidden: [6] }, seqNode, 'gaussian')), registry, SEQ));
    expect(lstm.nodes.get('enc')!.variables.find((v) => v.name === 'rnn/kernel')!.shape).toEqual([4, 256]);
    expect(lstm.nodes.get('enc')!.variables.find((v) => v.name === 'hidden0/kernel')!.shape).toEqual([64, 16]);
    expect(lstm.nodes.get('dec')!.variables.map((v) => [v.name, v.shape]).filter(([n]) => /kernel$/i.test(String(n)))).toEqual([
      ['h0/kernel', [8, 10]],
      ['rnn/kernel', [8, 40]],
      ['rnn/recurrentKernel', [10, 40]],
      ['hidden0/kernel', [10, 6]],
      ['out/kernel', [6, 4]],
    ]);
  });

  it('a K-sample z [K,B,d] gives x̂ [K,B,D] for both archs', () => {
    const withK = (d: RawGraph) => {
      d.nodes.find((n) => n.id === 'rep')!.params = { samples: 3 };
      return d;
    };
    expect(plan(compile(toGraph(withK(doc(CONV, CONV))), registry)).nodes.get('dec')!.outShapes.xHat).toEqual([3, 'B', 784]);
    expect(plan(compile(toGraph(withK(doc(RNN, RNN, seqNode, 'gaussian'))), registry, SEQ)).nodes.get('dec')!.outShapes.xHat).toEqual([3, 'B', 128]);
  });

  it('the editor\'s analysis shows each port\'s structure beside its shape', () => {
    const a = analyzeGraph(toGraph(doc(CONV, CONV)), registry);
    expect(a.outShapes.data!.x).toEqual(['B', 784]);
    expect(a.outStructures.data!.x).toEqual({ kind: 'image', h: 28, w: 28, c: 1 });
    expect(a.inStructures.enc!.x).toEqual({ kind: 'image', h: 28, w: 28, c: 1 });
    expect(a.outStructures.dec!.xHat).toEqual({ kind: 'image', h: 28, w: 28, c: 1 });
    // the standard (mlp) decoder's x̂ has the data's width, so it carries its structure too
    expect(analyzeGraph(toGraph(standardDoc()), registry).outStructures.dec!.xHat).toEqual({ kind: 'image', h: 28, w: 28, c: 1 });
    expect(a.errors).toEqual([]);
  });

  it('a file-backed data node\'s loaded structure reaches the editor\'s ports (the sequence\'s 32×4)', () => {
    const g = toGraph(doc(RNN, RNN, seqNode, 'gaussian'));
    const a = analyzeGraph(g, registry, { info: SEQ, diagnostics: [], loading: [] });
    expect(a.outShapes.data!.x).toEqual(['B', 128]);
    expect(a.outStructures.data!.x).toEqual({ kind: 'sequence', t: 32, f: 4 });
    expect(a.outShapes.enc!.mu).toEqual(['B', 8]);
    expect(a.outStructures.dec!.xHat).toEqual({ kind: 'sequence', t: 32, f: 4 });
    // before loading: nothing known downstream of the data node
    expect(analyzeGraph(g, registry).outShapes.enc).toEqual({});
  });
});

describe('SHAPE_MISMATCH for the archs: naming the node and port, saying what would fit', () => {
  const only = (r: CompileResult) => {
    const e = errorsOf(r);
    expect(e.length, JSON.stringify(e)).toBeGreaterThan(0);
    return e[0]!;
  };

  it('H or W not divisible by 2^n', () => {
    const d = only(compile(toGraph(doc({ arch: 'conv', channels: [8, 16, 32] }, CONV)), registry));
    expect(d).toMatchObject({ code: 'SHAPE_MISMATCH', node: 'enc', port: 'x' });
    expect(d.message).toMatch(/divisible by 2\^3 = 8.*28×28/);
    expect(d.fix).toMatch(/at most 2 channel entries, e\.g\. channels \[8, 16\]/);
    const e = only(compile(toGraph(doc(CONV, { arch: 'conv', channels: [8, 16, 32] })), registry));
    expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', node: 'dec', port: 'xHat' });
  });

  it('conv on data without image structure (a sequence, a table)', () => {
    const d = only(compile(toGraph(doc(CONV, RNN, seqNode, 'gaussian')), registry, SEQ));
    expect(d).toMatchObject({ code: 'SHAPE_MISMATCH', node: 'enc', port: 'x' });
    expect(d.message).toMatch(/needs images.*32×4 sequence/);
    expect(d.fix).toMatch(/arch "rnn"/);
    const t = only(compile(toGraph(doc(CONV, {}, tableNode, 'gaussian')), registry, TABLE));
    expect(t).toMatchObject({ code: 'SHAPE_MISMATCH', node: 'enc', port: 'x' });
    expect(t.fix).toMatch(/arch "mlp"/);
    const dec = only(compile(toGraph(doc(RNN, CONV, seqNode, 'gaussian')), registry, SEQ));
    expect(dec).toMatchObject({ code: 'SHAPE_MISMATCH', node: 'dec', port: 'xHat' });
    expect(dec.message).toMatch(/needs images/);
  });

  it('a GRU/LSTM arch on data without sequence structure (an image)', () => {
    const d = only(compile(toGraph(doc(RNN, CONV)), registry));
    expect(d).toMatchObject({ code: 'SHAPE_MISMATCH', node: 'enc', port: 'x' });
    expect(d.message).toMatch(/needs sequences.*28×28×1 image/);
    expect(d.fix).toMatch(/arch "conv"/);
    const dec = only(compile(toGraph(doc(CONV, RNN)), registry));
    expect(dec).toMatchObject({ code: 'SHAPE_MISMATCH', node: 'dec', port: 'xHat' });
  });

  it('a conv decoder whose outputUnits is not the image\'s width; one whose x̂ feeds no loss', () => {
    const d = only(compile(toGraph(doc(CONV, { arch: 'conv', outputUnits: 100 })), registry));
    expect(d).toMatchObject({ code: 'SHAPE_MISMATCH', node: 'dec', port: 'xHat' });
    expect(d.fix).toMatch(/auto/);
    const g = toGraph(doc(CONV, CONV));
    const cut: Graph = { ...g, edges: g.edges.filter((e) => e.from !== 'dec.xHat') };
    const a = analyzeGraph(cut, registry);
    expect(a.outShapes.dec).toEqual({});
  });

  it('the editor\'s analysis reports it on the node and port too', () => {
    const g = toGraph(doc(CONV, CONV));
    const a = analyzeGraph({ ...g, nodes: g.nodes.map((n) => (n.id === 'enc' ? { ...n, params: { ...n.params, channels: [8, 8, 8] } } : n)) }, registry);
    expect(a.errors.find((e) => e.node === 'enc')).toMatchObject({ code: 'SHAPE_MISMATCH', port: 'x' });
  });
});

describe('SHAPE_MISMATCH for the primitives: flat data says which reshape would fit', () => {
  function primitive(type: string, params: Record<string, unknown>): RawGraph {
    return standardDoc((g) => {
      g.nodes.push({ id: 'p', type, params });
      g.edges.push({ from: 'data.x', to: 'p.x' });
    });
  }
  const errOn = (r: ReturnType<typeof analyzeGraph>) => r.errors.find((e) => e.node === 'p');

  it('a conv fed flat MNIST: put an op.reshape [28, 28, 1] before it', () => {
    const e = errOn(analyzeGraph(toGraph(primitive('layer.conv2d', { filters: 8 })), registry));
    expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', port: 'x' });
    expect(e!.fix).toMatch(/28×28×1 image.*op\.reshape with shape \[28, 28, 1\]/);
  });

  it('a GRU fed flat MNIST: read it row by row, or use a conv', () => {
    const e = errOn(analyzeGraph(toGraph(primitive('layer.gru', { units: 8 })), registry));
    expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', port: 'x' });
    expect(e!.fix).toMatch(/not a sequence.*op\.reshape with shape \[28, 28\] reads it row by row/);
  });

  it('a kernel that does not fit the image', () => {
    const d = standardDoc((g) => {
      g.nodes.push({ id: 'img', type: 'op.reshape', params: { shape: [28, 28, 1] } }, { id: 'p', type: 'layer.conv2d', params: { filters: 4, kernel: 15, stride: 8, padding: 0 } }, { id: 'q', type: 'layer.conv2d', params: { filters: 4, kernel: 15, stride: 1, padding: 0 } });
      g.edges.push({ from: 'data.x', to: 'img.x' }, { from: 'img.y', to: 'p.x' }, { from: 'p.y', to: 'q.x' });
    });
    const a = analyzeGraph(toGraph(d), registry);
    const e = a.errors.find((x) => x.node === 'q');
    expect(a.outShapes.p!.y).toEqual(['B', 2, 2, 4]);
    expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', port: 'x' });
    expect(e!.message).toMatch(/does not fit a 2×2 input/);
    expect(e!.fix).toMatch(/kernel at most 2/);
  });
});
