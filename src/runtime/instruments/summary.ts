/**
 * Tensor values read back for the instruments: JSON-safe summaries and the relative
 * difference compare uses. Plain arrays, no tfjs: what a worker can post as is.
 */

/** A non-finite value spelt out, since JSON has no NaN or Infinity. */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface TensorSummary {
  shape: number[];
  /** Mean, min and max of the finite values (null when there are none). */
  mean: number | null;
  min: number | null;
  max: number | null;
  /** How many values are NaN or ±Infinity. */
  nonFinite: number;
  /** The first few values, in row-major order. */
  values: JsonNumber[];
}

export interface HostTensor {
  shape: number[];
  values: ArrayLike<number>;
}

export function jsonNumber(v: number): JsonNumber {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/** A number for a message that has no room for NaN or Infinity: null stands for them. */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** The JSON-safe summary compare reports of a tensor: finite mean, min, max, the first `head` values. */
export function jsonSummary(t: HostTensor, head = 6): TensorSummary {
  let sum = 0;
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  const vals = t.values;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i]!;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    sum += v;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const values: JsonNumber[] = [];
  for (let i = 0; i < Math.min(head, vals.length); i++) values.push(jsonNumber(vals[i]!));
  return { shape: [...t.shape], mean: n ? sum / n : null, min: n ? min : null, max: n ? max : null, nonFinite, values };
}

export type DiffResult =
  | { same: true; diff: number }
  | { same: false; reason: 'shape' | 'non-finite' | 'value'; diff: number | null };

/**
 * Compares two tensors: the relative difference max|a − b| / max(max|a|, max|b|) over the
 * finite positions (0 when both are all zero). Different shapes differ; a NaN or ±Infinity
 * against anything else differs (NaN against NaN, and the same infinity, match).
 */
export function relativeDiff(a: HostTensor, b: HostTensor, tolerance: number): DiffResult {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return { same: false, reason: 'shape', diff: null };
  const av = a.values;
  const bv = b.values;
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < av.length; i++) {
    const x = av[i]!;
    const y = bv[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      const d = Math.abs(x - y);
      if (d > maxDiff) maxDiff = d;
      const m = Math.max(Math.abs(x), Math.abs(y));
      if (m > scale) scale = m;
    } else if (!(Number.isNaN(x) && Number.isNaN(y)) && x !== y) {
      return { same: false, reason: 'non-finite', diff: null };
    }
  }
  const diff = maxDiff === 0 ? 0 : maxDiff / scale;
  return diff > tolerance ? { same: false, reason: 'value', diff } : { same: true, diff };
}
