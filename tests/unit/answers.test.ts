/**
 * The bug hunt's answer key (DESIGN.md §4): its schema and parser, and the rules its
 * fixes obey on presets/bug-hunt.json. Pure (parse, edit, compile): no training here;
 * the symptoms are measured in tests/integration/bughunt.test.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import { compile } from '../../src/compiler/compile';
import { applyCommands } from '../../src/graph/commands';
import { canonicalGraph, parseGraph, type Graph } from '../../src/graph/schema';
import {
  applyFix,
  applyFixes,
  checkAnswerKey,
  isBugFound,
  isCorrectAnswer,
  parseAnswerKey,
  parseWire,
  type AnswerKey,
  type Bug,
} from '../../src/graph/answers';

const presetPath = (name: string) => fileURLToPath(new URL(`../../presets/${name}`, import.meta.url));
const answersText = readFileSync(presetPath('bug-hunt.answers.json'), 'utf8');
const graphText = readFileSync(presetPath('bug-hunt.json'), 'utf8');

function load(): { key: AnswerKey; graph: Graph } {
  const k = parseAnswerKey(answersText);
  if (!k.ok) throw new Error(JSON.stringify(k.diagnostics));
  const g = parseGraph(graphText, registry);
  if (!g.ok) throw new Error(JSON.stringify(g.diagnostics));
  return { key: k.key, graph: g.graph };
}

function fixedWith(graph: Graph, bugs: readonly Bug[]): Graph {
  const r = applyFixes(graph, bugs, registry);
  if (!r.ok) throw new Error(r.diagnostic.message);
  return r.graph;
}

const canon = (g: Graph) => JSON.stringify(canonicalGraph(g, registry));
const codes = (g: Graph) => {
  const c = compile(g, registry);
  return { ok: c.ok, warnings: c.warnings.map((w) => `${w.code}@${w.node ?? ''}`), errors: c.ok ? [] : c.diagnostics.map((d) => d.code) };
};

describe('answer key format', () => {
  it('parses the bug hunt answer key with the zod schema', () => {
    const r = parseAnswerKey(answersText);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.key.format).toBe('vae-lab/answers');
    expect(r.key.graph).toBe('bug-hunt.json');
    expect(r.key.bugs.length).toBeGreaterThanOrEqual(5);
    expect(r.key.questions.map((q) => q.id)).toEqual(expect.arrayContaining(['q1', 'q2', 'q3', 'q4', 'q5', 'q6']));
  });

  it('an answer key is refused as a graph, and a graph as an answer key (WRONG_FORMAT)', () => {
    const asGraph = parseGraph(answersText, registry);
    expect(asGraph.ok).toBe(false);
    if (!asGraph.ok) expect(asGraph.diagnostics[0]!.code).toBe('WRONG_FORMAT');
    const asKey = parseAnswerKey(graphText);
    expect(asKey.ok).toBe(false);
    if (!asKey.ok) {
      expect(asKey.diagnostics[0]!.code).toBe('WRONG_FORMAT');
      expect(asKey.diagnostics[0]!.message).toMatch(/graph/);
    }
  });

  const base = () => JSON.parse(answersText) as Record<string, unknown> & { bugs: Array<Record<string, unknown>>; questions: Array<Record<string, unknown>> };
  const firstCode = (v: unknown) => {
    const r = parseAnswerKey(v);
    return r.ok ? 'ok' : r.diagnostics[0]!.code;
  };

  it('refuses bad keys with coded diagnostics, never a throw', () => {
    expect(firstCode('{ "format": ')).toBe('INVALID_JSON');
    expect(firstCode([])).toBe('WRONG_FORMAT');
    expect(firstCode({ ...base(), version: 2 })).toBe('UNSUPPORTED_VERSION');
    expect(firstCode({ ...base(), extra: 1 })).toBe('SCHEMA');
    expect(firstCode(JSON.parse(answersText.replace('"format"', '"__proto__": {}, "format"')))).toBe('FORBIDDEN_KEY');
    const noFix = base();
    noFix.bugs[0]!.fix = [];
    expect(firstCode(noFix)).toBe('SCHEMA');
    const badEdit = base();
    badEdit.bugs[0]!.fix = [{ op: 'explode', node: 'scale' }];
    expect(firstCode(badEdit)).toBe('SCHEMA');
    const badWire = base();
    badWire.bugs[0]!.wires = ['scale.y to exp.x'];
    expect(firstCode(badWire)).toBe('SCHEMA');
    const dupBug = base();
    dupBug.bugs[1]!.id = dupBug.bugs[0]!.id;
    expect(firstCode(dupBug)).toBe('SCHEMA');
    const badChoice = base();
    const q6 = badChoice.questions.find((q) => q.kind === 'choice')!;
    q6.answer = 'something else';
    const r = parseAnswerKey(badChoice);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]!.path).toMatch(/^questions\[\d+\]\.answer$/);
    const numberAsText = base();
    numberAsText.questions.find((q) => q.kind === 'number')!.answer = '16';
    expect(firstCode(numberAsText)).toBe('SCHEMA');
  });

  it('wires are optional (default: none) and parse as two endpoints', () => {
    const k = base();
    delete k.bugs[0]!.wires;
    const r = parseAnswerKey(k);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.key.bugs[0]!.wires).toEqual([]);
    expect(parseWire('scale.y->exp.x')).toEqual({ from: 'scale.y', to: 'exp.x' });
    expect(parseWire('scale.y->exp')).toBeNull();
    expect(parseWire('a.b->c.d->e.f')).toBeNull();
  });

  it('a bug counts as found by any of its nodes or wires; answers are graded by set, number or choice', () => {
    const { key } = load();
    const bug = key.bugs.find((b) => b.id === 'shared-eps')!;
    expect(isBugFound(bug, { nodes: ['eps'] })).toBe(true);
    expect(isBugFound(bug, { wires: ['eps.eps->mul.a'] })).toBe(true);
    expect(isBugFound(bug, { nodes: ['mul', 'add'], wires: ['mul.y->add.b'] })).toBe(false);
    const q = (id: string) => key.questions.find((x) => x.id === id)!;
    expect(isCorrectAnswer(q('q4'), 16)).toBe(true);
    expect(isCorrectAnswer(q('q4'), 20)).toBe(false);
    const q1 = q('q1');
    if (q1.kind !== 'nodes') throw new Error('q1 is a nodes question');
    expect(isCorrectAnswer(q1, [...q1.answer].reverse())).toBe(true);
    expect(isCorrectAnswer(q1, q1.answer.slice(1))).toBe(false);
    expect(isCorrectAnswer(q('q6'), 'N(μ, σ²) = Q(z|x)')).toBe(true);
    expect(isCorrectAnswer(q('q6'), 'N(0, I) = P(z)')).toBe(false);
  });
});

describe('bug hunt preset and its fixes', () => {
  it('the key fits its graph: every node, wire and fix it names exists and applies', () => {
    const { key, graph } = load();
    expect(checkAnswerKey(key, graph, registry)).toEqual([]);
  });

  it('the graph looks like the lecture VAE but is wired from primitives, with d ≠ 20, in bug-hunt mode', () => {
    const { graph } = load();
    expect(graph.ui).toEqual({ bugHunt: true });
    const types = new Set(graph.nodes.map((n) => n.type));
    for (const t of ['layer.dense', 'op.split', 'op.noise', 'op.scale', 'op.exp', 'op.mul', 'op.add', 'loss.kl', 'loss.reconstruction', 'train.optimizer']) {
      expect(types.has(t), t).toBe(true);
    }
    expect(types.has('vae.encoder')).toBe(false);
    expect(types.has('vae.reparameterize')).toBe(false);
    expect(graph.meta.description?.length ?? 0).toBeGreaterThan(100);
  });

  it('the buggy graph compiles (it must be trainable, to be caught) and shows the lint of its lint-visible bugs', () => {
    const { graph } = load();
    const c = codes(graph);
    expect(c.ok).toBe(true);
    expect(c.warnings).toEqual(expect.arrayContaining(['REDUCTION_MISMATCH@kl', 'BETA_NOT_POSITIVE@beta', 'NO_SIGMOID_BERNOULLI@recon']));
  });

  it('applying every fix gives a graph that compiles with no warnings', () => {
    const { key, graph } = load();
    const fixed = fixedWith(graph, key.bugs);
    const c = codes(fixed);
    expect(c).toEqual({ ok: true, warnings: [], errors: [] });
    // The same whatever the order of the fixes.
    expect(canon(fixedWith(graph, [...key.bugs].reverse()))).toBe(canon(fixed));
  });

  it('each fix alone applies and gives a graph that compiles', () => {
    const { key, graph } = load();
    for (const bug of key.bugs) {
      const r = applyFix(graph, bug, registry);
      expect(r.ok, bug.id).toBe(true);
      if (!r.ok) continue;
      expect(codes(r.graph).ok, bug.id).toBe(true);
      expect(canon(r.graph), `${bug.id} changes the graph`).not.toBe(canon(graph));
    }
  });

  it('fixes are independent: all but any one apply and compile, and that one then completes the fix', () => {
    const { key, graph } = load();
    const fixed = canon(fixedWith(graph, key.bugs));
    for (const bug of key.bugs) {
      const others = key.bugs.filter((b) => b !== bug);
      const onlyThis = fixedWith(graph, others);
      expect(codes(onlyThis).ok, bug.id).toBe(true);
      expect(canon(onlyThis), `${bug.id} is still there`).not.toBe(fixed);
      const done = applyFix(onlyThis, bug, registry);
      expect(done.ok && canon(done.graph), bug.id).toBe(fixed);
      // Each fix touches only its own bug's nodes.
      for (const e of bug.fix) {
        if (e.op === 'setParam' || e.op === 'removeNode') expect(bug.nodes, bug.id).toContain(e.node);
      }
    }
  });

  it("a fix's inverse puts the bug back", () => {
    const { key, graph } = load();
    for (const bug of key.bugs) {
      const r = applyFix(graph, bug, registry);
      if (!r.ok) throw new Error(r.diagnostic.message);
      const back = applyCommands(r.graph, [r.inverse], registry);
      expect(back.ok && canon(back.graph), bug.id).toBe(canon(graph));
    }
  });

  it('applyFix reports a fix that does not apply (atomic: the graph is unchanged), e.g. connecting into an occupied input', () => {
    const { graph } = load();
    const rewire: Bug = {
      id: 'rewire',
      nodes: ['fc3'],
      wires: [],
      what: 'w',
      symptom: 's',
      instrument: 'i',
      fix: [{ op: 'connect', from: 'split.a', to: 'fc3.x' }],
    };
    const bad = applyFix(graph, rewire, registry);
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.diagnostic.code).toBe('TOO_MANY_EDGES');
      expect(bad.diagnostic.node).toBe('fc3');
      expect(bad.diagnostic.message).toMatch(/rewire/);
    }
    const good = applyFix(graph, { ...rewire, fix: [{ op: 'disconnect', from: 'add.y', to: 'fc3.x' }, ...rewire.fix] }, registry);
    expect(good.ok).toBe(true);
    if (good.ok) expect(good.graph.edges.filter((e) => e.to === 'fc3.x')).toEqual([{ from: 'split.a', to: 'fc3.x' }]);
    const missing = applyFix(graph, { ...rewire, fix: [{ op: 'setParam', node: 'scale', param: 'factor', value: 0.5 }, { op: 'removeNode', node: 'nope' }] }, registry);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.diagnostic.code).toBe('NODE_NOT_FOUND');
    expect(graph.nodes.find((n) => n.id === 'scale')!.params.factor).toBe(1);
  });

  it('the answers match the graph: bug nodes, d, the layers to μ, the number of samples', () => {
    const { key, graph } = load();
    const q = (id: string) => key.questions.find((x) => x.id === id)!;
    // q1: exactly the nodes of the bugs.
    const q1 = q('q1');
    expect(q1.kind).toBe('nodes');
    expect(new Set(q1.answer as string[])).toEqual(new Set(key.bugs.flatMap((b) => b.nodes)));
    // q4 and q2b from the compiled (fixed) graph's shapes: z is [B, d], one sample (no K axis).
    const c = compile(fixedWith(graph, key.bugs), registry);
    if (!c.ok) throw new Error('fixed graph does not compile');
    const z = c.plan.nodes.get('add')!.outShapes.y!;
    expect(q('q4').answer).toBe(z[z.length - 1]);
    expect(q('q4').answer).not.toBe(20);
    expect(z).toEqual(['B', q('q4').answer]);
    expect(q('q2b').answer).toBe(1);
    // q5: dense layers on the path from the data to the mean (split.a).
    const inputsOf = (id: string) => graph.edges.filter((e) => e.to.startsWith(`${id}.`)).map((e) => e.from.split('.')[0]!);
    let dense = 0;
    for (let id = 'split'; ; ) {
      const [src] = inputsOf(id);
      if (!src) break;
      if (graph.nodes.find((n) => n.id === src)!.type === 'layer.dense') dense++;
      id = src;
    }
    expect(q('q5').answer).toBe(dense);
    // q3: the KL node is among the answer, and so is the layer that feeds its inputs.
    expect(q('q3').answer).toEqual(expect.arrayContaining(['kl', 'split', inputsOf('split')[0]]));
    // q2: the sampling chain, the decoder and the reconstruction loss; no KL.
    expect(q('q2').answer).toEqual(expect.arrayContaining(['eps', 'exp', 'mul', 'add', 'recon']));
    expect(q('q2').answer).not.toContain('kl');
  });
});
