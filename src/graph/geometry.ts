/**
 * Node geometry shared by the Rete view (node size, socket rows), the minimap, zoom-to-fit,
 * auto-arrange and the default layout of graphs saved without positions. Fixed sizes keep
 * socket positions stable whatever the node shows (shapes, badges, diagnostics).
 */
import type { NodeCatalog } from './catalog';
import type { Graph } from './schema';
import { parseEndpoint } from './ports';

export const NODE_WIDTH = 216;
export const HEADER_HEIGHT = 44;
export const ROW_HEIGHT = 26;
export const ROWS_PAD = 6;
export const FOOTER_HEIGHT = 24;

export function nodeRows(type: string, catalog: NodeCatalog): number {
  const info = catalog.get(type);
  if (!info) return 1;
  return Math.max(1, info.inputs.length, info.outputs.length);
}

/** The height of a text node's body (a note): its text shows there, wrapped, in place of port rows and footer. */
export const TEXT_BODY_HEIGHT = 120;

/** A node that shows a text param as its body (a note): it has a 'text' control and no ports. */
export function isTextNode(info: { inputs: readonly unknown[]; outputs: readonly unknown[]; controls: readonly { kind: string }[] } | undefined): boolean {
  return !!info && info.inputs.length === 0 && info.outputs.length === 0 && info.controls.some((c) => c.kind === 'text');
}

export function nodeSize(type: string, catalog: NodeCatalog): { width: number; height: number } {
  const info = catalog.get(type);
  if (isTextNode(info)) return { width: NODE_WIDTH, height: HEADER_HEIGHT + TEXT_BODY_HEIGHT };
  const hasFooter = !!info && info.controls.length > 0;
  return {
    width: NODE_WIDTH,
    height: HEADER_HEIGHT + nodeRows(type, catalog) * ROW_HEIGHT + ROWS_PAD * 2 + (hasFooter ? FOOTER_HEIGHT : 0),
  };
}

/**
 * Positions for nodes that have none: columns by longest path from the sources, rows in
 * graph order. Nodes that already have a position keep it.
 */
export function defaultPositions(graph: Graph, catalog: NodeCatalog): Map<string, { x: number; y: number }> {
  const ids = graph.nodes.map((n) => n.id);
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of graph.edges) {
    const f = parseEndpoint(e.from)?.node;
    const t = parseEndpoint(e.to)?.node;
    if (f && t && preds.has(t) && preds.has(f)) preds.get(t)!.push(f);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const d = depth.get(id);
    if (d !== undefined) return d;
    if (visiting.has(id)) return 0; // cycle: break it
    visiting.add(id);
    const v = Math.max(-1, ...preds.get(id)!.map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, v);
    return v;
  };
  const rowsUsed = new Map<number, number>();
  const out = new Map<string, { x: number; y: number }>();
  for (const n of graph.nodes) {
    const col = depthOf(n.id);
    const y = rowsUsed.get(col) ?? 0;
    const h = nodeSize(n.type, catalog).height;
    rowsUsed.set(col, y + h + 40);
    if (!n.position) out.set(n.id, { x: col * (NODE_WIDTH + 70), y });
  }
  return out;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The space kept clear around a placed node. */
export const PLACE_GAP = 24;
const PLACE_STEP = 16;
const PLACE_RADIUS = 1600;
let offsets: Array<[number, number]> | null = null;
/** Grid offsets around the anchor, nearest first (computed once). */
function placeOffsets(): Array<[number, number]> {
  if (offsets) return offsets;
  const n = PLACE_RADIUS / PLACE_STEP;
  const out: Array<[number, number]> = [];
  for (let i = -n; i <= n; i++) for (let j = -n; j <= n; j++) out.push([i * PLACE_STEP, j * PLACE_STEP]);
  // nearest first; at equal distance, sideways before up or down (the graph reads left to right)
  out.sort((a, b) => a[0] ** 2 + a[1] ** 2 - (b[0] ** 2 + b[1] ** 2) || Math.abs(b[0]) - Math.abs(a[0]) || b[0] - a[0] || a[1] - b[1]);
  offsets = out;
  return out;
}

/**
 * Where a new node of `size` goes (its top-left): the spot nearest `anchor` that keeps
 * `gap` clear of every rectangle in `taken`, inside `view` when one is given and it has
 * room (`inView` says which). With no free spot near the anchor, right of everything.
 */
export function freeSpot(taken: readonly Rect[], size: { width: number; height: number }, anchor: { x: number; y: number }, view?: Rect, gap = PLACE_GAP): { x: number; y: number; inView: boolean } {
  const free = (x: number, y: number) => taken.every((r) => x + size.width + gap <= r.x || r.x + r.width + gap <= x || y + size.height + gap <= r.y || r.y + r.height + gap <= y);
  const inside = (x: number, y: number) => !!view && x >= view.x && y >= view.y && x + size.width <= view.x + view.width && y + size.height <= view.y + view.height;
  let fallback: { x: number; y: number } | null = null;
  for (const [dx, dy] of placeOffsets()) {
    const x = Math.round(anchor.x + dx);
    const y = Math.round(anchor.y + dy);
    if (!free(x, y)) continue;
    if (!view || inside(x, y)) return { x, y, inView: !!view };
    fallback ??= { x, y };
  }
  if (fallback) return { ...fallback, inView: false };
  const right = Math.max(anchor.x, ...taken.map((r) => r.x + r.width + gap));
  return { x: Math.round(right), y: Math.round(anchor.y), inView: false };
}
