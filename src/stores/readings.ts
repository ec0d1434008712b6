/**
 * The instruments' numbers as one flat record ("readings") that the prediction panel and the
 * guided lessons check answers against, and the catalogue of those numbers (METRICS): a
 * lesson names a metric by its id, and its schema accepts only these ids.
 *
 * Each number comes from one source, and a source is fresh when it describes the weights at
 * the current step: the last batch ('batch'), a held-out evaluation ('eval'), the held-out
 * latent statistics ('stats': per-dimension KL, active units), the image grids ('images') or
 * the step timer ('timing'). A check waits until every source it needs is fresh.
 *
 * Pure: no Vue, no worker; the readings store (readings-store.ts) feeds it the live values.
 */
import type { EvalMetrics, StepMetrics, WorkerEventOf } from '../worker/protocol';
import type { InstrumentEventOf } from '../worker/instruments-protocol';
import type { ImageBlock } from '../worker/image-block';

export type Source = 'batch' | 'eval' | 'stats' | 'images' | 'timing';

export interface MetricInfo {
  /** Short name, as a student reads it. */
  label: string;
  /** Unit after the number ('' when none). */
  unit: string;
  /** Where on screen the number is shown. */
  where: string;
  source: Source;
  /** Whole numbers only (steps, unit counts). */
  integer: boolean;
}

/** Every number a lesson or a prediction may check, by id. */
export const METRICS = {
  step: { label: 'steps done', unit: '', where: 'Training tab: step', source: 'batch', integer: true },
  loss: { label: 'loss (last batch)', unit: 'nats', where: 'Training tab: loss', source: 'batch', integer: false },
  recon: { label: 'reconstruction term (last batch)', unit: 'nats', where: 'Training tab: recon', source: 'batch', integer: false },
  kl: { label: 'KL (last batch)', unit: 'nats', where: 'Training tab: KL', source: 'batch', integer: false },
  klWeighted: { label: 'β·KL (last batch)', unit: 'nats', where: 'Training tab: β·KL (or KL when β = 1)', source: 'batch', integer: false },
  heldOutLoss: { label: 'held-out −ELBO', unit: 'nats', where: 'Training tab: held-out −ELBO', source: 'eval', integer: false },
  heldOutRecon: { label: 'held-out reconstruction term', unit: 'nats', where: 'held-out evaluation (recon part of the −ELBO)', source: 'eval', integer: false },
  heldOutKl: { label: 'held-out KL', unit: 'nats', where: 'Instruments tab: KL per dimension (their sum)', source: 'eval', integer: false },
  activeUnits: { label: 'active latent units', unit: '', where: 'Instruments tab: KL per dimension (active units)', source: 'stats', integer: true },
  inactiveUnits: { label: 'inactive latent units', unit: '', where: 'Instruments tab: KL per dimension (grey bars)', source: 'stats', integer: true },
  latentDim: { label: 'latent dimensions d', unit: '', where: 'Instruments tab: KL per dimension (number of bars)', source: 'stats', integer: true },
  topDimKl: { label: 'largest KL of one dimension', unit: 'nats', where: 'Instruments tab: the tallest KL bar', source: 'stats', integer: false },
  gridError: { label: 'reconstruction-grid error', unit: '', where: 'Training tab: held-out digits → reconstructions (mean squared pixel error)', source: 'images', integer: false },
  msPerStep: { label: 'ms per step', unit: 'ms', where: 'Training tab: ms/step', source: 'timing', integer: false },
} as const satisfies Record<string, MetricInfo>;

export type MetricId = keyof typeof METRICS;
export const METRIC_IDS = Object.keys(METRICS) as [MetricId, ...MetricId[]];

/** The readings at one step; null where the source has no number for this step (yet). */
export type Readings = { [K in Exclude<MetricId, 'step'>]: number | null } & {
  /** The step the readings describe. */
  step: number;
  /** The latent dimensions that are not active (ascending), when the statistics are fresh. */
  inactive: number[] | null;
};

type LatentStatsEvent = InstrumentEventOf<'latentStats'>;
type ImagesEvent = WorkerEventOf<'images'>;

/** What the live app holds (the training and instruments stores' values). */
export interface ReadingSources {
  step: number;
  last: StepMetrics | null;
  lastEval: EvalMetrics | null;
  stats: Pick<LatentStatsEvent, 'step' | 'klPerDim' | 'muVariance' | 'activeUnits' | 'latentDim' | 'activeThreshold'> | null;
  images: Pick<ImagesEvent, 'step' | 'inputs' | 'recons'> | null;
  msPerStep: number | null;
}

/**
 * Mean squared error per pixel (grey levels scaled to [0, 1]) between the reconstruction
 * grid's images and their inputs: lower is sharper and closer. Null without both grids.
 */
export function gridError(inputs: ImageBlock | null, recons: ImageBlock | null): number | null {
  if (!inputs || !recons) return null;
  const n = Math.min(inputs.pixels.length, recons.pixels.length);
  if (n === 0) return null;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = (recons.pixels[i]! - inputs.pixels[i]!) / 255;
    s += d * d;
  }
  return s / n;
}

/** The dimensions that are not active by the instruments' rule (Var over held-out x of μ_j ≤ the threshold), ascending. */
export function inactiveDims(stats: Pick<LatentStatsEvent, 'muVariance' | 'activeThreshold'>): number[] {
  return stats.muVariance.flatMap((v, j) => (v > stats.activeThreshold ? [] : [j]));
}

/** Which sources hold numbers about the weights at the current step. */
export function freshSources(src: ReadingSources): Set<Source> {
  const out = new Set<Source>();
  const step = src.step;
  if (step === 0 || src.last?.step === step) out.add('batch');
  if (src.lastEval?.step === step) out.add('eval');
  if (src.stats?.step === step) out.add('stats');
  if (src.images?.step === step) out.add('images');
  if (src.msPerStep !== null) out.add('timing');
  return out;
}

/** The readings at the current step: numbers from stale sources are null. */
export function readingsFrom(src: ReadingSources): Readings {
  const fresh = freshSources(src);
  const batch = fresh.has('batch') && src.step > 0 ? src.last : null;
  const ev = fresh.has('eval') ? src.lastEval : null;
  const st = fresh.has('stats') ? src.stats : null;
  const im = fresh.has('images') ? src.images : null;
  const inactive = st ? inactiveDims(st) : null;
  return {
    step: src.step,
    loss: batch?.loss ?? null,
    recon: batch?.recon ?? null,
    kl: batch?.kl ?? null,
    klWeighted: batch?.klWeighted ?? null,
    heldOutLoss: ev?.heldOutLoss ?? null,
    heldOutRecon: ev?.recon ?? null,
    heldOutKl: ev?.kl ?? null,
    activeUnits: st?.activeUnits ?? null,
    inactiveUnits: st && inactive ? inactive.length : null,
    latentDim: st?.latentDim ?? null,
    topDimKl: st && st.klPerDim.length ? Math.max(...st.klPerDim) : null,
    gridError: im ? gridError(im.inputs, im.recons) : null,
    msPerStep: fresh.has('timing') ? src.msPerStep : null,
    inactive,
  };
}

/** The sources the given metrics read, without duplicates. */
export function sourcesOf(metrics: Iterable<MetricId>): Source[] {
  return [...new Set([...metrics].map((m) => METRICS[m].source))];
}

/** A number as the panels print it: up to 4 significant digits, exponent when tiny. */
export function formatReading(metric: MetricId, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  const info: MetricInfo = METRICS[metric];
  if (info.integer) return String(Math.round(v));
  const a = Math.abs(v);
  const text = a !== 0 && a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
  return info.unit && info.unit !== '' ? `${text} ${info.unit}` : text;
}

/** "z0–z4, z7": a set of latent dimensions in words. */
export function dimsText(dims: readonly number[]): string {
  if (!dims.length) return 'none';
  const sorted = [...new Set(dims)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  for (const j of [...sorted.slice(1), Number.NaN]) {
    if (j === prev + 1) {
      prev = j;
      continue;
    }
    parts.push(start === prev ? `z${start}` : prev === start + 1 ? `z${start}, z${prev}` : `z${start}–z${prev}`);
    start = prev = j;
  }
  return parts.join(', ');
}
