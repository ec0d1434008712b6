/**
 * The bug-hunt store over the real graph store, the bug-hunt preset and its answer key:
 * the mode from the file's ui, hidden lint hints, per-question feedback, found bugs, fixes
 * as one undoable step, and the key never offered as a graph.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useGraphStore } from '../../src/stores/graph';
import { PRESETS } from '../../src/stores/presets';
import { answerKeyPresetIds, useBugHuntStore } from '../../src/stores/bughunt';

async function openBugHunt() {
  const graph = useGraphStore();
  graph.useStorage(null);
  const hunt = useBugHuntStore();
  expect(graph.loadPreset('bug-hunt').ok).toBe(true);
  await expect.poll(() => hunt.key !== null).toBe(true);
  return { graph, hunt };
}

describe('bug-hunt store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('finds the key beside its preset, and never lists a key as a preset', () => {
    expect(answerKeyPresetIds()).toContain('bug-hunt');
    expect(PRESETS.map((p) => p.id)).toContain('bug-hunt');
    expect(PRESETS.some((p) => p.id.includes('answers'))).toBe(false);
  });

  it('the standard preset: no mode, no key, every hint shown', async () => {
    const graph = useGraphStore();
    graph.useStorage(null);
    const hunt = useBugHuntStore();
    graph.loadPreset('standard-vae');
    await new Promise((r) => setTimeout(r, 20));
    expect(hunt.active).toBe(false);
    expect(hunt.key).toBeNull();
    expect(hunt.available).toBe(false);
    expect(graph.shownWarnings).toEqual(graph.warnings);
  });

  it('opening the bug hunt turns the mode on and hides the lint hints until asked', async () => {
    const { graph, hunt } = await openBugHunt();
    expect(hunt.active).toBe(true);
    const all = graph.warnings.length;
    expect(all).toBeGreaterThanOrEqual(2);
    expect(graph.shownWarnings).toEqual([]);
    expect(graph.hiddenWarningCount).toBe(all);
    expect(Object.values(graph.diagnosticsByNode).flat().filter((d) => d.severity === 'warning')).toEqual([]);
    const first = hunt.revealNextHint();
    expect(first).not.toBeNull();
    expect(graph.shownWarnings).toEqual([first]);
    expect(graph.diagnosticsByNode[first!.node!]).toContainEqual(first);
    hunt.revealAllHints();
    expect(graph.shownWarnings.length).toBe(all);
  });

  it('leaving the mode is an undoable edit of ui.bugHunt that shows every hint', async () => {
    const { graph, hunt } = await openBugHunt();
    expect(hunt.setMode(false)).toBe(true);
    expect(graph.graph.ui).toEqual({ bugHunt: false });
    expect(hunt.active).toBe(false);
    expect(graph.shownWarnings.length).toBe(graph.warnings.length);
    expect(JSON.parse(graph.serialize()).ui).toEqual({ bugHunt: false });
    graph.undo();
    expect(hunt.active).toBe(true);
    expect(graph.shownWarnings).toEqual([]);
  });

  it('checks answers: right, wrong, partly, unanswered', async () => {
    const { hunt } = await openBugHunt();
    const kinds = Object.fromEntries(hunt.questions.map((q) => [q.id, q.kind]));
    expect(kinds).toMatchObject({ q1: 'nodes', q4: 'number', q5: 'number', q6: 'choice' });
    const q4 = hunt.questions.find((q) => q.id === 'q4')!;
    const q6 = hunt.questions.find((q) => q.id === 'q6')!;
    if (q4.kind !== 'number' || q6.kind !== 'choice') throw new Error('unexpected kinds');
    hunt.setResponse('q4', q4.answer);
    hunt.setResponse('q5', 3);
    hunt.setResponse('q6', q6.choices.find((c) => c !== q6.answer)!);
    hunt.setResponse('q3', ['kl', 'fc1']);
    const fb = hunt.check();
    expect(fb.q4!.verdict).toBe('right');
    expect(fb.q5!.verdict).toBe('wrong');
    expect(fb.q6!.verdict).toBe('wrong');
    expect(fb.q3!.verdict).toBe('partly');
    expect(fb.q3!.message).toMatch(/1 of 3 nodes right; not part of it: fc1; 2 nodes missing/);
    expect(fb.q2!.verdict).toBe('unanswered');
    expect(fb.q1!.verdict).toBe('unanswered');
  });

  it('points at bugs by node or wire: the found count, stray picks, found bugs stay found', async () => {
    const { graph, hunt } = await openBugHunt();
    hunt.startPicking('q1');
    expect(hunt.pickNode('scale')).toBe(true);
    expect(hunt.pickWire('eps.eps', 'mul.a')).toBe(true);
    expect(hunt.pickNode('fc1')).toBe(true);
    expect(hunt.pickWire('nope.x', 'mul.a')).toBe(false);
    expect(hunt.shownPicks.has('scale')).toBe(true);
    let fb = hunt.check();
    expect(fb.q1!.verdict).toBe('partly');
    expect(fb.q1!.message).toMatch(/^2 of 6 bugs found\. This pick holds no bug: fc1\./);
    expect([...hunt.foundBugs].sort()).toEqual(['shared-eps', 'sigma-squared']);
    expect(hunt.shownBugs.map((b) => b.id).sort()).toEqual(['shared-eps', 'sigma-squared']);
    // Unpicking keeps what was found; picking every bug with no stray pick is right.
    hunt.togglePick('q1', 'scale');
    hunt.togglePick('q1', 'fc1');
    for (const b of hunt.bugs) if (!hunt.picksOf('q1').includes(`${b.wires[0]}`)) hunt.togglePick('q1', b.nodes[0]!);
    fb = hunt.check();
    expect(fb.q1!.verdict).toBe('right');
    expect(fb.q1!.message).toMatch(/^6 of 6 bugs found\.$/);
    // A node question does not take wires.
    hunt.startPicking('q2');
    expect(hunt.pickWire('eps.eps', 'mul.a')).toBe(false);
    expect(hunt.pickNode('eps')).toBe(true);
    expect(hunt.picksOf('q2')).toEqual(['eps']);
    // A new document starts a fresh exercise.
    graph.loadPreset('bug-hunt');
    expect(hunt.foundBugs).toEqual([]);
    expect(hunt.picksOf('q1')).toEqual([]);
  });

  it('applies a fix as one undoable step; undo brings the bug back; all fixes leave no bug-hunt lint', async () => {
    const { graph, hunt } = await openBugHunt();
    const bug = hunt.bugs.find((b) => b.id === 'beta-negative')!;
    expect(hunt.isFixed(bug)).toBe(false);
    const depth = graph.undoStack.length;
    expect(hunt.applyFix(bug.id)).toBe(true);
    expect(graph.undoStack.length).toBe(depth + 1);
    expect(graph.nodeById.get('beta')!.params.beta).toBe(1);
    expect(hunt.isFixed(bug)).toBe(true);
    graph.undo();
    expect(graph.nodeById.get('beta')!.params.beta).toBe(-1);
    expect(hunt.isFixed(bug)).toBe(false);
    graph.redo();
    expect(hunt.isFixed(bug)).toBe(true);
    for (const b of hunt.bugs) if (!hunt.isFixed(b)) expect(hunt.applyFix(b.id)).toBe(true);
    expect(hunt.bugs.every((b) => hunt.isFixed(b))).toBe(true);
    graph.analyzeNow();
    expect(graph.errors).toEqual([]);
    const codes = graph.warnings.map((w) => w.code);
    for (const c of ['NO_SIGMOID_BERNOULLI', 'BETA_NOT_POSITIVE', 'REDUCTION_MISMATCH']) expect(codes).not.toContain(c);
  });

  it('a renamed copy loses its key; the original name finds it again', async () => {
    const { graph, hunt } = await openBugHunt();
    graph.setName('My own graph');
    await expect.poll(() => hunt.key).toBeNull();
    graph.undo();
    await expect.poll(() => hunt.key !== null).toBe(true);
  });
});
