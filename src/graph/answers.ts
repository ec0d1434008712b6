/**
 * The bug hunt's answer key (DESIGN.md §4): a zod schema, a parser that never throws on
 * user input, a check against the graph it belongs to, and applyFix, which replays a
 * bug's fix with the same edit commands as undo/redo (src/graph/commands.ts).
 *
 *   {"format":"vae-lab/answers","version":1,"graph":"bug-hunt.json",
 *    "bugs":[{"id","nodes":[…],"wires":["from->to"…],"what","symptom","instrument","fix":[edits]}],
 *    "questions":[{"id","text","kind":"nodes"|"number"|"choice","choices":[…],"answer"}]}
 *
 * An answer key is never a graph: parseGraph refuses it with WRONG_FORMAT, and
 * parseAnswerKey refuses a graph the same way.
 */
import { z } from 'zod';
import { error, type Diagnostic } from './diagnostics';
import type { NodeCatalog } from './catalog';
import { applyCommands, type Command, type CommandResult } from './commands';
import { FORBIDDEN_KEYS, GRAPH_FORMAT, LIMITS, NODE_ID_RE, formatPath, type Graph } from './schema';
import { parseEndpoint } from './ports';

export const ANSWERS_FORMAT = 'vae-lab/answers';
export const ANSWERS_VERSION = 1;

/** Limits of an answer key (it is shown to people, so its strings are bounded). */
export const ANSWER_LIMITS = {
  fileBytes: 1024 * 1024,
  bugs: 100,
  questions: 100,
  /** what / symptom / instrument / question text. */
  text: 4000,
} as const;

const text = z.string().min(1).max(ANSWER_LIMITS.text);
const nodeId = z.string().regex(NODE_ID_RE, 'is not a node id');
const endpoint = z.string().refine(isEndpoint, 'is not an endpoint "<nodeId>.<port>"');
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** A wire as the answer key names it: "<nodeId>.<port>-><nodeId>.<port>". */
const wire = z.string().refine((s) => parseWire(s) !== null, 'is not a wire "<node>.<port>-><node>.<port>"');

/** The edit commands a fix may use (a subset of src/graph/commands.ts). */
export const FixEditSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('setParam'), node: nodeId, param: z.string().min(1), value: z.unknown() }),
  z.strictObject({ op: z.literal('connect'), from: endpoint, to: endpoint }),
  z.strictObject({ op: z.literal('disconnect'), from: endpoint, to: endpoint }),
  z.strictObject({
    op: z.literal('addNode'),
    node: z.strictObject({
      id: nodeId,
      type: z.string().min(1),
      params: z.record(z.string(), z.unknown()).optional(),
      position: z.strictObject({ x: finite, y: finite }).optional(),
      label: z.string().optional(),
    }),
  }),
  z.strictObject({ op: z.literal('removeNode'), node: nodeId }),
]);
export type FixEdit = z.infer<typeof FixEditSchema>;

export const BugSchema = z.strictObject({
  id: z.string().regex(NODE_ID_RE, 'must start with a letter and hold only letters, digits, "_" and "-"'),
  nodes: z.array(nodeId).min(1, 'a bug names at least one node'),
  wires: z.array(wire).default([]),
  what: text,
  symptom: text,
  instrument: text,
  fix: z.array(FixEditSchema).min(1, 'a bug has at least one fix edit'),
});
export type Bug = z.infer<typeof BugSchema>;

const questionBase = { id: z.string().regex(NODE_ID_RE, 'must start with a letter and hold only letters, digits, "_" and "-"'), text };

export const QuestionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...questionBase, kind: z.literal('nodes'), answer: z.array(nodeId).min(1) }),
  z.strictObject({ ...questionBase, kind: z.literal('number'), answer: finite }),
  z
    .strictObject({ ...questionBase, kind: z.literal('choice'), choices: z.array(text).min(2), answer: text })
    .refine((q) => q.choices.includes(q.answer), { message: 'the answer must be one of the choices', path: ['answer'] }),
]);
export type Question = z.infer<typeof QuestionSchema>;

export const AnswerKeySchema = z
  .strictObject({
    format: z.literal(ANSWERS_FORMAT),
    version: z.literal(ANSWERS_VERSION),
    /** The graph file this key belongs to, beside it in presets/ (e.g. "bug-hunt.json"). */
    graph: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/, 'must be a file name such as "bug-hunt.json"'),
    bugs: z.array(BugSchema).min(1).max(ANSWER_LIMITS.bugs),
    questions: z.array(QuestionSchema).max(ANSWER_LIMITS.questions),
  })
  .superRefine((key, ctx) => {
    const dup = (list: Array<{ id: string }>, where: 'bugs' | 'questions') => {
      const seen = new Set<string>();
      list.forEach((item, i) => {
        if (seen.has(item.id)) ctx.addIssue({ code: 'custom', message: `the id "${item.id}" appears twice`, path: [where, i, 'id'] });
        seen.add(item.id);
      });
    };
    dup(key.bugs, 'bugs');
    dup(key.questions, 'questions');
  });
export type AnswerKey = z.infer<typeof AnswerKeySchema>;

export type AnswerKeyResult = { ok: true; key: AnswerKey } | { ok: false; diagnostics: Diagnostic[] };

/** Parse an answer key's text (or an already-parsed JSON value). Never throws on input. */
export function parseAnswerKey(input: string | unknown): AnswerKeyResult {
  let value: unknown;
  if (typeof input === 'string') {
    if (input.length > ANSWER_LIMITS.fileBytes) {
      return fail(error('TOO_LARGE', `The answer key is ${input.length} characters; the limit is ${ANSWER_LIMITS.fileBytes}.`));
    }
    try {
      value = JSON.parse(input);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return fail(error('INVALID_JSON', `The answer key is not valid JSON: ${msg}.`));
    }
  } else {
    value = input;
  }
  const forbidden = findForbiddenKey(value);
  if (forbidden) return fail(forbidden);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(error('WRONG_FORMAT', `This is not a VAE Lab answer key: expected a JSON object with "format": "${ANSWERS_FORMAT}".`));
  }
  const doc = value as Record<string, unknown>;
  if (doc.format !== ANSWERS_FORMAT) {
    const what = doc.format === GRAPH_FORMAT ? ' (it is a graph, not an answer key)' : '';
    return fail(
      error('WRONG_FORMAT', `This is not a VAE Lab answer key${what}: "format" is ${JSON.stringify(doc.format ?? null)}, expected "${ANSWERS_FORMAT}".`, {
        path: 'format',
      }),
    );
  }
  if (typeof doc.version === 'number' && Number.isInteger(doc.version) && doc.version > ANSWERS_VERSION) {
    return fail(
      error('UNSUPPORTED_VERSION', `This answer key is version ${doc.version}; this VAE Lab reads versions up to ${ANSWERS_VERSION}.`, { path: 'version' }),
    );
  }
  const parsed = AnswerKeySchema.safeParse(doc);
  if (!parsed.success) {
    return fail(
      ...parsed.error.issues.slice(0, 20).map((issue) => {
        const path = formatPath(issue.path);
        return error('SCHEMA', `${path ? `${path}: ` : ''}${issue.message}`, { path, node: nodeAt(doc, issue.path) });
      }),
    );
  }
  return { ok: true, key: parsed.data };
}

/** A fix as edit commands (the shape applyCommands takes). */
export function fixCommands(bug: Bug): Command[] {
  return bug.fix.map((e) => (e.op === 'addNode' ? { op: 'addNode', node: { ...e.node } } : { ...e }) as Command);
}

/** Apply one bug's fix to a graph, atomically (all edits or none). */
export function applyFix(graph: Graph, bug: Bug, catalog: NodeCatalog): CommandResult {
  const r = applyCommands(graph, fixCommands(bug), catalog);
  if (r.ok) return r;
  return { ok: false, diagnostic: { ...r.diagnostic, message: `Fix of bug "${bug.id}": ${r.diagnostic.message}` } };
}

/** Apply several bugs' fixes in order (e.g. every bug but one: the graph with only that bug). */
export function applyFixes(graph: Graph, bugs: readonly Bug[], catalog: NodeCatalog): CommandResult {
  let g = graph;
  const inverses: Command[] = [];
  for (const bug of bugs) {
    const r = applyFix(g, bug, catalog);
    if (!r.ok) return r;
    g = r.graph;
    inverses.unshift(r.inverse);
  }
  return { ok: true, graph: g, inverse: { op: 'batch', commands: inverses } };
}

/**
 * Check a parsed key against the graph it belongs to: every node a bug or an answer names
 * exists, every wire is an edge of the graph, and every fix applies. Returns the problems
 * (empty when the key fits the graph).
 */
export function checkAnswerKey(key: AnswerKey, graph: Graph, catalog: NodeCatalog): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ids = new Set(graph.nodes.map((n) => n.id));
  const edges = new Set(graph.edges.map((e) => `${e.from}->${e.to}`));
  key.bugs.forEach((bug, i) => {
    bug.nodes.forEach((n, j) => {
      if (!ids.has(n)) out.push(error('NODE_NOT_FOUND', `Bug "${bug.id}" names node "${n}", which is not in the graph.`, { node: n, path: `bugs[${i}].nodes[${j}]` }));
    });
    bug.wires.forEach((w, j) => {
      if (!edges.has(w)) out.push(error('PORT_NOT_FOUND', `Bug "${bug.id}" names the wire ${w}, which is not in the graph.`, { path: `bugs[${i}].wires[${j}]` }));
    });
    const r = applyFix(graph, bug, catalog);
    if (!r.ok) out.push({ ...r.diagnostic, path: `bugs[${i}].fix` });
  });
  key.questions.forEach((q, i) => {
    if (q.kind !== 'nodes') return;
    q.answer.forEach((n, j) => {
      if (!ids.has(n)) out.push(error('NODE_NOT_FOUND', `Question "${q.id}" answers with node "${n}", which is not in the graph.`, { node: n, path: `questions[${i}].answer[${j}]` }));
    });
  });
  return out;
}

/** A bug counts as found when the person points at any of its nodes or wires. */
export function isBugFound(bug: Bug, pointed: { nodes?: Iterable<string>; wires?: Iterable<string> }): boolean {
  const nodes = new Set(bug.nodes);
  const wires = new Set(bug.wires);
  for (const n of pointed.nodes ?? []) if (nodes.has(n)) return true;
  for (const w of pointed.wires ?? []) if (wires.has(w)) return true;
  return false;
}

/** Whether a response answers a question: the same set of nodes, the same number (to 1e-9), or the same choice. */
export function isCorrectAnswer(q: Question, response: readonly string[] | number | string): boolean {
  switch (q.kind) {
    case 'nodes': {
      if (!Array.isArray(response)) return false;
      const want = new Set(q.answer);
      const got = new Set(response as readonly string[]);
      return got.size === want.size && [...want].every((n) => got.has(n));
    }
    case 'number':
      return typeof response === 'number' && Math.abs(response - q.answer) <= 1e-9 * Math.max(1, Math.abs(q.answer));
    case 'choice':
      return response === q.answer;
  }
}

/** Split a wire "a.x->b.y" into its two endpoints; null when it is not one. */
export function parseWire(w: string): { from: string; to: string } | null {
  const parts = w.split('->');
  if (parts.length !== 2 || !isEndpoint(parts[0]!) || !isEndpoint(parts[1]!)) return null;
  return { from: parts[0]!, to: parts[1]! };
}

function isEndpoint(s: string): boolean {
  const ep = parseEndpoint(s);
  return ep !== null && NODE_ID_RE.test(ep.node) && /^[A-Za-z][A-Za-z0-9_]*$/.test(ep.port);
}

// ---------------------------------------------------------------------------------------

function fail(...diagnostics: Diagnostic[]): AnswerKeyResult {
  return { ok: false, diagnostics };
}

/** Walk the raw JSON without recursion: forbidden keys, over-deep nesting. */
function findForbiddenKey(root: unknown): Diagnostic | null {
  const stack: Array<{ v: unknown; path: (string | number)[] }> = [{ v: root, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (path.length > 64) return error('TOO_LARGE', `${formatPath(path)} is nested too deeply.`, { path: formatPath(path) });
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ v: item, path: [...path, i] }));
      continue;
    }
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) {
        return error('FORBIDDEN_KEY', `The key "${k}" is not allowed anywhere in an answer key (found at ${formatPath([...path, k])}).`, {
          path: formatPath([...path, k]),
        });
      }
      if (k.length > LIMITS.string) return error('TOO_LARGE', `A key of ${k.length} characters at ${formatPath(path)}.`, { path: formatPath(path) });
      stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k] });
    }
  }
  return null;
}

/** The node a schema issue concerns, where its path points into a bug or a fix edit. */
function nodeAt(root: Record<string, unknown>, path: ReadonlyArray<PropertyKey>): string | null {
  if (path[0] !== 'bugs' || typeof path[1] !== 'number') return null;
  const bug = (root.bugs as unknown[] | undefined)?.[path[1]] as { fix?: unknown[] } | undefined;
  if (path[2] === 'fix' && typeof path[3] === 'number') {
    const edit = bug?.fix?.[path[3]] as { node?: unknown } | undefined;
    if (typeof edit?.node === 'string') return edit.node;
  }
  return null;
}
