/**
 * What the inspector shows of a loaded dataset (DESIGN.md sections 6 and 7, `data-preview`):
 * a table's first rows with per-column statistics, the first images, or the series as it
 * was read, in the file's own units (standardising undone), and a sentence on what was
 * dropped and why. Plain data and typed arrays, so it crosses the worker boundary as is.
 * Pure: no tfjs, no DOM.
 */
import type { Dataset, DroppedRow, WindowPlan } from './dataset';
import { toFileUnits } from '../instruments/data-views';

export interface ColumnStats {
  name: string;
  mean: number;
  sd: number;
  min: number;
  max: number;
  /** Cells missing in the file (tables; rows with one are dropped or refused). */
  missing: number;
}

export interface DataPreview {
  kind: 'table' | 'sequence' | 'image';
  /** Examples after dropped rows (windows, for sequences), and how they split. */
  examples: number;
  train: number;
  heldOut: number;
  /** Rows in the file (tables and sequences). */
  rows: number | null;
  /** Tables and sequences: per feature column, over the examples kept (sequences: every row of the series). */
  columns: ColumnStats[];
  /** Tables: the first rows kept, feature values then the label (when there is one). */
  head: { columns: string[]; rows: Array<Array<number | string>> } | null;
  /** The label classes, with how many examples each has. */
  classes: Array<{ name: string; count: number }> | null;
  /** Sequences: the series rows the windows cover (x: row of the file), thinned to at most SERIES_POINTS. */
  series: { rows: Float64Array<ArrayBuffer>; values: Float32Array<ArrayBuffer>[] } | null;
  windows: WindowPlan | null;
  /** Images: the first few, channels last. */
  images: { count: number; height: number; width: number; channels: number; pixels: Uint8Array<ArrayBuffer> } | null;
  dropped: { count: number; first: DroppedRow[]; text: string | null };
}

export const HEAD_ROWS = 8;
export const PREVIEW_IMAGES = 32;
export const SERIES_POINTS = 1500;

/** The preview of a loaded dataset. */
export function previewOf(ds: Dataset): DataPreview {
  const kind = ds.structure.kind;
  const base = {
    kind,
    examples: ds.n,
    train: ds.train.length,
    heldOut: ds.heldOut.length,
    rows: ds.rows ?? null,
    classes: classCounts(ds),
    windows: ds.windows ?? null,
    dropped: { count: ds.dropped.count, first: ds.dropped.first.slice(), text: droppedText(ds.dropped, kind === 'image' ? 'files' : 'rows') },
  };
  if (kind === 'image') {
    const s = ds.structure as Extract<Dataset['structure'], { kind: 'image' }>;
    const count = Math.min(PREVIEW_IMAGES, ds.n);
    const pixels = new Uint8Array(count * ds.dim);
    const v = ds.values;
    for (let i = 0; i < pixels.length; i++) pixels[i] = v instanceof Uint8Array ? v[i]! : Math.round(Math.min(1, Math.max(0, v[i]!)) * 255);
    return { ...base, columns: [], head: null, series: null, images: { count, height: s.h, width: s.w, channels: s.c, pixels } };
  }
  if (kind === 'sequence') {
    const series = seriesOf(ds);
    return { ...base, columns: seriesStats(ds.columns, series.all), head: null, series: series.thinned, images: null };
  }
  return { ...base, columns: tableStats(ds), head: tableHead(ds), series: null, images: null };
}

/** Calls `each(row, values)` for every example, its values in the file's units (standardising undone), a block at a time. */
function forEachRow(ds: Dataset, rows: number, each: (row: number, values: Float64Array, offset: number) => void): void {
  const F = ds.dim;
  const BLOCK = 16384;
  for (let a = 0; a < rows; a += BLOCK) {
    const b = Math.min(rows, a + BLOCK);
    const raw = toFileUnits(ds.values.subarray(a * F, b * F), F, ds.standardization);
    for (let i = a; i < b; i++) each(i, raw, (i - a) * F);
  }
}

function tableStats(ds: Dataset): ColumnStats[] {
  const F = ds.dim;
  const sum = new Float64Array(F);
  const sq = new Float64Array(F);
  const min = new Float64Array(F).fill(Infinity);
  const max = new Float64Array(F).fill(-Infinity);
  forEachRow(ds, ds.n, (_, raw, o) => {
    for (let j = 0; j < F; j++) {
      const x = raw[o + j]!;
      sum[j]! += x;
      if (x < min[j]!) min[j] = x;
      if (x > max[j]!) max[j] = x;
    }
  });
  const mean = Array.from(sum, (s) => s / ds.n);
  forEachRow(ds, ds.n, (_, raw, o) => {
    for (let j = 0; j < F; j++) sq[j]! += (raw[o + j]! - mean[j]!) ** 2;
  });
  return ds.columns.map((name, j) => ({ name, mean: mean[j]!, sd: Math.sqrt(sq[j]! / ds.n), min: min[j]!, max: max[j]!, missing: ds.missing?.[j] ?? 0 }));
}

function tableHead(ds: Dataset): DataPreview['head'] {
  const F = ds.dim;
  const rows: Array<Array<number | string>> = [];
  forEachRow(ds, Math.min(HEAD_ROWS, ds.n), (i, raw, o) => {
    const row: Array<number | string> = Array.from(raw.subarray(o, o + F));
    if (ds.labels && ds.classes) row.push(ds.classes[ds.labels[i]!]!);
    rows.push(row);
  });
  return { columns: ds.labels && ds.classes ? [...ds.columns, 'label'] : [...ds.columns], rows };
}

function classCounts(ds: Dataset): DataPreview['classes'] {
  if (!ds.labels || !ds.classes) return null;
  const counts = new Array<number>(ds.classes.length).fill(0);
  for (const l of ds.labels) counts[l]!++;
  return ds.classes.map((name, i) => ({ name, count: counts[i]! }));
}

/**
 * The series rows the windows cover, in the file's units: window e starts at row
 * w·stride (w: its window number in the series), and each row is taken once.
 */
function seriesOf(ds: Dataset): { all: { rows: number[]; values: number[][] }; thinned: NonNullable<DataPreview['series']> } {
  const s = ds.structure as Extract<Dataset['structure'], { kind: 'sequence' }>;
  const plan = ds.windows!;
  const T = s.t;
  const F = s.f;
  const stride = plan.total > 1 && plan.train > 0 ? strideOf(plan, T) : T;
  const firstHeld = plan.total - plan.heldOut;
  const rows: number[] = [];
  const values: number[][] = Array.from({ length: F }, () => []);
  let next = 0;
  for (let e = 0; e < ds.n; e++) {
    const w = e < plan.train ? e : firstHeld + (e - plan.train);
    const start = w * stride;
    const raw = toFileUnits(ds.values.subarray(e * T * F, (e + 1) * T * F), F, ds.standardization);
    for (let t = Math.max(0, next - start); t < T; t++) {
      rows.push(start + t);
      for (let f = 0; f < F; f++) values[f]!.push(raw[t * F + f]!);
    }
    next = Math.max(next, start + T);
  }
  const step = Math.max(1, Math.ceil(rows.length / SERIES_POINTS));
  const keep = Math.ceil(rows.length / step);
  const xs = new Float64Array(keep);
  const ys = values.map(() => new Float32Array(keep));
  for (let k = 0; k < keep; k++) {
    xs[k] = rows[k * step]!;
    for (let f = 0; f < F; f++) ys[f]![k] = values[f]![k * step]!;
  }
  return { all: { rows, values }, thinned: { rows: xs, values: ys } };
}

/** The stride the windows were cut with: the held-out windows start at firstHeld·stride. */
function strideOf(plan: WindowPlan, T: number): number {
  const firstHeld = plan.total - plan.heldOut;
  return firstHeld > 0 ? plan.heldOutStartRow / firstHeld : T;
}

function seriesStats(names: readonly string[], series: { values: number[][] }): ColumnStats[] {
  return names.map((name, f) => {
    const xs = series.values[f]!;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const x of xs) {
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const mean = sum / xs.length;
    let ss = 0;
    for (const x of xs) ss += (x - mean) * (x - mean);
    return { name, mean, sd: Math.sqrt(ss / xs.length), min, max, missing: 0 };
  });
}

/**
 * What was dropped and why, in a sentence: "12 rows dropped: missing value in "Sex"
 * (lines 5, 9, …)", one clause per reason among the first listed; null when nothing was.
 */
export function droppedText(dropped: Dataset['dropped'], noun: 'rows' | 'files'): string | null {
  if (dropped.count === 0) return null;
  const byReason = new Map<string, string[]>();
  for (const d of dropped.first) {
    const at = d.line !== undefined ? String(d.line) : d.record !== undefined ? String(d.record) : d.field !== undefined ? JSON.stringify(d.field) : '?';
    const list = byReason.get(d.reason) ?? [];
    list.push(at);
    byReason.set(d.reason, list);
  }
  const more = dropped.count > dropped.first.length;
  const where = (d: DroppedRow | undefined, many: boolean) => {
    const w = d?.line !== undefined ? 'line' : d?.record !== undefined ? 'record' : noun === 'files' ? 'file' : 'row';
    return many ? `${w}s` : w;
  };
  const clauses = [...byReason.entries()].map(([reason, at], i, all) => {
    const first = dropped.first.find((d) => d.reason === reason);
    const tail = more && i === all.length - 1 ? ', …' : '';
    return `${reason} (${where(first, at.length > 1 || tail !== '')} ${at.join(', ')}${tail})`;
  });
  const one = noun === 'files' ? 'file' : 'row';
  return `${dropped.count} ${dropped.count === 1 ? one : noun} dropped: ${clauses.join('; ')}`;
}
