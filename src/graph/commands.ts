/**
 * Pure edit commands (DESIGN.md §4): the one vocabulary for the editor's undo/redo, the
 * bug hunt's fixes and scripted edits. applyCommand never mutates its input; it returns a
 * new graph and the command that undoes the edit, or a coded diagnostic.
 */
import { error, type Diagnostic } from './diagnostics';
import type { NodeCatalog, NodeTypeInfo } from './catalog';
import { FORBIDDEN_KEYS, LIMITS, NODE_ID_RE, type Graph, type GraphEdge, type GraphNode } from './schema';
import { parseEndpoint } from './ports';

export type Position = { x: number; y: number };

export type Command =
  | { op: 'setParam'; node: string; param: string; value: unknown }
  | { op: 'connect'; from: string; to: string; index?: number }
  | { op: 'disconnect'; from: string; to: string }
  | { op: 'addNode'; node: { id: string; type: string; params?: Record<string, unknown>; position?: Position; label?: string }; index?: number }
  | { op: 'removeNode'; node: string }
  | { op: 'move'; node: string; position: Position | null }
  | { op: 'rename'; node: string; label: string | null }
  | { op: 'setMeta'; name?: string; description?: string | null }
  | { op: 'setSeed'; seed: number }
  /** Editor state in the file's `ui` object (e.g. bugHunt); `value: null` removes the key (and an emptied `ui`). */
  | { op: 'setUi'; key: string; value: UiValue }
  | { op: 'batch'; label?: string; commands: Command[] };

/** A JSON value that `ui` may hold. */
export type UiValue = null | boolean | number | string | UiValue[] | { [key: string]: UiValue };

export type CommandResult = { ok: true; graph: Graph; inverse: Command } | { ok: false; diagnostic: Diagnostic };

export function applyCommand(graph: Graph, cmd: Command, catalog: NodeCatalog): CommandResult {
  switch (cmd.op) {
    case 'setParam':
      return setParam(graph, cmd, catalog);
    case 'connect':
      return connect(graph, cmd, catalog);
    case 'disconnect':
      return disconnect(graph, cmd);
    case 'addNode':
      return addNode(graph, cmd, catalog);
    case 'removeNode':
      return removeNode(graph, cmd);
    case 'move': {
      const i = findNode(graph, cmd.node);
      if (i < 0) return notFound(cmd.node);
      const old = graph.nodes[i]!;
      const node: GraphNode = { ...old };
      if (cmd.position) node.position = { x: cmd.position.x, y: cmd.position.y };
      else delete node.position;
      return ok(replaceNode(graph, i, node), { op: 'move', node: cmd.node, position: old.position ? { ...old.position } : null });
    }
    case 'rename': {
      const i = findNode(graph, cmd.node);
      if (i < 0) return notFound(cmd.node);
      const old = graph.nodes[i]!;
      const node: GraphNode = { ...old };
      if (cmd.label !== null && cmd.label !== '') node.label = cmd.label;
      else delete node.label;
      return ok(replaceNode(graph, i, node), { op: 'rename', node: cmd.node, label: old.label ?? null });
    }
    case 'setMeta': {
      const meta = { ...graph.meta };
      const inverse: Command = { op: 'setMeta' };
      if (cmd.name !== undefined) {
        inverse.name = meta.name;
        meta.name = cmd.name;
      }
      if (cmd.description !== undefined) {
        inverse.description = meta.description ?? null;
        if (cmd.description === null) delete meta.description;
        else meta.description = cmd.description;
      }
      return ok({ ...graph, meta }, inverse);
    }
    case 'setSeed': {
      if (!Number.isInteger(cmd.seed) || cmd.seed < 0 || cmd.seed > 2 ** 32 - 1) {
        return { ok: false, diagnostic: error('BAD_PARAM', 'The seed must be an integer from 0 to 4294967295.') };
      }
      return ok({ ...graph, training: { ...graph.training, seed: cmd.seed } }, { op: 'setSeed', seed: graph.training?.seed ?? 1 });
    }
    case 'setUi':
      return setUi(graph, cmd);
    case 'batch': {
      let g = graph;
      const inverses: Command[] = [];
      for (const sub of cmd.commands) {
        const r = applyCommand(g, sub, catalog);
        if (!r.ok) return r;
        g = r.graph;
        inverses.unshift(r.inverse);
      }
      const inverse: Command = { op: 'batch', commands: inverses };
      if (cmd.label !== undefined) inverse.label = cmd.label;
      return ok(g, inverse);
    }
  }
}

/** Apply a list of edits atomically (all or nothing), e.g. a bug's fix. */
export function applyCommands(graph: Graph, commands: Command[], catalog: NodeCatalog): CommandResult {
  return applyCommand(graph, { op: 'batch', commands }, catalog);
}

/** A short human label for history menus ("Connect enc.mu → rep.mu"). */
export function describeCommand(cmd: Command): string {
  switch (cmd.op) {
    case 'setParam':
      return `Set ${cmd.node}.${cmd.param}`;
    case 'connect':
      return `Connect ${cmd.from} → ${cmd.to}`;
    case 'disconnect':
      return `Disconnect ${cmd.from} → ${cmd.to}`;
    case 'addNode':
      return `Add ${cmd.node.id}`;
    case 'removeNode':
      return `Remove ${cmd.node}`;
    case 'move':
      return `Move ${cmd.node}`;
    case 'rename':
      return `Rename ${cmd.node}`;
    case 'setMeta':
      return 'Edit graph info';
    case 'setSeed':
      return `Seed ${cmd.seed}`;
    case 'setUi':
      return `Set ui.${cmd.key}`;
    case 'batch':
      return cmd.label ?? `${cmd.commands.length} edits`;
  }
}

// ---------------------------------------------------------------------------------------

function ok(graph: Graph, inverse: Command): CommandResult {
  return { ok: true, graph, inverse };
}

function findNode(graph: Graph, id: string): number {
  return graph.nodes.findIndex((n) => n.id === id);
}

function notFound(id: string, port: string | null = null): CommandResult {
  return { ok: false, diagnostic: error('NODE_NOT_FOUND', `There is no node "${id}".`, { node: id, port }) };
}

function setUi(graph: Graph, cmd: Extract<Command, { op: 'setUi' }>): CommandResult {
  if (typeof cmd.key !== 'string' || !cmd.key || cmd.key.length > LIMITS.string || FORBIDDEN_KEYS.has(cmd.key)) {
    return { ok: false, diagnostic: error('SCHEMA', `"${String(cmd.key).slice(0, 40)}" cannot be a key of ui.`, { path: 'ui' }) };
  }
  const bad = badUiValue(cmd.value, 0);
  if (bad) return { ok: false, diagnostic: error('SCHEMA', `ui.${cmd.key}: ${bad}`, { path: `ui.${cmd.key}` }) };
  const old = graph.ui && Object.prototype.hasOwnProperty.call(graph.ui, cmd.key) ? (graph.ui[cmd.key] as UiValue) : null;
  const ui: Record<string, unknown> = { ...(graph.ui ?? {}) };
  if (cmd.value === null) delete ui[cmd.key];
  else ui[cmd.key] = structuredClone(cmd.value);
  const next: Graph = { ...graph };
  if (Object.keys(ui).length) next.ui = ui;
  else delete next.ui;
  return ok(next, { op: 'setUi', key: cmd.key, value: old === null ? null : structuredClone(old) });
}

/** Why a value cannot go into `ui` (not JSON, too deep, a forbidden key), or null. */
function badUiValue(v: unknown, depth: number): string | null {
  if (depth > 16) return 'nested too deeply';
  if (v === null || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : 'must be a finite number';
  if (typeof v === 'string') return v.length <= LIMITS.string ? null : `a string over ${LIMITS.string} characters`;
  if (Array.isArray(v)) {
    for (const x of v) {
      const b = badUiValue(x, depth + 1);
      if (b) return b;
    }
    return null;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (FORBIDDEN_KEYS.has(k)) return `the key "${k}" is not allowed`;
      const b = badUiValue(x, depth + 1);
      if (b) return b;
    }
    return null;
  }
  return 'must be a JSON value';
}

function replaceNode(graph: Graph, i: number, node: GraphNode): Graph {
  const nodes = graph.nodes.slice();
  nodes[i] = node;
  return { ...graph, nodes };
}

function setParam(graph: Graph, cmd: Extract<Command, { op: 'setParam' }>, catalog: NodeCatalog): CommandResult {
  const i = findNode(graph, cmd.node);
  if (i < 0) return notFound(cmd.node);
  const old = graph.nodes[i]!;
  const info = catalog.get(old.type);
  if (!info) return { ok: false, diagnostic: error('UNKNOWN_NODE_TYPE', `Node "${old.id}" has unknown type "${old.type}".`, { node: old.id }) };
  if (!(cmd.param in info.params.shape)) {
    return {
      ok: false,
      diagnostic: error('BAD_PARAM', `Node "${old.id}" (${old.type}) has no param "${cmd.param}".`, {
        node: old.id,
        fix: `Known params: ${Object.keys(info.params.shape).join(', ') || 'none'}.`,
      }),
    };
  }
  if (info.variantParam === cmd.param && old.params[cmd.param] !== cmd.value) return switchVariant(graph, i, cmd, info);
  const params = { ...old.params, [cmd.param]: cmd.value };
  const parsed = info.params.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      diagnostic: error('BAD_PARAM', `Node "${old.id}" param "${cmd.param}": ${issue.message}.`, { node: old.id, path: `params.${cmd.param}` }),
    };
  }
  const node: GraphNode = { ...old, params: parsed.data as Record<string, unknown> };
  return ok(replaceNode(graph, i, node), { op: 'setParam', node: cmd.node, param: cmd.param, value: old.params[cmd.param] });
}

/**
 * Set a node's variant param (vae.encoder's `arch`): the new variant's defaults, keeping each
 * value a person set (one that differs from the old variant's default) where the new variant
 * takes that param and the value stays valid. The inverse restores every old param.
 */
function switchVariant(graph: Graph, i: number, cmd: Extract<Command, { op: 'setParam' }>, info: NodeTypeInfo): CommandResult {
  const old = graph.nodes[i]!;
  const target = info.params.safeParse({ [cmd.param]: cmd.value });
  if (!target.success) {
    const issue = target.error.issues[0]!;
    return { ok: false, diagnostic: error('BAD_PARAM', `Node "${old.id}" param "${cmd.param}": ${issue.message}.`, { node: old.id, path: `params.${cmd.param}` }) };
  }
  const fresh = target.data as Record<string, unknown>;
  const before = info.params.safeParse({ [cmd.param]: old.params[cmd.param] });
  const oldDefaults = before.success ? (before.data as Record<string, unknown>) : {};
  const merged: Record<string, unknown> = { ...fresh };
  for (const [k, v] of Object.entries(old.params)) {
    if (k !== cmd.param && k in fresh && JSON.stringify(v) !== JSON.stringify(oldDefaults[k])) merged[k] = v;
  }
  const parsed = info.params.safeParse(merged);
  const params = (parsed.success ? parsed.data : fresh) as Record<string, unknown>;
  const inverse: Command = {
    op: 'batch',
    commands: [
      { op: 'setParam', node: old.id, param: cmd.param, value: old.params[cmd.param] },
      ...Object.entries(old.params)
        .filter(([k]) => k !== cmd.param)
        .map(([param, value]): Command => ({ op: 'setParam', node: old.id, param, value })),
    ],
  };
  return ok(replaceNode(graph, i, { ...old, params }), inverse);
}

function checkEndpoint(graph: Graph, ep: string, side: 'from' | 'to', catalog: NodeCatalog): Diagnostic | { node: GraphNode; port: string; multi: boolean } {
  const parsed = parseEndpoint(ep);
  if (!parsed) return error('SCHEMA', `${JSON.stringify(ep)} is not an endpoint "<nodeId>.<port>".`);
  const node = graph.nodes.find((n) => n.id === parsed.node);
  if (!node) return error('NODE_NOT_FOUND', `There is no node "${parsed.node}".`, { node: parsed.node, port: parsed.port });
  const info = catalog.get(node.type);
  const ports = side === 'from' ? info?.outputs : info?.inputs;
  const spec = ports?.find((p) => p.name === parsed.port);
  if (!spec) {
    return error('PORT_NOT_FOUND', `Node "${node.id}" (${node.type}) has no ${side === 'from' ? 'output' : 'input'} port "${parsed.port}".`, {
      node: node.id,
      port: parsed.port,
    });
  }
  return { node, port: parsed.port, multi: !!spec.multi };
}

function connect(graph: Graph, cmd: Extract<Command, { op: 'connect' }>, catalog: NodeCatalog): CommandResult {
  const from = checkEndpoint(graph, cmd.from, 'from', catalog);
  if ('code' in from) return { ok: false, diagnostic: from };
  const to = checkEndpoint(graph, cmd.to, 'to', catalog);
  if ('code' in to) return { ok: false, diagnostic: to };
  if (graph.edges.some((e) => e.from === cmd.from && e.to === cmd.to)) {
    return { ok: false, diagnostic: error('DUPLICATE_EDGE', `${cmd.from} is already wired to ${cmd.to}.`, { node: to.node.id, port: to.port }) };
  }
  if (!to.multi && graph.edges.some((e) => e.to === cmd.to)) {
    return {
      ok: false,
      diagnostic: error('TOO_MANY_EDGES', `Input ${cmd.to} already has a wire; it takes one. Disconnect it first.`, {
        node: to.node.id,
        port: to.port,
        fix: 'Disconnect the existing wire first.',
      }),
    };
  }
  const edges = graph.edges.slice();
  const edge: GraphEdge = { from: cmd.from, to: cmd.to };
  if (cmd.index !== undefined && cmd.index >= 0 && cmd.index <= edges.length) edges.splice(cmd.index, 0, edge);
  else edges.push(edge);
  return ok({ ...graph, edges }, { op: 'disconnect', from: cmd.from, to: cmd.to });
}

function disconnect(graph: Graph, cmd: Extract<Command, { op: 'disconnect' }>): CommandResult {
  const i = graph.edges.findIndex((e) => e.from === cmd.from && e.to === cmd.to);
  if (i < 0) {
    const to = parseEndpoint(cmd.to);
    return {
      ok: false,
      diagnostic: error('PORT_NOT_FOUND', `There is no wire ${cmd.from} → ${cmd.to}.`, { node: to?.node ?? null, port: to?.port ?? null }),
    };
  }
  const edges = graph.edges.slice();
  edges.splice(i, 1);
  return ok({ ...graph, edges }, { op: 'connect', from: cmd.from, to: cmd.to, index: i });
}

function addNode(graph: Graph, cmd: Extract<Command, { op: 'addNode' }>, catalog: NodeCatalog): CommandResult {
  const spec = cmd.node;
  if (!NODE_ID_RE.test(spec.id)) {
    return { ok: false, diagnostic: error('BAD_NODE_ID', `"${spec.id}" is not a valid node id.`, { node: spec.id }) };
  }
  if (findNode(graph, spec.id) >= 0) {
    return { ok: false, diagnostic: error('DUPLICATE_NODE_ID', `A node "${spec.id}" already exists.`, { node: spec.id }) };
  }
  const info = catalog.get(spec.type);
  if (!info) return { ok: false, diagnostic: error('UNKNOWN_NODE_TYPE', `Unknown node type "${spec.type}".`, { node: spec.id }) };
  const parsed = info.params.safeParse(spec.params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      diagnostic: error('BAD_PARAM', `Node "${spec.id}" param "${String(issue.path[0] ?? '?')}": ${issue.message}.`, { node: spec.id }),
    };
  }
  const node: GraphNode = { id: spec.id, type: spec.type, params: parsed.data as Record<string, unknown> };
  if (spec.label !== undefined) node.label = spec.label;
  if (spec.position) node.position = { x: spec.position.x, y: spec.position.y };
  const nodes = graph.nodes.slice();
  if (cmd.index !== undefined && cmd.index >= 0 && cmd.index <= nodes.length) nodes.splice(cmd.index, 0, node);
  else nodes.push(node);
  return ok({ ...graph, nodes }, { op: 'removeNode', node: spec.id });
}

function removeNode(graph: Graph, cmd: Extract<Command, { op: 'removeNode' }>): CommandResult {
  const i = findNode(graph, cmd.node);
  if (i < 0) return notFound(cmd.node);
  const old = graph.nodes[i]!;
  const nodes = graph.nodes.slice();
  nodes.splice(i, 1);
  const restore: Command[] = [{ op: 'addNode', node: cloneNode(old), index: i }];
  const edges: GraphEdge[] = [];
  graph.edges.forEach((e, k) => {
    const touches = parseEndpoint(e.from)?.node === cmd.node || parseEndpoint(e.to)?.node === cmd.node;
    if (touches) restore.push({ op: 'connect', from: e.from, to: e.to, index: k });
    else edges.push(e);
  });
  return ok({ ...graph, nodes, edges }, { op: 'batch', commands: restore });
}

function cloneNode(n: GraphNode): GraphNode {
  const c: GraphNode = { id: n.id, type: n.type, params: structuredCloneJson(n.params) };
  if (n.label !== undefined) c.label = n.label;
  if (n.position) c.position = { ...n.position };
  return c;
}

function structuredCloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A fresh node id for `type` not yet used in the graph ("dense", "dense2", …). */
export function freshNodeId(graph: Graph, base: string): string {
  const stem = base.replace(/[^A-Za-z0-9_-]/g, '').replace(/^[^A-Za-z]+/, '') || 'node';
  const used = new Set(graph.nodes.map((n) => n.id));
  if (!used.has(stem)) return stem;
  for (let k = 2; ; k++) if (!used.has(`${stem}${k}`)) return `${stem}${k}`;
}
