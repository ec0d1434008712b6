/**
 * A loaded data file (DESIGN.md section 7): plain typed arrays, so the worker can post it,
 * the trainer can batch it and the PyTorch export can write it as the model sees it.
 * Pure TypeScript: no tfjs, no Node APIs, no DOM.
 */
import { error, warning, type Diagnostic, type ErrorCode, type Where } from '../../graph/diagnostics';
import { splitIndices } from './split';
import type { DataStructure } from '../../graph/structure';

/** What a data node's `x` carries beside its flat [B, D] shape (one definition, in src/graph/structure.ts). */
export type { DataStructure };

/** A row (or record, or zip entry) left out of the dataset, and why. */
export interface DroppedRow {
  /** 1-based line of a delimited file (the header is line 1). */
  line?: number;
  /** 0-based index of a JSON record. */
  record?: number;
  /** The column that made it drop. */
  field?: string;
  reason: string;
}

export interface Dataset {
  /** Number of examples (train + held out), in the order the file gives them (after dropped rows). */
  n: number;
  /** Values per example: D = H·W·C, T·F or F. */
  dim: number;
  structure: DataStructure;
  /**
   * n × dim values, example after example. Images: bytes 0…255 (x = byte/255, channels last:
   * (y·W + x)·C + c). Tables and sequences: float32, standardised when asked (time-major windows).
   */
  values: Uint8Array | Float32Array;
  /** Class index per example, or null without labels. */
  labels: Int32Array | null;
  /** Class names, by index (labels[i] names classes[labels[i]]). */
  classes: string[] | null;
  /** Feature names (tables and sequences: the columns; images: empty). */
  columns: string[];
  /** Indices into 0…n−1. */
  train: Uint32Array;
  heldOut: Uint32Array;
  /** Per-column mean and standard deviation that standardised the values (training rows only, ddof 0); null if not standardised. */
  standardization: { mean: Float64Array; std: Float64Array } | null;
  /** How many rows were dropped in all, and the first few with their reasons. */
  dropped: { count: number; first: DroppedRow[] };
  /** DATA_ROWS_DROPPED, DATA_CONSTANT_COLUMN. */
  warnings: Diagnostic[];
  /** Sequences: how the windows fell. */
  windows?: WindowPlan;
  /** Tables and sequences: the rows the file holds (before any was dropped). */
  rows?: number;
  /** Tables: per feature column, the file's rows where its cell is missing. */
  missing?: number[];
}

/** How a series' windows fell (sequences). */
export interface WindowPlan {
  /** Windows in the series. */
  total: number;
  train: number;
  heldOut: number;
  /** Training windows dropped because they overlap the held-out ones. */
  overlapping: number;
  /** Row where the held-out windows start. */
  heldOutStartRow: number;
}

export type LoadResult = { ok: true; dataset: Dataset } | { ok: false; diagnostics: Diagnostic[] };

/** Size limits on one data file (DESIGN.md section 7): decompressed bytes and values. */
export interface DataLimits {
  bytes: number;
  values: number;
}

export const DATA_LIMITS: DataLimits = { bytes: 200 * 1024 * 1024, values: 50_000_000 };

/** How many dropped rows a dataset lists by name (the rest are counted). */
export const DROPPED_LISTED = 20;

/** What every loader is told besides the bytes. */
export interface LoadContext {
  /** The data node, for the diagnostics. */
  nodeId?: string;
  /** The file's name, for messages. */
  fileName?: string;
  limits?: DataLimits;
  /** Called now and then with the share done, 0…1. */
  onProgress?: (fraction: number) => void;
}

/**
 * A data problem as an exception inside a loader: loaders throw it from deep inside a parse
 * and the public entry points turn it into a diagnostic. Never escapes a loader.
 */
export class DataError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly where: Where = {},
  ) {
    super(message);
  }
}

/** Runs a loader body: a DataError becomes a diagnostic on the node; anything else is a bug and rethrows. */
export function runLoader(ctx: LoadContext, body: () => Dataset): LoadResult {
  try {
    return { ok: true, dataset: body() };
  } catch (e) {
    if (e instanceof DataError) return { ok: false, diagnostics: [error(e.code, e.message, { ...e.where, node: ctx.nodeId ?? null, port: null })] };
    throw e;
  }
}

export function limitsOf(ctx: LoadContext): DataLimits {
  return ctx.limits ?? DATA_LIMITS;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MB`;
}

/** DATA_TOO_LARGE for a file of `size` bytes, told before any of it is read. */
export function fileTooLarge(what: string, size: number, node: string | null, limit: number = DATA_LIMITS.bytes): Diagnostic {
  return error('DATA_TOO_LARGE', `${what} is ${megabytes(size)}; data files are limited to ${megabytes(limit)}.`, { node, port: null, fix: 'Use a smaller sample of the data.' });
}

/** Refuses bytes over the limit (DATA_TOO_LARGE). */
export function checkBytes(bytes: number, ctx: LoadContext, what = 'The file'): void {
  const lim = limitsOf(ctx).bytes;
  if (bytes > lim) {
    throw new DataError('DATA_TOO_LARGE', `${what} is over ${megabytes(lim)} (decompressed); data files are limited to ${megabytes(lim)}.`, {
      fix: 'Use a smaller sample of the data.',
    });
  }
}

/** Refuses a value count over the limit (DATA_TOO_LARGE). */
export function checkValues(values: number, ctx: LoadContext, what = 'The file'): void {
  const lim = limitsOf(ctx).values;
  if (values > lim) {
    throw new DataError(
      'DATA_TOO_LARGE',
      `${what} holds ${values.toLocaleString('en-US')} values; data is limited to ${lim.toLocaleString('en-US')}.`,
      { fix: 'Use fewer rows or columns (or a larger stride for sequences).' },
    );
  }
}

/**
 * The §7 split of n examples in file order: the fixed permutation (mulberry32(20240601)
 * Fisher–Yates, as MNIST's), the last `heldOut` held out. An empty side is DATA_EMPTY.
 */
export function splitExamples(n: number, heldOut: number): { train: Uint32Array; heldOut: Uint32Array } {
  if (n === 0) throw new DataError('DATA_EMPTY', 'The file holds no usable example.');
  if (heldOut >= n) {
    throw new DataError('DATA_EMPTY', `The split holds out ${heldOut} of ${n} examples and leaves none to train on.`, {
      fix: `Hold out fewer than ${n} (heldOut / heldOutFraction).`,
    });
  }
  if (heldOut < 1) throw new DataError('DATA_EMPTY', `The split of ${n} examples holds out none.`, { fix: 'Hold out at least one example.' });
  return splitIndices(n, heldOut);
}

/** ceil(n·fraction): the held-out count of a fraction (one definition, in src/graph/structure.ts). */
export { heldOutCount } from '../../graph/structure';

/** Class indices for label strings: the distinct values sorted (numerically when all are numbers), in a stable order. */
export function classIndex(values: readonly string[]): { labels: Int32Array; classes: string[] } {
  const distinct = [...new Set(values)];
  const allNumeric = distinct.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  distinct.sort(allNumeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(distinct.map((c, i) => [c, i]));
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) labels[i] = index.get(values[i]!)!;
  return { labels, classes: distinct };
}

/** Records a dropped row: counted always, listed up to DROPPED_LISTED. */
export function dropRow(dropped: Dataset['dropped'], row: DroppedRow): void {
  dropped.count++;
  if (dropped.first.length < DROPPED_LISTED) dropped.first.push(row);
}

/** DATA_ROWS_DROPPED: how many of `total` rows (or files) were left out, naming the first and why. */
export function droppedWarning(dropped: Dataset['dropped'], total: number, noun: string, ctx: LoadContext): Diagnostic {
  const f = dropped.first[0]!;
  const at = f.record !== undefined ? `record ${f.record}` : f.line !== undefined ? `line ${f.line}` : JSON.stringify(f.field);
  return warning('DATA_ROWS_DROPPED', `${dropped.count} of ${total} ${noun} were left out (the first: ${at}, ${f.reason}).`, {
    node: ctx.nodeId ?? null,
    line: f.line,
    record: f.record,
    field: f.field,
  });
}
