/**
 * The instruments' pure parts: the relative difference compare uses (NaN, shapes, scale),
 * JSON-safe summaries, the collapse alarm, and where q(z|x) and z are found in a plan.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseGraph, type Graph } from '../../src/graph/schema';
import { applyCommands, type Command } from '../../src/graph/commands';
import { compile, type Plan } from '../../src/compiler/compile';
import { registry } from '../../nodes';
import { relativeDiff, jsonSummary } from '../../src/runtime/instruments/summary';
import { collapseAlarm, COLLAPSE_KL_NATS } from '../../src/runtime/instruments/collapse';
import { ancestors, descendants, findLatent } from '../../src/runtime/instruments/subgraph';
import { primitivesVae } from '../integration/instruments-graphs';

const h = (values: number[], shape = [values.length]) => ({ shape, values });

describe('relativeDiff', () => {
  it('is max|a−b| over the larger magnitude', () => {
    const d = relativeDiff(h([1, 2, 4]), h([1, 2.5, 4]), 1e-4);
    expect(d.same).toBe(false);
    expect(d.diff).toBeCloseTo(0.5 / 4, 12);
  });
  it('is symmetric', () => {
    const a = h([0.1, -3, 7]);
    const b = h([0.1, -3.0001, 7.5]);
    expect(relativeDiff(a, b, 1).diff).toBe(relativeDiff(b, a, 1).diff);
  });
  it('matches within the tolerance and reports the difference', () => {
    const d = relativeDiff(h([100, 50]), h([100.001, 50]), 1e-4);
    expect(d).toEqual({ same: true, diff: expect.closeTo(1e-5, 8) });
  });
  it('treats two all-zero tensors as equal', () => {
    expect(relativeDiff(h([0, 0]), h([0, 0]), 1e-4)).toEqual({ same: true, diff: 0 });
  });
  it('flags a value against an all-zero tensor', () => {
    expect(relativeDiff(h([0, 1e-9]), h([0, 0]), 1e-4).same).toBe(false);
  });
  it('calls different shapes a divergence, even with the same values', () => {
    expect(relativeDiff(h([1, 2, 3, 4], [2, 2]), h([1, 2, 3, 4], [4]), 1)).toEqual({ same: false, reason: 'shape', diff: null });
  });
  it('matches NaN with NaN and an infinity with the same infinity', () => {
    expect(relativeDiff(h([NaN, Infinity, -Infinity, 1]), h([NaN, Infinity, -Infinity, 1]), 1e-4)).toEqual({ same: true, diff: 0 });
  });
  it('calls NaN against a number a divergence, whatever the tolerance', () => {
    expect(relativeDiff(h([1, NaN]), h([1, 2]), 1e9)).toEqual({ same: false, reason: 'non-finite', diff: null });
    expect(relativeDiff(h([1, 2]), h([1, NaN]), 1e9).same).toBe(false);
    expect(relativeDiff(h([Infinity]), h([-Infinity]), 1e9).same).toBe(false);
    expect(relativeDiff(h([Infinity]), h([NaN]), 1e9).same).toBe(false);
  });
});

describe('jsonSummary', () => {
  it('gives shape, finite mean/min/max, the non-finite count and the first values', () => {
    const s = jsonSummary(h([1, NaN, 3, -Infinity, 5, 6, 7, 8], [2, 4]), 4);
    expect(s).toEqual({ shape: [2, 4], mean: 30 / 6, min: 1, max: 8, nonFinite: 2, values: [1, 'NaN', 3, '-Infinity'] });
  });
  it('survives JSON unchanged (no NaN or Infinity inside)', () => {
    const s = jsonSummary(h([NaN, Infinity, NaN]));
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.mean).toBeNull();
  });
});

describe('collapseAlarm', () => {
  it('fires when no unit is active', () => {
    expect(collapseAlarm({ activeUnits: 0, klTotal: 3 })).toBe(true);
  });
  it('fires when the total KL is below half a nat, even with units above the variance threshold', () => {
    expect(collapseAlarm({ activeUnits: 8, klTotal: COLLAPSE_KL_NATS - 0.01 })).toBe(true);
  });
  it('stays quiet for a model that uses its latent space', () => {
    expect(collapseAlarm({ activeUnits: 1, klTotal: 4 })).toBe(false);
    expect(collapseAlarm({ activeUnits: 20, klTotal: 25 })).toBe(false);
  });
  it('takes its thresholds as options', () => {
    expect(collapseAlarm({ activeUnits: 2, klTotal: 4 }, { maxActiveUnits: 2 })).toBe(true);
    expect(collapseAlarm({ activeUnits: 5, klTotal: 4 }, { minKl: 5 })).toBe(true);
  });
});

function standard(): Graph {
  const r = parseGraph(readFileSync(new URL('../../presets/standard-vae.json', import.meta.url), 'utf8'), registry);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.graph;
}
function edit(g: Graph, cmds: Command[]): Graph {
  const r = applyCommands(g, cmds, registry);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostic));
  return r.graph;
}
function planOf(g: Graph): Plan {
  const c = compile(g, registry);
  if (!c.ok) throw new Error(JSON.stringify(c.diagnostics));
  return c.plan;
}

describe('findLatent', () => {
  it('reads q(z|x) from the KL node and z from the reparameterization (standard preset)', () => {
    const r = findLatent(planOf(standard()), true);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.site).toMatchObject({ kl: 'kl', mu: { node: 'enc', port: 'mu' }, logvar: { node: 'enc', port: 'logvar' }, z: { node: 'rep', port: 'z' }, recon: ['recon'] });
    expect(r.site.muShape).toEqual(['B', 20]);
  });
  it('finds z at the op.add of a reparameterization wired from primitives', () => {
    const r = findLatent(planOf(primitivesVae()), true);
    expect(r.ok && r.site).toMatchObject({ mu: { node: 'split', port: 'a' }, logvar: { node: 'split', port: 'b' }, z: { node: 'z', port: 'y' } });
  });
  it('finds μ as the decoder input when the decoder is fed μ (the bug), not the unused sample', () => {
    const g = edit(standard(), [
      { op: 'disconnect', from: 'rep.z', to: 'dec.z' },
      { op: 'connect', from: 'enc.mu', to: 'dec.z' },
    ]);
    const r = findLatent(planOf(g), true);
    expect(r.ok && r.site.z).toEqual({ node: 'enc', port: 'mu' });
  });
  it('allows K samples ([K,B,d]) as z', () => {
    const g = edit(standard(), [{ op: 'setParam', node: 'rep', param: 'samples', value: 5 }]);
    const r = findLatent(planOf(g), true);
    expect(r.ok && r.site.z).toEqual({ node: 'rep', port: 'z' });
  });
  it('is a coded diagnostic, not a throw, when no KL node can run', () => {
    const g = edit(standard(), [{ op: 'removeNode', node: 'kl' }, { op: 'removeNode', node: 'beta' }]);
    const r = findLatent(planOf(g), false);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostic.code).toBe('MISSING_INPUT');
  });
});

describe('ancestors / descendants', () => {
  it('splits the standard VAE around z', () => {
    const plan = planOf(standard());
    expect(ancestors(plan, ['recon'])).toEqual(['data', 'enc', 'rep', 'dec', 'recon']);
    expect(descendants(plan, { node: 'rep', port: 'z' })).toEqual(['dec', 'recon', 'opt']);
    expect(descendants(plan, { node: 'enc', port: 'logvar' })).toEqual(['rep', 'dec', 'recon', 'kl', 'beta', 'opt']);
  });
});
