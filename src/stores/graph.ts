/**
 * The graph store: the one source of truth for the open document (DESIGN.md §1).
 *
 * - `graph`: the document (an immutable value; every edit replaces it).
 * - every edit goes through `apply(cmd)` (src/graph/commands.ts): history keeps the command
 *   and its inverse; `undo()` / `redo()` walk it at any depth.
 * - `dirty`: the document differs from the last save / load.
 * - `analysis`: the compiler's verdict plus shapes per port, recomputed ~50 ms after an edit
 *   (the only compile an edit costs on the main thread; a burst of edits compiles once).
 * - autosave: after every edit the document goes to storage (./persistence.ts);
 *   `restoreAutosave()` brings it back. Presets are listed in ./presets.ts, copy and paste
 *   live in ./clipboard.ts.
 *
 * For the training panel: `canTrain`, `blockingReason`, `structureVersion` (the trainer must
 * be rebuilt), `paramsVersion` (the plan can be hot-updated), both decided with the analysis
 * by the compiler's one rule (`planChange`, compiler/change.ts) that the trainer also uses,
 * `documentVersion` (a new document was loaded), `lastChange`, and `analyzeNow()` to flush
 * the debounced compile (and with it the pending change's verdict).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { applyCommand, describeCommand, type Command, type CommandResult } from '../graph/commands';
import { firstDiagnosticText, type Diagnostic } from '../graph/diagnostics';
import { GRAPH_FORMAT, GRAPH_VERSION, parseGraph, serializeGraph, type Graph } from '../graph/schema';
import { parseEndpoint } from '../graph/ports';
import { registry } from '../../nodes';
import { analyzeGraph, checkConnection, NO_DATA, type Analysis, type ConnectCheck, type DataState } from '../compiler/analysis';
import { planChange } from '../compiler/change';
import type { Plan } from '../compiler/compile';
import { defaultPositions } from '../graph/geometry';
import { initialParams, newNodeId } from '../graph/ids';
import { findPreset } from './presets';
import { browserStorage, readAutosave, writeAutosave, type StorageLike } from './persistence';

export interface HistoryEntry {
  cmd: Command;
  inverse: Command;
  label: string;
  mergeKey?: string;
}

export interface StoreError {
  code: string;
  message: string;
  details: Diagnostic[];
}

export interface ChangeInfo {
  /**
   * 'structure': the trainer must be rebuilt; 'params': the new plan can be hot-updated
   * (compiler/change.ts decides both); 'cosmetic': nothing the compiler reads changed
   * (positions, labels, names, UI flags); 'load': a new document.
   */
  kind: 'structure' | 'params' | 'cosmetic' | 'load';
  /** Node ids the change touched (empty for a load). */
  nodes: string[];
}

export interface ApplyOptions {
  /** Consecutive edits with the same key become one history entry (one undo). */
  mergeKey?: string;
  /** The label shown in the history (defaults to describeCommand). */
  label?: string;
  /** The label of the merged entry when this edit merges into the previous one. */
  mergeLabel?: string;
}

const ANALYSIS_DELAY_MS = 50;

export function emptyGraph(name = 'Untitled VAE'): Graph {
  return { format: GRAPH_FORMAT, version: GRAPH_VERSION, meta: { name }, nodes: [], edges: [], training: { seed: 1 } };
}

/** Edits the compiler never reads: they change no plan. */
const COSMETIC = new Set<Command['op']>(['move', 'rename', 'setMeta', 'setUi']);

function flatten(cmd: Command): Command[] {
  return cmd.op === 'batch' ? cmd.commands.flatMap(flatten) : [cmd];
}

function nodesOf(cmd: Command): string[] {
  const out = new Set<string>();
  for (const c of flatten(cmd)) {
    if (c.op === 'addNode') out.add(c.node.id);
    else if (c.op === 'connect' || c.op === 'disconnect') {
      const a = parseEndpoint(c.from)?.node;
      const b = parseEndpoint(c.to)?.node;
      if (a) out.add(a);
      if (b) out.add(b);
    } else if ('node' in c && typeof c.node === 'string') out.add(c.node);
  }
  return [...out];
}

export const useGraphStore = defineStore('graph', () => {
  const graph = shallowRef<Graph>(emptyGraph());
  const selection = ref<string[]>([]);
  const undoStack = shallowRef<HistoryEntry[]>([]);
  const redoStack = shallowRef<HistoryEntry[]>([]);
  const savedText = ref<string>(serializeGraph(graph.value, registry));
  /** What the worker reported of the file-backed data nodes (the data store sets it: ./data.ts). */
  const dataState = shallowRef<DataState>(NO_DATA);
  const analysis = shallowRef<Analysis>(analyzeGraph(graph.value, registry));
  const analysisPending = ref(false);
  const structureVersion = ref(0);
  const paramsVersion = ref(0);
  const documentVersion = ref(0);
  const lastChange = shallowRef<ChangeInfo>({ kind: 'load', nodes: [] });
  const lastError = shallowRef<StoreError | null>(null);
  /** Set when something asks the canvas to select and centre a node (diagnostics list). */
  const focusRequest = ref<{ node: string; nonce: number } | null>(null);
  /** Set when something asks the canvas to fit the whole graph in view (after a load). */
  const fitRequest = ref(0);
  let storage: StorageLike | null = browserStorage();
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** The nodes of the edits since the last analysis that the compiler reads (null: none). */
  let pendingNodes: Set<string> | null = null;
  /** The last plan that compiled: what the trainer was built from or last hot-updated to. */
  let referencePlan: Plan | null = analysis.value.compiled.ok ? analysis.value.compiled.plan : null;

  // ---------------------------------------------------------------- derived state

  const currentText = computed(() => serializeGraph(graph.value, registry));
  const dirty = computed(() => currentText.value !== savedText.value);
  const canUndo = computed(() => undoStack.value.length > 0);
  const canRedo = computed(() => redoStack.value.length > 0);
  const undoLabel = computed(() => undoStack.value.at(-1)?.label ?? null);
  const redoLabel = computed(() => redoStack.value.at(-1)?.label ?? null);
  // An empty canvas is not an error to list (blockingReason still says why it cannot train).
  const errors = computed(() => (graph.value.nodes.length ? analysis.value.errors : []));
  const warnings = computed(() => analysis.value.warnings);
  const diagnostics = computed(() => [...errors.value, ...warnings.value]);
  /**
   * Which lint warnings the views show (bug-hunt mode hides them until asked; errors always
   * show). null: all of them. The filter may read reactive state: views follow it.
   */
  const lintFilter = shallowRef<((d: Diagnostic) => boolean) | null>(null);
  const shownWarnings = computed(() => {
    const f = lintFilter.value;
    return f ? analysis.value.warnings.filter((d) => f(d)) : analysis.value.warnings;
  });
  const hiddenWarningCount = computed(() => analysis.value.warnings.length - shownWarnings.value.length);
  /** What a node shows: its errors and its shown warnings. */
  const diagnosticsByNode = computed(() => {
    const m: Record<string, Diagnostic[]> = {};
    for (const d of [...analysis.value.errors, ...shownWarnings.value]) if (d.node) (m[d.node] ??= []).push(d);
    return m;
  });
  const canTrain = computed(() => analysis.value.compiled.ok && analysis.value.errors.length === 0 && graph.value.nodes.length > 0);
  const blockingReason = computed<string | null>(() => {
    if (canTrain.value) return null;
    if (graph.value.nodes.length === 0) return 'The graph is empty: add a data source, an encoder, a decoder, the losses and an optimizer.';
    const errs = analysis.value.errors;
    if (errs.length === 0 && dataState.value.loading.length) return `Loading the data of ${dataState.value.loading.map((id) => `"${id}"`).join(', ')}…`;
    if (errs.length === 0) return 'The graph does not compile.';
    return firstDiagnosticText(errs, 'error');
  });
  const plan = computed(() => (analysis.value.compiled.ok ? analysis.value.compiled.plan : null));
  const nodeById = computed(() => new Map(graph.value.nodes.map((n) => [n.id, n])));

  // ---------------------------------------------------------------- analysis

  /**
   * Compile now (once per graph value: analyzeGraph is memoised) and give the edits since the
   * last analysis their verdict: the compiler's one rule against the last plan that compiled.
   */
  function analyzeNow(): Analysis {
    if (timer) clearTimeout(timer);
    timer = null;
    analysisPending.value = false;
    const a = analyzeGraph(graph.value, registry, dataState.value);
    const next = a.compiled.ok ? a.compiled.plan : null;
    if (pendingNodes) {
      const kind = planChange(referencePlan, next) === 'hot' ? 'params' : 'structure';
      if (kind === 'structure') structureVersion.value++;
      else paramsVersion.value++;
      lastChange.value = { kind, nodes: [...pendingNodes] };
      pendingNodes = null;
    }
    if (next) referencePlan = next;
    if (a !== analysis.value) analysis.value = a;
    return a;
  }

  function scheduleAnalysis(): void {
    analysisPending.value = true;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      analyzeNow();
    }, ANALYSIS_DELAY_MS);
  }

  // ---------------------------------------------------------------- autosave

  function autosave(): void {
    writeAutosave(storage, currentText.value, savedText.value);
  }

  /** Use another storage (tests) or none (null). */
  function useStorage(s: StorageLike | null): void {
    storage = s;
  }

  /** Bring back the autosaved document; false when there is none or it does not parse. */
  function restoreAutosave(): boolean {
    const rec = readAutosave(storage);
    if (!rec) return false;
    setDocument(rec.graph);
    if (rec.saved !== null) savedText.value = rec.saved;
    return true;
  }

  // ---------------------------------------------------------------- document

  function withPositions(g: Graph): Graph {
    if (g.nodes.every((n) => n.position)) return g;
    const pos = defaultPositions(g, registry);
    return { ...g, nodes: g.nodes.map((n) => (n.position ? n : { ...n, position: pos.get(n.id)! })) };
  }

  function setDocument(g: Graph): void {
    graph.value = withPositions(g);
    selection.value = [];
    undoStack.value = [];
    redoStack.value = [];
    savedText.value = currentText.value;
    pendingNodes = null;
    referencePlan = null;
    documentVersion.value++;
    structureVersion.value++;
    lastChange.value = { kind: 'load', nodes: [] };
    analyzeNow();
    fitRequest.value++;
  }

  /**
   * Replace the document (a parsed graph); clears history; the result counts as saved, unless
   * `unsaved` (a shared link: nothing of it is saved anywhere yet).
   */
  function loadGraph(g: Graph, opts: { unsaved?: boolean } = {}): void {
    setDocument(g);
    if (opts.unsaved) savedText.value = '';
    lastError.value = null;
    autosave();
  }

  /**
   * Parse a document (a file's text, or a JSON value) as a file is parsed (every limit of
   * DESIGN §2); on failure lastError says why and nothing changes.
   */
  function parseDocument(input: unknown, source: string): { ok: true; graph: Graph } | { ok: false; error: StoreError } {
    const parsed = parseGraph(input, registry);
    if (parsed.ok) return { ok: true, graph: parsed.graph };
    const err: StoreError = {
      code: parsed.diagnostics[0]!.code,
      message: `${source} could not be opened: ${firstDiagnosticText(parsed.diagnostics, 'problem')}`,
      details: parsed.diagnostics,
    };
    lastError.value = err;
    return { ok: false, error: err };
  }

  /**
   * Parse a document (a file's text, or a JSON value) and open it; on failure the current
   * graph stays and lastError says why. Asking over unsaved changes is the component
   * layer's (components/fileActions.ts: parseDocument, ask, then loadGraph).
   */
  function openDocument(input: unknown, source: string): { ok: true } | { ok: false; error: StoreError } {
    const parsed = parseDocument(input, source);
    if (!parsed.ok) return parsed;
    loadGraph(parsed.graph);
    return { ok: true };
  }

  /** Open a file's text (see openDocument). */
  function openText(text: string, source = 'The file'): { ok: true } | { ok: false; error: StoreError } {
    return openDocument(text, source);
  }

  /** Open one of the presets (./presets.ts) by id. */
  function loadPreset(id: string): { ok: true } | { ok: false; error: StoreError | null } {
    const p = findPreset(id);
    if (!p) {
      const err: StoreError = { code: 'FILE_NOT_FOUND', message: `There is no preset "${id}".`, details: [] };
      lastError.value = err;
      return { ok: false, error: err };
    }
    return openDocument(p.value, `The preset "${p.name}"`);
  }

  function newGraph(name?: string): void {
    loadGraph(emptyGraph(name));
  }

  /** The document as VAE Lab saves it (pretty-printed, stable). */
  function serialize(): string {
    return currentText.value;
  }

  /** A file name for the document: `<meta.name>.json`, without characters file systems refuse. */
  function fileName(): string {
    const base = graph.value.meta.name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '-').trim() || 'graph';
    return `${base}.json`;
  }

  function markSaved(): void {
    savedText.value = currentText.value;
    autosave();
  }

  // ---------------------------------------------------------------- edits

  /**
   * Take an edit. Nothing compiles here: an edit the compiler reads waits for the debounced
   * analysis, which decides 'structure' or 'params' for all such edits since the last one.
   */
  function commit(next: Graph, cmd: Command): void {
    graph.value = next;
    const nodes = nodesOf(cmd);
    if (flatten(cmd).every((c) => COSMETIC.has(c.op))) lastChange.value = { kind: 'cosmetic', nodes };
    else {
      pendingNodes ??= new Set();
      for (const id of nodes) pendingNodes.add(id);
    }
    const ids = new Set(next.nodes.map((n) => n.id));
    if (selection.value.some((id) => !ids.has(id))) selection.value = selection.value.filter((id) => ids.has(id));
    scheduleAnalysis();
    autosave();
  }

  /** Apply one edit (a command, possibly a batch) as one undoable step. */
  function apply(cmd: Command, opts: ApplyOptions = {}): CommandResult {
    const r = applyCommand(graph.value, cmd, registry);
    if (!r.ok) return r;
    const top = undoStack.value.at(-1);
    if (opts.mergeKey && top && top.mergeKey === opts.mergeKey) {
      const label = opts.mergeLabel ?? top.label;
      const merged: HistoryEntry = {
        cmd: { op: 'batch', label, commands: [top.cmd, cmd] },
        inverse: { op: 'batch', label, commands: [r.inverse, top.inverse] },
        label,
        mergeKey: opts.mergeKey,
      };
      undoStack.value = [...undoStack.value.slice(0, -1), merged];
    } else {
      const entry: HistoryEntry = { cmd, inverse: r.inverse, label: opts.label ?? describeCommand(cmd) };
      if (opts.mergeKey) entry.mergeKey = opts.mergeKey;
      undoStack.value = [...undoStack.value, entry];
    }
    redoStack.value = [];
    commit(r.graph, cmd);
    return r;
  }

  function undo(): boolean {
    const entry = undoStack.value.at(-1);
    if (!entry) return false;
    const r = applyCommand(graph.value, entry.inverse, registry);
    if (!r.ok) {
      lastError.value = { code: r.diagnostic.code, message: `Undo failed: ${r.diagnostic.message}`, details: [r.diagnostic] };
      undoStack.value = [];
      return false;
    }
    undoStack.value = undoStack.value.slice(0, -1);
    redoStack.value = [...redoStack.value, { cmd: entry.cmd, inverse: entry.inverse, label: entry.label }];
    commit(r.graph, entry.inverse);
    return true;
  }

  function redo(): boolean {
    const entry = redoStack.value.at(-1);
    if (!entry) return false;
    const r = applyCommand(graph.value, entry.cmd, registry);
    if (!r.ok) {
      lastError.value = { code: r.diagnostic.code, message: `Redo failed: ${r.diagnostic.message}`, details: [r.diagnostic] };
      redoStack.value = [];
      return false;
    }
    redoStack.value = redoStack.value.slice(0, -1);
    undoStack.value = [...undoStack.value, { cmd: entry.cmd, inverse: r.inverse, label: entry.label }];
    commit(r.graph, entry.cmd);
    return true;
  }

  /** Would this wire be refused? (A hard error: a second wire into an input, a cycle, a shape mismatch.) */
  function checkConnect(from: string, to: string): ConnectCheck {
    return checkConnection(graph.value, from, to, registry);
  }

  /** Add a node of `type` at `position` (top-left); returns its id, or null. */
  function addNode(type: string, position?: { x: number; y: number }, params?: Record<string, unknown>): string | null {
    const id = newNodeId(graph.value, type, registry);
    const node: { id: string; type: string; position?: { x: number; y: number }; params?: Record<string, unknown> } = { id, type };
    if (position) node.position = { x: Math.round(position.x), y: Math.round(position.y) };
    const info = registry.get(type);
    const start = info ? initialParams(info) : {};
    if (params || Object.keys(start).length) node.params = { ...start, ...(params ?? {}) };
    const r = apply({ op: 'addNode', node }, { label: `Add ${id}` });
    if (!r.ok) {
      lastError.value = { code: r.diagnostic.code, message: r.diagnostic.message, details: [r.diagnostic] };
      return null;
    }
    selection.value = [id];
    return id;
  }

  function removeNodes(ids: readonly string[]): boolean {
    const present = ids.filter((id) => nodeById.value.has(id));
    if (!present.length) return false;
    const cmd: Command =
      present.length === 1 ? { op: 'removeNode', node: present[0]! } : { op: 'batch', label: `Remove ${present.length} nodes`, commands: present.map((node) => ({ op: 'removeNode', node })) };
    const r = apply(cmd, { label: present.length === 1 ? `Remove ${present[0]}` : `Remove ${present.length} nodes` });
    return r.ok;
  }

  function rename(id: string, label: string | null): boolean {
    const node = nodeById.value.get(id);
    if (!node) return false;
    const next = label && label.trim() ? label.trim() : null;
    if ((node.label ?? null) === next) return true;
    return apply({ op: 'rename', node: id, label: next }).ok;
  }

  function setName(name: string): boolean {
    const n = name.trim();
    if (!n || n === graph.value.meta.name) return false;
    return apply({ op: 'setMeta', name: n }, { label: 'Rename graph' }).ok;
  }

  /** Move nodes (one undoable step): positions for each moved node. */
  function moveNodes(moves: ReadonlyArray<{ node: string; position: { x: number; y: number } }>, label?: string): boolean {
    const real = moves.filter((m) => {
      const n = nodeById.value.get(m.node);
      return n && (!n.position || Math.round(n.position.x) !== Math.round(m.position.x) || Math.round(n.position.y) !== Math.round(m.position.y));
    });
    if (!real.length) return false;
    const commands: Command[] = real.map((m) => ({ op: 'move', node: m.node, position: { x: Math.round(m.position.x), y: Math.round(m.position.y) } }));
    const cmd: Command = commands.length === 1 ? commands[0]! : { op: 'batch', label: label ?? `Move ${commands.length} nodes`, commands };
    return apply(cmd, { label: label ?? (commands.length === 1 ? `Move ${real[0]!.node}` : `Move ${commands.length} nodes`) }).ok;
  }

  // ---------------------------------------------------------------- selection, focus, errors

  function select(ids: readonly string[]): void {
    const known = ids.filter((id) => nodeById.value.has(id));
    if (known.length === selection.value.length && known.every((id, i) => selection.value[i] === id)) return;
    selection.value = [...known];
  }

  function toggleSelect(id: string): void {
    if (!nodeById.value.has(id)) return;
    selection.value = selection.value.includes(id) ? selection.value.filter((x) => x !== id) : [...selection.value, id];
  }

  function focusNode(id: string): void {
    if (!nodeById.value.has(id)) return;
    selection.value = [id];
    focusRequest.value = { node: id, nonce: (focusRequest.value?.nonce ?? 0) + 1 };
  }

  function setError(code: string, message: string, details: Diagnostic[] = []): void {
    lastError.value = { code, message, details };
  }

  function clearError(): void {
    lastError.value = null;
  }

  /**
   * What is now known of the data nodes' files (loaded, failed, loading): the graph is
   * analysed again, and a change for `nodes` counts as an edit of them (the trainer follows).
   */
  function setDataState(next: DataState, nodes: readonly string[]): void {
    if (next === dataState.value) return;
    dataState.value = next;
    if (nodes.length) {
      pendingNodes ??= new Set();
      for (const id of nodes) pendingNodes.add(id);
    }
    scheduleAnalysis();
  }

  /** Show only the lint warnings `filter` accepts (null: all). */
  function setLintFilter(filter: ((d: Diagnostic) => boolean) | null): void {
    lintFilter.value = filter;
  }

  return {
    // state
    graph,
    selection,
    undoStack,
    redoStack,
    analysis,
    analysisPending,
    structureVersion,
    paramsVersion,
    documentVersion,
    lastChange,
    lastError,
    focusRequest,
    fitRequest,
    dataState,
    // derived
    dirty,
    canUndo,
    canRedo,
    undoLabel,
    redoLabel,
    errors,
    warnings,
    diagnostics,
    shownWarnings,
    hiddenWarningCount,
    diagnosticsByNode,
    canTrain,
    blockingReason,
    plan,
    nodeById,
    // actions
    analyzeNow,
    apply,
    undo,
    redo,
    checkConnect,
    addNode,
    removeNodes,
    rename,
    setName,
    moveNodes,
    select,
    toggleSelect,
    focusNode,
    setError,
    clearError,
    setLintFilter,
    setDataState,
    loadGraph,
    parseDocument,
    openText,
    loadPreset,
    newGraph,
    serialize,
    fileName,
    markSaved,
    useStorage,
    restoreAutosave,
    registry: () => registry,
  };
});

export type GraphStore = ReturnType<typeof useGraphStore>;
