/**
 * The data of a graph's file-backed data nodes, for the CLI (DESIGN.md sections 5 and 7):
 * each node's files found (--data, or beside the graph), checked against its recorded
 * sha256 (DATA_CHANGED), loaded with the runtime's loader, and what loading learned handed
 * to compile; the plan's data node's examples go to the trainer as a DataSource.
 */
import type { Diagnostic } from '../graph/diagnostics';
import type { Graph } from '../graph/schema';
import type { DataInfo, DataSource } from '../../nodes/types';
import { registry } from '../../nodes';
import { changedWarning, sha256Hex } from '../runtime/data/hash';
import { datasetSource, loaderFor, type NodeFiles } from '../runtime/data/node-data';
import { isFileParam, parseDataBindings, readDataFile } from './data-files';

export type GraphDataResult =
  | { ok: true; info: Record<string, DataInfo>; sources: Record<string, DataSource>; warnings: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[]; warnings: Diagnostic[] };

/** The file params of node `id` (none for a node that reads no file). */
function fileParamsOf(graph: Graph, id: string): string[] {
  const node = graph.nodes.find((n) => n.id === id);
  const def = node ? registry.get(node.type) : undefined;
  if (!def?.data?.file) return [];
  return Object.keys(def.params.shape as Record<string, unknown>).filter(isFileParam);
}

/** Loads every file-backed data node's files; an empty result for a graph without one (and no --data). */
export async function loadGraphData(graphPath: string, graph: Graph, dataArgs: readonly string[]): Promise<GraphDataResult> {
  const warnings: Diagnostic[] = [];
  const bound = parseDataBindings(dataArgs, graph.nodes, (id) => fileParamsOf(graph, id));
  if (!bound.ok) return { ok: false, diagnostics: [bound.diagnostic], warnings };
  const info: Record<string, DataInfo> = {};
  const sources: Record<string, DataSource> = {};
  const diagnostics: Diagnostic[] = [];
  for (const node of graph.nodes) {
    const def = registry.get(node.type);
    if (!def?.data?.file) continue;
    const params = def.params.parse(node.params ?? {}) as Record<string, unknown>;
    const load = loaderFor(node.type);
    if (!load) continue; // compile reports DATA_MISSING for it
    const files: NodeFiles = {};
    let failed = false;
    for (const param of fileParamsOf(graph, node.id)) {
      const name = String(params[param] ?? '');
      const isBound = bound.bindings.some((b) => b.node === node.id && b.param === param);
      if (param !== 'file' && name === '' && !isBound) continue; // an optional file left out
      const r = await readDataFile(graphPath, node.id, param, name, bound.bindings);
      if (!r.ok) {
        diagnostics.push(r.diagnostic);
        failed = true;
        continue;
      }
      files[param] = r.bytes;
      if (param === 'file' && typeof params.sha256 === 'string') {
        const changed = changedWarning(node.id, name || r.path, params.sha256, await sha256Hex(r.bytes));
        if (changed) warnings.push(changed);
      }
    }
    if (failed) continue;
    const loaded = load(files, params, { nodeId: node.id, fileName: String(params.file ?? '') });
    if (!loaded.ok) {
      diagnostics.push(...loaded.diagnostics);
      continue;
    }
    warnings.push(...loaded.dataset.warnings);
    const source = datasetSource(loaded.dataset);
    info[node.id] = source.info;
    sources[node.id] = source;
  }
  if (diagnostics.length) return { ok: false, diagnostics, warnings };
  return { ok: true, info, sources, warnings };
}
