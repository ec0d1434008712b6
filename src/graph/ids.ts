/**
 * Short, readable node ids for new nodes: the stems the lecture's graph uses ("enc", "rep",
 * "dec", …; each node module declares its own), made unique with a number ("dense", "dense2", …).
 */
import { freshNodeId } from './commands';
import type { Graph } from './schema';
import type { NodeCatalog, NodeTypeInfo } from './catalog';

/** The stem of new ids for a node type: its module's `stem`, else the type's last segment. */
export function stemFor(catalog: NodeCatalog, type: string): string {
  return catalog.get(type)?.stem ?? (type.split('.').pop() || 'node');
}

/** A fresh id for a node of `type` in `graph`. */
export function newNodeId(graph: Graph, type: string, catalog: NodeCatalog): string {
  return freshNodeId(graph, stemFor(catalog, type));
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
