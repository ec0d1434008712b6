/**
 * The setUi edit command: editor state in the file's `ui` object (bug-hunt mode), undoable
 * like every other edit, refused with a coded diagnostic for what JSON cannot hold.
 */
import { describe, expect, it } from 'vitest';
import { applyCommand, describeCommand, type Command } from '../../src/graph/commands';
import { parseGraph, serializeGraph, type Graph } from '../../src/graph/schema';
import { registry } from '../../nodes';
import { loadGraph, STANDARD_PATH } from '../fixtures/graph-helpers';

const BUGHUNT_PATH = 'presets/bug-hunt.json';

function frozen(g: Graph): Graph {
  const freeze = (v: unknown): void => {
    if (v && typeof v === 'object') {
      Object.freeze(v);
      for (const x of Object.values(v)) freeze(x);
    }
  };
  freeze(g);
  return g;
}

function apply(g: Graph, cmd: Command): { graph: Graph; inverse: Command } {
  const r = applyCommand(g, cmd, registry);
  if (!r.ok) throw new Error(`${cmd.op} failed: ${r.diagnostic.code} ${r.diagnostic.message}`);
  return r;
}

const bytes = (g: Graph) => serializeGraph(g, registry);

describe('setUi', () => {
  it('adds a key to a graph without ui; the inverse removes ui again (same bytes)', () => {
    const g = frozen(loadGraph(STANDARD_PATH));
    expect(g.ui).toBeUndefined();
    const { graph, inverse } = apply(g, { op: 'setUi', key: 'bugHunt', value: true });
    expect(graph.ui).toEqual({ bugHunt: true });
    expect(inverse).toEqual({ op: 'setUi', key: 'bugHunt', value: null });
    const back = apply(graph, inverse).graph;
    expect(back).toEqual(g);
    expect(bytes(back)).toBe(bytes(g));
  });

  it('changes an existing key and keeps the others; undo restores the old value', () => {
    const g = frozen(loadGraph(BUGHUNT_PATH));
    expect(g.ui).toEqual({ bugHunt: true });
    const withView = apply(g, { op: 'setUi', key: 'viewport', value: { x: 1, y: 2, k: 0.5 } }).graph;
    const { graph, inverse } = apply(withView, { op: 'setUi', key: 'bugHunt', value: false });
    expect(graph.ui).toEqual({ bugHunt: false, viewport: { x: 1, y: 2, k: 0.5 } });
    expect(inverse).toEqual({ op: 'setUi', key: 'bugHunt', value: true });
    expect(apply(graph, inverse).graph).toEqual(withView);
  });

  it('saves into the file and parses back', () => {
    const g = apply(frozen(loadGraph(STANDARD_PATH)), { op: 'setUi', key: 'bugHunt', value: true }).graph;
    const text = bytes(g);
    expect(JSON.parse(text).ui).toEqual({ bugHunt: true });
    const parsed = parseGraph(text, registry);
    expect(parsed.ok && parsed.graph.ui).toEqual({ bugHunt: true });
  });

  it('does not share the value it was given (a later mutation of it does not leak in)', () => {
    const value = { list: [1, 2] };
    const g = apply(frozen(loadGraph(STANDARD_PATH)), { op: 'setUi', key: 'v', value }).graph;
    value.list.push(3);
    expect(g.ui).toEqual({ v: { list: [1, 2] } });
  });

  it('refuses keys and values JSON cannot hold with a SCHEMA diagnostic', () => {
    const g = frozen(loadGraph(STANDARD_PATH));
    const bad: Array<[string, unknown]> = [
      ['__proto__', true],
      ['', true],
      ['x', NaN],
      ['x', Infinity],
      ['x', undefined],
      ['x', () => 1],
      ['x', new Date(0)],
      ['x', { constructor: 1 }],
      ['x', 'y'.repeat(1001)],
    ];
    for (const [key, value] of bad) {
      const r = applyCommand(g, { op: 'setUi', key, value } as Command, registry);
      expect(r.ok, `${key} = ${String(value)}`).toBe(false);
      if (!r.ok) expect(r.diagnostic.code).toBe('SCHEMA');
    }
  });

  it('works inside a batch, undone by one inverse', () => {
    const g = frozen(loadGraph(BUGHUNT_PATH));
    const { graph, inverse } = apply(g, {
      op: 'batch',
      commands: [
        { op: 'setUi', key: 'bugHunt', value: false },
        { op: 'setParam', node: 'beta', param: 'beta', value: 1 },
      ],
    });
    expect(graph.ui).toEqual({ bugHunt: false });
    expect(apply(graph, inverse).graph).toEqual(g);
    expect(describeCommand({ op: 'setUi', key: 'bugHunt', value: true })).toBe('Set ui.bugHunt');
  });
});
