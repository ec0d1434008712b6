/**
 * The posterior-collapse alarm's rule (issue 17 point 4): pure, no tfjs, so the instruments
 * store can apply it on the main thread to the held-out statistics the worker sends.
 *
 * Early in training every VAE looks collapsed (no unit active yet, a KL of a fraction of a
 * nat), so one collapsed-looking evaluation proves nothing. The alarm fires only once collapse
 * is established and clears as soon as the run recovers:
 *  - an evaluation counts only from COLLAPSE_MIN_STEPS training steps on;
 *  - it fires when COLLAPSE_CONSECUTIVE consecutive held-out statistics (at distinct steps) all
 *    look collapsed (collapseAlarm below);
 *  - one healthy held-out statistic clears it and starts the count again;
 *  - statistics at an earlier step than the last (a Reset, a new trainer) start over.
 */
import type { LatentStats } from './latent';

/** Below this held-out KL (nats per example, all dimensions) z carries too little about x to matter. */
export const COLLAPSE_KL_NATS = 0.5;
/** Held-out statistics before this many training steps never count towards the alarm. */
export const COLLAPSE_MIN_STEPS = 200;
/** This many consecutive collapsed-looking held-out statistics establish the collapse. */
export const COLLAPSE_CONSECUTIVE = 3;

export interface CollapseOptions {
  /** Fires when at most this many units are active (default 0: none). */
  maxActiveUnits?: number;
  /** Fires when the total KL is below this many nats (default COLLAPSE_KL_NATS = 0.5). */
  minKl?: number;
}

/**
 * Whether one held-out statistic looks collapsed. True when
 *  - no latent unit is active (activeUnits ≤ maxActiveUnits, default 0): μ(x) barely moves
 *    with x in any dimension, so the decoder gets nothing about x through z; or
 *  - the held-out KL, summed over dimensions, is below minKl (default 0.5 nats). The mean
 *    KL bounds the mutual information I(x; z) from above, so under half a nat z cannot
 *    even tell the ten digit classes apart (log 10 = 2.3 nats). This catches the slow
 *    collapse of a large β, where a few μ_j still wander just above the 0.01 variance
 *    threshold while each carries ~0.01 nats.
 * Alone it is no alarm: see watchCollapse.
 */
export function collapseAlarm(stats: Pick<LatentStats, 'activeUnits' | 'klTotal'>, opts: CollapseOptions = {}): boolean {
  return stats.activeUnits <= (opts.maxActiveUnits ?? 0) || stats.klTotal < (opts.minKl ?? COLLAPSE_KL_NATS);
}

/** What the alarm remembers between held-out statistics. */
export interface CollapseWatch {
  /** The step of the last statistic seen (-1: none yet). */
  lastStep: number;
  /** How many consecutive counted statistics looked collapsed. */
  streak: number;
  alarm: boolean;
}

export const COLLAPSE_CALM: CollapseWatch = Object.freeze({ lastStep: -1, streak: 0, alarm: false });

export interface CollapseWatchOptions extends CollapseOptions {
  /** Default COLLAPSE_MIN_STEPS. */
  minSteps?: number;
  /** Default COLLAPSE_CONSECUTIVE. */
  consecutive?: number;
}

/** The alarm after one more held-out statistic (the rule in this file's header). */
export function watchCollapse(
  w: CollapseWatch,
  stats: Pick<LatentStats, 'activeUnits' | 'klTotal'> & { step: number },
  opts: CollapseWatchOptions = {},
): CollapseWatch {
  if (stats.step === w.lastStep) return w; // the same weights asked twice (a pause right after an evaluation)
  const from = stats.step < w.lastStep ? COLLAPSE_CALM : w;
  if (stats.step < (opts.minSteps ?? COLLAPSE_MIN_STEPS)) return { lastStep: stats.step, streak: 0, alarm: false };
  if (!collapseAlarm(stats, opts)) return { lastStep: stats.step, streak: 0, alarm: false };
  const streak = from.streak + 1;
  return { lastStep: stats.step, streak, alarm: streak >= (opts.consecutive ?? COLLAPSE_CONSECUTIVE) };
}

/** The rule in words, for the alarm's title and help. */
export function collapseRuleText(o: { minSteps?: number; consecutive?: number; minKl?: number } = {}): string {
  const minSteps = o.minSteps ?? COLLAPSE_MIN_STEPS;
  const n = o.consecutive ?? COLLAPSE_CONSECUTIVE;
  const kl = o.minKl ?? COLLAPSE_KL_NATS;
  return (
    `The alarm waits until collapse is established: from step ${minSteps} on, ${n} consecutive held-out evaluations ` +
    `must each show no active unit or a total KL below ${kl} nats (early in training every VAE looks like that). ` +
    `One healthy evaluation clears it.`
  );
}
