/**
 * A node type is a module: everything the core needs to know about it comes through the
 * node contract, and the core iterates over the registry it is given. This file defines two
 * node types of its own — a file-backed table source giving [B,5] numbers and a squared-error
 * loss with a badge and a lint — registers them beside the standard modules, and checks that
 * they compile (and report DATA_MISSING without their data), train in Node, show their badge
 * through the store's badge function, raise their lint, and get their id stem and palette
 * aliases. No line outside this file knows them.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, registry as standard } from '../../nodes';
import { defineNode, formatStructure, structureWidth, type DataInfo, type DataSource, type ShapeResult } from '../../nodes/types';
import { compile, type Plan } from '../../src/compiler/compile';
import { warning } from '../../src/graph/diagnostics';
import { formatShape } from '../../src/graph/ports';
import { newNodeId, stemFor } from '../../src/graph/ids';
import { parseGraph, type Graph } from '../../src/graph/schema';
import { useBackend } from '../../src/runtime/backends';
import { nodeBadges } from '../../src/runtime/badges';
import { createTrainer, disposeCaptured, type StepMetrics, type Trainer } from '../../src/runtime/trainer';
import { searchNodeTypes } from '../../src/components/paletteSearch';

// ---------------------------------------------------------------- the two node types

const tableParams = z.strictObject({
  file: z.string().default(''),
  batchSize: z.number().int().min(1).max(4096).default(16),
  heldOutFraction: z.number().gt(0).lt(1).default(0.25),
});
type TableParams = z.infer<typeof tableParams>;

/** A table file's rows as numbers: x [B,F] (F = its columns), label [B]. */
const tableSource = defineNode<TableParams>({
  type: 'test.table',
  category: 'Data',
  title: 'Numbers table',
  description: 'x: a batch of rows of a numeric table file.',
  help: { formula: String.raw`\mathbf{x}^{(i)} \in \mathbb{R}^{F}`, where: 'A source: its x feeds an encoder and the loss target.' },
  role: 'data',
  stem: 'tab',
  aliases: ['csv', 'spreadsheet'],
  inputs: [],
  outputs: [
    { name: 'x', kind: 'data', doc: 'rows [B,F]' },
    { name: 'label', kind: 'tensor', doc: 'row classes [B]' },
  ],
  params: tableParams,
  controls: [
    { param: 'batchSize', label: 'batch size' },
    { param: 'heldOutFraction', label: 'held out', step: 0.05 },
  ],
  data: { file: (p) => p.file, batchSize: (p) => p.batchSize, heldOut: (p, n) => Math.ceil(n * p.heldOutFraction) },
  inferShapes: ({ data }): ShapeResult => {
    if (!data) return { ok: true, outputs: {} };
    if (data.structure.kind !== 'table') return { ok: false, code: 'BAD_PARAM', port: 'x', message: `expects a table, got a ${formatStructure(data.structure)}` };
    return { ok: true, outputs: { x: ['B', data.structure.f], label: ['B'] }, structure: { x: data.structure } };
  },
  forward: (ctx) => ({ x: ctx.data.x(ctx.nodeId), label: ctx.data.labels() }),
});

const sqParams = z.strictObject({ weight: z.number().min(-1e6).max(1e6).default(1) });
type SqParams = z.infer<typeof sqParams>;

/** weight · ½‖x̂ − x‖² per example, with a badge and a lint of its own. */
const squaredError = defineNode<SqParams>({
  type: 'test.squaredError',
  category: 'Losses',
  title: 'Weighted squared error',
  description: 'weight · ½‖x̂ − x‖² per example.',
  help: { formula: String.raw`w \cdot \tfrac{1}{2}\lVert \hat{\mathbf{x}} - \mathbf{x} \rVert^2`, where: 'Takes the decoder output and the data x; feeds the optimizer.', badge: 'sq: its batch mean' },
  role: 'reconstruction',
  stem: 'sq',
  aliases: ['mse'],
  inputs: [
    { name: 'xHat', kind: 'recon', doc: '[B,n]' },
    { name: 'x', kind: 'data', doc: '[B,n]' },
  ],
  outputs: [{ name: 'err', kind: 'loss', doc: 'per example [B]' }],
  params: sqParams,
  controls: [{ param: 'weight', label: 'weight', step: 0.1 }],
  pairs: { xHat: 'x' },
  metrics: { recon: 'err' },
  inferShapes: ({ inputs }): ShapeResult => {
    const { xHat, x } = inputs;
    if (!xHat || !x) return { ok: true, outputs: {} };
    if (formatShape(xHat) !== formatShape(x)) return { ok: false, code: 'SHAPE_MISMATCH', port: 'xHat', message: `${formatShape(xHat)} is not ${formatShape(x)}` };
    return { ok: true, outputs: { err: ['B'] } };
  },
  lint: ({ nodeId, params: p }) =>
    p.weight <= 0 ? [warning('BETA_NOT_POSITIVE', `The weight ${p.weight} on "${nodeId}" rewards the error instead of penalising it.`, { node: nodeId, port: 'err', fix: 'Set a positive weight.' })] : [],
  badge: ({ mean }) => {
    const v = mean('err');
    return v === undefined ? null : { label: 'sq', value: v };
  },
  forward: ({ inputs, params: p }) => ({ err: tf.mul(p.weight * 0.5, tf.sum(tf.square(tf.sub(inputs.xHat!, inputs.x!)), -1)) }),
});

const registry = createRegistry([...standard.all(), tableSource, squaredError]);

// ---------------------------------------------------------------- a table of 5 columns, as loading would give it

const ROWS = 120;
const COLUMNS = ['a', 'b', 'c', 'd', 'e'];
const info: DataInfo = { structure: { kind: 'table', f: COLUMNS.length }, n: ROWS, columns: COLUMNS };

/** Row r: five smooth functions of r, so an autoencoder has something to learn. */
function rowsSource(): DataSource {
  const F = structureWidth(info.structure);
  const values = new Float32Array(ROWS * F);
  for (let r = 0; r < ROWS; r++) for (let f = 0; f < F; f++) values[r * F + f] = Math.sin((r + 1) * (f + 1) * 0.07);
  return {
    info,
    fill: (indices, out) => {
      for (let i = 0; i < indices.length; i++) out.set(values.subarray(indices[i]! * F, (indices[i]! + 1) * F), i * F);
    },
    labels: (indices) => Int32Array.from(indices, (r) => r % 3),
  };
}

function graph(weight = 1): Graph {
  const doc = {
    format: 'vae-lab/graph',
    version: 1,
    meta: { name: 'table VAE' },
    training: { seed: 7 },
    nodes: [
      { id: 'tab', type: 'test.table', params: { file: 'rows.csv', batchSize: 16 } },
      { id: 'enc', type: 'vae.encoder', params: { hidden: [8], latentDim: 2 } },
      { id: 'rep', type: 'vae.reparameterize' },
      { id: 'dec', type: 'vae.decoder', params: { hidden: [8], outputActivation: 'none' } },
      { id: 'sq', type: 'test.squaredError', params: { weight } },
      { id: 'kl', type: 'loss.kl' },
      { id: 'opt', type: 'train.optimizer', params: { learningRate: 0.01 } },
    ],
    edges: [
      { from: 'tab.x', to: 'enc.x' },
      { from: 'enc.mu', to: 'rep.mu' },
      { from: 'enc.logvar', to: 'rep.logvar' },
      { from: 'enc.mu', to: 'kl.mu' },
      { from: 'enc.logvar', to: 'kl.logvar' },
      { from: 'rep.z', to: 'dec.z' },
      { from: 'dec.xHat', to: 'sq.xHat' },
      { from: 'tab.x', to: 'sq.x' },
      { from: 'sq.err', to: 'opt.loss' },
      { from: 'kl.kl', to: 'opt.loss' },
    ],
  };
  const parsed = parseGraph(doc, registry);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
  return parsed.graph;
}

function plan(g: Graph): Plan {
  const r = compile(g, registry, { tab: info });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('a node type defined outside the core', () => {
  it('without what loading learned, its file-backed data node is DATA_MISSING and nothing else', () => {
    const r = compile(graph(), registry);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => [d.code, d.node, d.port])).toEqual([['DATA_MISSING', 'tab', 'x']]);
    expect(r.diagnostics[0]!.message).toContain('rows.csv');
  });

  it('compiles with the data: x is [B,5] with its table structure, the batching comes from its data hook', () => {
    const p = plan(graph());
    const tab = p.nodes.get('tab')!;
    expect(tab.outShapes.x).toEqual(['B', 5]);
    expect(tab.outStructure).toEqual({ x: { kind: 'table', f: 5 } });
    expect(p.nodes.get('dec')!.outShapes.xHat).toEqual(['B', 5]); // outputUnits "auto" through the loss's pairs
    expect([p.data, p.batchSize, p.heldOut]).toEqual(['tab', 16, 30]);
    expect(p.warnings.map((w) => w.code)).toEqual([]);
  });

  describe('trains in Node', () => {
    let trainer: Trainer;
    let metrics: StepMetrics[];
    let captured: Record<string, number>;
    beforeAll(() => {
      trainer = createTrainer(plan(graph()), { data: rowsSource() });
      metrics = [];
      captured = {};
      for (let i = 0; i < 30; i++) {
        const r = trainer.step({ capture: i === 29 });
        if (!r.ok) throw new Error(r.diagnostic.message);
        metrics.push(r.metrics);
        if (r.captured) {
          captured['sq.err'] = tf.tidy(() => tf.mean(r.captured!.get('sq')!.err!).dataSync()[0]!);
          disposeCaptured(r.captured);
        }
      }
    });
    afterAll(() => trainer.dispose());

    it('its batches are [16,5] rows of the source; its loss is the recon metric and falls', () => {
      const x = tf.tidy(() => trainer.model.forward({ mode: 'train', step: 1, data: trainer.trainFeed(1) }).outputs.get('tab')!.x!.shape);
      expect(x).toEqual([16, 5]);
      expect(trainer.stepsPerEpoch).toBe(Math.ceil(90 / 16));
      for (const m of metrics) expect(Number.isFinite(m.loss) && Number.isFinite(m.recon) && m.recon > 0).toBe(true);
      const first = metrics.slice(0, 5).reduce((s, m) => s + m.recon, 0);
      const last = metrics.slice(-5).reduce((s, m) => s + m.recon, 0);
      expect(last).toBeLessThan(first);
      const ev = trainer.evaluate();
      expect(ev.count).toBe(30);
      expect(Number.isFinite(ev.heldOutLoss)).toBe(true);
    });

    it('shows its badge through the function the training store uses', () => {
      const nodes = trainer.plan.order.map((id) => ({ id, type: trainer.plan.nodes.get(id)!.type, active: trainer.plan.nodes.get(id)!.active }));
      const stats = { 'sq.err': { mean: captured['sq.err']! }, 'kl.kl': { mean: metrics.at(-1)!.kl } };
      const badges = nodeBadges(registry, { nodes, stats, step: metrics.at(-1)! }, (v) => (v === null ? 'null' : v.toFixed(3)));
      expect(badges.sq).toBe(`sq ${captured['sq.err']!.toFixed(3)}`);
      expect(badges.opt).toBe(`loss ${metrics.at(-1)!.loss.toFixed(3)}`);
      expect(badges.kl).toMatch(/^KL /);
      expect(Object.keys(badges).sort()).toEqual(['kl', 'opt', 'sq']);
    });
  });

  it('raises its lint', () => {
    const r = compile(graph(-1), registry, { tab: info });
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => [w.code, w.node, w.port])).toEqual([['BETA_NOT_POSITIVE', 'sq', 'err']]);
    expect(r.warnings[0]!.message).toContain('-1');
  });

  it('gets its id stem and palette aliases from its module', () => {
    expect(stemFor(registry, 'test.table')).toBe('tab');
    const g = graph();
    expect(newNodeId(g, 'test.table', registry)).toBe('tab2');
    expect(newNodeId(g, 'test.squaredError', registry)).toBe('sq2');
    expect(searchNodeTypes(registry, 'csv').map((d) => d.type)).toContain('test.table');
    expect(searchNodeTypes(registry, 'mse')[0]!.type).toBe('test.squaredError');
    expect(searchNodeTypes(standard, 'csv').map((d) => d.type)).not.toContain('test.table');
  });
});
