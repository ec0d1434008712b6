/**
 * Weights in and out, and the PyTorch export, in the training worker (issue 15, DESIGN.md
 * §9): handlers for the requests of transfer-protocol.ts over the session's trainer.
 *
 * - saveWeights: the trainer's variables as the weights file (the bytes `train --out` writes).
 * - loadWeights: parse and check the file against the graph first (WEIGHTS_FORMAT,
 *   WEIGHTS_MISMATCH: then nothing changes); when it fits, a fresh trainer (step 0, a new
 *   optimizer state) gets the file's weights, is evaluated, and draws its grids, so the
 *   instruments (latent views, KL per dimension, IWAE) show that model. Loading runs no code:
 *   the file is parsed as numbers (src/export/safetensors.ts).
 * - exportPytorch: the graph compiled and written by src/export as a zip (fflate) whose
 *   files sit in one folder; the trained (or loaded) weights go with it when they fit.
 *
 * Each answers with its own event, ok or not, so that the panel that asked can report it.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';
import { error } from '../graph/diagnostics';
import { serializeGraph, type Graph } from '../graph/schema';
import { exportPytorch } from '../export/pytorch';
import { readWeightsFor } from '../export/weights';
import type { Trainer } from '../runtime/trainer';
import type { MnistRaw } from '../runtime/data/mnist';
import { encodeTrainerWeights, loadModelWeights } from '../runtime/weights';
import { exportDataOf } from '../runtime/data/examples';
import type { DataSource } from '../../nodes/types';
import { registry } from '../../nodes';
import type { Plan } from '../compiler/compile';
import { WorkerError } from './errors';
import type { ParsedRequest, WorkerEvent } from './protocol';

type TransferRequest = Extract<ParsedRequest, { type: 'saveWeights' | 'loadWeights' | 'exportPytorch' }>;

export interface TransferHost {
  /** The trainer, ready and matching the open graph; throws (a WorkerError) when it is not. */
  trainer(): Trainer;
  /** The trainer when there is one that matches the graph, else null (no throw). */
  currentTrainer(): Trainer | null;
  mnist(): MnistRaw;
  /** Parse and compile a graph document with its data files loaded (COMPILE failures throw a WorkerError). */
  compile(doc: unknown): Promise<{ graph: Graph; plan: Plan }>;
  /** A file-backed data node's loaded examples (null: not loaded). */
  dataSource(node: string): DataSource | null;
  /** Stop any run and build a fresh trainer for the session's graph (posts its grids and 'ready'). */
  rebuild(): Promise<Trainer>;
  /** Post the held-out evaluation, the grids and the numbers on the wires of the current trainer. */
  refresh(trainer: Trainer): void;
  post(ev: WorkerEvent, transfer?: ArrayBuffer[]): void;
}

/** A folder name for the zip: the graph's name, with what file systems refuse replaced. */
export function exportFolderName(graph: Graph): string {
  const base = graph.meta.name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '-').replace(/\s+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 80);
  return `${base || 'graph'}-pytorch`;
}

export class TransferHandlers {
  /** The trainer's weights came from a file or from training (steps > 0): they go with an export. */
  private loadedInto: Trainer | null = null;

  constructor(private readonly host: TransferHost) {}

  async handle(req: TransferRequest): Promise<void> {
    switch (req.type) {
      case 'saveWeights':
        return this.save(req.heldOutLoss ?? null);
      case 'loadWeights':
        return this.load(req.bytes, req.name);
      case 'exportPytorch':
        return this.export(req.graph);
    }
  }

  private save(heldOutLoss: number | null): void {
    const t = this.host.trainer();
    const bytes = encodeTrainerWeights(t, { steps: t.stepsDone, heldOutLoss });
    this.host.post({ type: 'weightsSaved', bytes: bytes as Uint8Array<ArrayBuffer>, step: t.stepsDone, tensors: t.model.vars.size });
  }

  private async load(bytes: Uint8Array, name: string): Promise<void> {
    let current: Trainer;
    try {
      current = this.host.trainer();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.host.post({ type: 'weightsLoaded', ok: false, name, diagnostic: error('USAGE', `Cannot load "${name}" now: ${message}`) });
      return;
    }
    const source = `"${name}"`;
    const checked = readWeightsFor(current.plan, bytes, source);
    if (!checked.ok) {
      this.host.post({ type: 'weightsLoaded', ok: false, name, diagnostic: checked.diagnostic });
      return;
    }
    const fresh = await this.host.rebuild();
    const r = loadModelWeights(fresh.model, bytes, source);
    if (!r.ok) {
      // The plan was checked above; a rebuilt trainer of the same graph has the same variables.
      throw new WorkerError('INTERNAL', `The weights were checked but could not be assigned: ${r.diagnostic.message}`);
    }
    this.loadedInto = fresh;
    this.host.post({ type: 'weightsLoaded', ok: true, name, metadata: r.metadata, tensors: checked.file.tensors.length });
    this.host.refresh(fresh);
  }

  private async export(doc: unknown): Promise<void> {
    let compiled: { graph: Graph; plan: Plan };
    try {
      compiled = await this.host.compile(doc);
    } catch (err) {
      const diagnostics = err instanceof WorkerError && err.diagnostics ? err.diagnostics : [error('INTERNAL', err instanceof Error ? err.message : String(err))];
      this.host.post({ type: 'exported', ok: false, diagnostics });
      return;
    }
    const { graph, plan } = compiled;
    const t = this.host.currentTrainer();
    let weights: Uint8Array | undefined;
    if (t && (t.stepsDone > 0 || this.loadedInto === t)) {
      const bytes = encodeTrainerWeights(t, { steps: t.stepsDone });
      // The weights go along only when they fit the graph exported (an edit may have changed it).
      if (readWeightsFor(plan, bytes).ok) weights = bytes;
    }
    // The examples as the model sees them: a file-backed data node's as loaded (decoded,
    // standardised, VAE Lab's split), else the MNIST digits.
    const fileBacked = plan.nodes.get(plan.data)!.type !== 'data.mnist';
    const source = fileBacked ? this.host.dataSource(plan.data) : null;
    const data = fileBacked ? (source ? { data: exportDataOf(source, plan.heldOut) } : {}) : { mnist: this.host.mnist() };
    const r = exportPytorch(plan, { graphJson: serializeGraph(graph, registry), ...data, weights });
    if (!r.ok) {
      this.host.post({ type: 'exported', ok: false, diagnostics: r.diagnostics });
      return;
    }
    const folder = exportFolderName(graph);
    const files: Zippable = {};
    for (const f of r.files) files[`${folder}/${f.path}`] = typeof f.content === 'string' ? strToU8(f.content) : f.content;
    const zip = zipSync(files, { level: 6 });
    this.host.post({ type: 'exported', ok: true, zip: zip as Uint8Array<ArrayBuffer>, files: r.files.map((f) => f.path), withWeights: !!weights, folder });
  }
}
