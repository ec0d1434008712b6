/**
 * `vae-lab check <graph.json> [--data NODE=PATH]…`: validate, load its data files (their
 * problems are errors, DATA_ROWS_DROPPED and the like warnings) and compile; lint warnings,
 * then the graph's size.
 */
import type { ParsedArgs } from './args';
import { loadGraph } from './load';
import type { Output } from './output';

export async function checkCommand(args: ParsedArgs, out: Output): Promise<number> {
  const file = args.positionals['graph.json']!;
  const loaded = await loadGraph(file, { data: (args.flags.data as string[] | undefined) ?? [] });
  for (const w of loaded.warnings) out.diagnostic(w);
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) out.diagnostic(d);
    out.note(`${file}: ${loaded.diagnostics.length} error${loaded.diagnostics.length === 1 ? '' : 's'}.`);
    return 1;
  }
  const { graph, plan } = loaded;
  out.event({ event: 'ok', nodes: graph.nodes.length, edges: graph.edges.length, parameters: plan.parameters });
  const w = loaded.warnings.length;
  out.line(
    `ok  ${file}: "${graph.meta.name}", ${graph.nodes.length} nodes, ${graph.edges.length} edges, ${plan.parameters.toLocaleString('en-US')} parameters, ${plan.activeOrder.length} nodes train${w ? `, ${w} warning${w === 1 ? '' : 's'}` : ''}.`,
  );
  return 0;
}
