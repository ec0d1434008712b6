/**
 * Which nodes read data files and what their loaded data depends on (DESIGN.md section 7):
 * the file params of a node type, a node's params with their defaults, and its data key.
 * Light on purpose (the registry only, no parsers): the page's stores use it to know when
 * to ask the worker for a node's data again.
 */
import type { GraphNode } from '../../graph/schema';
import { registry } from '../../../nodes';

/** A param that names a file: `file` or `…File` (e.g. `labelsFile`). */
export function isFileParam(name: string): boolean {
  return name === 'file' || /^[a-z][A-Za-z0-9]*File$/.test(name);
}

/** Whether nodes of `type` read a data file (a file-backed data node). */
export function readsFile(type: string): boolean {
  return !!registry.get(type)?.data?.file;
}

/** The file params of a node type (none for a type that reads no file). */
export function fileParamsOf(type: string): string[] {
  const def = registry.get(type);
  if (!def?.data?.file) return [];
  return Object.keys(def.params.shape as Record<string, unknown>).filter(isFileParam);
}

/** A node's params as its schema gives them (defaults filled in), or null when they do not parse. */
export function nodeParams(node: Pick<GraphNode, 'type' | 'params'>): Record<string, unknown> | null {
  const def = registry.get(node.type);
  if (!def) return null;
  const r = def.params.safeParse(node.params ?? {});
  return r.success ? (r.data as Record<string, unknown>) : null;
}

/** Params that change how examples are batched, not what loading gives. */
const BATCHING_ONLY = new Set(['batchSize']);

/**
 * What a node's loaded dataset depends on: its type and every param but the batch size.
 * The app reloads a node's data when its key changes and trusts a loaded dataset only
 * while the key is the same.
 */
export function dataKey(node: Pick<GraphNode, 'type' | 'params'>): string {
  const params = nodeParams(node) ?? node.params ?? {};
  const kept = Object.keys(params)
    .filter((k) => !BATCHING_ONLY.has(k))
    .sort()
    .map((k) => [k, params[k]]);
  return JSON.stringify([node.type, kept]);
}
