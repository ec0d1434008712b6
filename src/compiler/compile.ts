/**
 * The compiler: graph in, plan or diagnostics out. Pure (no tfjs state).
 * resolve → params → typecheck → toposort → shapes → plan, then lint.
 */
import { error, warning, type Diagnostic } from '../graph/diagnostics';
import { validateGraph, graphSeed, LIMITS, type Graph, type GraphNode } from '../graph/schema';
import { canConnect, parseEndpoint, type PortSpec, type Shape } from '../graph/ports';
import type { NodeRegistry } from '../../nodes';
import type { AnyNodeDef, LintNode, Range, VarSpec } from '../../nodes/types';
import type { DataInfo, DataStructure } from '../graph/structure';
import { shapePass } from './shapes';

export interface PlanInput {
  node: string;
  port: string;
}

export interface PlanNode {
  id: string;
  type: string;
  def: AnyNodeDef;
  params: Record<string, unknown>;
  /** For each input port, the wires into it (one, or several for multi ports), in edge order. */
  inputs: Record<string, PlanInput[]>;
  inShapes: Record<string, Shape | undefined>;
  multiShapes: Record<string, Shape[]>;
  outShapes: Record<string, Shape>;
  /** The data structure each output carries, where it carries one (a data node's x, a decoder's xHat). */
  outStructure: Record<string, DataStructure>;
  /** The data structure arriving at each input, where one arrives (a conv encoder's image size). */
  inStructure: Record<string, DataStructure>;
  variables: VarSpec[];
  /** Feeds the optimizer: runs in training. */
  active: boolean;
}

export interface Plan {
  graph: Graph;
  /** Every node whose inputs are all wired, in topological order (graph order breaks ties). */
  order: string[];
  /** The nodes that run in training (feed the optimizer), in topological order. */
  activeOrder: string[];
  nodes: Map<string, PlanNode>;
  optimizer: string;
  /** The data source that drives batching (the first active data node). */
  data: string;
  /** What the compiler knew about that data node's examples (structure, n). */
  dataInfo: DataInfo;
  batchSize: number;
  heldOut: number;
  seed: number;
  parameters: number;
  warnings: Diagnostic[];
}

export type CompileResult = { ok: true; plan: Plan; warnings: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[]; warnings: Diagnostic[] };

/** What loading learned about each file-backed data node, by node id (DESIGN §1, §7). */
export type LoadedData = Readonly<Record<string, DataInfo | undefined>>;

/**
 * Compile a graph. `data` is what loading learned about each data node's file; without it a
 * file-backed data node reports DATA_MISSING (and nothing downstream of it is checked).
 */
export function compile(file: Graph, registry: NodeRegistry, data: LoadedData = {}): CompileResult {
  // 1. resolve + params: node ids, types, params, endpoints (shared with the file parser).
  const validated = validateGraph(file, registry);
  if (validated.diagnostics.length) return { ok: false, diagnostics: validated.diagnostics, warnings: [] };
  // Notes (role 'note') have no ports and never compute: everything below works on the graph without them.
  const graph = withoutNotes(file, registry);
  const params = validated.params;
  const byId = new Map<string, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  const defOf = (id: string) => registry.get(byId.get(id)!.type)!;

  // 2. wiring tables
  const inEdges = new Map<string, Record<string, PlanInput[]>>();
  const outEdges = new Map<string, Array<{ port: string; to: string; toPort: string }>>();
  for (const n of graph.nodes) {
    inEdges.set(n.id, {});
    outEdges.set(n.id, []);
  }
  for (const e of graph.edges) {
    const from = parseEndpoint(e.from)!;
    const to = parseEndpoint(e.to)!;
    const rec = inEdges.get(to.node)!;
    (rec[to.port] ??= []).push({ node: from.node, port: from.port });
    outEdges.get(from.node)!.push({ port: from.port, to: to.node, toPort: to.port });
  }

  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];

  // 3. semantic kinds (lint)
  for (const e of graph.edges) {
    const from = parseEndpoint(e.from)!;
    const to = parseEndpoint(e.to)!;
    const fromSpec = defOf(from.node).outputs.find((p) => p.name === from.port)!;
    const toSpec = defOf(to.node).inputs.find((p) => p.name === to.port)!;
    if (canConnect(fromSpec.kind, toSpec.kind).semantic) {
      warnings.push(
        warning('SEMANTIC_MISMATCH', `A ${fromSpec.kind} (${e.from}) is wired into a ${toSpec.kind} port (${e.to}).`, {
          node: to.node,
          port: to.port,
          fix: `Expected a ${toSpec.kind} here; check that ${e.from} is the wire you meant.`,
        }),
      );
    }
  }

  // 4. toposort (Kahn; ties broken by graph order so plans are stable)
  const indeg = new Map<string, number>();
  for (const n of graph.nodes) indeg.set(n.id, Object.values(inEdges.get(n.id)!).reduce((s, l) => s + l.length, 0));
  const order: string[] = [];
  const ready = graph.nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  const position = new Map(graph.nodes.map((n, i) => [n.id, i]));
  while (ready.length) {
    ready.sort((a, b) => position.get(a)! - position.get(b)!);
    const id = ready.shift()!;
    order.push(id);
    for (const o of outEdges.get(id)!) {
      const d = indeg.get(o.to)! - 1;
      indeg.set(o.to, d);
      if (d === 0) ready.push(o.to);
    }
  }
  if (order.length < graph.nodes.length) {
    const stuck = new Set(graph.nodes.filter((n) => !order.includes(n.id)).map((n) => n.id));
    const cycle = findCycle(stuck, inEdges);
    const first = cycle[0]!;
    const port = Object.entries(inEdges.get(first.node)!).find(([, l]) => l.some((s) => stuck.has(s.node)))?.[0] ?? null;
    errors.push(
      error('CYCLE', `The wires form a cycle: ${cycle.map((c) => c.node).join(' → ')} → ${first.node}. A VAE graph must flow one way.`, {
        node: first.node,
        port,
        fix: 'Remove one of the wires in the cycle.',
      }),
    );
    return { ok: false, diagnostics: errors, warnings };
  }

  // 5. optimizer and the active set
  const optimizers = graph.nodes.filter((n) => defOf(n.id).role === 'optimizer');
  if (optimizers.length === 0) {
    errors.push(error('NO_OPTIMIZER', 'The graph has no optimizer, so nothing would train.', { fix: 'Add a train.optimizer node and wire the losses into its "loss" input.' }));
  } else if (optimizers.length > 1) {
    for (const o of optimizers.slice(1)) {
      errors.push(error('NO_OPTIMIZER', `The graph has ${optimizers.length} optimizers; it needs exactly one.`, { node: o.id, fix: 'Remove the extra optimizer and wire every loss into one.' }));
    }
  }
  const optimizer = optimizers[0];
  if (optimizer && !(inEdges.get(optimizer.id)!.loss?.length)) {
    errors.push(
      error('NO_LOSS', 'No loss reaches the optimizer.', {
        node: optimizer.id,
        port: 'loss',
        fix: 'Wire the reconstruction loss and the (β-weighted) KL into the optimizer\'s "loss" input.',
      }),
    );
  }
  const active = new Set<string>();
  if (optimizer) {
    const stack = [optimizer.id];
    while (stack.length) {
      const id = stack.pop()!;
      if (active.has(id)) continue;
      active.add(id);
      for (const list of Object.values(inEdges.get(id)!)) for (const s of list) stack.push(s.node);
    }
  }

  // 6. evaluable set: every input wired, every source evaluable
  const evaluable = new Set<string>();
  for (const id of order) {
    const def = defOf(id);
    const ins = inEdges.get(id)!;
    const missing = def.inputs.filter((p) => !p.optional && !(ins[p.name]?.length));
    const sourcesOk = Object.values(ins).every((l) => l.every((s) => evaluable.has(s.node)));
    if (missing.length === 0 && sourcesOk) evaluable.add(id);
    if (active.has(id)) {
      for (const p of missing) {
        if (p.multi) continue; // reported as NO_LOSS
        errors.push(
          error('MISSING_INPUT', `Input "${p.name}" of ${describeNode(byId.get(id)!)} is not wired, and the node feeds the optimizer.`, {
            node: id,
            port: p.name,
            fix: `Wire a ${p.kind} into ${id}.${p.name}.`,
          }),
        );
      }
    }
  }
  if (errors.length) return { ok: false, diagnostics: errors, warnings };

  // 6b. data: a data node's info is what loading learned (or its built-in info); a file-backed one without it is DATA_MISSING
  const dataInfo = new Map<string, DataInfo>();
  for (const id of order) {
    const spec = defOf(id).data;
    if (!spec) continue;
    const loaded = data[id];
    if (loaded) dataInfo.set(id, loaded);
    else if (spec.file) {
      const file = spec.file(params.get(id)!);
      errors.push(
        error('DATA_MISSING', file ? `${describeNode(byId.get(id)!)} reads "${file}", which has not been loaded.` : `${describeNode(byId.get(id)!)} has no data file.`, {
          node: id,
          port: defOf(id).outputs[0]?.name ?? null,
          fix: file ? `Load "${file}" again (pick the file), or choose another.` : 'Pick a data file for this node.',
        }),
      );
    } else if (spec.builtin) dataInfo.set(id, spec.builtin);
  }

  // 7. shapes (memoised, so "auto" params can look downstream for a hint)
  const shapes = shapePass({
    ids: order,
    defOf,
    paramsOf: (id) => params.get(id)!,
    inEdges,
    outEdges,
    dataOf: (id) => dataInfo.get(id),
    // DATA_MISSING is reported above
    runs: (id) => evaluable.has(id) && !(defOf(id).data?.file && !dataInfo.has(id)),
    partial: false,
  });
  const shapeErrors = shapes.failures.map(({ id, result }) =>
    error(result.code, `${describeNode(byId.get(id)!)}: ${result.message}`, { node: id, port: result.port, fix: result.fix }),
  );
  if (errors.length || shapeErrors.length) return { ok: false, diagnostics: [...errors, ...shapeErrors], warnings };

  // 8. variables and the parameter budget
  const planNodes = new Map<string, PlanNode>();
  let parameters = 0;
  for (const id of order) {
    if (!evaluable.has(id)) continue;
    const def = defOf(id);
    const p = params.get(id)!;
    const ins = shapes.nodes.get(id)!;
    const outs = ins.out!;
    const structure = { in: ins.inStructure, out: ins.outStructure ?? {} };
    const variables = def.variables ? def.variables(p, ins.single, outs, structure) : [];
    for (const v of variables) parameters += v.shape.reduce((a, b) => a * b, 1);
    planNodes.set(id, {
      id,
      type: def.type,
      def,
      params: p,
      inputs: inEdges.get(id)!,
      inShapes: ins.single,
      multiShapes: ins.multi,
      outShapes: outs,
      outStructure: structure.out,
      inStructure: structure.in,
      variables,
      active: active.has(id),
    });
  }
  if (parameters > LIMITS.parameters) {
    return {
      ok: false,
      diagnostics: [error('TOO_LARGE', `The graph would have ${parameters.toLocaleString('en')} parameters; the limit is 50 million.`, { fix: 'Use fewer or narrower layers.' })],
      warnings,
    };
  }

  const evalOrder = order.filter((id) => evaluable.has(id));
  const activeOrder = evalOrder.filter((id) => active.has(id));
  const dataNodes = activeOrder.filter((id) => defOf(id).role === 'data');
  const dataId = dataNodes[0] ?? evalOrder.find((id) => defOf(id).role === 'data');
  if (!dataId) {
    return { ok: false, diagnostics: [error('MISSING_INPUT', 'No data source feeds the optimizer.', { fix: 'Add a data.mnist node and wire its x into the encoder and the reconstruction loss.' })], warnings };
  }
  // every data node's batching, from its module's data hook
  const batching = (id: string): { batchSize: number; heldOut: number } | null => {
    const spec = defOf(id).data;
    const info = dataInfo.get(id);
    if (!spec || !info) return null;
    const p = params.get(id)!;
    return { batchSize: spec.batchSize(p), heldOut: spec.heldOut(p, info.n, info) };
  };
  const dataParams = batching(dataId);
  if (!dataParams) {
    return { ok: false, diagnostics: [error('INTERNAL', `Data node "${dataId}" (${defOf(dataId).type}) declares no data hook (batch size, held-out examples).`, { node: dataId })], warnings };
  }
  for (const other of dataNodes.slice(1)) {
    const op = batching(other);
    if (op && (op.batchSize !== dataParams.batchSize || op.heldOut !== dataParams.heldOut)) {
      errors.push(
        error('BAD_PARAM', `Data sources "${dataId}" and "${other}" disagree on batchSize or heldOut; every data source reads the same batch.`, {
          node: other,
          fix: `Set batchSize ${dataParams.batchSize} and heldOut ${dataParams.heldOut} on "${other}".`,
        }),
      );
    }
  }
  if (errors.length) return { ok: false, diagnostics: errors, warnings };

  // 9. lint
  lint(graph, registry, planNodes, evalOrder, active, outEdges, warnings);

  const plan: Plan = {
    graph: file,
    order: evalOrder,
    activeOrder,
    nodes: planNodes,
    optimizer: optimizer!.id,
    data: dataId,
    dataInfo: dataInfo.get(dataId)!,
    batchSize: dataParams.batchSize,
    heldOut: dataParams.heldOut,
    seed: graphSeed(graph),
    parameters,
    warnings,
  };
  return { ok: true, plan, warnings };
}

/** The graph less its notes (a note has no ports, so no edge touches one). */
function withoutNotes(graph: Graph, registry: NodeRegistry): Graph {
  const isNote = (n: GraphNode) => registry.get(n.type)?.role === 'note';
  return graph.nodes.some(isNote) ? { ...graph, nodes: graph.nodes.filter((n) => !isNote(n)) } : graph;
}

function describeNode(n: GraphNode): string {
  return `node "${n.id}" (${n.type})`;
}

function findCycle(stuck: Set<string>, inEdges: Map<string, Record<string, PlanInput[]>>): PlanInput[] {
  // Walk backwards along stuck inputs until a node repeats.
  const start = [...stuck][0]!;
  const path: string[] = [];
  const index = new Map<string, number>();
  let cur = start;
  while (!index.has(cur)) {
    index.set(cur, path.length);
    path.push(cur);
    const next = Object.values(inEdges.get(cur)!)
      .flat()
      .find((s) => stuck.has(s.node));
    if (!next) break;
    cur = next.node;
  }
  const cyc = path.slice(index.get(cur) ?? 0).reverse();
  return cyc.map((node) => ({ node, port: '' }));
}

function lint(
  graph: Graph,
  registry: NodeRegistry,
  nodes: Map<string, PlanNode>,
  order: string[],
  active: Set<string>,
  outEdges: Map<string, Array<{ port: string; to: string; toPort: string }>>,
  warnings: Diagnostic[],
): void {
  // value ranges (each node's `range` hook), for the lints that need them
  const ranges = new Map<string, Record<string, Range>>();
  for (const id of order) {
    const n = nodes.get(id)!;
    const inR: Record<string, Range> = {};
    for (const [port, list] of Object.entries(n.inputs)) {
      const s = list[0];
      inR[port] = s ? (ranges.get(s.node)?.[s.port] ?? null) : null;
    }
    const out: Record<string, Range> = {};
    for (const p of n.def.outputs) out[p.name] = n.def.range ? n.def.range(n.params, p.name, inR) : null;
    ranges.set(id, out);
  }
  const rangeOf = (src: PlanInput | undefined): Range => (src ? (ranges.get(src.node)?.[src.port] ?? null) : null);

  // each node's own lints (its module knows what its params mean)
  const lintNodes = new Map<string, LintNode>(
    order.map((id) => {
      const n = nodes.get(id)!;
      return [id, { id, type: n.type, role: n.def.role, params: n.params, active: active.has(id) }];
    }),
  );
  const all = [...lintNodes.values()];
  for (const id of order) {
    const n = nodes.get(id)!;
    if (!n.def.lint) continue;
    warnings.push(
      ...n.def.lint({
        nodeId: id,
        params: n.params,
        active: active.has(id),
        source: (port: string) => {
          const src = n.inputs[port]?.[0];
          return src ? { ...lintNodes.get(src.node)!, port: src.port } : undefined;
        },
        range: (port: string) => rangeOf(n.inputs[port]?.[0]),
        nodes: all,
      }),
    );
  }
  // UNUSED_OUTPUT: outputs that reach no loss (nothing for data sources)
  for (const n of graph.nodes) {
    // every node, evaluable or not: an inactive node with an unwired input reaches no loss either
    const def = nodes.get(n.id)?.def ?? registry.get(n.type);
    if (!def || def.role === 'data' || def.role === 'optimizer') continue;
    const outs = outEdges.get(n.id)!;
    if (!active.has(n.id)) {
      const port = def.outputs[0]?.name ?? null;
      warnings.push(
        warning('UNUSED_OUTPUT', `"${n.id}" (${n.type}) reaches no loss, so it does not train and does not affect training.`, {
          node: n.id,
          port,
          fix: outs.length ? 'Wire its output into the path that reaches the optimizer, or remove it.' : `Wire ${n.id}.${port ?? ''} into the graph, or remove the node.`,
        }),
      );
      continue;
    }
    for (const p of def.outputs as readonly PortSpec[]) {
      if (!outs.some((o) => o.port === p.name && active.has(o.to))) {
        warnings.push(
          warning('UNUSED_OUTPUT', `Output ${n.id}.${p.name} reaches no loss.`, { node: n.id, port: p.name, fix: `Wire ${n.id}.${p.name} where it belongs, or ignore this hint.` }),
        );
      }
    }
  }
}
