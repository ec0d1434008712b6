/**
 * Copy, paste and duplicate: nodes with the wires between them, inserted under fresh ids
 * as one undoable edit of the graph store.
 */
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { Command } from '../graph/commands';
import type { Graph, GraphEdge, GraphNode } from '../graph/schema';
import { parseEndpoint } from '../graph/ports';
import { nodeSize } from '../graph/geometry';
import { copyNodeId } from '../graph/ids';
import { registry } from '../../nodes';
import { useGraphStore } from './graph';

/** Nodes and the wires between them, as plain copies. */
export interface Fragment {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The nodes `ids` of `graph` with their inner wires; null when none of them exists. */
export function copyFragment(graph: Graph, ids: readonly string[]): Fragment | null {
  const known = new Set(graph.nodes.map((n) => n.id));
  const set = new Set(ids.filter((id) => known.has(id)));
  if (!set.size) return null;
  const nodes = graph.nodes.filter((n) => set.has(n.id)).map((n) => JSON.parse(JSON.stringify(n)) as GraphNode);
  const edges = graph.edges.filter((e) => set.has(parseEndpoint(e.from)?.node ?? '') && set.has(parseEndpoint(e.to)?.node ?? '')).map((e) => ({ ...e }));
  return { nodes, edges };
}

/** The commands that insert `src` into `graph` under fresh ids, shifted by (dx, dy), and the new ids. */
export function insertCommands(graph: Graph, src: Fragment, offset: { dx: number; dy: number }): { commands: Command[]; ids: string[] } {
  let g = graph;
  const idMap = new Map<string, string>();
  const commands: Command[] = [];
  for (const n of src.nodes) {
    const id = copyNodeId(g, n.id);
    idMap.set(n.id, id);
    const node: { id: string; type: string; params: Record<string, unknown>; position?: { x: number; y: number }; label?: string } = {
      id,
      type: n.type,
      params: JSON.parse(JSON.stringify(n.params)) as Record<string, unknown>,
    };
    if (n.label !== undefined) node.label = n.label;
    node.position = { x: Math.round((n.position?.x ?? 0) + offset.dx), y: Math.round((n.position?.y ?? 0) + offset.dy) };
    // reserve the id for the next copy
    g = { ...g, nodes: [...g.nodes, { id, type: n.type, params: {} }] };
    commands.push({ op: 'addNode', node });
  }
  for (const e of src.edges) {
    const f = parseEndpoint(e.from)!;
    const t = parseEndpoint(e.to)!;
    commands.push({ op: 'connect', from: `${idMap.get(f.node)}.${f.port}`, to: `${idMap.get(t.node)}.${t.port}` });
  }
  return { commands, ids: [...idMap.values()] };
}

/** The bounding box of nodes as the canvas draws them. */
export function fragmentBox(nodes: readonly GraphNode[]): { x: number; y: number; w: number; h: number } {
  const xs = nodes.map((n) => n.position?.x ?? 0);
  const ys = nodes.map((n) => n.position?.y ?? 0);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  const size = (n: GraphNode) => nodeSize(n.type, registry);
  return { x, y, w: Math.max(...nodes.map((n) => (n.position?.x ?? 0) + size(n).width)) - x, h: Math.max(...nodes.map((n) => (n.position?.y ?? 0) + size(n).height)) - y };
}

export const useClipboardStore = defineStore('clipboard', () => {
  const graphStore = useGraphStore();
  const clipboard = shallowRef<Fragment | null>(null);
  /** Pastes since the last copy (or load): each new paste lands a little further. */
  let pasteCount = 0;
  let pasteDocument = graphStore.documentVersion;

  /** Insert copies as one undoable step and select them; null (and lastError) on failure. */
  function insert(src: Fragment, offset: { dx: number; dy: number }, label: string): string[] | null {
    const { commands, ids } = insertCommands(graphStore.graph, src, offset);
    const r = graphStore.apply({ op: 'batch', label, commands }, { label });
    if (!r.ok) {
      graphStore.setError(r.diagnostic.code, `${label} failed: ${r.diagnostic.message}`, [r.diagnostic]);
      return null;
    }
    graphStore.select(ids);
    return ids;
  }

  function copy(ids: readonly string[] = graphStore.selection): boolean {
    const c = copyFragment(graphStore.graph, ids);
    if (!c) return false;
    clipboard.value = c;
    pasteCount = 0;
    return true;
  }

  /**
   * Paste the clipboard: with `at` (a point of the canvas, e.g. under the pointer) the
   * copies' top-left corner goes there; without, they are offset from the originals.
   * Pasting again shifts each new copy a little further.
   */
  function paste(at?: { x: number; y: number }): string[] | null {
    const c = clipboard.value;
    if (!c || !c.nodes.length) return null;
    if (pasteDocument !== graphStore.documentVersion) {
      pasteDocument = graphStore.documentVersion;
      pasteCount = 0;
    }
    pasteCount++;
    const label = c.nodes.length === 1 ? `Paste ${c.nodes[0]!.id}` : `Paste ${c.nodes.length} nodes`;
    if (at) {
      const b = fragmentBox(c.nodes);
      const k = 30 * (pasteCount - 1);
      return insert(c, { dx: at.x - b.x + k, dy: at.y - b.y + k }, label);
    }
    return insert(c, { dx: 40 * pasteCount, dy: 40 * pasteCount }, label);
  }

  /** Copies of nodes (with their inner wires) placed just below the originals. */
  function duplicate(ids: readonly string[] = graphStore.selection): string[] | null {
    const c = copyFragment(graphStore.graph, ids);
    if (!c) return null;
    const b = fragmentBox(c.nodes);
    return insert(c, { dx: 0, dy: b.h + 40 }, c.nodes.length === 1 ? `Duplicate ${c.nodes[0]!.id}` : `Duplicate ${c.nodes.length} nodes`);
  }

  return { clipboard, copy, paste, duplicate };
});
