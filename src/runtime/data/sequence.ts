/**
 * `data.sequence` files as a dataset (DESIGN.md section 7): one multivariate series (rows
 * are time steps) cut into windows of T rows every `stride` rows, split in time: the last
 * ceil(windows·heldOutFraction) windows are held out and training windows that overlap them
 * are dropped. Standardised over the training windows' rows. Examples are time-major
 * (t0's F values, then t1's, …). Pure: no tfjs, no Node APIs.
 */
import type { Diagnostic } from '../../graph/diagnostics';
import { checkValues, DataError, heldOutCount, runLoader, type Dataset, type LoadContext, type LoadResult, type WindowPlan } from './dataset';
import { standardize } from './table';
import { readTable, rowName, rowWhere, selectColumns } from './text-table';

export interface SequenceParams {
  columns: readonly string[];
  /** T, rows per window. */
  length: number;
  /** Rows between window starts; 0 means `length`. */
  stride: number;
  standardize: boolean;
  heldOutFraction: number;
}

/** The windows of a series of `rows` rows (DATA_SHAPE / DATA_EMPTY when none fit). */
export function planWindows(rows: number, length: number, stride: number, heldOutFraction: number): WindowPlan {
  const s = stride > 0 ? stride : length;
  if (rows < length) {
    throw new DataError('DATA_SHAPE', `The series has ${rows} rows, fewer than one window of ${length}.`, { fix: `Set length to at most ${rows}.` });
  }
  const total = Math.floor((rows - length) / s) + 1;
  const heldOut = heldOutCount(total, heldOutFraction);
  if (heldOut < 1) throw new DataError('DATA_EMPTY', `The split of ${total} windows holds out none.`, { fix: 'Raise heldOutFraction.' });
  const firstHeld = total - heldOut;
  const heldOutStartRow = firstHeld * s;
  // Training windows end at or before the first held-out row.
  const train = heldOutStartRow >= length ? Math.min(firstHeld, Math.floor((heldOutStartRow - length) / s) + 1) : 0;
  if (train < 1) {
    throw new DataError('DATA_EMPTY', `Of ${total} windows, ${heldOut} are held out and no training window stays clear of them.`, {
      fix: 'Use a longer series, a shorter length, or a smaller heldOutFraction.',
    });
  }
  return { total, train, heldOut, overlapping: firstHeld - train, heldOutStartRow };
}

export function loadSequence(bytes: Uint8Array, params: SequenceParams, ctx: LoadContext = {}): LoadResult {
  return runLoader(ctx, () => buildSequence(bytes, params, ctx));
}

function buildSequence(bytes: Uint8Array, params: SequenceParams, ctx: LoadContext): Dataset {
  const t = readTable(bytes, ctx, '');
  if (t.rows === 0) throw new DataError('DATA_EMPTY', 'The file has a header but no rows.', { fix: 'Add one row per time step under the header.' });
  const cols = selectColumns(t, params.columns, '');
  const F = cols.length;
  const W = t.header.length;
  const T = params.length;
  const stride = params.stride > 0 ? params.stride : T;

  // A series cannot skip a time step: every selected cell must hold a value.
  const series = new Float32Array(t.rows * F);
  for (let r = 0; r < t.rows; r++) {
    for (let j = 0; j < F; j++) {
      const v = t.values[r * W + cols[j]!]!;
      if (Number.isNaN(v)) {
        const field = t.header[cols[j]!]!;
        throw new DataError('DATA_NOT_NUMERIC', `${rowName(t, r)}, column ${JSON.stringify(field)}: the value is missing, and a series cannot skip a time step.`.replace(/^./, (c) => c.toUpperCase()), {
          ...rowWhere(t, r),
          field,
          fix: 'Fill the cell (for example with the value before it).',
        });
      }
      series[r * F + j] = v;
    }
  }
  const plan = planWindows(t.rows, T, stride, params.heldOutFraction);
  const n = plan.train + plan.heldOut;
  checkValues(n * T * F, ctx, `The ${n} windows of ${T} rows`);

  const columns = cols.map((c) => t.header[c]!);
  const warnings: Diagnostic[] = [];
  let standardization: Dataset['standardization'] = null;
  if (params.standardize) {
    // The rows the training windows cover, each once.
    const covered: number[] = [];
    let next = 0;
    for (let i = 0; i < plan.train; i++) {
      const start = Math.max(i * stride, next);
      for (let r = start; r < i * stride + T; r++) covered.push(r);
      next = i * stride + T;
    }
    standardization = standardize(series, F, covered, columns, warnings, ctx);
  }

  const D = T * F;
  const values = new Float32Array(n * D);
  const firstHeld = plan.total - plan.heldOut;
  for (let e = 0; e < n; e++) {
    const w = e < plan.train ? e : firstHeld + (e - plan.train);
    values.set(series.subarray(w * stride * F, (w * stride + T) * F), e * D);
  }
  const train = new Uint32Array(plan.train);
  for (let i = 0; i < plan.train; i++) train[i] = i;
  const heldOut = new Uint32Array(plan.heldOut);
  for (let i = 0; i < plan.heldOut; i++) heldOut[i] = plan.train + i;
  return {
    n,
    dim: D,
    structure: { kind: 'sequence', t: T, f: F },
    values,
    labels: null,
    classes: null,
    columns,
    train,
    heldOut,
    standardization,
    dropped: { count: 0, first: [] },
    warnings,
    windows: plan,
    rows: t.rows,
  };
}
