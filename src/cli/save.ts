/**
 * `train --out DIR`: the trained weights in the tfjs weights layout (model.json with a
 * weightsManifest, plus group1-shard1of1.bin), written through a tf.io save handler (there is
 * no tfjs-node here), and the graph that wires them (graph.json, as the app saves it).
 *
 * Weights are named "<node id>/<variable>", e.g. "enc/hidden0/kernel" [784, 400]. Load them
 * with tf.io (fromMemory, or a file handler) and tf.io.decodeWeights; graph.json says how
 * they connect. model.json is not a Keras model (its modelTopology points at graph.json), so
 * tf.loadLayersModel does not apply.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { error, type Diagnostic } from '../graph/diagnostics';
import { GRAPH_FORMAT, GRAPH_VERSION, serializeGraph, type Graph } from '../graph/schema';
import type { Trainer } from '../runtime/trainer';
import { registry } from '../../nodes';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'group1-shard1of1.bin';
export const GRAPH_FILE = 'graph.json';
export const WEIGHTS_FORMAT = 'vae-lab/weights';

/** Create DIR (and its parents) up front, so that a bad --out is a USAGE error before training. */
export async function prepareOutDir(dir: string): Promise<Diagnostic | null> {
  try {
    const s = await stat(dir).catch(() => null);
    if (s && !s.isDirectory()) return error('USAGE', `--out ${dir} is a file; it must be a directory (it is created when missing).`);
    await mkdir(dir, { recursive: true });
    return null;
  } catch (e) {
    return error('USAGE', `--out ${dir}: cannot create the directory (${(e as Error).message}).`);
  }
}

export interface SaveInfo {
  steps: number;
  heldOutLoss: number;
}

export async function saveModel(dir: string, trainer: Trainer, graph: Graph, info: SaveInfo): Promise<{ files: string[]; weights: number; bytes: number }> {
  const named = [...trainer.model.vars].map(([name, tensor]) => ({ name, tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const modelTopology = { vaeLab: { graph: GRAPH_FILE, format: GRAPH_FORMAT, version: GRAPH_VERSION } };
  const generatedBy = `VAE Lab (TensorFlow.js ${tf.version.tfjs})`;
  const userDefinedMetadata = {
    naming: '<node id>/<variable>',
    seed: trainer.seed,
    steps: info.steps,
    heldOutLoss: info.heldOutLoss,
    backend: tf.getBackend(),
  };
  const files = [join(dir, MODEL_FILE), join(dir, WEIGHTS_FILE), join(dir, GRAPH_FILE)];
  let bytes = 0;
  const handler = tf.io.withSaveHandler(async (artifacts) => {
    const wd = artifacts.weightData!;
    const buffer = wd instanceof ArrayBuffer ? wd : tf.io.CompositeArrayBuffer.join(wd);
    bytes = buffer.byteLength;
    const manifest: tf.io.WeightsManifestConfig = [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs! }];
    const modelJson = {
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: manifest,
      userDefinedMetadata: artifacts.userDefinedMetadata,
    };
    await writeFile(files[1]!, new Uint8Array(buffer));
    await writeFile(files[0]!, `${JSON.stringify(modelJson, null, 2)}\n`);
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
  await handler.save!({ modelTopology, weightSpecs: specs, weightData: data, format: WEIGHTS_FORMAT, generatedBy, userDefinedMetadata });
  // The graph as trained: the seed the weights came from.
  const trained: Graph = { ...graph, training: { ...(graph.training ?? {}), seed: trainer.seed } };
  await writeFile(files[2]!, serializeGraph(trained, registry));
  return { files, weights: named.length, bytes };
}
