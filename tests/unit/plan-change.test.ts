/**
 * The one hot-update-or-rebuild rule (src/compiler/change.ts), which the graph store and the
 * trainer both use: each edit a person makes while training, and the verdict it gets.
 */
import { describe, expect, it } from 'vitest';
import { compile, type Plan } from '../../src/compiler/compile';
import { planChange, rebuildReason } from '../../src/compiler/change';
import { registry } from '../../nodes';
import { removeEdge, setParam, standardDoc, toGraph, type RawGraph } from '../fixtures/graph-helpers';

function plan(edit?: (doc: RawGraph) => void): Plan {
  const r = compile(toGraph(standardDoc(edit)), registry);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}

describe('planChange: hot update or rebuild', () => {
  const base = plan();

  it.each<[string, (doc: RawGraph) => void]>([
    ['β', (d) => void setParam(d, 'beta', 'beta', 4)],
    ['the learning rate', (d) => void setParam(d, 'opt', 'learningRate', 0.0005)],
    ['the optimizer algorithm', (d) => void setParam(d, 'opt', 'algorithm', 'sgd')],
    ['the encoder activation', (d) => void setParam(d, 'enc', 'activation', 'tanh')],
    ['the seed (only Reset reads it)', (d) => void (d.training = { seed: 7 })],
    [
      'a rewiring that keeps every variable (μ and log σ² swapped into rep)',
      (d) => {
        removeEdge(d, 'enc.mu', 'rep.mu');
        removeEdge(d, 'enc.logvar', 'rep.logvar');
        d.edges.push({ from: 'enc.logvar', to: 'rep.mu' }, { from: 'enc.mu', to: 'rep.logvar' });
      },
    ],
  ])('%s: hot', (_what, edit) => {
    expect(planChange(base, plan(edit))).toBe('hot');
  });

  it.each<[string, (doc: RawGraph) => void]>([
    ['the latent size (variables change shape)', (d) => void setParam(d, 'enc', 'latentDim', 8)],
    ['the hidden layers', (d) => void setParam(d, 'enc', 'hidden', [256])],
    ['the batch size', (d) => void setParam(d, 'data', 'batchSize', 64)],
    ['the held-out split', (d) => void setParam(d, 'data', 'heldOut', 500)],
    [
      'a new dense node off to the side (the model holds every node’s variables)',
      (d) => {
        d.nodes.push({ id: 'side', type: 'layer.dense', params: { units: 3 } });
        d.edges.push({ from: 'data.x', to: 'side.x' });
      },
    ],
  ])('%s: rebuild', (_what, edit) => {
    expect(planChange(base, plan(edit))).toBe('rebuild');
  });

  it('why a rebuild: other batches (batch size, split) are the data, other weights the variables', () => {
    expect(rebuildReason(base, plan((d) => void setParam(d, 'data', 'batchSize', 64)))).toBe('data');
    expect(rebuildReason(base, plan((d) => void setParam(d, 'data', 'heldOut', 500)))).toBe('data');
    expect(rebuildReason(base, plan((d) => void setParam(d, 'enc', 'latentDim', 8)))).toBe('variables');
  });

  it('a graph that does not compile, on either side: rebuild', () => {
    expect(planChange(base, null)).toBe('rebuild');
    expect(planChange(null, base)).toBe('rebuild');
  });
});
