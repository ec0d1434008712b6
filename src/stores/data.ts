/**
 * The data store: the page's side of the file-backed data nodes (DESIGN.md section 7). The
 * worker loads their files itself (src/worker/data-loading.ts); this store asks it to
 * whenever a node's data key (its type and every param but the batch size) changes, keeps
 * each node's latest result (what compile needs, a preview, the warnings, or the coded
 * diagnostics) and its progress, and hands the graph store the state of the nodes whose
 * result is for their current params, so the editor compiles with what loading learned and
 * lists the DATA_* problems on their nodes.
 *
 * A picked or dropped file goes to the worker as it is (never read on the page); when it
 * loads, its name and SHA-256 become one undoable edit of the node; when it does not, the
 * graph stays as it was and the error banner names the problem.
 */
import { defineStore } from 'pinia';
import { computed, shallowRef, watch } from 'vue';
import type { Command } from '../graph/commands';
import type { Diagnostic } from '../graph/diagnostics';
import type { Graph } from '../graph/schema';
import type { DataState } from '../compiler/analysis';
import { dataKey, readsFile } from '../runtime/data/node-files';
import type { WorkerEvent, WorkerEventOf } from '../worker/protocol';
import { useGraphStore } from './graph';
import { useTrainingStore } from './training';

export type DataResult = WorkerEventOf<'data'>;
export type DataProgress = Omit<WorkerEventOf<'dataProgress'>, 'type'>;

/** The data nodes of a graph and their keys. */
function keysOf(graph: Graph): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of graph.nodes) if (readsFile(n.type)) out.set(n.id, dataKey(n));
  return out;
}

export const useDataStore = defineStore('data', () => {
  const graphStore = useGraphStore();
  const training = useTrainingStore();

  /** Each data node's latest result (for the key it names). */
  const results = shallowRef<Record<string, DataResult>>({});
  /** Nodes being read or parsed, with the share done. */
  const progress = shallowRef<Record<string, DataProgress>>({});
  /** Each node's key the worker was last asked to load. */
  let asked = new Map<string, string>();
  /** Picks on their way: node → file name. */
  const picking = shallowRef<Record<string, string>>({});

  const keys = computed(() => keysOf(graphStore.graph));

  /** A node's result when it is for the node's current params. */
  function current(node: string): DataResult | null {
    const r = results.value[node];
    return r && r.key === keys.value.get(node) ? r : null;
  }

  const state = computed<DataState>(() => {
    const info: Record<string, NonNullable<DataResult['info']>> = {};
    const diagnostics: Diagnostic[] = [];
    const loading: string[] = [];
    for (const id of keys.value.keys()) {
      const r = current(id);
      if (!r) {
        loading.push(id);
        continue;
      }
      if (r.ok && r.info) info[id] = r.info;
      diagnostics.push(...(r.diagnostics as Diagnostic[]), ...(r.warnings as Diagnostic[]));
    }
    return { info, diagnostics, loading };
  });

  /** Asks the worker for the data of every node whose key it was not asked for yet. */
  function request(): void {
    const now = keys.value;
    let changed = false;
    for (const [id, key] of now) if (asked.get(id) !== key) changed = true;
    asked = new Map(now);
    if (!changed) return;
    training.send({ type: 'loadData', graph: JSON.parse(JSON.stringify(graphStore.graph)) });
  }

  // Tell the graph store what is known, whenever a result lands or a key changes; a node
  // whose info changed counts as edited (the trainer follows), a new warning does not.
  let lastState = '';
  let lastInfo: Record<string, string> = {};
  watch(
    state,
    (s) => {
      const sig = JSON.stringify([s.info, s.diagnostics, s.loading]);
      if (sig === lastState) return;
      lastState = sig;
      const info: Record<string, string> = {};
      for (const [id, i] of Object.entries(s.info)) info[id] = JSON.stringify(i);
      const changed = [...new Set([...Object.keys(info), ...Object.keys(lastInfo)])].filter((id) => info[id] !== lastInfo[id]);
      lastInfo = info;
      graphStore.setDataState(s, changed);
    },
    { immediate: true },
  );
  watch(keys, request, { immediate: true });

  function onEvent(ev: WorkerEvent): void {
    if (ev.type === 'dataProgress') {
      const next = { ...progress.value };
      if (ev.stage === 'done') delete next[ev.node];
      else next[ev.node] = { node: ev.node, fraction: ev.fraction, stage: ev.stage };
      progress.value = next;
    } else if (ev.type === 'data') {
      results.value = { ...results.value, [ev.node]: ev };
    } else if (ev.type === 'dataPicked') {
      const rest = { ...picking.value };
      delete rest[ev.node];
      picking.value = rest;
      if (ev.ok) record(ev);
      else refuse(ev.file, ev.diagnostics as Diagnostic[]);
    } else if (ev.type === 'error' && ev.fatal) {
      // A new worker knows nothing: ask again when it starts.
      asked = new Map();
      progress.value = {};
      picking.value = {};
    }
  }
  training.onWorkerEvent(onEvent);

  /** A picked file loaded: the node records its name and hash (one undoable edit). */
  function record(ev: WorkerEventOf<'dataPicked'>): void {
    const node = graphStore.nodeById.get(ev.node);
    if (!node) return;
    const commands: Command[] = [{ op: 'setParam', node: ev.node, param: ev.param, value: ev.file }];
    if (ev.param === 'file') commands.push({ op: 'setParam', node: ev.node, param: 'sha256', value: ev.sha256 ?? '' });
    const r = graphStore.apply({ op: 'batch', label: `Data file ${ev.file}`, commands }, { label: `Data file ${ev.file}` });
    if (!r.ok) graphStore.setError(r.diagnostic.code, r.diagnostic.message, [r.diagnostic]);
    else graphStore.clearError();
  }

  function refuse(file: string, diagnostics: Diagnostic[]): void {
    const d = diagnostics[0];
    const where = d ? [d.line !== undefined ? `line ${d.line}` : '', d.column !== undefined ? `column ${d.column}` : '', d.field ? `column "${d.field}"` : ''].filter(Boolean).join(', ') : '';
    // The code shows beside the message; the place is said once (most messages start with it).
    const said = d && /\b(line|record) \d/i.test(d.message);
    const message = d ? `${JSON.stringify(file)} was not taken${where && !said ? ` (${where})` : ''}: ${d.message}` : `${JSON.stringify(file)} was not taken.`;
    graphStore.setError(d?.code ?? 'DATA_PARSE', message, diagnostics);
  }

  /**
   * A file for node `node`'s file param (`file`, or `labelsFile` for an images node), handed
   * to the worker unread (a File crosses as a handle): it refuses one too large before
   * reading it, parses it, and answers dataPicked.
   */
  function pick(node: string, file: File, param = 'file'): boolean {
    const n = graphStore.nodeById.get(node);
    if (!n || !readsFile(n.type)) {
      graphStore.setError('DATA_MISSING', `Node "${node}" does not read a data file: drop data files on a table, images or sequence node.`);
      return false;
    }
    picking.value = { ...picking.value, [node]: file.name };
    training.send({ type: 'dataFile', graph: JSON.parse(JSON.stringify(graphStore.graph)), node, param, name: file.name, file });
    return true;
  }

  return {
    results,
    progress,
    picking,
    state,
    current,
    pick,
    /** Ask the worker again for every node (e.g. after the files changed in another tab). */
    reload: () => {
      asked = new Map();
      request();
    },
  };
});

export type DataStore = ReturnType<typeof useDataStore>;
