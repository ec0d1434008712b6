/**
 * Graphs for the instruments' tests: the standard preset, a primitives-wired VAE of the same
 * architecture, and the planted bugs (each one edit away from its correct graph, written as
 * the edit commands the bug hunt's fixes use). Pure: no tfjs.
 */
import { readFileSync } from 'node:fs';
import { parseGraph, type Graph } from '../../src/graph/schema';
import { applyCommands, type Command } from '../../src/graph/commands';
import { compile, type Plan } from '../../src/compiler/compile';
import { registry } from '../../nodes';

export function parsed(text: string | unknown): Graph {
  const r = parseGraph(text, registry);
  if (!r.ok) throw new Error(`fixture does not parse: ${JSON.stringify(r.diagnostics)}`);
  return r.graph;
}

export function standardVae(): Graph {
  return parsed(readFileSync(new URL('../../presets/standard-vae.json', import.meta.url), 'utf8'));
}

/**
 * The standard VAE wired from primitives: dense layers, μ and log σ² from op.split, and
 * eps = noise(μ), std = exp(scale(log σ², ½)), z = add(μ, mul(eps, std)).
 */
export function primitivesVae(): Graph {
  return parsed({
    format: 'vae-lab/graph',
    version: 1,
    meta: { name: 'Primitives VAE' },
    nodes: [
      { id: 'data', type: 'data.mnist', params: { batchSize: 128 } },
      { id: 'h', type: 'layer.dense', params: { units: 400, activation: 'relu' } },
      { id: 'heads', type: 'layer.dense', params: { units: 40 } },
      { id: 'split', type: 'op.split' },
      { id: 'eps', type: 'op.noise' },
      { id: 'half', type: 'op.scale', params: { factor: 0.5 } },
      { id: 'std', type: 'op.exp' },
      { id: 'epsStd', type: 'op.mul' },
      { id: 'z', type: 'op.add' },
      { id: 'dec', type: 'vae.decoder', params: { hidden: [400] } },
      { id: 'recon', type: 'loss.reconstruction' },
      { id: 'kl', type: 'loss.kl' },
      { id: 'beta', type: 'loss.beta' },
      { id: 'opt', type: 'train.optimizer' },
    ],
    edges: [
      { from: 'data.x', to: 'h.x' },
      { from: 'h.y', to: 'heads.x' },
      { from: 'heads.y', to: 'split.x' },
      { from: 'split.a', to: 'eps.like' },
      { from: 'split.b', to: 'half.x' },
      { from: 'half.y', to: 'std.x' },
      { from: 'eps.eps', to: 'epsStd.a' },
      { from: 'std.y', to: 'epsStd.b' },
      { from: 'split.a', to: 'z.a' },
      { from: 'epsStd.y', to: 'z.b' },
      { from: 'z.y', to: 'dec.z' },
      { from: 'dec.xHat', to: 'recon.xHat' },
      { from: 'data.x', to: 'recon.x' },
      { from: 'split.a', to: 'kl.mu' },
      { from: 'split.b', to: 'kl.logvar' },
      { from: 'kl.kl', to: 'beta.kl' },
      { from: 'recon.nll', to: 'opt.loss' },
      { from: 'beta.kl', to: 'opt.loss' },
    ],
    training: { seed: 1 },
  });
}

export function edit(g: Graph, cmds: Command[]): Graph {
  const r = applyCommands(g, cmds, registry);
  if (!r.ok) throw new Error(`edit failed: ${JSON.stringify(r.diagnostic)}`);
  return r.graph;
}

export function planOf(g: Graph): Plan {
  const c = compile(g, registry);
  if (!c.ok) throw new Error(`does not compile: ${JSON.stringify(c.diagnostics)}`);
  return c.plan;
}

export interface PlantedBug {
  name: string;
  base: () => Graph;
  /** The edits that plant the bug in `base`. */
  plant: Command[];
  /** Where compare must point: node, and port (null for the optimizer's update). */
  node: string;
  port: string | null;
}

export const PLANTED_BUGS: PlantedBug[] = [
  {
    name: 'σ = exp(log σ²) instead of exp(½ log σ²) (primitives)',
    base: primitivesVae,
    plant: [{ op: 'setParam', node: 'half', param: 'factor', value: 1 }],
    node: 'half',
    port: 'y',
  },
  {
    name: 'decoder fed μ instead of z (primitives)',
    base: primitivesVae,
    plant: [
      { op: 'disconnect', from: 'z.y', to: 'dec.z' },
      { op: 'connect', from: 'split.a', to: 'dec.z' },
    ],
    node: 'dec',
    port: 'xHat',
  },
  {
    name: 'decoder fed μ instead of z (standard)',
    base: standardVae,
    plant: [
      { op: 'disconnect', from: 'rep.z', to: 'dec.z' },
      { op: 'connect', from: 'enc.mu', to: 'dec.z' },
    ],
    node: 'dec',
    port: 'xHat',
  },
  {
    name: 'β = 2 instead of 1',
    base: standardVae,
    plant: [{ op: 'setParam', node: 'beta', param: 'beta', value: 2 }],
    node: 'beta',
    port: 'kl',
  },
  {
    name: 'KL mean over latent dims instead of sum',
    base: standardVae,
    plant: [{ op: 'setParam', node: 'kl', param: 'reduction', value: 'mean' }],
    node: 'kl',
    port: 'kl',
  },
  {
    name: 'reconstruction mean over pixels instead of sum (primitives)',
    base: primitivesVae,
    plant: [{ op: 'setParam', node: 'recon', param: 'reduction', value: 'mean' }],
    node: 'recon',
    port: 'nll',
  },
  {
    name: 'the KL never reaches the optimizer (a plain autoencoder)',
    base: standardVae,
    plant: [{ op: 'disconnect', from: 'beta.kl', to: 'opt.loss' }],
    node: 'opt',
    port: 'loss',
  },
  {
    name: 'learning rate 2e-3 instead of 1e-3',
    base: standardVae,
    plant: [{ op: 'setParam', node: 'opt', param: 'learningRate', value: 0.002 }],
    node: 'opt',
    port: null,
  },
  {
    name: 'SGD instead of Adam',
    base: standardVae,
    plant: [{ op: 'setParam', node: 'opt', param: 'algorithm', value: 'sgd' }],
    node: 'opt',
    port: null,
  },
];
