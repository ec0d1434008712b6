/**
 * Held-out log-likelihood by importance sampling (IWAE, Burda et al. 2016):
 *
 *   log p(x) ≈ log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x) = N(μ, diag σ²)
 *
 * q is what the KL node sees (its μ and log σ² inputs), the prior is N(0, I), and
 * −log p(x|z_k) is the graph's own reconstruction loss in eval mode (summed over features):
 * the decoder path is re-run with z_k put in place of the graph's z. The estimate is a lower
 * bound on log p(x) that tightens as K grows; K = 1 is the one-sample ELBO.
 *
 * Convention: the same as the reported ELBO (Trainer.evaluate). For a Bernoulli likelihood
 * that is the exact −log p(x|z). For a Gaussian one the ELBO drops the normalising constant
 * (½‖x − μ‖², no (n/2)·log 2π), and so does this estimate: both are shifted by the same
 * (n/2)·log 2π (720.4 nats for 784 pixels), so `nll ≤ heldOutLoss` still compares like with like;
 * add that constant to get a true density. log 2π also cancels between log p(z) and log q(z|x).
 */
import * as tf from '@tensorflow/tfjs';
import type { Diagnostic } from '../../graph/diagnostics';
import type { Trainer } from '../trainer';
import { hashKey } from '../random';
import { heldOutChunks } from './heldout';
import { ancestors, descendants, findLatent, runNodes, type Outputs } from './subgraph';

export interface IwaeOptions {
  /** Importance samples per example (default 50). */
  k?: number;
  /** Held-out examples per chunk (default 250): memory is O(chunk · (decoder width + K)). */
  chunk?: number;
  /** Extra key for the draws (default 0): the same key gives the same estimate. */
  key?: string | number;
  /** Called after each chunk with the held-out examples done so far and their total (progress in a worker). */
  onChunk?: (done: number, total: number) => void;
}

export interface IwaeResult {
  ok: true;
  k: number;
  /** −log p(x) per held-out example (mean), importance-weighted with K samples. */
  nll: number;
  /** The −ELBO from the same draws: mean over examples and samples of −log w_k. Always ≥ nll. */
  elbo: number;
  count: number;
}

export type IwaeNllResult = IwaeResult | { ok: false; diagnostic: Diagnostic };

export function iwaeNll(trainer: Trainer, opts: IwaeOptions = {}): IwaeNllResult {
  const k = Math.max(1, Math.floor(opts.k ?? 50));
  const plan = trainer.plan;
  const found = findLatent(plan, true);
  if (!found.ok) return found;
  const { site } = found;
  const z = site.z!;
  const down = descendants(plan, z);
  const downSet = new Set(down);
  const recon = site.recon;
  const needed = ancestors(plan, [...recon, site.mu.node, site.logvar.node, z.node]);
  const base = needed.filter((id) => !downSet.has(id));
  const rerun = needed.filter((id) => downSet.has(id));
  const model = trainer.model;
  const step = trainer.stepsDone;
  const key = opts.key ?? 0;
  let nllSum = 0;
  let elboSum = 0;
  let count = 0;
  for (const chunk of heldOutChunks(trainer, opts.chunk ?? 250)) {
    const sums = tf.tidy(() => {
      const run = { mode: 'eval' as const, step, data: chunk.feed, fast: trainer.fast };
      const baseOut: Outputs = new Map();
      runNodes(model, base, { ...run, streamKey: `iwae${key}/${chunk.index}` }, baseOut);
      const mu = baseOut.get(site.mu.node)![site.mu.port]!;
      const logvar = baseOut.get(site.logvar.node)![site.logvar.port]!;
      const std = tf.exp(tf.mul(logvar, 0.5));
      const logw: tf.Tensor[] = [];
      for (let s = 0; s < k; s++) {
        const lw = tf.tidy(() => {
          const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', hashKey(model.seed, 'iwae', key, step, chunk.index, s));
          const zk = tf.add(mu, tf.mul(std, eps));
          const out: Outputs = new Map(baseOut);
          out.set(z.node, { ...baseOut.get(z.node)!, [z.port]: zk });
          runNodes(model, rerun, { ...run, streamKey: `iwae${key}/${chunk.index}/${s}` }, out);
          const parts = recon.map((id) => out.get(id)!.nll!);
          const nllX = parts.length === 1 ? parts[0]! : tf.addN(parts);
          // log p(z) − log q(z|x) = −½ Σ_j (z² − ε² − log σ²); log 2π cancels.
          const logRatio = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.square(zk), tf.square(eps)), logvar), -1));
          return tf.sub(logRatio, nllX);
        });
        logw.push(lw);
      }
      const w = tf.stack(logw); // [K, B]
      const logMeanW = tf.sub(tf.logSumExp(w, 0), Math.log(k));
      return tf.stack([tf.sum(logMeanW), tf.sum(tf.mean(w, 0))]);
    });
    const v = sums.dataSync();
    sums.dispose();
    nllSum -= v[0]!;
    elboSum -= v[1]!;
    count += chunk.end - chunk.start;
    opts.onChunk?.(count, trainer.dataset.heldOutCount);
  }
  return { ok: true, k, nll: nllSum / count, elbo: elboSum / count, count };
}
