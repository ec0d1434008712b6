/**
 * `train --out DIR`: the trained weights as DIR/weights.safetensors (the weights file of
 * DESIGN.md §9: safetensors, float32, "<node id>/<variable>" in VAE Lab's layouts, e.g.
 * "enc/hidden0/kernel" [784, 400]) beside the graph that wires them (DIR/graph.json, as the
 * app saves it). `eval --weights`, `train --weights` and the exported train.py read it.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { error, type Diagnostic } from '../graph/diagnostics';
import { serializeGraph, type Graph } from '../graph/schema';
import { WEIGHTS_FILE_NAME } from '../export/weights';
import type { Trainer } from '../runtime/trainer';
import { encodeTrainerWeights } from '../runtime/weights';
import { registry } from '../../nodes';

export const GRAPH_FILE = 'graph.json';

/** Create DIR (and its parents) up front, so that a bad --out is a USAGE error before training. */
export async function prepareOutDir(dir: string, flag = '--out'): Promise<Diagnostic | null> {
  try {
    const s = await stat(dir).catch(() => null);
    if (s && !s.isDirectory()) return error('USAGE', `${flag} ${dir} is a file; it must be a directory (it is created when missing).`);
    await mkdir(dir, { recursive: true });
    return null;
  } catch (e) {
    return error('USAGE', `${flag} ${dir}: cannot create the directory (${(e as Error).message}).`);
  }
}

export interface SaveInfo {
  steps: number;
  heldOutLoss: number;
}

export async function saveModel(dir: string, trainer: Trainer, graph: Graph, info: SaveInfo): Promise<{ files: string[]; weights: number; bytes: number }> {
  const bytes = encodeTrainerWeights(trainer, info);
  const files = [join(dir, WEIGHTS_FILE_NAME), join(dir, GRAPH_FILE)];
  await writeFile(files[0]!, bytes);
  // The graph as trained: the seed the weights came from.
  const trained: Graph = { ...graph, training: { ...(graph.training ?? {}), seed: trainer.seed } };
  await writeFile(files[1]!, serializeGraph(trained, registry));
  return { files, weights: trainer.model.vars.size, bytes: bytes.length };
}
