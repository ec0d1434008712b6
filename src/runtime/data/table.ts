/**
 * `data.table` files as a dataset (DESIGN.md section 7): feature columns, an optional label
 * column (strings allowed), missing cells dropped or refused, standardised with the mean and
 * standard deviation (ddof 0) of the training rows only. Pure: no tfjs, no Node APIs.
 */
import { warning, type Diagnostic } from '../../graph/diagnostics';
import {
  classIndex,
  DataError,
  dropRow,
  droppedWarning,
  heldOutCount,
  runLoader,
  splitExamples,
  type Dataset,
  type LoadContext,
  type LoadResult,
} from './dataset';
import { readTable, rowName, rowWhere, selectColumns } from './text-table';

export interface TableParams {
  /** Feature columns by exact header name; empty: every numeric column except the label. */
  columns: readonly string[];
  /** "" for none. */
  labelColumn: string;
  missing: 'drop-rows' | 'error';
  standardize: boolean;
  heldOutFraction: number;
}

export function loadTable(bytes: Uint8Array, params: TableParams, ctx: LoadContext = {}): LoadResult {
  return runLoader(ctx, () => buildTable(bytes, params, ctx));
}

function buildTable(bytes: Uint8Array, params: TableParams, ctx: LoadContext): Dataset {
  const t = readTable(bytes, ctx, params.labelColumn);
  if (t.rows === 0) throw new DataError('DATA_EMPTY', 'The file has a header but no rows.', { fix: 'Add rows of values under the header.' });
  if (params.labelColumn !== '' && !t.header.includes(params.labelColumn)) {
    throw new DataError('DATA_NOT_NUMERIC', `There is no label column named ${JSON.stringify(params.labelColumn)}; the columns are ${t.header.map((h) => JSON.stringify(h)).join(', ')}.`, {
      field: params.labelColumn,
      fix: 'Column names are matched exactly (case and spaces included).',
    });
  }
  const cols = selectColumns(t, params.columns, params.labelColumn);
  const F = cols.length;
  const W = t.header.length;

  // Which rows stay: every feature present (and the label, when there is one).
  const keep = new Uint8Array(t.rows);
  const dropped: Dataset['dropped'] = { count: 0, first: [] };
  let n = 0;
  for (let r = 0; r < t.rows; r++) {
    let missing = -1;
    for (let j = 0; j < F; j++) {
      if (Number.isNaN(t.values[r * W + cols[j]!]!)) {
        missing = cols[j]!;
        break;
      }
    }
    const noLabel = missing < 0 && t.labels !== null && t.labels[r] === null;
    if (missing < 0 && !noLabel) {
      keep[r] = 1;
      n++;
      continue;
    }
    const field = missing >= 0 ? t.header[missing]! : params.labelColumn;
    const reason = missing >= 0 ? `missing value in ${JSON.stringify(field)}` : `missing label in ${JSON.stringify(field)}`;
    if (params.missing === 'error') {
      throw new DataError('DATA_NOT_NUMERIC', `${capital(rowName(t, r))}, column ${JSON.stringify(field)}: the value is missing.`, {
        ...rowWhere(t, r),
        field,
        fix: 'Fill the cell, or set missing to "drop-rows" to leave such rows out.',
      });
    }
    dropRow(dropped, { ...rowWhere(t, r), field, reason });
  }
  if (n === 0) {
    throw new DataError('DATA_EMPTY', `Every one of the ${t.rows} rows has a missing value, so no row is left.`, {
      fix: 'Choose columns that hold values (columns), or fill the missing cells.',
    });
  }

  const values = new Float32Array(n * F);
  const labelText: string[] = [];
  for (let r = 0, k = 0; r < t.rows; r++) {
    if (!keep[r]) continue;
    for (let j = 0; j < F; j++) values[k * F + j] = t.values[r * W + cols[j]!]!;
    if (t.labels) labelText.push(t.labels[r]!);
    k++;
  }

  const { train, heldOut } = splitExamples(n, heldOutCount(n, params.heldOutFraction));
  const columns = cols.map((c) => t.header[c]!);
  const warnings: Diagnostic[] = [];
  const standardization = params.standardize ? standardize(values, F, train, columns, warnings, ctx) : null;
  if (dropped.count > 0) warnings.unshift(droppedWarning(dropped, t.rows, 'rows', ctx));
  const labels = t.labels ? classIndex(labelText) : null;
  return {
    n,
    dim: F,
    structure: { kind: 'table', f: F },
    values,
    labels: labels?.labels ?? null,
    classes: labels?.classes ?? null,
    columns,
    train,
    heldOut,
    standardization,
    dropped,
    warnings,
    rows: t.rows,
    missing: cols.map((c) => t.rows - t.present[c]!),
  };
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Standardises `values` (n × F, in place) with each column's mean and standard deviation
 * (ddof 0) over the rows in `rows`. A constant column is only centred (DATA_CONSTANT_COLUMN).
 */
export function standardize(
  values: Float32Array,
  F: number,
  rows: ArrayLike<number>,
  columns: readonly string[],
  warnings: Diagnostic[],
  ctx: LoadContext,
): { mean: Float64Array; std: Float64Array } {
  const m = rows.length;
  const mean = new Float64Array(F);
  const std = new Float64Array(F);
  for (let i = 0; i < m; i++) {
    const o = rows[i]! * F;
    for (let j = 0; j < F; j++) mean[j]! += values[o + j]!;
  }
  for (let j = 0; j < F; j++) mean[j]! /= m;
  for (let i = 0; i < m; i++) {
    const o = rows[i]! * F;
    for (let j = 0; j < F; j++) {
      const d = values[o + j]! - mean[j]!;
      std[j]! += d * d;
    }
  }
  const scale = new Float64Array(F);
  for (let j = 0; j < F; j++) {
    std[j] = Math.sqrt(std[j]! / m);
    if (!(std[j]! > 1e-12 * Math.max(1, Math.abs(mean[j]!)))) {
      std[j] = 0;
      scale[j] = 1;
      warnings.push(
        warning('DATA_CONSTANT_COLUMN', `Column ${JSON.stringify(columns[j])} is constant over the training rows (${mean[j]}); it is centred but not scaled.`, {
          node: ctx.nodeId ?? null,
          field: columns[j]!,
        }),
      );
    } else {
      scale[j] = 1 / std[j]!;
    }
  }
  const total = values.length / F;
  for (let i = 0; i < total; i++) {
    const o = i * F;
    for (let j = 0; j < F; j++) values[o + j] = (values[o + j]! - mean[j]!) * scale[j]!;
  }
  return { mean, std };
}
