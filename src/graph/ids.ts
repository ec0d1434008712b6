/**
 * Short, readable node ids for new nodes: the stems the lecture's graph uses ("enc", "rep",
 * "dec", …), made unique with a number ("dense", "dense2", …).
 */
import { freshNodeId } from './commands';
import type { Graph } from './schema';
import type { NodeTypeInfo } from './catalog';

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

/**
 * Params for a new node: the schema's defaults, plus a starting value for a param that has
 * none (layer.dense `units`: 64), so that adding any node from the palette succeeds.
 */
export function initialParams(info: NodeTypeInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const shape = info.params.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
  for (const c of info.controls) {
    const field = shape[c.param];
    if (!field || field.safeParse(undefined).success) continue;
    switch (c.kind) {
      case 'number':
        out[c.param] = c.integer ? Math.max(c.min ?? 1, Math.min(c.max ?? 64, 64)) : Math.max(c.min ?? 0, Math.min(c.max ?? 1, 1));
        break;
      case 'intList':
        out[c.param] = [];
        break;
      case 'autoOrInt':
        out[c.param] = 'auto';
        break;
      case 'select':
        out[c.param] = c.options[0];
        break;
      case 'boolean':
        out[c.param] = false;
        break;
    }
  }
  return out;
}
