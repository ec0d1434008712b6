/**
 * The bug-hunt store (DESIGN.md §4, the lecture's group exercise in the app).
 *
 * - `active`: bug-hunt mode, saved in the document (`graph.ui.bugHunt === true`); `setMode`
 *   changes it through an undoable `setUi` command. Opening the bug-hunt preset turns it on.
 * - In the mode, lint hints (warnings) are hidden on nodes, wires and in the problems list
 *   until the student asks: `revealNextHint()` shows one more, `revealAllHints()` all of them.
 *   Errors always show. (The graph store applies the filter: setLintFilter.)
 * - The answer key of the open graph (presets/<id>.answers.json beside presets/<id>.json,
 *   matched by the graph's meta.name) is loaded lazily and parsed with src/graph/answers.ts.
 * - The student's answers: picks on the canvas (nodes and wires) per question, numbers and
 *   choices; `check()` gives per-question feedback; a bug counts as found when any of its
 *   nodes or wires is picked (found bugs stay found). `applyFix(bug)` applies the bug's fix
 *   as ONE undoable batch; `isFixed(bug)` reads the document, so undo shows the bug again.
 * - `reveal()` shows the answer key.
 *
 * Answers, picks and feedback live here, not in the graph file; a new document resets them.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { fixCommands, isBugFound, isCorrectAnswer, parseAnswerKey, parseWire, type AnswerKey, type Bug, type Question } from '../graph/answers';
import { firstDiagnosticText, type Diagnostic } from '../graph/diagnostics';
import type { Graph } from '../graph/schema';
import { useGraphStore } from './graph';
import { PRESETS } from './presets';

/** Answer keys beside the presets, loaded on demand (never offered as graphs). */
const keyLoaders = import.meta.glob('../../presets/*.answers.json', { import: 'default' }) as Record<string, () => Promise<unknown>>;

/** The preset id (file name without .json) whose answer key exists, by file name. */
export function answerKeyPresetIds(): string[] {
  return Object.keys(keyLoaders).map((p) => p.replace(/^.*\//, '').replace(/\.answers\.json$/, ''));
}

/** The preset whose answer key belongs to this graph: the same meta.name as a preset that has a key. */
export function presetWithKeyFor(graph: Graph): string | null {
  const withKey = new Set(answerKeyPresetIds());
  const p = PRESETS.find((x) => withKey.has(x.id) && x.name === graph.meta.name);
  return p ? p.id : null;
}

export type Verdict = 'right' | 'partly' | 'wrong' | 'unanswered';

export interface Feedback {
  verdict: Verdict;
  message: string;
}

export type Response = string[] | number | string | null;

/** The question whose picks are the bugs (q1: "where are all the bugs?"). */
export const BUG_QUESTION = 'q1';

export function hintKey(d: Diagnostic): string {
  return `${d.code}|${d.node ?? ''}|${d.port ?? ''}`;
}

/** Whether the graph already holds a bug's fix (every edit's result is there). */
export function fixApplied(graph: Graph, bug: Bug): boolean {
  const edges = new Set(graph.edges.map((e) => `${e.from}->${e.to}`));
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  return bug.fix.every((e) => {
    switch (e.op) {
      case 'setParam':
        return JSON.stringify(nodes.get(e.node)?.params[e.param]) === JSON.stringify(e.value);
      case 'connect':
        return edges.has(`${e.from}->${e.to}`);
      case 'disconnect':
        return !edges.has(`${e.from}->${e.to}`);
      case 'addNode':
        return nodes.get(e.node.id)?.type === e.node.type;
      case 'removeNode':
        return !nodes.has(e.node);
    }
  });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Feedback on the bug question: how many bugs the picks point at, and which picks point at none. */
export function bugFeedback(key: AnswerKey, picks: readonly string[]): { feedback: Feedback; found: string[] } {
  const nodes = picks.filter((p) => !p.includes('->'));
  const wires = picks.filter((p) => p.includes('->'));
  const found = key.bugs.filter((b) => isBugFound(b, { nodes, wires })).map((b) => b.id);
  const bugNodes = new Set(key.bugs.flatMap((b) => b.nodes));
  const bugWires = new Set(key.bugs.flatMap((b) => b.wires));
  const stray = picks.filter((p) => (p.includes('->') ? !bugWires.has(p) : !bugNodes.has(p)));
  const total = key.bugs.length;
  if (!picks.length) return { feedback: { verdict: 'unanswered', message: 'Point at the nodes or wires that hold a bug, then check.' }, found };
  let message = `${found.length} of ${plural(total, 'bug')} found.`;
  if (stray.length) message += ` ${stray.length === 1 ? 'This pick holds' : 'These picks hold'} no bug: ${stray.map(prettyPick).join(', ')}.`;
  if (found.length < total) message += ' Keep looking: probe the wires, step the training, read the loss chart.';
  const verdict: Verdict = found.length === total && !stray.length ? 'right' : found.length > 0 ? 'partly' : 'wrong';
  return { feedback: { verdict, message }, found };
}

export function prettyPick(p: string): string {
  const w = parseWire(p);
  return w ? `${w.from} → ${w.to}` : p;
}

/** Feedback on any other question. */
export function questionFeedback(q: Question, response: Response): Feedback {
  if (response === null || response === '' || (Array.isArray(response) && response.length === 0) || (typeof response === 'number' && !Number.isFinite(response))) {
    return { verdict: 'unanswered', message: 'Not answered yet.' };
  }
  if (isCorrectAnswer(q, response as string[] | number | string)) return { verdict: 'right', message: '' };
  switch (q.kind) {
    case 'nodes': {
      const picks = Array.isArray(response) ? response : [];
      const want = new Set(q.answer);
      const hits = picks.filter((p) => want.has(p));
      const extra = picks.filter((p) => !want.has(p));
      const missing = q.answer.length - hits.length;
      if (!hits.length) return { verdict: 'wrong', message: `None of these nodes${extra.length ? ` (${extra.join(', ')})` : ''} is part of it.` };
      const parts = [`${hits.length} of ${plural(q.answer.length, 'node')} right`];
      if (extra.length) parts.push(`not part of it: ${extra.join(', ')}`);
      if (missing) parts.push(`${plural(missing, 'node')} missing`);
      return { verdict: 'partly', message: `${parts.join('; ')}.` };
    }
    case 'number':
      return { verdict: 'wrong', message: `Not ${String(response)}.` };
    case 'choice':
      return { verdict: 'wrong', message: 'Not this one.' };
  }
}

export const useBugHuntStore = defineStore('bughunt', () => {
  const graphStore = useGraphStore();

  // ---------------------------------------------------------------- mode and hints

  const active = computed(() => graphStore.graph.ui?.bugHunt === true);
  const revealedHints = ref<string[]>([]);
  const allHints = ref(false);

  function setMode(on: boolean): boolean {
    if (on === active.value) return true;
    return graphStore.apply({ op: 'setUi', key: 'bugHunt', value: on }, { label: on ? 'Enter bug-hunt mode' : 'Leave bug-hunt mode' }).ok;
  }

  graphStore.setLintFilter((d) => !active.value || allHints.value || revealedHints.value.includes(hintKey(d)));

  /** Show the next hidden lint hint (in the compiler's order); returns it, or null when none is hidden. */
  function revealNextHint(): Diagnostic | null {
    const shown = new Set(revealedHints.value);
    const next = graphStore.warnings.find((d) => !shown.has(hintKey(d)));
    if (!next) return null;
    revealedHints.value = [...revealedHints.value, hintKey(next)];
    return next;
  }

  function revealAllHints(): void {
    allHints.value = true;
  }

  // ---------------------------------------------------------------- the answer key

  const presetId = computed(() => presetWithKeyFor(graphStore.graph));
  const key = shallowRef<AnswerKey | null>(null);
  const keyError = ref<string | null>(null);
  const keyLoading = ref(false);
  let loadToken = 0;

  async function loadKey(id: string | null): Promise<void> {
    const token = ++loadToken;
    key.value = null;
    keyError.value = null;
    if (!id) return;
    const loader = keyLoaders[`../../presets/${id}.answers.json`];
    if (!loader) return;
    keyLoading.value = true;
    try {
      const value = await loader();
      if (token !== loadToken) return;
      const parsed = parseAnswerKey(value);
      if (!parsed.ok) {
        keyError.value = `The answer key ${id}.answers.json is broken: ${firstDiagnosticText(parsed.diagnostics)}`;
      } else if (parsed.key.graph !== `${id}.json`) {
        keyError.value = `The answer key ${id}.answers.json belongs to ${parsed.key.graph}, not ${id}.json.`;
      } else {
        key.value = parsed.key;
      }
    } catch (e) {
      if (token === loadToken) keyError.value = `The answer key ${id}.answers.json could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      if (token === loadToken) keyLoading.value = false;
    }
  }

  const questions = computed<Question[]>(() => key.value?.questions ?? []);
  const bugs = computed<Bug[]>(() => key.value?.bugs ?? []);
  /** Whether the bug-hunt panel has something to show. */
  const available = computed(() => active.value || key.value !== null || keyLoading.value || keyError.value !== null);

  // ---------------------------------------------------------------- the student's answers

  const responses = ref<Record<string, Response>>({});
  /** The question whose answer canvas clicks edit (a "nodes" question), or null. */
  const pickTarget = ref<string | null>(null);
  const feedback = ref<Record<string, Feedback>>({});
  const foundBugs = ref<string[]>([]);
  const checks = ref(0);
  const revealed = ref(false);
  /** Which tab the side column shows (UI only). */
  const sideTab = ref<'inspector' | 'bughunt'>('inspector');

  function picksOf(qid: string): string[] {
    const r = responses.value[qid];
    return Array.isArray(r) ? r : [];
  }

  /** The picks drawn on the canvas: the pick target's, else the bug question's. */
  const shownPicks = computed(() => new Set(picksOf(pickTarget.value ?? BUG_QUESTION)));
  const picking = computed(() => pickTarget.value !== null);

  function setResponse(qid: string, value: Response): void {
    responses.value = { ...responses.value, [qid]: value };
  }

  function togglePick(qid: string, pick: string): void {
    const cur = picksOf(qid);
    setResponse(qid, cur.includes(pick) ? cur.filter((p) => p !== pick) : [...cur, pick]);
  }

  function startPicking(qid: string | null): void {
    pickTarget.value = pickTarget.value === qid ? null : qid;
  }

  /** A node clicked on the canvas. True when it was taken as a pick. */
  function pickNode(id: string): boolean {
    if (!pickTarget.value || !graphStore.nodeById.has(id)) return false;
    togglePick(pickTarget.value, id);
    return true;
  }

  /** A wire clicked on the canvas; only the bug question takes wires. */
  function pickWire(from: string, to: string): boolean {
    if (pickTarget.value !== BUG_QUESTION) return false;
    if (!graphStore.graph.edges.some((e) => e.from === from && e.to === to)) return false;
    togglePick(BUG_QUESTION, `${from}->${to}`);
    return true;
  }

  function check(): Record<string, Feedback> {
    const k = key.value;
    if (!k) return {};
    const out: Record<string, Feedback> = {};
    for (const q of k.questions) {
      if (q.id === BUG_QUESTION) {
        const r = bugFeedback(k, picksOf(q.id));
        out[q.id] = r.feedback;
        foundBugs.value = [...new Set([...foundBugs.value, ...r.found])];
      } else {
        out[q.id] = questionFeedback(q, responses.value[q.id] ?? null);
      }
    }
    feedback.value = out;
    checks.value++;
    return out;
  }

  /** The bugs whose cards show: found ones, or all of them once the answers are revealed. */
  const shownBugs = computed(() => bugs.value.filter((b) => revealed.value || foundBugs.value.includes(b.id)));

  function isFixed(bug: Bug): boolean {
    return fixApplied(graphStore.graph, bug);
  }

  /** Apply a bug's fix edits as ONE undoable step. */
  function applyFix(bugId: string): boolean {
    const bug = bugs.value.find((b) => b.id === bugId);
    if (!bug) return false;
    const label = `Fix bug: ${bug.id}`;
    const r = graphStore.apply({ op: 'batch', label, commands: fixCommands(bug) }, { label });
    if (!r.ok) graphStore.setError(r.diagnostic.code, `${label} failed: ${r.diagnostic.message}`, [r.diagnostic]);
    return r.ok;
  }

  function reveal(): void {
    revealed.value = true;
  }

  function reset(): void {
    revealedHints.value = [];
    allHints.value = false;
    responses.value = {};
    pickTarget.value = null;
    feedback.value = {};
    foundBugs.value = [];
    checks.value = 0;
    revealed.value = false;
  }

  // A new document: a fresh exercise, and the key for that graph.
  watch(
    () => graphStore.documentVersion,
    () => {
      reset();
      sideTab.value = active.value ? 'bughunt' : 'inspector';
      void loadKey(presetId.value);
    },
    { flush: 'sync' },
  );
  // Renaming the graph may make it (or stop it being) the bug hunt's graph.
  watch(presetId, (id) => {
    if (id !== (key.value ? key.value.graph.replace(/\.json$/, '') : null)) void loadKey(id);
  });
  if (active.value) sideTab.value = 'bughunt';
  void loadKey(presetId.value);

  return {
    sideTab,
    active,
    available,
    setMode,
    revealedHints,
    allHints,
    revealNextHint,
    revealAllHints,
    presetId,
    key,
    keyError,
    keyLoading,
    loadKey,
    questions,
    bugs,
    responses,
    pickTarget,
    picking,
    shownPicks,
    feedback,
    foundBugs,
    checks,
    revealed,
    picksOf,
    setResponse,
    togglePick,
    startPicking,
    pickNode,
    pickWire,
    check,
    shownBugs,
    isFixed,
    applyFix,
    reveal,
    reset,
  };
});

export type BugHuntStore = ReturnType<typeof useBugHuntStore>;
