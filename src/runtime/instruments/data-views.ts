/**
 * Reconstructions and prior samples of tables and sequences for the training panel
 * (DESIGN.md §7: "a table of per-column errors", "series drawn over their inputs"), in the
 * file's own units: standardised values are mapped back with the loader's per-column mean
 * and std (DataInfo.scale). Pure: plain arrays in, plain JSON-able objects out (no tfjs), so
 * the worker posts them and the tests check them.
 */
import type { DataInfo } from '../../graph/structure';

/** A loader's standardisation: value = (raw − mean) / std, or raw − mean where std is 0. */
export interface ColumnScale {
  readonly mean: ArrayLike<number>;
  readonly std: ArrayLike<number>;
}

/** Finite numbers as they are, anything else as null (JSON has no NaN). */
const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * Values back in the file's units. Value i belongs to column i mod f (a table's rows, or a
 * sequence's time-major windows: t0's f values, then t1's, …). Without a scale the values
 * are returned as they are.
 */
export function toFileUnits(values: ArrayLike<number>, f: number, scale: ColumnScale | null | undefined): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!scale) {
      out[i] = v;
      continue;
    }
    const j = i % f;
    const s = scale.std[j]!;
    out[i] = v * (s > 0 ? s : 1) + scale.mean[j]!;
  }
  return out;
}

/** One column's reconstruction error over the examples shown, in the file's units. */
export interface ColumnError {
  column: string;
  /** √(mean over values of (x − x̂)²). */
  rmse: number | null;
  /** The column's own spread over the same examples (its standard deviation, ddof 0): predicting the mean everywhere scores this. */
  spread: number | null;
  /** The mean absolute error. */
  mae: number | null;
}

/**
 * Per-column errors of reconstructions `xHat` against inputs `x` (both in the file's units),
 * value i in column i mod f. Non-finite reconstructions make their column's error null.
 */
export function columnErrors(x: ArrayLike<number>, xHat: ArrayLike<number>, f: number, columns: readonly string[]): ColumnError[] {
  if (x.length !== xHat.length) throw new RangeError(`columnErrors: ${x.length} inputs against ${xHat.length} reconstructions`);
  const se = new Float64Array(f);
  const ae = new Float64Array(f);
  const sum = new Float64Array(f);
  const sq = new Float64Array(f);
  const count = new Float64Array(f);
  for (let i = 0; i < x.length; i++) {
    const j = i % f;
    const d = x[i]! - xHat[i]!;
    se[j]! += d * d;
    ae[j]! += Math.abs(d);
    sum[j]! += x[i]!;
    sq[j]! += x[i]! * x[i]!;
    count[j]!++;
  }
  return Array.from({ length: f }, (_, j) => {
    const n = count[j]!;
    const mean = sum[j]! / n;
    return {
      column: columns[j] ?? `column ${j + 1}`,
      rmse: n ? num(Math.sqrt(se[j]! / n)) : null,
      spread: n ? num(Math.sqrt(Math.max(0, sq[j]! / n - mean * mean))) : null,
      mae: n ? num(ae[j]! / n) : null,
    };
  });
}

/** A row of a table (or one window of a series) as numbers, nulls where not finite. */
const row = (v: ArrayLike<number>, start: number, width: number): Array<number | null> => Array.from({ length: width }, (_, k) => num(v[start + k]!));

export interface TableViewInput {
  /** n × F inputs and reconstructions as the model sees them (standardised when the node standardises). */
  x: ArrayLike<number>;
  xHat: ArrayLike<number>;
  n: number;
  info: DataInfo;
  /** Each example's class name, or null without labels. */
  labels?: ReadonlyArray<string | null> | null;
  /** How many rows to show side by side (the errors use all n). */
  shown?: number;
}

export interface TableView {
  kind: 'table';
  columns: string[];
  /** 'file': values and errors are in the file's units; 'model': as the model sees them (not standardised). */
  units: 'file' | 'model';
  /** Rows the errors are taken over. */
  count: number;
  errors: ColumnError[];
  /** A few rows: each input beside its reconstruction. */
  rows: Array<{ label: string | null; input: Array<number | null>; recon: Array<number | null> }>;
}

/** The table view of held-out rows: per-column errors over all n, the first `shown` rows side by side. */
export function tableView(input: TableViewInput): TableView {
  const { info, n } = input;
  if (info.structure.kind !== 'table') throw new RangeError(`tableView: the data is a ${info.structure.kind}, not a table`);
  const f = info.structure.f;
  const columns = columnNames(info, f);
  const x = toFileUnits(input.x, f, info.scale);
  const xHat = toFileUnits(input.xHat, f, info.scale);
  const shown = Math.min(n, input.shown ?? 5);
  return {
    kind: 'table',
    columns,
    units: info.scale ? 'file' : 'model',
    count: n,
    errors: columnErrors(x.subarray(0, n * f), xHat.subarray(0, n * f), f, columns),
    rows: Array.from({ length: shown }, (_, i) => ({ label: input.labels?.[i] ?? null, input: row(x, i * f, f), recon: row(xHat, i * f, f) })),
  };
}

export interface SeriesViewInput {
  /** n windows × (T·F), time-major, as the model sees them. */
  x: ArrayLike<number>;
  xHat: ArrayLike<number>;
  n: number;
  info: DataInfo;
  /** How many windows to draw (the errors use all n). */
  shown?: number;
}

export interface SeriesView {
  kind: 'series';
  columns: string[];
  units: 'file' | 'model';
  /** T: time steps per window. */
  steps: number;
  count: number;
  errors: ColumnError[];
  /** A few windows, evenly spaced over the n (first and last included): input and reconstruction, T·F values each, time-major. */
  windows: Array<{ index: number; input: Array<number | null>; recon: Array<number | null> }>;
}

/** Indices of `k` of n items, evenly spaced, the first and the last included. */
export function evenlySpaced(n: number, k: number): number[] {
  if (n <= 0 || k <= 0) return [];
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k === 1) return [0];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

/** The series view of held-out windows: per-feature errors over all n, `shown` windows drawn over their inputs. */
export function seriesView(input: SeriesViewInput): SeriesView {
  const { info, n } = input;
  if (info.structure.kind !== 'sequence') throw new RangeError(`seriesView: the data is a ${info.structure.kind}, not a sequence`);
  const { t, f } = info.structure;
  const columns = columnNames(info, f);
  const D = t * f;
  const x = toFileUnits(input.x, f, info.scale);
  const xHat = toFileUnits(input.xHat, f, info.scale);
  return {
    kind: 'series',
    columns,
    units: info.scale ? 'file' : 'model',
    steps: t,
    count: n,
    errors: columnErrors(x.subarray(0, n * D), xHat.subarray(0, n * D), f, columns),
    windows: evenlySpaced(n, input.shown ?? 3).map((i) => ({ index: i, input: row(x, i * D, D), recon: row(xHat, i * D, D) })),
  };
}

/** Decoded prior samples of a table or a sequence, in the file's units: `count` rows of `width` values. */
export function sampleRows(values: ArrayLike<number>, count: number, info: DataInfo): Array<Array<number | null>> {
  const s = info.structure;
  if (s.kind === 'image') throw new RangeError('sampleRows: images are drawn as images');
  const f = s.f;
  const width = s.kind === 'sequence' ? s.t * s.f : s.f;
  const v = toFileUnits(values, f, info.scale);
  return Array.from({ length: count }, (_, i) => row(v, i * width, width));
}

function columnNames(info: DataInfo, f: number): string[] {
  return Array.from({ length: f }, (_, j) => info.columns?.[j] ?? `column ${j + 1}`);
}
