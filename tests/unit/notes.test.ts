/**
 * Notes (note.text, DESIGN §9) are ignored by the compiler, its lints and the PyTorch export:
 * a graph with a note compiles to the plan it has without it, and exports the same program.
 */
import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import { compile, type Plan } from '../../src/compiler/compile';
import { exportPytorch } from '../../src/export/pytorch';
import { serializeGraph } from '../../src/graph/schema';
import { standardDoc, toGraph, type RawGraph } from '../fixtures/graph-helpers';

const TEXT = '# Encoder\n\nq(z|x) = N(μ, σ²I): **two heads**.';
const withNote = (text: string, at = 2) => (d: RawGraph) => d.nodes.splice(at, 0, { id: 'note', type: 'note.text', params: { text }, position: { x: 10, y: 20 } });

function planOf(doc: RawGraph): Plan {
  const c = compile(toGraph(doc), registry);
  if (!c.ok) throw new Error(JSON.stringify(c.diagnostics));
  return c.plan;
}

describe('notes in the compiler and the export', () => {
  it('the compiler ignores it: no diagnostic names it, and the plan is the one without the note', () => {
    const plain = planOf(standardDoc());
    for (const at of [0, 2]) {
      const noted = planOf(standardDoc(withNote(TEXT, at)));
      expect(noted.warnings.filter((w) => w.node === 'note')).toEqual([]);
      expect(noted.warnings).toEqual(plain.warnings);
      expect(noted.order).toEqual(plain.order);
      expect(noted.activeOrder).toEqual(plain.activeOrder);
      expect([...noted.nodes.keys()]).toEqual([...plain.nodes.keys()]);
      expect([noted.parameters, noted.seed, noted.batchSize, noted.heldOut, noted.data, noted.optimizer]).toEqual([
        plain.parameters,
        plain.seed,
        plain.batchSize,
        plain.heldOut,
        plain.data,
        plain.optimizer,
      ]);
      // the plan still carries the file as it is (notes included)
      expect(noted.graph.nodes.some((n) => n.id === 'note')).toBe(true);
    }
    // a graph of notes only fails as an empty graph does (no optimizer), not because of the note
    const c = compile(toGraph({ ...standardDoc(), nodes: [{ id: 'n', type: 'note.text', params: { text: 'hi' } }], edges: [] }), registry);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.diagnostics.every((d) => d.node !== 'n')).toBe(true);
  });

  it('the PyTorch export skips it (no EXPORT_UNSUPPORTED, no block in model.py); graph.json keeps it', () => {
    const doc = standardDoc(withNote(TEXT));
    const graphJson = serializeGraph(toGraph(doc), registry);
    const plain = exportPytorch(planOf(standardDoc()), { graphJson: serializeGraph(toGraph(standardDoc()), registry) });
    const r = exportPytorch(planOf(doc), { graphJson });
    expect(r.ok).toBe(true);
    if (!r.ok || !plain.ok) return;
    const model = r.files.find((f) => f.path === 'model.py')!.content as string;
    expect(model).not.toMatch(/note/);
    expect(model).toBe(plain.files.find((f) => f.path === 'model.py')!.content);
    expect(r.files.find((f) => f.path === 'graph.json')!.content).toBe(graphJson);
  });
});
