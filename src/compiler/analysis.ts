/**
 * What the editor shows about a graph while it is being built: the compiler's verdict plus
 * a best-effort shape pass that also runs on incomplete graphs (the compiler stops at the
 * first missing input, but a person wiring a VAE wants to see [B,784] on the first wire).
 *
 * Pure: no Rete, no Vue, no tfjs. Used by the graph store (recompile after each edit) and by the
 * connection check (refuse a wire that would be a hard error).
 */
import { compile, type CompileResult, type LoadedData } from './compile';
import { error, isLintCode, type Diagnostic } from '../graph/diagnostics';
import { validateGraph, type Graph, type GraphNode } from '../graph/schema';
import { canConnect, formatShape, parseEndpoint, type PortKind, type Shape } from '../graph/ports';
import { applyCommand } from '../graph/commands';
import type { NodeRegistry } from '../../nodes';
import type { DataStructure } from '../graph/structure';
import { shapePass, type Wire } from './shapes';

export type PortShapes = Record<string, Record<string, Shape>>;
export type PortStructures = Record<string, Record<string, DataStructure>>;

export interface Analysis {
  compiled: CompileResult;
  /** Every error: the compiler's, plus shape mismatches found on the incomplete graph. */
  errors: Diagnostic[];
  /** Warnings: the data's (DATA_ROWS_DROPPED, DATA_CHANGED, …) and the compiler's lints. */
  warnings: Diagnostic[];
  /** Inferred shapes of output ports: outShapes[node][port]. */
  outShapes: PortShapes;
  /** Shapes arriving at input ports: inShapes[node][port] (the first wire for multi inputs). */
  inShapes: PortShapes;
  /** The data structure an output port carries, where it carries one (DESIGN §7: `[B,784]` with 28×28×1). */
  outStructures: PortStructures;
  /** The data structure arriving at an input port, where one arrives. */
  inStructures: PortStructures;
  /** Number of trainable parameters when the graph compiles, else null. */
  parameters: number | null;
}

/**
 * What the page knows of the graph's file-backed data nodes (the worker loads them, DESIGN
 * §7): what loading learned of those that loaded for their current params, the problems
 * and warnings of the loads (DATA_*, on their nodes), and the nodes still loading.
 */
export interface DataState {
  info: LoadedData;
  diagnostics: readonly Diagnostic[];
  loading: readonly string[];
}

export const NO_DATA: DataState = { info: {}, diagnostics: [], loading: [] };

const cache = new WeakMap<Graph, { data: DataState; analysis: Analysis }>();

/**
 * Analyse a graph with what is known of its data (memoised per graph object and data state:
 * both are immutable values here). A file-backed node that failed to load shows its loading
 * problems instead of DATA_MISSING; one still loading shows neither.
 */
export function analyzeGraph(graph: Graph, registry: NodeRegistry, data: DataState = NO_DATA): Analysis {
  const hit = cache.get(graph);
  if (hit && hit.data === data) return hit.analysis;
  let compiled: CompileResult;
  try {
    compiled = compile(graph, registry, data.info);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    compiled = { ok: false, diagnostics: [error('INTERNAL', `The compiler failed: ${msg}`)], warnings: [] };
  }
  const partial = partialShapes(graph, registry, data.info);
  const dataErrors = data.diagnostics.filter((d) => d.severity === 'error');
  const quiet = new Set([...data.loading, ...dataErrors.map((d) => d.node)]);
  const errors = compiled.ok ? [] : compiled.diagnostics.filter((d) => !(d.code === 'DATA_MISSING' && quiet.has(d.node)));
  errors.unshift(...dataErrors);
  const keys = new Set(errors.map(keyOf));
  // When the compiler stopped before its shape pass, add the mismatches the partial pass found.
  for (const d of partial.errors) {
    if (!keys.has(keyOf(d)) && !errors.some((e) => e.code === d.code && e.node === d.node)) {
      errors.push(d);
      keys.add(keyOf(d));
    }
  }
  const warnings = [...data.diagnostics.filter((d) => d.severity === 'warning'), ...(compiled.warnings ?? []).filter((w) => isLintCode(w.code) || w.code.startsWith('DATA_'))];
  const result: Analysis = {
    compiled,
    errors,
    warnings,
    outShapes: partial.outShapes,
    inShapes: partial.inShapes,
    outStructures: partial.outStructures,
    inStructures: partial.inStructures,
    parameters: compiled.ok ? compiled.plan.parameters : null,
  };
  cache.set(graph, { data, analysis: result });
  return result;
}

function keyOf(d: Diagnostic): string {
  return `${d.code}|${d.node ?? ''}|${d.port ?? ''}`;
}

/**
 * Shapes for every port whose inputs are known, on any graph (incomplete, with errors
 * elsewhere). A node's shape inference runs with the inputs that are wired and known.
 */
export function partialShapes(
  graph: Graph,
  registry: NodeRegistry,
  /** What loading learned of each file-backed data node (as compile takes it): its shapes and structure reach the ports. */
  data: LoadedData = {},
): { outShapes: PortShapes; inShapes: PortShapes; outStructures: PortStructures; inStructures: PortStructures; errors: Diagnostic[] } {
  const { params } = validateGraph(graph, registry);
  const byId = new Map<string, GraphNode>();
  for (const n of graph.nodes) if (params.has(n.id) && !byId.has(n.id)) byId.set(n.id, n);
  const inEdges = new Map<string, Record<string, Wire[]>>();
  const outEdges = new Map<string, Array<{ port: string; to: string; toPort: string }>>();
  for (const id of byId.keys()) {
    inEdges.set(id, {});
    outEdges.set(id, []);
  }
  for (const e of graph.edges) {
    const from = parseEndpoint(e.from);
    const to = parseEndpoint(e.to);
    if (!from || !to || !byId.has(from.node) || !byId.has(to.node)) continue;
    const fromDef = registry.get(byId.get(from.node)!.type)!;
    const toDef = registry.get(byId.get(to.node)!.type)!;
    if (!fromDef.outputs.some((p) => p.name === from.port) || !toDef.inputs.some((p) => p.name === to.port)) continue;
    (inEdges.get(to.node)![to.port] ??= []).push(from);
    outEdges.get(from.node)!.push({ port: from.port, to: to.node, toPort: to.port });
  }

  const pass = shapePass({
    ids: byId.keys(),
    defOf: (id) => registry.get(byId.get(id)!.type)!,
    paramsOf: (id) => params.get(id)!,
    inEdges,
    outEdges,
    dataOf: (id) => data[id] ?? registry.get(byId.get(id)!.type)!.data?.builtin,
    runs: () => true,
    partial: true,
  });
  const outShapes: PortShapes = {};
  const inShapes: PortShapes = {};
  const outStructures: PortStructures = {};
  const inStructures: PortStructures = {};
  for (const [id, n] of pass.nodes) {
    outShapes[id] = n.out ?? {};
    if (n.outStructure) outStructures[id] = n.outStructure;
    for (const [port, shapes] of Object.entries(n.multi)) if (shapes[0]) (inShapes[id] ??= {})[port] = shapes[0];
    if (Object.keys(n.inStructure).length) inStructures[id] = n.inStructure;
  }
  const errors = pass.failures
    .filter((f) => f.result.code === 'SHAPE_MISMATCH')
    .map(({ id, result }) => error('SHAPE_MISMATCH', `node "${id}" (${byId.get(id)!.type}): ${result.message}`, { node: id, port: result.port, fix: result.fix }));
  return { outShapes, inShapes, outStructures, inStructures, errors };
}

export type ConnectCheck =
  | { ok: true; semantic: boolean; fromKind: PortKind; toKind: PortKind; warning?: string }
  | { ok: false; code: string; reason: string };

/**
 * Would wiring `from` → `to` be a hard error? Refuses a second wire into a single input,
 * a duplicate, a cycle, and a shape mismatch the new wire causes. A semantic mismatch
 * (a mean into a logvar port) is allowed with a warning, as the bug-hunt graph needs it.
 */
export function checkConnection(graph: Graph, from: string, to: string, registry: NodeRegistry): ConnectCheck {
  const a = parseEndpoint(from);
  const b = parseEndpoint(to);
  if (!a || !b) return { ok: false, code: 'SCHEMA', reason: 'Not a port.' };
  const applied = applyCommand(graph, { op: 'connect', from, to }, registry);
  if (!applied.ok) {
    const d = applied.diagnostic;
    const reason = d.code === 'TOO_MANY_EDGES' ? `${to} already has a wire; it takes one. Remove that wire first.` : d.message;
    return { ok: false, code: d.code, reason };
  }
  if (a.node === b.node || reaches(graph, b.node, a.node)) {
    return { ok: false, code: 'CYCLE', reason: `This wire would make a cycle (${b.node} already feeds ${a.node}); a VAE graph flows one way.` };
  }
  const before = analyzeGraph(graph, registry);
  const after = analyzeGraph(applied.graph, registry);
  const had = new Set(before.errors.filter((d) => d.code === 'SHAPE_MISMATCH').map((d) => `${d.node}|${d.port}|${d.message}`));
  const fresh = after.errors.find((d) => d.code === 'SHAPE_MISMATCH' && !had.has(`${d.node}|${d.port}|${d.message}`));
  if (fresh) return { ok: false, code: 'SHAPE_MISMATCH', reason: `Shape mismatch: ${stripNodePrefix(fresh.message)}` };
  const fromNode = graph.nodes.find((n) => n.id === a.node)!;
  const toNode = graph.nodes.find((n) => n.id === b.node)!;
  const fromKind = registry.get(fromNode.type)!.outputs.find((p) => p.name === a.port)!.kind;
  const toKind = registry.get(toNode.type)!.inputs.find((p) => p.name === b.port)!.kind;
  const semantic = canConnect(fromKind, toKind).semantic;
  const out: ConnectCheck = { ok: true, semantic, fromKind, toKind };
  if (semantic) out.warning = `A ${fromKind} into a ${toKind} port: allowed, but check it is the wire you meant.`;
  return out;
}

/** Is there a directed path from node `start` to node `goal`? */
export function reaches(graph: Graph, start: string, goal: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) {
    const f = parseEndpoint(e.from)?.node;
    const t = parseEndpoint(e.to)?.node;
    if (!f || !t) continue;
    const list = next.get(f) ?? [];
    list.push(t);
    next.set(f, list);
  }
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === goal) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const n of next.get(id) ?? []) stack.push(n);
  }
  return false;
}

/** "node "dec" (vae.decoder): The reconstruction …" → "The reconstruction …". */
export function stripNodePrefix(message: string): string {
  return message.replace(/^node "[^"]*" \([^)]*\):\s*/, '');
}

export { formatShape };
