/**
 * Per-latent-dimension KL and active units on the held-out set, and the posterior-collapse
 * alarm (lecture: when the KL term wins, q(z|x) = p(z) for every x and the decoder ignores z).
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

/** Below this held-out KL (nats per example, all dimensions) z carries too little about x to matter. */
export const COLLAPSE_KL_NATS = 0.5;

export interface CollapseOptions {
  /** Fires when at most this many units are active (default 0: none). */
  maxActiveUnits?: number;
  /** Fires when the total KL is below this many nats (default COLLAPSE_KL_NATS = 0.5). */
  minKl?: number;
}

/**
 * The posterior-collapse alarm. True when
 *  - no latent unit is active (activeUnits ≤ maxActiveUnits, default 0): μ(x) barely moves
 *    with x in any dimension, so the decoder gets nothing about x through z; or
 *  - the held-out KL, summed over dimensions, is below minKl (default 0.5 nats). The mean
 *    KL bounds the mutual information I(x; z) from above, so under half a nat z cannot
 *    even tell the ten digit classes apart (log 10 = 2.3 nats). This catches the slow
 *    collapse of a large β, where a few μ_j still wander just above the 0.01 variance
 *    threshold while each carries ~0.01 nats.
 */
export function collapseAlarm(stats: Pick<LatentStats, 'activeUnits' | 'klTotal'>, opts: CollapseOptions = {}): boolean {
  return stats.activeUnits <= (opts.maxActiveUnits ?? 0) || stats.klTotal < (opts.minKl ?? COLLAPSE_KL_NATS);
}
