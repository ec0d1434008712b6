/**
 * A graph document as the worker receives it (training, a reference to compare with),
 * parsed and compiled against the node registry, with what loading learned about its
 * file-backed data nodes (data-loading.ts). A document that does not parse or compile is
 * one COMPILE failure that names its first problem and carries all of them.
 */
import { parseGraph, type Graph } from '../graph/schema';
import { firstDiagnosticText } from '../graph/diagnostics';
import { compile, type LoadedData, type Plan } from '../compiler/compile';
import { registry } from '../../nodes';
import { WorkerError } from './errors';

/** `what` starts the message: "The graph", "The reference graph"… */
export function parseDocument(doc: unknown, what: string): Graph {
  const parsed = parseGraph(doc, registry);
  if (!parsed.ok) {
    throw new WorkerError('COMPILE', `${what} is not valid: ${firstDiagnosticText(parsed.diagnostics)}`, { diagnostics: parsed.diagnostics });
  }
  return parsed.graph;
}

/** `data`: what loading learned about each file-backed data node (none: such a node is DATA_MISSING). */
export function compileDocument(doc: unknown, what: string, data: LoadedData = {}): { graph: Graph; plan: Plan } {
  const graph = parseDocument(doc, what);
  const compiled = compile(graph, registry, data);
  if (!compiled.ok) {
    throw new WorkerError('COMPILE', `${what} does not compile: ${firstDiagnosticText(compiled.diagnostics)}`, { diagnostics: compiled.diagnostics });
  }
  return { graph, plan: compiled.plan };
}
