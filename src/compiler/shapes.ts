/**
 * The shape pass: each node's inferShapes over the wiring, memoised, so that an "auto" param
 * can look downstream for a hint (the shape paired with one of its outputs, e.g. a decoder's
 * xHat with the reconstruction loss's x). Pure (no tfjs).
 *
 * One pass, two callers:
 * - the compiler (`partial: false`): a node runs only when the shape of every wire into it is
 *   known; one that cannot run yet is asked again later (a hint can ask for a node while its
 *   own inputs are still being inferred);
 * - the editor's shapes on an incomplete graph (`partial: true`, analysis.ts): a node runs with
 *   what is known (an unknown input is undefined), and one whose inference throws on that stays
 *   unknown.
 * Each node is inferred once; its failure (SHAPE_MISMATCH, BAD_PARAM) is reported once.
 */
import type { Shape } from '../graph/ports';
import type { DataInfo, DataStructure } from '../graph/structure';
import type { AnyNodeDef, ShapeResult } from '../../nodes/types';

export interface Wire {
  node: string;
  port: string;
}

export interface OutWire {
  port: string;
  to: string;
  toPort: string;
}

export interface ShapePassInput {
  /** The nodes to infer, in the order to visit them. */
  ids: Iterable<string>;
  defOf(id: string): AnyNodeDef;
  paramsOf(id: string): Record<string, unknown>;
  /** The wires into each node's input ports, in edge order. */
  inEdges: ReadonlyMap<string, Record<string, Wire[]>>;
  outEdges: ReadonlyMap<string, OutWire[]>;
  /** What a data node's inferShapes is told of its examples (loaded, or built in). */
  dataOf(id: string): DataInfo | undefined;
  /** Whether a node's shapes may be inferred at all (the compiler: every input wired, its data loaded). */
  runs(id: string): boolean;
  partial: boolean;
}

export interface NodeShapes {
  /** The known shapes arriving at each input port, in wire order (unknown ones left out). */
  multi: Record<string, Shape[]>;
  /** The shape each input port sees: its first wire's; undefined when any of its wires' is unknown. */
  single: Record<string, Shape | undefined>;
  /** The data structure arriving at each input port (its first wire's), where one arrives. */
  inStructure: Record<string, DataStructure>;
  /** The output shapes, once inferred. */
  out?: Record<string, Shape>;
  /** The data structure each output carries, where it carries one. */
  outStructure?: Record<string, DataStructure>;
}

export type ShapeFailure = { id: string; result: Extract<ShapeResult, { ok: false }> };

export function shapePass(s: ShapePassInput): { nodes: Map<string, NodeShapes>; failures: ShapeFailure[] } {
  const nodes = new Map<string, NodeShapes>();
  const failures: ShapeFailure[] = [];
  const done = new Set<string>();
  const inProgress = new Set<string>();

  const outOf = (id: string): Record<string, Shape> | undefined => {
    if (done.has(id)) return nodes.get(id)?.out;
    if (inProgress.has(id) || !s.runs(id)) return undefined;
    inProgress.add(id);
    try {
      return infer(id);
    } finally {
      inProgress.delete(id);
    }
  };

  const infer = (id: string): Record<string, Shape> | undefined => {
    const def = s.defOf(id);
    const wires = s.inEdges.get(id) ?? {};
    const entry: NodeShapes = { single: {}, multi: {}, inStructure: {} };
    const structures: Record<string, DataStructure | undefined> = {};
    let unknown = false;
    for (const p of def.inputs) {
      const list = wires[p.name] ?? [];
      const shapes: Shape[] = [];
      let missing = false;
      for (const w of list) {
        const sh = outOf(w.node)?.[w.port];
        if (sh) shapes.push(sh);
        else missing = true;
      }
      entry.multi[p.name] = shapes;
      entry.single[p.name] = missing ? undefined : shapes[0];
      unknown ||= missing;
      const first = list[0];
      const st = first ? nodes.get(first.node)?.outStructure?.[first.port] : undefined;
      structures[p.name] = st;
      if (st) entry.inStructure[p.name] = st;
    }
    nodes.set(id, entry);
    if (unknown && !s.partial) return undefined; // not done: asked again, it tries again
    const data = s.dataOf(id);
    const ctx = {
      nodeId: id,
      params: s.paramsOf(id),
      inputs: entry.single,
      multi: entry.multi,
      hint: (port: string) => hintFor(id, port),
      hintStructure: (port: string) => hintFor(id, port, true),
      structures,
      ...(data ? { data } : {}),
    };
    let r: ShapeResult;
    try {
      r = def.inferShapes(ctx);
    } catch (e) {
      if (!s.partial) throw e;
      done.add(id); // cannot infer from partial inputs: its shapes stay unknown
      return undefined;
    }
    done.add(id);
    if (!r.ok) {
      failures.push({ id, result: r });
      return undefined;
    }
    entry.out = r.outputs;
    if (r.structure) entry.outStructure = r.structure;
    return r.outputs;
  };

  function hintFor(id: string, port: string): Shape | undefined;
  function hintFor(id: string, port: string, structure: true): DataStructure | undefined;
  function hintFor(id: string, port: string, structure?: true): Shape | DataStructure | undefined {
    for (const o of s.outEdges.get(id) ?? []) {
      if (o.port !== port) continue;
      const partner = s.defOf(o.to).pairs?.[o.toPort];
      if (!partner) continue;
      const src = s.inEdges.get(o.to)?.[partner]?.[0];
      if (!src) continue;
      const sh = outOf(src.node)?.[src.port];
      if (sh) return structure ? nodes.get(src.node)?.outStructure?.[src.port] : sh;
    }
    return undefined;
  }

  for (const id of s.ids) outOf(id);
  return { nodes, failures };
}
