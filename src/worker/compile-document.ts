/**
 * A graph document as the worker receives it (training, a reference to compare with),
 * parsed and compiled against the node registry. A document that does not parse or compile
 * is one COMPILE failure that names its first problem and carries all of them.
 */
import { parseGraph, type Graph } from '../graph/schema';
import { firstDiagnosticText } from '../graph/diagnostics';
import { compile, type Plan } from '../compiler/compile';
import { registry } from '../../nodes';
import { WorkerError } from './errors';

/** `what` starts the message: "The graph", "The reference graph"… */
export function compileDocument(doc: unknown, what: string): { graph: Graph; plan: Plan } {
  const parsed = parseGraph(doc, registry);
  if (!parsed.ok) {
    throw new WorkerError('COMPILE', `${what} is not valid: ${firstDiagnosticText(parsed.diagnostics)}`, { diagnostics: parsed.diagnostics });
  }
  const compiled = compile(parsed.graph, registry);
  if (!compiled.ok) {
    throw new WorkerError('COMPILE', `${what} does not compile: ${firstDiagnosticText(compiled.diagnostics)}`, { diagnostics: compiled.diagnostics });
  }
  return { graph: parsed.graph, plan: compiled.plan };
}
