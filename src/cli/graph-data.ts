/**
 * The data of a graph's file-backed data nodes, for the CLI (DESIGN.md sections 5 and 7):
 * each node's files found (--data, or beside the graph) and loaded as the worker loads them
 * (runtime/data/graph-data.ts: DATA_CHANGED against the recorded sha256, the node type's
 * loader), and what loading learned handed to compile; the plan's data node's examples go to
 * the trainer as a DataSource.
 */
import type { Diagnostic } from '../graph/diagnostics';
import type { Graph } from '../graph/schema';
import type { DataInfo, DataSource } from '../../nodes/types';
import { loadNodeData } from '../runtime/data/graph-data';
import { fileParamsOf, readsFile } from '../runtime/data/node-files';
import { parseDataBindings, readDataFile } from './data-files';

export type GraphDataResult =
  | { ok: true; info: Record<string, DataInfo>; sources: Record<string, DataSource>; warnings: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[]; warnings: Diagnostic[] };

/** The file params of node `id` (none for a node that reads no file). */
function fileParamsOfNode(graph: Graph, id: string): string[] {
  const node = graph.nodes.find((n) => n.id === id);
  return node ? fileParamsOf(node.type) : [];
}

/** Loads every file-backed data node's files; an empty result for a graph without one (and no --data). */
export async function loadGraphData(graphPath: string, graph: Graph, dataArgs: readonly string[]): Promise<GraphDataResult> {
  const warnings: Diagnostic[] = [];
  const bound = parseDataBindings(dataArgs, graph.nodes, (id) => fileParamsOfNode(graph, id));
  if (!bound.ok) return { ok: false, diagnostics: [bound.diagnostic], warnings };
  const info: Record<string, DataInfo> = {};
  const sources: Record<string, DataSource> = {};
  const diagnostics: Diagnostic[] = [];
  for (const node of graph.nodes) {
    if (!readsFile(node.type)) continue;
    const loaded = await loadNodeData(node, async (param, name, optional) => {
      const isBound = bound.bindings.some((b) => b.node === node.id && b.param === param);
      if (optional && !isBound) return null; // an optional file left out
      const r = await readDataFile(graphPath, node.id, param, name, bound.bindings);
      return r.ok ? { ok: true, bytes: r.bytes, label: name || r.path } : r;
    });
    warnings.push(...loaded.warnings);
    if (!loaded.ok) {
      diagnostics.push(...loaded.diagnostics);
      continue;
    }
    info[node.id] = loaded.source.info;
    sources[node.id] = loaded.source;
  }
  if (diagnostics.length) return { ok: false, diagnostics, warnings };
  return { ok: true, info, sources, warnings };
}
