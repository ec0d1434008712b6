/**
 * Short, readable node ids for new nodes: the stems the lecture's graph uses ("enc", "rep",
 * "dec", …), made unique with a number ("dense", "dense2", …).
 */
import { freshNodeId } from '../graph/commands';
import type { Graph } from '../graph/schema';

const STEMS: Record<string, string> = {
  'data.mnist': 'data',
  'vae.encoder': 'enc',
  'vae.reparameterize': 'rep',
  'vae.decoder': 'dec',
  'loss.reconstruction': 'recon',
  'loss.kl': 'kl',
  'loss.beta': 'beta',
  'train.optimizer': 'opt',
  'layer.dense': 'dense',
  'op.split': 'split',
  'op.scale': 'scale',
  'op.exp': 'exp',
  'op.add': 'add',
  'op.mul': 'mul',
  'op.noise': 'noise',
};

export function stemForType(type: string): string {
  return STEMS[type] ?? (type.split('.').pop() || 'node');
}

/** A fresh id for a node of `type` in `graph`. */
export function newNodeId(graph: Graph, type: string): string {
  return freshNodeId(graph, stemForType(type));
}

/** A fresh id for a copy of node `id` ("enc" → "enc2"; "dense3" → "dense4" or the next free). */
export function copyNodeId(graph: Graph, id: string): string {
  const stem = id.replace(/\d+$/, '') || id;
  return freshNodeId(graph, stem);
}
