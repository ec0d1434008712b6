/**
 * Out of the browser and back (issue 15, DESIGN.md §9), the main thread's side: save the
 * trained weights, load a weights file into the worker's model, export the graph as a
 * PyTorch program. It speaks through the training store's worker (send / onWorkerEvent) and
 * answers each action with a Promise of what came back; the components download it. A
 * refusal (WEIGHTS_FORMAT, WEIGHTS_MISMATCH, EXPORT_UNSUPPORTED naming its node…) goes to
 * the graph store's error (shown in `error-message`). No tfjs work happens here.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import { firstDiagnosticText, type Diagnostic } from '../graph/diagnostics';
import { useGraphStore } from './graph';
import { useTrainingStore } from './training';
import { MAX_WEIGHTS_BYTES } from '../worker/transfer-protocol';
import type { WorkerEvent, WorkerEventOf } from '../worker/protocol';

export interface LoadedWeights {
  name: string;
  /** What the file says about itself: steps, seed, what wrote it. */
  metadata: Record<string, string>;
  tensors: number;
}

export interface Download {
  bytes: Uint8Array;
  name: string;
}

type Pending<T> = { resolve: (v: T) => void } | null;

/** `<name>-step<step>.safetensors` (the graph's name, safe for file systems). */
export function weightsFileName(graphName: string, step: number): string {
  const base = graphName.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '-').trim() || 'graph';
  return `${base}-step${step}.safetensors`;
}

export const useTransferStore = defineStore('transfer', () => {
  const graphStore = useGraphStore();
  const training = useTrainingStore();

  /** The weights file the current model came from (null: trained here, or from the seed). */
  const loaded = shallowRef<LoadedWeights | null>(null);
  const busy = ref<'save' | 'load' | 'export' | null>(null);
  let saving: Pending<Download | null> = null;
  let loading: Pending<boolean> = null;
  let exporting: Pending<Download | null> = null;

  function refuse(code: string, message: string, details: Diagnostic[] = []): void {
    graphStore.setError(code, message, details);
  }

  /** Why the worker cannot take a request now (null: it can). */
  function notReady(): string | null {
    if (!training.canTrain) return training.blockedReason ?? 'The graph does not compile.';
    if (training.fatal) return 'The trainer stopped working: restart it first.';
    if (training.needsReset) return 'The graph’s structure changed since these weights were made: Reset first.';
    if (training.phase !== 'ready' && training.phase !== 'running') return 'The trainer is still starting.';
    return null;
  }

  /** The trained weights as a weights file (null when the worker cannot answer now). */
  function saveWeights(): Promise<Download | null> {
    const why = notReady();
    if (why) {
      refuse('USAGE', `Cannot save the weights: ${why}`);
      return Promise.resolve(null);
    }
    saving?.resolve(null);
    busy.value = 'save';
    const last = training.lastEval;
    const heldOutLoss = last && last.step === training.step ? last.heldOutLoss : null;
    training.send({ type: 'saveWeights', heldOutLoss });
    return new Promise((resolve) => (saving = { resolve }));
  }

  /** Load a weights file into the model; false (and an error shown) when it is refused. */
  function loadWeights(bytes: Uint8Array<ArrayBuffer>, name: string): Promise<boolean> {
    const why = notReady();
    if (why) {
      refuse('USAGE', `Cannot load "${name}": ${why}`);
      return Promise.resolve(false);
    }
    if (bytes.length > MAX_WEIGHTS_BYTES) {
      refuse('TOO_LARGE', `"${name}" is ${(bytes.length / 1048576).toFixed(0)} MB: larger than any graph's weights can be (50 million parameters).`);
      return Promise.resolve(false);
    }
    loading?.resolve(false);
    busy.value = 'load';
    training.send({ type: 'loadWeights', bytes, name });
    return new Promise((resolve) => (loading = { resolve }));
  }

  /** The open graph as a PyTorch program (a zip), with the trained weights when there are any. */
  function exportPytorch(): Promise<Download | null> {
    if (!graphStore.canTrain) {
      refuse('USAGE', `Cannot export: ${graphStore.blockingReason ?? 'the graph does not compile.'}`, graphStore.errors);
      return Promise.resolve(null);
    }
    exporting?.resolve(null);
    busy.value = 'export';
    training.send({ type: 'exportPytorch', graph: JSON.parse(graphStore.serialize()) as unknown });
    return new Promise((resolve) => (exporting = { resolve }));
  }

  function onExported(ev: WorkerEventOf<'exported'>): void {
    const p = exporting;
    exporting = null;
    if (busy.value === 'export') busy.value = null;
    if (ev.ok && ev.zip) {
      p?.resolve({ bytes: ev.zip, name: `${ev.folder ?? 'graph-pytorch'}.zip` });
      return;
    }
    const ds = (ev.diagnostics ?? []) as Diagnostic[];
    const code = ds[0]?.code ?? 'INTERNAL';
    refuse(code, `The graph cannot be exported to PyTorch: ${firstDiagnosticText(ds, 'problem')}`, ds);
    p?.resolve(null);
  }

  function onEvent(ev: WorkerEvent): void {
    switch (ev.type) {
      case 'weightsSaved': {
        const p = saving;
        saving = null;
        if (busy.value === 'save') busy.value = null;
        p?.resolve({ bytes: ev.bytes, name: weightsFileName(graphStore.graph.meta.name, ev.step) });
        return;
      }
      case 'weightsLoaded': {
        const p = loading;
        loading = null;
        if (busy.value === 'load') busy.value = null;
        if (ev.ok) {
          loaded.value = { name: ev.name, metadata: ev.metadata ?? {}, tensors: ev.tensors ?? 0 };
          graphStore.clearError();
          p?.resolve(true);
        } else {
          const d = ev.diagnostic as Diagnostic | undefined;
          refuse(d?.code ?? 'INTERNAL', d ? d.message : `"${ev.name}" could not be loaded.`, d ? [d] : []);
          p?.resolve(false);
        }
        return;
      }
      case 'exported':
        onExported(ev);
        return;
      case 'ready':
        // A new trainer (reset, new graph, backend): its weights are the seed's, unless a load follows.
        loaded.value = null;
        return;
      case 'error':
        // A request that failed before its answer (the worker crashed, or refused it).
        if (ev.fatal || busy.value) {
          saving?.resolve(null);
          loading?.resolve(false);
          exporting?.resolve(null);
          saving = loading = exporting = null;
          busy.value = null;
        }
        return;
      default:
        return;
    }
  }

  training.onWorkerEvent(onEvent);
  watch(
    () => graphStore.documentVersion,
    () => {
      loaded.value = null;
    },
  );

  return { loaded, busy, saveWeights, loadWeights, exportPytorch, onEvent };
});

export type TransferStore = ReturnType<typeof useTransferStore>;
