/**
 * Per-latent-dimension KL and active units on the held-out set, which the posterior-collapse
 * alarm reads (./collapse; lecture: when the KL term wins, q(z|x) = p(z) for every x and the decoder ignores z).
 */
import * as tf from '@tensorflow/tfjs';
import type { Diagnostic } from '../../graph/diagnostics';
import type { Trainer } from '../trainer';
import { heldOutChunks } from './heldout';
import { ancestors, findLatent, runNodes, type Outputs } from './subgraph';

/** A latent dimension j is active when Var over held-out x of E_q[z_j|x] = μ_j(x) exceeds this (Burda et al. 2016). */
export const ACTIVE_UNIT_THRESHOLD = 0.01;

export interface LatentStats {
  ok: true;
  /** The KL node whose μ and log σ² were read. */
  kl: string;
  /** Held-out mean of KL(q(z_j|x) ‖ N(0,1)) per dimension, in nats: sums to evaluate().kl. */
  klPerDim: number[];
  /** Σ klPerDim. */
  klTotal: number;
  /** Population variance over the held-out x of μ_j(x), per dimension. */
  muVariance: number[];
  /** Dimensions with muVariance > ACTIVE_UNIT_THRESHOLD. */
  activeUnits: number;
  latentDim: number;
  count: number;
}

export type LatentStatsResult = LatentStats | { ok: false; diagnostic: Diagnostic };

export interface LatentStatsOptions {
  /** Examples per chunk (default 500). */
  chunk?: number;
}

/**
 * Reads μ and log σ² (the KL node's inputs, eval mode) for every held-out example and
 * returns the per-dimension KL and the active units. Accumulates in float64; leaves no tensors.
 * The KL node read is the first that trains (else the first that can run); in the rare graph
 * with several KL nodes, klPerDim sums to that node's KL, not to the eval's total.
 */
export function latentStats(trainer: Trainer, opts: LatentStatsOptions = {}): LatentStatsResult {
  const plan = trainer.plan;
  const found = findLatent(plan, false);
  if (!found.ok) return found;
  const { site } = found;
  const ids = ancestors(plan, [site.mu.node, site.logvar.node]);
  let d = 0;
  let klSum: Float64Array | null = null;
  let muSum: Float64Array | null = null;
  let muSq: Float64Array | null = null;
  let count = 0;
  for (const chunk of heldOutChunks(trainer, opts.chunk ?? 500)) {
    const [mu, lv] = tf.tidy(() => {
      const out: Outputs = new Map();
      runNodes(trainer.model, ids, { mode: 'eval', step: trainer.stepsDone, streamKey: `latent${chunk.index}`, data: chunk.feed, fast: trainer.fast }, out);
      const m = out.get(site.mu.node)![site.mu.port]!;
      const l = out.get(site.logvar.node)![site.logvar.port]!;
      return [m.reshape([-1, m.shape[m.shape.length - 1]!]), l.reshape([-1, l.shape[l.shape.length - 1]!])];
    });
    const rows = mu.shape[0]!;
    d = mu.shape[1]!;
    const mv = mu.dataSync();
    const lvv = lv.dataSync();
    tf.dispose([mu, lv]);
    klSum ??= new Float64Array(d);
    muSum ??= new Float64Array(d);
    muSq ??= new Float64Array(d);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) {
        const m = mv[i * d + j]!;
        const l = lvv[i * d + j]!;
        klSum[j] += -0.5 * (1 + l - m * m - Math.exp(l));
        muSum[j] += m;
        muSq[j] += m * m;
      }
    }
    count += rows;
  }
  const klPerDim: number[] = [];
  const muVariance: number[] = [];
  for (let j = 0; j < d; j++) {
    klPerDim.push(klSum![j]! / count);
    const mean = muSum![j]! / count;
    muVariance.push(Math.max(0, muSq![j]! / count - mean * mean));
  }
  return {
    ok: true,
    kl: site.kl,
    klPerDim,
    klTotal: klPerDim.reduce((a, b) => a + b, 0),
    muVariance,
    activeUnits: muVariance.filter((v) => v > ACTIVE_UNIT_THRESHOLD).length,
    latentDim: d,
    count,
  };
}
