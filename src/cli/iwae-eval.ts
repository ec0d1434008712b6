/**
 * `train --iwae K`: what every eval event gains (DESIGN.md §5): `nll` (−log p(x) per
 * held-out example, importance-weighted with K samples), `activeUnits` and `klPerDim`
 * (nats per latent dimension, summing to the event's kl). The train command calls this
 * right after Trainer.evaluate() and spreads `fields` into its eval event.
 */
import { error, type Diagnostic } from '../graph/diagnostics';
import type { Trainer } from '../runtime/trainer';
import { evalInstruments, type EvalInstruments } from '../runtime/instruments';

/** Bounds of --iwae K (K = 1 is the one-sample ELBO). */
export const IWAE_MIN_K = 1;
export const IWAE_MAX_K = 5000;

export type IwaeEvalResult = { ok: true; fields: EvalInstruments } | { ok: false; diagnostic: Diagnostic };

export function iwaeEvalFields(trainer: Trainer, k: number): IwaeEvalResult {
  const r = evalInstruments(trainer, { k });
  if (!r.ok) return r;
  const { nll, activeUnits, klPerDim } = r.value;
  // No event ever holds NaN or Infinity.
  if (!Number.isFinite(nll) || klPerDim.some((v) => !Number.isFinite(v))) {
    return {
      ok: false,
      diagnostic: error('NON_FINITE', `The held-out log-likelihood estimate (--iwae ${k}) is not finite at step ${trainer.stepsDone}.`, {
        node: r.kl ?? null,
        step: trainer.stepsDone,
      }),
    };
  }
  return { ok: true, fields: { nll, activeUnits, klPerDim } };
}
