/**
 * The Rete adapter: createEditor(el, store) renders the graph store's document with Rete
 * and turns gestures into edit commands. The store is the one source of truth:
 *
 * - a drag is ONE move command (all selected nodes) when the drag ends;
 * - dropping a wire on a socket is a `connect` command (refused with a reason at the cursor
 *   when it would be a hard error); pulling a wire off an input is a `disconnect` (merged
 *   with the reconnect of the same gesture into one undo step);
 * - after any change of the document (an edit, undo, redo, a load) the view is re-synced by
 *   diffing nodes, wires and positions.
 *
 * No training logic here.
 */
import { NodeEditor } from 'rete';
import { AreaExtensions, AreaPlugin } from 'rete-area-plugin';
import { ClassicFlow, ConnectionPlugin, getSourceTarget, type SocketData } from 'rete-connection-plugin';
import { Presets as VuePresets, VuePlugin, type VueArea2D } from 'rete-vue-plugin';
import { ContextMenuPlugin, type ContextMenuExtra } from 'rete-context-menu-plugin';
import { MinimapPlugin, type MinimapExtra } from 'rete-minimap-plugin';
import { getDOMSocketPosition } from 'rete-render-utils';
import { createApp, watch, type App, type Component } from 'vue';
import { getActivePinia, type Pinia } from 'pinia';
import type { NodeCategory } from '../graph/catalog';
import { parseEndpoint } from '../graph/ports';
import type { GraphStore } from '../stores/graph';
import { useOverlayStore } from '../stores/overlay';
import { useClipboardStore } from '../stores/clipboard';
import { KindSocket, ViewConnection, ViewNode, edgeId, type Schemes } from './scheme';
import { HEADER_HEIGHT, NODE_WIDTH, PLACE_GAP, ROW_HEIGHT, ROWS_PAD, freeSpot, nodeSize, type Rect } from '../graph/geometry';
import NodeView from './components/NodeView.vue';
import { NODE_HELP_KEY } from './node-help';
import SocketView from './components/SocketView.vue';
import ConnectionView from './components/ConnectionView.vue';

export type AreaExtra = VueArea2D<Schemes> | ContextMenuExtra | MinimapExtra;

export interface CanvasHint {
  text: string;
  kind: 'error' | 'warning' | 'info';
  /** Position relative to the canvas element, in CSS pixels. */
  x: number;
  y: number;
}

export interface EditorOptions {
  pinia?: Pinia;
  /** A short message to show at the cursor (a refused wire), or null to hide it. */
  onHint?(hint: CanvasHint | null): void;
  /** The user asked to rename a node (context menu). */
  onRename?(nodeId: string): void;
  /** The help button each node shows in its header (a component taking the node `type`; see node-help.ts). */
  nodeHelp?: Component;
}

export interface EditorHandle {
  destroy(): void;
  zoomToFit(): Promise<void>;
  centerOn(nodeId: string): Promise<void>;
  zoomBy(factor: number): Promise<void>;
  /** The centre of the visible canvas in graph coordinates. */
  viewCenter(): { x: number; y: number };
  /**
   * Add a node of `type` where the person sees it, on no other node (beside the selected one,
   * or near the view's centre), clear of `covered` (a panel over the canvas, client
   * coordinates: the floating palette); returns its id.
   */
  addNodeAtCenter(type: string, covered?: { left: number; right: number; top: number; bottom: number } | null): string | null;
  /** Lay the graph out with ELK (loaded on first use); one undoable step. */
  autoArrange(): Promise<boolean>;
  /** Delete the selected nodes, or else the selected wire. */
  deleteSelection(): boolean;
  /** Resolves when the view shows the store's current document. */
  synced(): Promise<void>;
  /** Where the pointer is, in graph coordinates, when it is over the canvas; else null. */
  pointerInGraph(): { x: number; y: number } | null;
}

export const CATEGORY_ORDER: readonly NodeCategory[] = ['Data', 'VAE', 'Losses', 'Training', 'Layers', 'Ops', 'Notes'];

export function createEditor(el: HTMLElement, store: GraphStore, opts: EditorOptions = {}): EditorHandle {
  const pinia = opts.pinia ?? getActivePinia();
  if (!pinia) throw new Error('createEditor needs an active Pinia');
  const overlay = useOverlayStore(pinia);
  const clipboard = useClipboardStore(pinia);
  const catalog = store.registry();

  const container = document.createElement('div');
  container.className = 'rete-area';
  el.appendChild(container);

  const editor = new NodeEditor<Schemes>();
  const area = new AreaPlugin<Schemes, AreaExtra>(container);
  const connection = new ConnectionPlugin<Schemes, AreaExtra>();
  const apps = new Set<App>();
  const render = new VuePlugin<Schemes, AreaExtra>({
    setup: (context) => {
      const app = createApp(context as Parameters<typeof createApp>[0]);
      app.use(pinia);
      app.provide(NODE_HELP_KEY, opts.nodeHelp ?? null);
      apps.add(app);
      return app as never;
    },
  });
  const contextMenu = new ContextMenuPlugin<Schemes>({
    items: (context) => menuItems(context as unknown),
  });
  const minimap = new MinimapPlugin<Schemes>({ boundViewport: true, ratio: 1.5 });

  render.addPreset(
    VuePresets.classic.setup({
      // Wires end at the socket's edge, not 12 px outside it (the classic default).
      socketPositionWatcher: getDOMSocketPosition({ offset: ({ x, y }, _node, side) => ({ x: x + (side === 'input' ? -3 : 3), y }) }) as never,
      customize: {
        node: () => NodeView,
        socket: () => SocketView,
        // the pseudo-connection that follows the pointer while wiring is not a graph edge
        connection: (data) => ((data.payload as { isPseudo?: boolean }).isPseudo ? VuePresets.classic.Connection : ConnectionView),
      },
    }),
  );
  render.addPreset(VuePresets.contextMenu.setup({ delay: 300 }) as never);
  render.addPreset(VuePresets.minimap.setup({ size: 84 }) as never);

  editor.use(area);
  area.use(connection);
  area.use(render);
  area.use(contextMenu as never);
  area.use(minimap as never);
  AreaExtensions.simpleNodesOrder(area);

  // ------------------------------------------------------------------ pointer & hints

  let lastClient = { x: 0, y: 0 };
  let lastDown: PointerEvent | null = null;
  let hintTimer: ReturnType<typeof setTimeout> | null = null;
  const hint = (text: string | null, kind: CanvasHint['kind'] = 'error', ms = 0) => {
    if (hintTimer) clearTimeout(hintTimer);
    hintTimer = null;
    if (!text) {
      opts.onHint?.(null);
      return;
    }
    const r = el.getBoundingClientRect();
    opts.onHint?.({ text, kind, x: lastClient.x - r.left + 16, y: lastClient.y - r.top + 16 });
    if (ms > 0) hintTimer = setTimeout(() => opts.onHint?.(null), ms);
  };

  const onPointerMove = (e: PointerEvent) => {
    lastClient = { x: e.clientX, y: e.clientY };
    if (picked) previewConnection(e);
  };
  const onPointerDownCapture = (e: PointerEvent) => {
    lastDown = e;
    lastClient = { x: e.clientX, y: e.clientY };
    const target = e.target as Element | null;
    const onBackground = !!target && !target.closest('.vae-node, .vae-wire, [data-testid="minimap"], [data-testid="context-menu"]');
    if (onBackground && e.button === 0) {
      if (e.shiftKey) {
        e.stopPropagation();
        e.preventDefault();
        startMarquee(e);
      } else {
        backgroundDown = { x: e.clientX, y: e.clientY };
      }
    }
  };
  let backgroundDown: { x: number; y: number } | null = null;
  const onPointerUpWindow = (e: PointerEvent) => {
    if (backgroundDown) {
      const moved = Math.hypot(e.clientX - backgroundDown.x, e.clientY - backgroundDown.y);
      backgroundDown = null;
      if (moved < 4) {
        store.select([]);
        overlay.selectEdge(null);
      }
    }
  };
  const onPointerLeave = () => {
    lastClient = { x: -1e9, y: -1e9 };
  };
  el.addEventListener('pointermove', onPointerMove);
  el.addEventListener('pointerleave', onPointerLeave);
  el.addEventListener('pointerdown', onPointerDownCapture, { capture: true });
  window.addEventListener('pointerup', onPointerUpWindow);

  // ------------------------------------------------------------------ marquee selection

  let marquee: { el: HTMLDivElement; x0: number; y0: number; additive: boolean } | null = null;
  function startMarquee(e: PointerEvent): void {
    const box = document.createElement('div');
    box.className = 'vae-marquee';
    el.appendChild(box);
    const r = el.getBoundingClientRect();
    marquee = { el: box, x0: e.clientX - r.left, y0: e.clientY - r.top, additive: e.ctrlKey || e.metaKey };
    const move = (ev: PointerEvent) => {
      if (!marquee) return;
      const x1 = ev.clientX - r.left;
      const y1 = ev.clientY - r.top;
      Object.assign(marquee.el.style, {
        left: `${Math.min(marquee.x0, x1)}px`,
        top: `${Math.min(marquee.y0, y1)}px`,
        width: `${Math.abs(x1 - marquee.x0)}px`,
        height: `${Math.abs(y1 - marquee.y0)}px`,
      });
    };
    const up = (ev: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      if (!marquee) return;
      const x1 = ev.clientX - r.left;
      const y1 = ev.clientY - r.top;
      const { k, x: tx, y: ty } = area.area.transform;
      const gx0 = (Math.min(marquee.x0, x1) - tx) / k;
      const gy0 = (Math.min(marquee.y0, y1) - ty) / k;
      const gx1 = (Math.max(marquee.x0, x1) - tx) / k;
      const gy1 = (Math.max(marquee.y0, y1) - ty) / k;
      const hits: string[] = [];
      for (const n of editor.getNodes()) {
        const p = area.nodeViews.get(n.id)?.position;
        if (!p) continue;
        if (p.x < gx1 && p.x + n.width > gx0 && p.y < gy1 && p.y + n.height > gy0) hits.push(n.id);
      }
      store.select(marquee.additive ? [...new Set([...store.selection, ...hits])] : hits);
      marquee.el.remove();
      marquee = null;
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  // ------------------------------------------------------------------ connections (gestures → commands)

  let gesture = 0;
  let picked: { socket: SocketData; gesture: string } | null = null;
  let previewKey = '';

  const endpointOf = (s: SocketData) => `${s.nodeId}.${s.key}`;

  function sourceTarget(a: SocketData, b: SocketData): { from: string; to: string } | null {
    const st = getSourceTarget(a, b);
    if (!st) return null;
    return { from: endpointOf(st[0]!), to: endpointOf(st[1]!) };
  }

  function previewConnection(e: PointerEvent): void {
    const under = document.elementFromPoint(e.clientX, e.clientY)?.closest<HTMLElement>('[data-socket-side]');
    if (!under || !picked) {
      if (previewKey) {
        previewKey = '';
        hint(null);
      }
      return;
    }
    const side = under.dataset.socketSide as 'input' | 'output';
    const other: SocketData = { element: under, type: 'socket', nodeId: under.dataset.node!, side, key: under.dataset.port! };
    const key = `${other.nodeId}.${other.key}.${side}`;
    if (key === previewKey) {
      hint(currentPreviewText, currentPreviewKind);
      return;
    }
    previewKey = key;
    const st = sourceTarget(picked.socket, other);
    if (!st) {
      currentPreviewText = other.nodeId === picked.socket.nodeId && other.key === picked.socket.key ? '' : 'Wire an output (right side) to an input (left side).';
      currentPreviewKind = 'info';
    } else {
      const r = store.checkConnect(st.from, st.to);
      if (!r.ok) {
        currentPreviewText = r.reason;
        currentPreviewKind = 'error';
      } else if (r.semantic) {
        currentPreviewText = r.warning ?? '';
        currentPreviewKind = 'warning';
      } else {
        currentPreviewText = '';
        currentPreviewKind = 'info';
      }
    }
    hint(currentPreviewText || null, currentPreviewKind);
  }
  let currentPreviewText = '';
  let currentPreviewKind: CanvasHint['kind'] = 'info';

  connection.addPreset(
    () =>
      new ClassicFlow<Schemes, never[]>({
        canMakeConnection(initial, socket) {
          const st = sourceTarget(initial, socket);
          if (!st) {
            // Releasing on the socket it started from keeps the wire for click-to-connect.
            const same = initial.nodeId === socket.nodeId && initial.key === socket.key && initial.side === socket.side;
            if (!same) {
              hint('Wire an output (right side) to an input (left side).', 'error', 2500);
              refuse();
            }
            return false;
          }
          const r = store.checkConnect(st.from, st.to);
          if (!r.ok) {
            hint(r.reason, 'error', 4000);
            lastRefusal = { from: st.from, to: st.to, code: r.code, reason: r.reason };
            refuse();
            return false;
          }
          lastAccepted = { from: st.from, to: st.to, warning: r.semantic ? (r.warning ?? null) : null };
          return true;
        },
        makeConnection(initial, socket) {
          const st = sourceTarget(initial, socket);
          if (!st) return false;
          const key = picked?.gesture;
          const r = store.apply({ op: 'connect', from: st.from, to: st.to }, key ? { mergeKey: key, mergeLabel: 'Rewire' } : {});
          if (!r.ok) {
            hint(r.diagnostic.message, 'error', 4000);
            return false;
          }
          if (lastAccepted?.from === st.from && lastAccepted.to === st.to && lastAccepted.warning) {
            hint(lastAccepted.warning, 'warning', 3000);
          }
          return true;
        },
      }),
  );
  let lastRefusal: { from: string; to: string; code: string; reason: string } | null = null;
  /** A refused wire is dropped (not left hanging on the pointer for a click-to-connect). */
  function refuse(): void {
    setTimeout(() => {
      if (!destroyed) connection.drop();
    }, 0);
  }
  let lastAccepted: { from: string; to: string; warning: string | null } | null = null;

  connection.addPipe((ctx) => {
    if (ctx.type === 'connectionpick') {
      gesture++;
      picked = { socket: ctx.data.socket, gesture: `wire-${gesture}-${Date.now()}` };
      previewKey = '';
    } else if (ctx.type === 'connectiondrop') {
      const keepHint = (!ctx.data.created && lastRefusal) || (ctx.data.created && lastAccepted?.warning);
      picked = null;
      previewKey = '';
      if (!keepHint) hint(null);
      lastAccepted = null;
      lastRefusal = null;
    }
    return ctx;
  });

  /** Wires a gesture is removing right now (Rete removes them itself; the sync must not race it). */
  const gestureRemovals = new Set<string>();

  editor.addPipe((ctx) => {
    if (ctx.type === 'connectionremoved') gestureRemovals.delete(ctx.data.id);
    if (ctx.type === 'connectionremove') {
      const c = ctx.data as ViewConnection;
      if (!c.syncing) {
        gestureRemovals.add(c.id);
        // A gesture: the classic flow pulls a wire off an input it was picked from.
        const key = picked?.gesture;
        const r = store.apply({ op: 'disconnect', from: c.from, to: c.to }, key ? { mergeKey: key, label: `Disconnect ${c.from} → ${c.to}` } : {});
        if (!r.ok) {
          gestureRemovals.delete(c.id);
          return undefined;
        }
      }
    }
    return ctx;
  });

  // ------------------------------------------------------------------ nodes (drag → one move command)

  let dragging: { id: string; start: Map<string, { x: number; y: number }> } | null = null;
  let moving = 0; // > 0 while this adapter translates views itself

  area.addPipe((ctx) => {
    if (!ctx || typeof ctx !== 'object' || !('type' in ctx)) return ctx;
    switch (ctx.type) {
      case 'nodepicked': {
        const id = ctx.data.id;
        const additive = !!lastDown && (lastDown.ctrlKey || lastDown.metaKey || lastDown.shiftKey);
        if (additive) store.toggleSelect(id);
        else if (!store.selection.includes(id)) store.select([id]);
        overlay.selectEdge(null);
        const start = new Map<string, { x: number; y: number }>();
        for (const sid of store.selection.includes(id) ? store.selection : [id]) {
          const p = area.nodeViews.get(sid)?.position;
          if (p) start.set(sid, { ...p });
        }
        dragging = { id, start };
        break;
      }
      case 'nodetranslated': {
        if (moving === 0 && dragging && ctx.data.id === dragging.id) {
          const dx = ctx.data.position.x - ctx.data.previous.x;
          const dy = ctx.data.position.y - ctx.data.previous.y;
          moving++;
          const others = [...dragging.start.keys()].filter((sid) => sid !== dragging!.id);
          void Promise.all(
            others.map((sid) => {
              const p = area.nodeViews.get(sid)?.position;
              return p ? area.translate(sid, { x: p.x + dx, y: p.y + dy }) : undefined;
            }),
          ).finally(() => moving--);
        }
        break;
      }
      case 'nodedragged': {
        const d = dragging;
        dragging = null;
        if (!d) break;
        const moves: Array<{ node: string; position: { x: number; y: number } }> = [];
        for (const [sid, s] of d.start) {
          const p = area.nodeViews.get(sid)?.position;
          if (p && (Math.round(p.x) !== Math.round(s.x) || Math.round(p.y) !== Math.round(s.y))) moves.push({ node: sid, position: { x: p.x, y: p.y } });
        }
        if (moves.length) {
          // Nodes that did not follow (a race) snap back to the store's positions in the sync.
          store.moveNodes(moves);
        }
        break;
      }
      case 'zoom': {
        if (ctx.data.zoom < 0.12 || ctx.data.zoom > 3) return undefined;
        break;
      }
      case 'zoomed':
      case 'translated': {
        if (fitting === 0) setFitted(false);
        break;
      }
      case 'contextmenu': {
        ctx.data.event.preventDefault();
        break;
      }
    }
    return ctx;
  });

  // ------------------------------------------------------------------ context menu

  interface MenuItem {
    label: string;
    key: string;
    handler(): void;
    subitems?: MenuItem[];
  }

  function menuItems(context: unknown): { searchBar?: boolean; list: MenuItem[] } {
    if (context === 'root') {
      const p = { ...area.area.pointer };
      const list: MenuItem[] = [];
      for (const cat of CATEGORY_ORDER) {
        const types = catalog.types().filter((t) => catalog.get(t)!.category === cat);
        if (!types.length) continue;
        list.push({
          label: cat,
          key: `cat-${cat}`,
          handler: () => {},
          subitems: types.map((t) => ({
            label: catalog.get(t)!.title,
            key: t,
            handler: () => {
              store.addNode(t, { x: p.x, y: p.y });
            },
          })),
        });
      }
      list.push({ label: 'Zoom to fit', key: 'fit', handler: () => void zoomToFit() });
      list.push({ label: 'Auto-arrange', key: 'arrange', handler: () => void autoArrange() });
      return { searchBar: true, list };
    }
    if (context instanceof ViewConnection) {
      const c = context;
      return {
        list: [{ label: 'Delete wire', key: 'delete-wire', handler: () => void store.apply({ op: 'disconnect', from: c.from, to: c.to }) }],
      };
    }
    if (context instanceof ViewNode) {
      const id = context.id;
      const group = store.selection.includes(id) && store.selection.length > 1 ? [...store.selection] : [id];
      if (!store.selection.includes(id)) store.select([id]);
      const many = group.length > 1;
      return {
        list: [
          { label: 'Rename…', key: 'rename', handler: () => opts.onRename?.(id) },
          { label: many ? `Duplicate ${group.length} nodes` : 'Duplicate', key: 'duplicate', handler: () => void clipboard.duplicate(group) },
          { label: many ? `Delete ${group.length} nodes` : 'Delete', key: 'delete', handler: () => void store.removeNodes(group) },
        ],
      };
    }
    return { list: [] };
  }

  // ------------------------------------------------------------------ sync: store → view

  let chain: Promise<void> = Promise.resolve();
  let queued = false;
  let destroyed = false;

  function requestSync(): Promise<void> {
    if (queued) return chain;
    queued = true;
    chain = chain.then(async () => {
      queued = false;
      if (destroyed) return;
      try {
        await syncOnce();
      } catch (e) {
        store.setError('INTERNAL', `The canvas could not show the graph: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    return chain;
  }

  async function syncOnce(): Promise<void> {
    const g = store.graph;
    const wantNodes = new Map(g.nodes.map((n) => [n.id, n]));
    const wantEdges = new Map(g.edges.map((e) => [edgeId(e.from, e.to), e]));
    for (const c of editor.getConnections()) {
      if (gestureRemovals.has(c.id) || c.syncing) continue;
      const stale = !wantEdges.has(c.id) || wantNodes.get(c.source)?.type !== editor.getNode(c.source)?.type || wantNodes.get(c.target)?.type !== editor.getNode(c.target)?.type;
      if (stale) {
        c.syncing = true;
        await editor.removeConnection(c.id);
      }
    }
    for (const n of editor.getNodes()) {
      const w = wantNodes.get(n.id);
      if (!w || w.type !== n.type) await editor.removeNode(n.id);
    }
    moving++;
    try {
      for (const gn of g.nodes) {
        if (!editor.getNode(gn.id)) await editor.addNode(new ViewNode(gn.id, gn.type, catalog));
        const view = area.nodeViews.get(gn.id);
        const pos = gn.position ?? { x: 0, y: 0 };
        if (view && (view.position.x !== pos.x || view.position.y !== pos.y) && !(dragging && dragging.start.has(gn.id))) {
          await area.translate(gn.id, pos);
        }
      }
    } finally {
      moving--;
    }
    for (const [id, e] of wantEdges) {
      if (editor.getConnection(id)) continue;
      const from = parseEndpoint(e.from);
      const to = parseEndpoint(e.to);
      const s = from && editor.getNode(from.node);
      const t = to && editor.getNode(to.node);
      if (!s || !t || !s.outputs[from.port] || !t.inputs[to.port]) continue;
      await editor.addConnection(new ViewConnection(s, from.port, t, to.port));
    }
    const sel = overlay.selectedEdge;
    if (sel && !wantEdges.has(edgeId(sel.from, sel.to))) overlay.selectEdge(null);
    const hov = overlay.hoveredEdge;
    if (hov && !wantEdges.has(edgeId(hov.from, hov.to))) overlay.hoverEdge(null);
    overlay.prune(wantNodes.keys());
  }

  // ------------------------------------------------------------------ view operations

  /** True while the view shows the fitted graph (no pan or zoom since): it refits on resize. */
  let fitted = true;
  /** The canvas element says so (class is-fitted): the minimap hides then, as the whole graph is in view. */
  function setFitted(v: boolean): void {
    fitted = v;
    el.classList.toggle('is-fitted', v);
  }
  setFitted(true);
  let fitting = 0;
  let resizeTimer: ReturnType<typeof setTimeout> | null = null;
  const resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => {
    if (!fitted) return;
    if (resizeTimer) clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => void zoomToFit(), 60);
  }) : null;
  resizeObserver?.observe(el);

  async function zoomToFit(): Promise<void> {
    fitting++;
    try {
      await fitNow();
    } finally {
      fitting--;
      setFitted(true);
    }
  }

  async function fitNow(): Promise<void> {
    await chain;
    const nodes = editor.getNodes();
    if (!nodes.length) {
      await area.area.zoom(1, 0, 0);
      await area.area.translate(el.clientWidth / 2 - NODE_WIDTH / 2, el.clientHeight / 3);
      return;
    }
    // a narrow margin: at 1280×800 every preset's node titles stay ≥ 10 px high (tests/e2e/a11y.test.ts)
    await AreaExtensions.zoomAt(area, nodes, { scale: 0.92 });
    if (area.area.transform.k > 1.1) {
      const c = viewCenter();
      await area.area.zoom(1.1, 0, 0);
      await centerOnPoint(c);
    }
  }

  function viewCenter(): { x: number; y: number } {
    const { k, x, y } = area.area.transform;
    return { x: (el.clientWidth / 2 - x) / k, y: (el.clientHeight / 2 - y) / k };
  }

  async function centerOnPoint(p: { x: number; y: number }): Promise<void> {
    const { k } = area.area.transform;
    await area.area.translate(el.clientWidth / 2 - p.x * k, el.clientHeight / 2 - p.y * k);
  }

  async function centerOn(nodeId: string): Promise<void> {
    await chain;
    const view = area.nodeViews.get(nodeId);
    const node = editor.getNode(nodeId);
    if (!view || !node) return;
    if (area.area.transform.k < 0.6) await area.area.zoom(0.8, 0, 0);
    await centerOnPoint({ x: view.position.x + node.width / 2, y: view.position.y + node.height / 2 });
  }

  async function zoomBy(factor: number): Promise<void> {
    const { k } = area.area.transform;
    const next = Math.min(2.5, Math.max(0.15, k * factor));
    const c = viewCenter();
    await area.area.zoom(next, 0, 0);
    await centerOnPoint(c);
  }

  /**
   * The visible part of the graph, in graph coordinates, less a small margin and less the
   * canvas's left or right part that `covered` hides (a panel floating over the canvas).
   */
  function viewRect(covered?: { left: number; right: number; top: number; bottom: number } | null, margin = 12): Rect {
    const { k, x, y } = area.area.transform;
    const r = el.getBoundingClientRect();
    let left = 0;
    let right = el.clientWidth;
    if (covered && covered.right > r.left && covered.left < r.right && covered.top < r.bottom && covered.bottom > r.top) {
      // the wider visible side stays
      const hideLeft = covered.right - r.left;
      const hideRight = r.right - covered.left;
      if (r.width - hideLeft >= r.width - hideRight) left = Math.max(0, hideLeft);
      else right = Math.min(right, r.width - hideRight);
    }
    const m = margin / k;
    return { x: (left - x) / k + m, y: -y / k + m, width: Math.max(0, (right - left) / k - 2 * m), height: Math.max(0, el.clientHeight / k - 2 * m) };
  }

  /**
   * A node from the palette lands where the person sees it and on no other node: beside the
   * selected node when one is selected and in view (to its right: the graph reads left to
   * right), else at the centre of the view; the nearest free spot from there, in view when
   * there is room (else the view zooms out to the whole graph). One undoable edit.
   */
  function addNodeAtCenter(type: string, covered?: { left: number; right: number; top: number; bottom: number } | null): string | null {
    const size = nodeSize(type, catalog);
    const rects: Rect[] = [];
    for (const n of store.graph.nodes) {
      const p = n.position ?? area.nodeViews.get(n.id)?.position;
      if (p) rects.push({ x: p.x, y: p.y, ...nodeSize(n.type, catalog) });
    }
    const view = viewRect(covered);
    const sel = store.selection.length === 1 ? store.nodeById.get(store.selection[0]!) : undefined;
    const selRect = sel?.position ? { ...sel.position, ...nodeSize(sel.type, catalog) } : null;
    const selInView = !!selRect && selRect.x < view.x + view.width && selRect.x + selRect.width > view.x && selRect.y < view.y + view.height && selRect.y + selRect.height > view.y;
    const c = { x: view.x + view.width / 2, y: view.y + view.height / 2 };
    const anchor = selRect && selInView ? { x: selRect.x + selRect.width + 2 * PLACE_GAP, y: selRect.y } : { x: c.x - size.width / 2, y: c.y - size.height / 2 };
    const spot = freeSpot(rects, size, anchor, view);
    const id = store.addNode(type, { x: spot.x, y: spot.y });
    // no room in view: the view zooms out to show the whole graph, the new node with it
    if (id && !spot.inView) void requestSync().then(() => zoomToFit());
    return id;
  }

  function deleteSelection(): boolean {
    if (store.selection.length) return store.removeNodes(store.selection);
    const e = overlay.selectedEdge;
    if (e) {
      const ok = store.apply({ op: 'disconnect', from: e.from, to: e.to }).ok;
      overlay.selectEdge(null);
      return ok;
    }
    return false;
  }

  let arrangeModule: Promise<typeof import('rete-auto-arrange-plugin')> | null = null;
  let arranger: InstanceType<typeof import('rete-auto-arrange-plugin').AutoArrangePlugin<Schemes>> | null = null;

  async function autoArrange(): Promise<boolean> {
    await chain;
    if (!editor.getNodes().length) return false;
    arrangeModule ??= import('rete-auto-arrange-plugin');
    const mod = await arrangeModule;
    if (!arranger) {
      arranger = new mod.AutoArrangePlugin<Schemes>();
      arranger.addPreset(() => ({
        port: (d) => ({
          x: 0,
          y: HEADER_HEIGHT + ROWS_PAD + d.index * ROW_HEIGHT + ROW_HEIGHT / 2 - 6,
          width: 12,
          height: 12,
          side: d.side === 'output' ? 'EAST' : 'WEST',
        }),
      }));
      area.use(arranger as never);
    }
    const positions: Array<{ node: string; position: { x: number; y: number } }> = [];
    class Collect extends mod.ArrangeAppliers.StandardApplier<Schemes, AreaExtra> {
      override async apply(nodes: Array<{ id: string; x?: number; y?: number }>): Promise<void> {
        for (const n of nodes) if (n.x !== undefined && n.y !== undefined) positions.push({ node: n.id, position: { x: n.x, y: n.y } });
      }
    }
    await arranger.layout({
      applier: new Collect() as never,
      options: {
        'elk.algorithm': 'layered',
        'elk.direction': 'RIGHT',
        'elk.spacing.nodeNode': '36',
        'elk.layered.spacing.nodeNodeBetweenLayers': '64',
        'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      },
    });
    const moved = store.moveNodes(positions, 'Auto-arrange');
    await requestSync();
    await zoomToFit();
    return moved;
  }

  // ------------------------------------------------------------------ store watchers

  const stops = [
    watch(
      () => store.graph,
      () => void requestSync(),
    ),
    // The selected wire is drawn above the nodes (with its live value); the others below.
    watch(
      () => overlay.selectedEdge,
      (e, old) => {
        const holder = area.area.content.holder;
        if (old) {
          const v = area.connectionViews.get(edgeId(old.from, old.to));
          if (v && holder.contains(v.element)) void area.area.content.reorder(v.element, holder.firstChild);
        }
        if (e) {
          const v = area.connectionViews.get(edgeId(e.from, e.to));
          if (v && holder.contains(v.element)) void area.area.content.reorder(v.element, null);
        }
      },
    ),
    watch(
      () => store.focusRequest,
      (f) => {
        if (f) void centerOn(f.node);
      },
    ),
    watch(
      () => store.fitRequest,
      () => void requestSync().then(() => zoomToFit()),
    ),
  ];

  void requestSync().then(() => zoomToFit());

  return {
    destroy() {
      destroyed = true;
      for (const s of stops) s();
      el.removeEventListener('pointermove', onPointerMove);
      el.removeEventListener('pointerleave', onPointerLeave);
      el.removeEventListener('pointerdown', onPointerDownCapture, { capture: true });
      window.removeEventListener('pointerup', onPointerUpWindow);
      if (hintTimer) clearTimeout(hintTimer);
      if (resizeTimer) clearTimeout(resizeTimer);
      resizeObserver?.disconnect();
      area.destroy();
      container.remove();
      apps.clear();
    },
    zoomToFit,
    centerOn,
    zoomBy,
    viewCenter,
    addNodeAtCenter,
    autoArrange,
    deleteSelection,
    synced: () => requestSync(),
    pointerInGraph() {
      const r = el.getBoundingClientRect();
      const { x, y } = lastClient;
      if (x < r.left || x > r.right || y < r.top || y > r.bottom) return null;
      const { k, x: tx, y: ty } = area.area.transform;
      return { x: (x - r.left - tx) / k, y: (y - r.top - ty) / k };
    },
  };
}

export { KindSocket };
