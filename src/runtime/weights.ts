/**
 * A model's weights in and out of the weights file (DESIGN.md §9; the format is
 * src/export/safetensors.ts): "<node id>/<variable>" in VAE Lab's own layouts, float32.
 * Loading checks every name and shape first (src/export/weights.ts) and loads nothing when
 * one differs.
 */
import * as tf from '@tensorflow/tfjs';
import type { Diagnostic } from '../graph/diagnostics';
import { encodeSafetensors, type NamedArray } from '../export/safetensors';
import { readWeightsFor } from '../export/weights';
import type { Model } from './model';
import type { Trainer } from './trainer';

/** Every variable of the model, by its "<node id>/<variable>" name. */
export function modelWeights(model: Model): NamedArray[] {
  return [...model.vars].map(([name, v]) => ({ name, shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) }));
}

export function encodeModelWeights(model: Model, metadata: Record<string, string | number>): Uint8Array {
  const meta: Record<string, string> = { format: 'vae-lab/weights' };
  for (const [k, v] of Object.entries(metadata)) meta[k] = String(v);
  return encodeSafetensors(modelWeights(model), meta);
}

/**
 * A trainer's weights file, with the metadata every writer gives it (the CLI's train --out,
 * the app's weights-save): the seed, the steps trained, the held-out −ELBO when known, the
 * backend and what wrote it.
 */
export function encodeTrainerWeights(trainer: Trainer, info: { steps: number; heldOutLoss?: number | null }): Uint8Array {
  const meta: Record<string, string | number> = { seed: trainer.seed, steps: info.steps };
  if (info.heldOutLoss !== undefined && info.heldOutLoss !== null) meta.heldOutLoss = info.heldOutLoss;
  meta.backend = tf.getBackend();
  meta.generatedBy = `VAE Lab (TensorFlow.js ${tf.version.tfjs})`;
  return encodeModelWeights(trainer.model, meta);
}

export type LoadWeightsResult = { ok: true; metadata: Record<string, string> } | { ok: false; diagnostic: Diagnostic };

/** Parse, check and assign: WEIGHTS_FORMAT or WEIGHTS_MISMATCH (nothing assigned), else every variable set. */
export function loadModelWeights(model: Model, bytes: Uint8Array, source?: string): LoadWeightsResult {
  const r = readWeightsFor(model.plan, bytes, source);
  if (!r.ok) return r;
  for (const t of r.file.tensors) {
    const value = tf.tensor(t.data, t.shape, 'float32');
    model.vars.get(t.name)!.assign(value);
    value.dispose();
  }
  return { ok: true, metadata: r.file.metadata };
}

