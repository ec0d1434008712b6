/**
 * Graph file format, version 1 (DESIGN.md §2). Parsing is the only way in: it returns a
 * typed graph or diagnostics, never throws on user input, never executes anything.
 */
import { z } from 'zod';
import { error, type Diagnostic } from './diagnostics';
import type { NodeCatalog } from './catalog';
import { parseEndpoint } from './ports';

export const GRAPH_FORMAT = 'vae-lab/graph';
export const GRAPH_VERSION = 1;

export const LIMITS = {
  fileBytes: 10 * 1024 * 1024,
  nodes: 2000,
  edges: 10000,
  string: 1000,
  description: 20000,
  /** A note's text (note.text); any node param string is capped here and by its schema. */
  noteText: 20000,
  parameters: 50_000_000,
} as const;

export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const NODE_ID_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const NodeSchema = z.strictObject({
  id: z.string(),
  type: z.string(),
  label: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  position: z.strictObject({ x: finite, y: finite }).optional(),
});

const EdgeSchema = z.strictObject({ from: z.string(), to: z.string() });

export const GraphSchemaV1 = z.strictObject({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(GRAPH_VERSION),
  meta: z.strictObject({ name: z.string(), description: z.string().optional() }),
  nodes: z.array(NodeSchema),
  edges: z.array(EdgeSchema),
  training: z.strictObject({ seed: z.number().int().min(0).max(2 ** 32 - 1).optional() }).optional(),
  ui: z.record(z.string(), z.unknown()).optional(),
});

export interface GraphNode {
  id: string;
  type: string;
  label?: string;
  params: Record<string, unknown>;
  position?: { x: number; y: number };
}
export interface GraphEdge {
  from: string;
  to: string;
}
export interface Graph {
  format: typeof GRAPH_FORMAT;
  version: typeof GRAPH_VERSION;
  meta: { name: string; description?: string };
  nodes: GraphNode[];
  edges: GraphEdge[];
  training?: { seed?: number };
  ui?: Record<string, unknown>;
}

export type ParseResult = { ok: true; graph: Graph } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Migrations from older versions: MIGRATIONS[v] turns a version-v document into v+1.
 * Version 1 is the first; the hook is here so that version 2 adds one function.
 */
export const MIGRATIONS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {};

/** Parse a graph file's text (or an already-parsed JSON value) into a typed, defaults-filled graph. */
export function parseGraph(input: string | unknown, catalog: NodeCatalog): ParseResult {
  let value: unknown;
  if (typeof input === 'string') {
    const bytes = utf8Length(input);
    if (bytes > LIMITS.fileBytes) {
      return fail(error('TOO_LARGE', `The file is ${(bytes / 1048576).toFixed(1)} MB; graphs are limited to 10 MB.`));
    }
    const parsed = parseJson(input);
    if (!parsed.ok) return fail(parsed.diagnostic);
    value = parsed.value;
  } else {
    value = input;
  }
  const walk = checkValueLimits(value);
  if (walk) return fail(walk);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(error('WRONG_FORMAT', `This is not a VAE Lab graph: expected a JSON object with "format": "${GRAPH_FORMAT}".`));
  }
  let doc = value as Record<string, unknown>;
  if (doc.format !== GRAPH_FORMAT) {
    const what = doc.format === 'vae-lab/answers' ? ' (it is a bug-hunt answer key, not a graph)' : '';
    return fail(
      error('WRONG_FORMAT', `This is not a VAE Lab graph${what}: "format" is ${JSON.stringify(doc.format ?? null)}, expected "${GRAPH_FORMAT}".`, {
        path: 'format',
      }),
    );
  }
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    return fail(error('SCHEMA', '"version" must be an integer.', { path: 'version' }));
  }
  if (version > GRAPH_VERSION) {
    return fail(
      error('UNSUPPORTED_VERSION', `This graph is format version ${version}; this VAE Lab reads versions up to ${GRAPH_VERSION}. Update VAE Lab to open it.`, {
        path: 'version',
      }),
    );
  }
  for (let v = version; v < GRAPH_VERSION; v++) {
    const migrate = MIGRATIONS[v];
    if (!migrate) {
      return fail(error('UNSUPPORTED_VERSION', `Graph format version ${version} is not known; the oldest supported version is 1.`, { path: 'version' }));
    }
    doc = migrate(doc);
  }
  if (Array.isArray(doc.nodes) && doc.nodes.length > LIMITS.nodes) {
    return fail(error('TOO_LARGE', `The graph has ${doc.nodes.length} nodes; the limit is ${LIMITS.nodes}.`, { path: 'nodes' }));
  }
  if (Array.isArray(doc.edges) && doc.edges.length > LIMITS.edges) {
    return fail(error('TOO_LARGE', `The graph has ${doc.edges.length} edges; the limit is ${LIMITS.edges}.`, { path: 'edges' }));
  }
  const result = GraphSchemaV1.safeParse(doc);
  if (!result.success) {
    return fail(
      ...result.error.issues.slice(0, 20).map((issue) => {
        const path = formatPath(issue.path);
        const nodeId = nodeIdAt(doc, issue.path);
        return error('SCHEMA', `${path ? `${path}: ` : ''}${issue.message}`, { path, node: nodeId });
      }),
    );
  }
  const raw = result.data;
  const graph: Graph = {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    meta: { ...raw.meta },
    nodes: raw.nodes.map((n) => {
      const node: GraphNode = { id: n.id, type: n.type, params: { ...(n.params ?? {}) } };
      if (n.label !== undefined) node.label = n.label;
      if (n.position) node.position = { x: n.position.x, y: n.position.y };
      return node;
    }),
    edges: raw.edges.map((e) => ({ from: e.from, to: e.to })),
  };
  if (raw.training) graph.training = { ...raw.training };
  if (raw.ui) graph.ui = raw.ui;
  const { diagnostics, params } = validateGraph(graph, catalog);
  if (diagnostics.length > 0) return fail(...diagnostics);
  for (const node of graph.nodes) node.params = params.get(node.id)!;
  return { ok: true, graph };
}

/**
 * Structural validation shared by the parser, the compiler and the edit commands: node ids,
 * known types, params, and edge endpoints. Returns the errors and each valid node's params
 * with defaults filled in (the graph itself is not modified).
 */
export function validateGraph(graph: Graph, catalog: NodeCatalog): { diagnostics: Diagnostic[]; params: Map<string, Record<string, unknown>> } {
  const out: Diagnostic[] = [];
  const params = new Map<string, Record<string, unknown>>();
  const seen = new Map<string, string>();
  graph.nodes.forEach((node, i) => {
    if (!NODE_ID_RE.test(node.id)) {
      out.push(
        error('BAD_NODE_ID', `Node id ${JSON.stringify(node.id)} is not valid: an id starts with a letter and holds only letters, digits, "_" and "-".`, {
          node: node.id,
          path: `nodes[${i}].id`,
        }),
      );
      return;
    }
    if (seen.has(node.id)) {
      out.push(error('DUPLICATE_NODE_ID', `Two nodes have the id "${node.id}"; node ids must be unique.`, { node: node.id, path: `nodes[${i}].id` }));
      return;
    }
    seen.set(node.id, node.type);
    const info = catalog.get(node.type);
    if (!info) {
      out.push(
        error('UNKNOWN_NODE_TYPE', `Node "${node.id}" has type "${node.type}", which VAE Lab does not know.`, {
          node: node.id,
          path: `nodes[${i}].type`,
          fix: `Use one of: ${catalog.types().join(', ')}.`,
        }),
      );
      return;
    }
    const parsed = info.params.safeParse(node.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 5)) {
        const param = issue.path.length ? String(issue.path[0]) : undefined;
        const unknownKeys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys : undefined;
        const name = unknownKeys?.length ? unknownKeys.join(', ') : param;
        const msg = unknownKeys?.length
          ? `Node "${node.id}" (${node.type}) has no param ${unknownKeys.map((k) => `"${k}"`).join(', ')}.`
          : `Node "${node.id}" (${node.type}) param "${param ?? '?'}": ${issue.message}.`;
        out.push(
          error('BAD_PARAM', msg, {
            node: node.id,
            path: `nodes[${i}].params${name ? `.${name}` : ''}`,
            fix: unknownKeys?.length ? `Known params: ${Object.keys(info.params.shape).join(', ') || 'none'}.` : undefined,
          }),
        );
      }
      return;
    }
    params.set(node.id, parsed.data as Record<string, unknown>);
  });
  const inputEdges = new Map<string, number>();
  graph.edges.forEach((edge, i) => {
    const ends = [
      { side: 'from' as const, ep: edge.from },
      { side: 'to' as const, ep: edge.to },
    ];
    for (const { side, ep } of ends) {
      const parsed = parseEndpoint(ep);
      if (!parsed) {
        out.push(error('SCHEMA', `edges[${i}].${side} is ${JSON.stringify(ep)}; an endpoint is "<nodeId>.<port>".`, { path: `edges[${i}].${side}` }));
        return;
      }
      const type = seen.get(parsed.node);
      if (type === undefined) {
        out.push(
          error('NODE_NOT_FOUND', `The wire ${edge.from} → ${edge.to} refers to node "${parsed.node}", which is not in the graph.`, {
            node: parsed.node,
            port: parsed.port,
            path: `edges[${i}].${side}`,
          }),
        );
        return;
      }
      const info = catalog.get(type);
      if (!info) return; // already reported as UNKNOWN_NODE_TYPE
      const ports = side === 'from' ? info.outputs : info.inputs;
      if (!ports.some((p) => p.name === parsed.port)) {
        out.push(
          error(
            'PORT_NOT_FOUND',
            `Node "${parsed.node}" (${type}) has no ${side === 'from' ? 'output' : 'input'} port "${parsed.port}".`,
            { node: parsed.node, port: parsed.port, path: `edges[${i}].${side}`, fix: `Its ${side === 'from' ? 'outputs' : 'inputs'}: ${ports.map((p) => p.name).join(', ') || 'none'}.` },
          ),
        );
        return;
      }
    }
    const to = parseEndpoint(edge.to)!;
    const toInfo = catalog.get(seen.get(to.node)!)!;
    const spec = toInfo.inputs.find((p) => p.name === to.port)!;
    const key = edge.to;
    const count = (inputEdges.get(key) ?? 0) + 1;
    inputEdges.set(key, count);
    if (count > 1 && !spec.multi) {
      out.push(
        error('TOO_MANY_EDGES', `Input ${edge.to} has more than one wire; it takes exactly one.`, {
          node: to.node,
          port: to.port,
          path: `edges[${i}]`,
          fix: 'Remove the extra wire.',
        }),
      );
    }
    const dup = graph.edges.findIndex((e) => e.from === edge.from && e.to === edge.to);
    if (dup !== i && spec.multi) {
      out.push(error('DUPLICATE_EDGE', `The wire ${edge.from} → ${edge.to} appears twice.`, { node: to.node, port: to.port, path: `edges[${i}]` }));
    }
  });
  return { diagnostics: out, params };
}

/** Serialise a graph as VAE Lab saves it: every param explicit, stable key order, 2-space indent. */
export function serializeGraph(graph: Graph, catalog: NodeCatalog): string {
  return `${JSON.stringify(canonicalGraph(graph, catalog), null, 2)}\n`;
}

/** The graph as a plain object with keys in the saved order (params filled with defaults). */
export function canonicalGraph(graph: Graph, catalog: NodeCatalog): Record<string, unknown> {
  const meta: Record<string, unknown> = { name: graph.meta.name };
  if (graph.meta.description !== undefined) meta.description = graph.meta.description;
  const out: Record<string, unknown> = {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    meta,
    nodes: graph.nodes.map((n) => {
      const node: Record<string, unknown> = { id: n.id, type: n.type };
      if (n.label !== undefined) node.label = n.label;
      const info = catalog.get(n.type);
      const parsed = info?.params.safeParse(n.params);
      const params = parsed?.success ? (parsed.data as Record<string, unknown>) : n.params;
      const order = info ? Object.keys(info.params.shape) : Object.keys(params).sort();
      const ordered: Record<string, unknown> = {};
      for (const k of order) if (params[k] !== undefined) ordered[k] = params[k];
      for (const k of Object.keys(params).sort()) if (!(k in ordered) && params[k] !== undefined) ordered[k] = params[k];
      node.params = ordered;
      if (n.position) node.position = { x: n.position.x, y: n.position.y };
      return node;
    }),
    edges: graph.edges.map((e) => ({ from: e.from, to: e.to })),
    training: { seed: graph.training?.seed ?? 1 },
  };
  if (graph.ui !== undefined) out.ui = sortKeys(graph.ui);
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

export function graphSeed(graph: Graph): number {
  return graph.training?.seed ?? 1;
}

// ---------------------------------------------------------------------------------------

function fail(...diagnostics: Diagnostic[]): ParseResult {
  return { ok: false, diagnostics };
}

function utf8Length(s: string): number {
  if (s.length * 3 <= LIMITS.fileBytes) return s.length; // cannot exceed: skip the count
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? (i++, 4) : 3;
  }
  return n;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; diagnostic: Diagnostic } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const { line, column, short } = jsonSyntaxError(text, e);
    return {
      ok: false,
      diagnostic: error('INVALID_JSON', `The file is not valid JSON at line ${line}, column ${column}: ${short}.`, { line, column }),
    };
  }
}

/**
 * Where and why JSON.parse(text) threw `e`: a 1-based line and column and the engine's
 * message without its position and echo. Used for graph files and JSON data files alike.
 */
export function jsonSyntaxError(text: string, e: unknown): { line: number; column: number; short: string } {
  const msg = e instanceof Error ? e.message : String(e);
  let line: number | undefined;
  let column: number | undefined;
  const lc = /line (\d+) column (\d+)/.exec(msg);
  const pos = /position (\d+)/.exec(msg);
  // Engines differ in what they report (V8 gives no position for "Unexpected token"), so
  // the offset comes from our own scan; the engine's message is the fallback.
  const offset = jsonErrorOffset(text);
  if (offset >= 0) {
    ({ line, column } = lineColumn(text, offset));
  } else if (lc) {
    line = Number(lc[1]);
    column = Number(lc[2]);
  } else if (pos) {
    ({ line, column } = lineColumn(text, Number(pos[1])));
  } else if (/Unexpected end of JSON input/.test(msg)) {
    ({ line, column } = lineColumn(text, text.length));
  }
  const short = msg
    .replace(/^JSON\.parse: /, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, ".*" is not valid JSON$/s, ''); // V8 echoes the text itself
  return { line: line ?? 1, column: column ?? 1, short };
}

/**
 * The offset of the first character at which `text` stops being JSON (RFC 8259), or -1
 * when it is valid. Iterative (a stack, no recursion), so deep nesting cannot overflow.
 */
export function jsonErrorOffset(text: string): number {
  const n = text.length;
  let i = 0;
  const stack: number[] = []; // 123 '{' or 91 '['
  const ws = () => {
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  };
  const digits = (): boolean => {
    const start = i;
    while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    return i > start;
  };
  const string = (): boolean => {
    i++; // the opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 92) {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u') {
          i += 2;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) return false;
        } else {
          i++;
          return false;
        }
      } else i++;
    }
    return false;
  };
  const number = (): boolean => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return false;
    if (text[i] === '.') {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) return false;
    }
    return true;
  };
  // expect: 0 a value, 1 a value or ']' (after '['), 2 a key or '}' (after '{'), 3 a key, 4 ',' or a closer
  let expect = 0;
  for (;;) {
    ws();
    const c = text.charCodeAt(i);
    if (expect === 4) {
      if (stack.length === 0) return i < n ? i : -1;
      const top = stack[stack.length - 1];
      if (c === 44) {
        i++;
        expect = top === 123 ? 3 : 0;
      } else if (c === top + 2) {
        i++; // '}' is '{' + 2, ']' is '[' + 2
        stack.pop();
      } else return i;
      continue;
    }
    if ((expect === 1 && c === 93) || (expect === 2 && c === 125)) {
      i++;
      stack.pop();
      expect = 4;
      continue;
    }
    if (expect === 2 || expect === 3) {
      if (c !== 34 || !string()) return i;
      ws();
      if (text.charCodeAt(i) !== 58) return i;
      i++;
      expect = 0;
      continue;
    }
    if (c === 123 || c === 91) {
      stack.push(c);
      i++;
      expect = c === 123 ? 2 : 1;
      continue;
    }
    if (c === 34) {
      if (!string()) return i;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      if (!number()) return i;
    } else if (c === 116 || c === 102 || c === 110) {
      const lit = c === 116 ? 'true' : c === 102 ? 'false' : 'null';
      let k = 0;
      while (k < lit.length && text[i + k] === lit[k]) k++;
      i += k; // point at the first character that breaks the literal
      if (k < lit.length) return i;
    } else return i;
    expect = 4;
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** Walk the raw JSON without recursion: forbidden keys, over-long strings. */
function checkValueLimits(root: unknown): Diagnostic | null {
  const stack: Array<{ v: unknown; path: (string | number)[] }> = [{ v: root, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const isDescription = path.length === 2 && path[0] === 'meta' && path[1] === 'description';
      // a node param's string (a note's text): its schema sets its own limit (BAD_PARAM naming node and param)
      const isParam = path.length === 4 && path[0] === 'nodes' && path[2] === 'params';
      const limit = isDescription ? LIMITS.description : isParam ? LIMITS.noteText : LIMITS.string;
      if (v.length > limit) {
        return error('TOO_LARGE', `${formatPath(path)} is a string of ${v.length} characters; the limit is ${limit}.`, {
          path: formatPath(path),
          node: nodeIdAt(root, path),
        });
      }
    } else if (Array.isArray(v)) {
      if (path.length > 64) return error('TOO_LARGE', `${formatPath(path)} is nested too deeply.`, { path: formatPath(path) });
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
    } else if (v && typeof v === 'object') {
      if (path.length > 64) return error('TOO_LARGE', `${formatPath(path)} is nested too deeply.`, { path: formatPath(path) });
      for (const k of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(k)) {
          return error('FORBIDDEN_KEY', `The key "${k}" is not allowed anywhere in a graph file (found at ${formatPath([...path, k])}).`, {
            path: formatPath([...path, k]),
          });
        }
        if (k.length > LIMITS.string) return error('TOO_LARGE', `A key of ${k.length} characters at ${formatPath(path)}; the limit is ${LIMITS.string}.`, { path: formatPath(path) });
        stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k] });
      }
    }
  }
  return null;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s ? `.${String(p)}` : String(p);
  }
  return s;
}

function nodeIdAt(root: unknown, path: ReadonlyArray<PropertyKey>): string | null {
  if (path[0] !== 'nodes' || typeof path[1] !== 'number') return null;
  const nodes = (root as { nodes?: unknown }).nodes;
  if (!Array.isArray(nodes)) return null;
  const n = nodes[path[1]] as { id?: unknown } | undefined;
  return typeof n?.id === 'string' ? n.id : null;
}
