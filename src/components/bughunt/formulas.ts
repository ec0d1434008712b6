/**
 * The lecture's formulas (shared/lecture/vae-lecture.md), as KaTeX source, and which one
 * explains each of the group exercise's questions.
 */
import { LECTURE } from '../../graph/formulas';

/** The formulas the exercise's feedback shows (from the one table of the lecture's formulas). */
export const FORMULAS = {
  elbo: LECTURE.elbo,
  kSample: LECTURE.kSample,
  kl: LECTURE.kl,
  reparam: LECTURE.reparam,
  prior: LECTURE.prior,
  pipeline: LECTURE.pipeline,
} as const;

export type FormulaId = keyof typeof FORMULAS;

export const FORMULA_TITLES: Record<FormulaId, string> = {
  elbo: 'The ELBO',
  kSample: 'The K-sample estimate',
  kl: 'The KL of two diagonal Gaussians (closed form)',
  reparam: 'The reparameterization',
  prior: 'The prior and the encoder',
  pipeline: 'The encoder, the sample, the decoder',
};

/** The formulas shown with a question's feedback (by the answer key's question id). */
export const QUESTION_FORMULAS: Record<string, FormulaId[]> = {
  q1: ['elbo'],
  q2: ['kSample'],
  q2b: ['kSample'],
  q3: ['kl'],
  q4: ['prior'],
  q5: ['pipeline'],
  q6: ['reparam'],
};
