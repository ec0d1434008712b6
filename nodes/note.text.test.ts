/**
 * note.text (DESIGN §2, §9): text up to 20,000 characters, no ports; the file keeps it.
 * (That the compiler, its lints and the export leave it out: tests/unit/notes.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import noteText from './note.text';
import { registry } from './index';
import { LIMITS, parseGraph, serializeGraph, validateGraph } from '../src/graph/schema';
import { paramsOf } from '../tests/fixtures/node-harness';
import { standardDoc, toGraph, type RawGraph } from '../tests/fixtures/graph-helpers';

const TEXT = '# Encoder\n\nq(z|x) = N(μ, σ²I): **two heads**, μ and log σ².\n\n- one\n- two ✓';
const withNote = (text: string, at = 2) => (d: RawGraph) => d.nodes.splice(at, 0, { id: 'note', type: 'note.text', params: { text }, position: { x: 10, y: 20 } });

describe('note.text', () => {
  it('has no ports, one text param (empty by default) shown as a text control with the 20,000 limit', () => {
    expect(noteText.inputs).toEqual([]);
    expect(noteText.outputs).toEqual([]);
    expect(noteText.role).toBe('note');
    expect(paramsOf(noteText)).toEqual({ text: '' });
    expect(noteText.controls).toEqual([expect.objectContaining({ param: 'text', kind: 'text', maxLength: 20000 })]);
    expect(registry.get('note.text')).toBe(noteText);
  });

  it('a file keeps a 20,000-character text; 20,001 is refused with a coded diagnostic naming the node (file: TOO_LARGE, edit: BAD_PARAM)', () => {
    expect(LIMITS.noteText).toBe(20000);
    const ok = parseGraph(JSON.stringify(standardDoc(withNote('x'.repeat(20000)))), registry);
    expect(ok.ok).toBe(true);
    const bad = parseGraph(JSON.stringify(standardDoc(withNote('x'.repeat(20001)))), registry);
    expect(bad.ok ? null : bad.diagnostics[0]).toMatchObject({ code: 'TOO_LARGE', severity: 'error', node: 'note', path: 'nodes[2].params.text' });
    // a graph edited in memory (the inspector's setParam) meets the param's schema
    const graph = toGraph(standardDoc(withNote('')));
    graph.nodes[2]!.params = { text: 'x'.repeat(20001) };
    const v = validateGraph(graph, registry).diagnostics;
    expect(v[0]).toMatchObject({ code: 'BAD_PARAM', severity: 'error', node: 'note', path: 'nodes[2].params.text' });
    expect(v[0]!.message).toMatch(/at most 20,000 characters/);
    // other strings keep the 1,000-character limit
    const label = parseGraph(JSON.stringify(standardDoc((d) => (d.nodes[0]!.label = 'x'.repeat(1001)))), registry);
    expect(label.ok ? null : label.diagnostics[0]!.code).toBe('TOO_LARGE');
  });

  it('every string param of the registry caps its length in its schema (the file walk lets node param strings reach 20,000)', () => {
    type Z = { def: { type: string; innerType?: Z }; maxLength?: number | null };
    const core = (t: Z): Z => (t.def.innerType && ['default', 'optional', 'prefault'].includes(t.def.type) ? core(t.def.innerType) : t);
    const strings: string[] = [];
    for (const def of registry.all()) {
      for (const [name, field] of Object.entries(def.params.shape as Record<string, Z>)) {
        const t = core(field);
        if (t.def.type !== 'string') continue;
        strings.push(`${def.type}.${name}`);
        expect(t.maxLength, `${def.type}.${name}`).toBeTypeOf('number');
        expect(t.maxLength!, `${def.type}.${name}`).toBeLessThanOrEqual(def.role === 'note' ? LIMITS.noteText : LIMITS.string);
      }
    }
    expect(strings).toContain('note.text.text');
  });

  it('open + save gives the same bytes (text, position and its place among the nodes kept)', () => {
    const saved = serializeGraph(toGraph(standardDoc(withNote(TEXT))), registry);
    expect(saved).toContain(JSON.stringify(TEXT));
    const again = parseGraph(saved, registry);
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    expect(serializeGraph(again.graph, registry)).toBe(saved);
    expect(again.graph.nodes[2]).toEqual({ id: 'note', type: 'note.text', params: { text: TEXT }, position: { x: 10, y: 20 } });
  });

});
