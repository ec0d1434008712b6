/**
 * Predict, then step (issue 17 point 1): what a student may predict before a Step or a Run,
 * and how the prediction is checked against the run's own numbers. Pure: the prediction
 * store (predict.ts) takes the readings before and after and keeps score and history.
 *
 * What each prediction is checked against (readings.ts):
 * - the loss goes down / up, and roughly how far: the held-out −ELBO (β = 1, the 1,000
 *   held-out digits), so one batch's luck does not decide; "how far" is the relative change
 *   |after − before| / before, in the bands of LOSS_SIZES;
 * - which latent dimensions are inactive after N more steps: the active-units rule of the
 *   instruments (dimension j is inactive when Var over held-out x of μ_j(x) ≤ 0.01); right
 *   when the predicted set is exactly the inactive set;
 * - sharper or blurrier reconstructions: the reconstruction grid's mean squared pixel error
 *   against its inputs (the same held-out digits every time): sharper when it falls;
 * - the KL rises: the held-out KL (nats per example, summed over dimensions) is higher after.
 */
import Papa from 'papaparse';
import { z } from 'zod';
import { dimsText, formatReading, type MetricId, type Readings } from './readings';

export type LossDirection = 'down' | 'up';
export type LossSize = 'small' | 'medium' | 'large';
export type ReconChange = 'sharper' | 'blurrier';

/** Bands of the relative change of the held-out −ELBO: [low, high). */
export const LOSS_SIZES: Record<LossSize, { low: number; high: number; label: string }> = {
  small: { low: 0, high: 0.01, label: 'a little (under 1%)' },
  medium: { low: 0.01, high: 0.1, label: 'somewhat (1–10%)' },
  large: { low: 0.1, high: Number.POSITIVE_INFINITY, label: 'a lot (over 10%)' },
};

export interface Prediction {
  /** Checked after this many more steps. */
  horizon: number;
  loss: { direction: LossDirection; size: LossSize | null } | null;
  /** The latent dimensions predicted inactive after the steps. */
  inactive: number[] | null;
  recon: ReconChange | null;
  klRises: boolean | null;
}

export type PredictionItem = 'lossDirection' | 'lossSize' | 'inactive' | 'recon' | 'kl';

export const ITEM_LABELS: Record<PredictionItem, string> = {
  lossDirection: 'Loss up or down',
  lossSize: 'How far the loss moves',
  inactive: 'Inactive latent dimensions',
  recon: 'Reconstructions sharper or blurrier',
  kl: 'Will the KL rise',
};

export interface Verdict {
  item: PredictionItem;
  predicted: string;
  actual: string;
  /** null: the app could not check it (the graph has no such number). */
  right: boolean | null;
  /** The numbers that decide it, in words. */
  reason: string;
}

/** The metrics a prediction needs, before and after. */
export function metricsFor(p: Prediction): MetricId[] {
  const out: MetricId[] = [];
  if (p.loss) out.push('heldOutLoss');
  if (p.inactive) out.push('inactiveUnits');
  if (p.recon) out.push('gridError');
  if (p.klRises !== null) out.push('heldOutKl');
  return out;
}

/** Nothing predicted: nothing to commit. */
export function isEmpty(p: Prediction): boolean {
  return metricsFor(p).length === 0;
}

export function lossSizeOf(before: number, after: number): LossSize {
  const rel = Math.abs(after - before) / Math.max(Math.abs(before), 1e-12);
  return (Object.keys(LOSS_SIZES) as LossSize[]).find((k) => rel >= LOSS_SIZES[k].low && rel < LOSS_SIZES[k].high) ?? 'large';
}

const signed = (x: number, digits = 4) => `${x >= 0 ? '+' : '−'}${Number(Math.abs(x).toPrecision(digits))}`;
const pct = (before: number, after: number) => {
  const p = ((after - before) / Math.abs(before)) * 100;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(1)}%`;
};

function unavailable(item: PredictionItem, predicted: string, what: string): Verdict {
  return { item, predicted, actual: '–', right: null, reason: `Not checked: ${what}` };
}

/** Each predicted item, right or wrong, with the numbers that decide it. */
export function checkPrediction(p: Prediction, before: Readings, after: Readings): Verdict[] {
  const out: Verdict[] = [];
  const span = `step ${before.step} → ${after.step}`;
  if (p.loss) {
    const b = before.heldOutLoss;
    const a = after.heldOutLoss;
    if (b === null || a === null) {
      out.push(unavailable('lossDirection', p.loss.direction, 'this graph has no held-out −ELBO.'));
    } else {
      const actual: LossDirection | 'unchanged' = a < b ? 'down' : a > b ? 'up' : 'unchanged';
      const nums = `held-out −ELBO ${formatReading('heldOutLoss', b)} → ${formatReading('heldOutLoss', a)} (${signed(a - b)}, ${pct(b, a)}) from ${span}`;
      out.push({ item: 'lossDirection', predicted: p.loss.direction, actual, right: actual === p.loss.direction, reason: `${nums}: it went ${actual}.` });
      if (p.loss.size) {
        const size = lossSizeOf(b, a);
        out.push({
          item: 'lossSize',
          predicted: LOSS_SIZES[p.loss.size].label,
          actual: LOSS_SIZES[size].label,
          right: size === p.loss.size,
          reason: `It moved by ${Math.abs((a - b) / b * 100).toFixed(1)}% of ${formatReading('heldOutLoss', b)}: ${LOSS_SIZES[size].label}.`,
        });
      }
    }
  }
  if (p.inactive) {
    const predicted = dimsText(p.inactive);
    const actualSet = after.inactive;
    if (!actualSet || after.latentDim === null) {
      out.push(unavailable('inactive', predicted, 'this graph has no latent statistics (no KL node with μ and log σ²).'));
    } else {
      const want = new Set(p.inactive);
      const missed = actualSet.filter((j) => !want.has(j));
      const extra = p.inactive.filter((j) => !actualSet.includes(j));
      const right = missed.length === 0 && extra.length === 0;
      const parts = [`At step ${after.step}, ${actualSet.length} of ${after.latentDim} dimensions are inactive (Var over held-out x of μ_j ≤ 0.01): ${dimsText(actualSet)}.`];
      if (missed.length) parts.push(`Also inactive: ${dimsText(missed)}.`);
      if (extra.length) parts.push(`Active after all: ${dimsText(extra)}.`);
      out.push({ item: 'inactive', predicted, actual: dimsText(actualSet), right, reason: parts.join(' ') });
    }
  }
  if (p.recon) {
    const b = before.gridError;
    const a = after.gridError;
    if (b === null || a === null) {
      out.push(unavailable('recon', p.recon, 'this graph shows no reconstruction grid.'));
    } else {
      const actual: ReconChange | 'unchanged' = a < b ? 'sharper' : a > b ? 'blurrier' : 'unchanged';
      out.push({
        item: 'recon',
        predicted: p.recon,
        actual,
        right: actual === p.recon,
        reason: `The reconstruction grid's mean squared pixel error went ${b.toFixed(4)} → ${a.toFixed(4)} (${pct(b, a)}) from ${span}: ${actual === 'unchanged' ? 'unchanged' : `${actual} (error ${a < b ? 'fell' : 'rose'})`}.`,
      });
    }
  }
  if (p.klRises !== null) {
    const predicted = p.klRises ? 'rises' : 'does not rise';
    const b = before.heldOutKl;
    const a = after.heldOutKl;
    if (b === null || a === null) {
      out.push(unavailable('kl', predicted, 'this graph has no held-out KL.'));
    } else {
      const rose = a > b;
      out.push({
        item: 'kl',
        predicted,
        actual: rose ? 'rose' : a < b ? 'fell' : 'unchanged',
        right: rose === p.klRises,
        reason: `Held-out KL ${formatReading('heldOutKl', b)} → ${formatReading('heldOutKl', a)} (${signed(a - b, 3)} nats) from ${span}: it ${rose ? 'rose' : a < b ? 'fell' : 'did not change'}.`,
      });
    }
  }
  return out;
}

/** Right and checked counts over verdicts (unchecked ones do not count). */
export function scoreOf(verdicts: readonly Verdict[]): { right: number; checked: number } {
  let right = 0;
  let checked = 0;
  for (const v of verdicts) {
    if (v.right === null) continue;
    checked++;
    if (v.right) right++;
  }
  return { right, checked };
}

// ---------------------------------------------------------------- history and export

export const HISTORY_FORMAT = 'vae-lab/predictions';
/** The most entries kept (the oldest go first). */
export const HISTORY_LIMIT = 500;

const VerdictSchema = z.strictObject({
  item: z.enum(['lossDirection', 'lossSize', 'inactive', 'recon', 'kl']),
  predicted: z.string().max(2000),
  actual: z.string().max(2000),
  right: z.boolean().nullable(),
  reason: z.string().max(4000),
});

export const HistoryEntrySchema = z.strictObject({
  /** When the prediction was checked (ISO 8601). */
  at: z.string().max(40),
  /** The graph's name. */
  graph: z.string().max(1000),
  fromStep: z.number().int().min(0),
  toStep: z.number().int().min(0),
  horizon: z.number().int().min(1),
  verdicts: z.array(VerdictSchema).max(10),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

const StoredHistory = z.strictObject({
  format: z.literal(HISTORY_FORMAT),
  version: z.literal(1),
  entries: z.array(HistoryEntrySchema).max(HISTORY_LIMIT),
});

/** The history as the JSON download (and the autosave) holds it. */
export function historyJson(entries: readonly HistoryEntry[]): string {
  const all = entries.flatMap((e) => e.verdicts);
  return `${JSON.stringify({ format: HISTORY_FORMAT, version: 1, score: scoreOf(all), entries }, null, 2)}\n`;
}

/** Parses a stored history; an unreadable one is an empty history, never an error on screen. */
export function parseHistory(text: string | null): HistoryEntry[] {
  if (!text) return [];
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    const r = StoredHistory.safeParse({ format: raw.format, version: raw.version, entries: raw.entries });
    return r.success ? r.data.entries : [];
  } catch {
    return [];
  }
}

/** One CSV row per checked item. */
export function historyCsv(entries: readonly HistoryEntry[]): string {
  const rows = entries.flatMap((e) =>
    e.verdicts.map((v) => ({
      at: e.at,
      graph: e.graph,
      fromStep: e.fromStep,
      toStep: e.toStep,
      item: v.item,
      predicted: v.predicted,
      actual: v.actual,
      right: v.right === null ? '' : v.right ? 'yes' : 'no',
      reason: v.reason,
    })),
  );
  const fields = ['at', 'graph', 'fromStep', 'toStep', 'item', 'predicted', 'actual', 'right', 'reason'];
  return `${Papa.unparse({ fields, data: rows.map((r) => fields.map((f) => r[f as keyof typeof r])) }, { newline: '\n', escapeFormulae: true })}\n`;
}
