/**
 * Headless instruments (issue 9): compare in lockstep, per-dimension KL and active units,
 * the posterior-collapse alarm, the IWAE held-out log-likelihood. Library functions over a
 * Trainer or Plans; no Node APIs, so a Web Worker can call them as the CLI and tests do.
 */
import type { Diagnostic } from '../../graph/diagnostics';
import type { Trainer } from '../trainer';
import { iwaeNll } from './iwae';
import { latentStats } from './latent';

export {
  compareGraphs,
  DEFAULT_COMPARE_STEPS,
  DEFAULT_COMPARE_TOLERANCE,
  type CompareEvent,
  type CompareOptions,
  type DivergedEvent,
  type DivergenceReason,
  type SameEvent,
} from './compare';
export { latentStats, ACTIVE_UNIT_THRESHOLD, type LatentStats, type LatentStatsResult } from './latent';
export {
  collapseAlarm,
  watchCollapse,
  collapseRuleText,
  COLLAPSE_KL_NATS,
  COLLAPSE_MIN_STEPS,
  COLLAPSE_CONSECUTIVE,
  COLLAPSE_CALM,
  type CollapseOptions,
  type CollapseWatch,
  type CollapseWatchOptions,
} from './collapse';
export { iwaeNll, type IwaeOptions, type IwaeResult, type IwaeNllResult } from './iwae';
export { jsonSummary, finiteOrNull, relativeDiff, type TensorSummary, type JsonNumber } from './summary';
export { findLatent, type LatentSite } from './subgraph';

/** What `train --iwae K` adds to every eval event. */
export interface EvalInstruments {
  /** −log p(x) per held-out example, importance-weighted with K samples. */
  nll: number;
  activeUnits: number;
  /** Nats per latent dimension, summing to the eval's kl. */
  klPerDim: number[];
}

/** The instruments an eval event carries (train --iwae K, the app's eval panel). */
export function evalInstruments(
  trainer: Trainer,
  opts: { k: number; chunk?: number },
): { ok: true; value: EvalInstruments; kl: string } | { ok: false; diagnostic: Diagnostic } {
  const stats = latentStats(trainer);
  if (!stats.ok) return stats;
  const iw = iwaeNll(trainer, { k: opts.k, chunk: opts.chunk, key: trainer.stepsDone });
  if (!iw.ok) return iw;
  return { ok: true, value: { nll: iw.nll, activeUnits: stats.activeUnits, klPerDim: stats.klPerDim }, kl: stats.kl };
}
