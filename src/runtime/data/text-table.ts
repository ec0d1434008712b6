/**
 * The cells of a table file (DESIGN.md section 7): CSV or TSV with a header row (the
 * delimiter detected by papaparse, a UTF-8 BOM ignored), or JSON as an array of flat
 * records. Each cell becomes a float32, NaN where it is missing or not a number, and the
 * first text cell of each column is remembered so a loader can name it. Tables and
 * sequences both read their files here. Pure: no tfjs, no Node APIs.
 */
import Papa from 'papaparse';
import { jsonSyntaxError, lineColumn } from '../../graph/schema';
import { checkBytes, checkValues, DataError, limitsOf, type LoadContext } from './dataset';
import { maybeGunzip } from './decompress';

/** Where a cell is: the file line (delimited text; the header is line 1) or the JSON record index. */
export interface CellRef {
  line?: number;
  record?: number;
  text: string;
}

export interface RawTable {
  format: 'delimited' | 'json';
  header: string[];
  rows: number;
  /** rows × header.length; NaN where the cell is missing or not a number. */
  values: Float32Array;
  /** Per column: the first cell that is neither missing nor a finite number (null: a numeric column). */
  firstText: (CellRef | null)[];
  /** Per column: how many cells are present (not missing). */
  present: Uint32Array;
  /** Per row: its line (delimited) or record index (JSON). */
  rowPos: Int32Array;
  /** The label column's cells as text, null where missing; null when no label column was asked for. */
  labels: (string | null)[] | null;
}

/** Cells that mean "no value" (DESIGN.md section 7). */
const MISSING = new Set(['', 'NA', 'NaN', 'null']);

export function isMissingCell(cell: string): boolean {
  return MISSING.has(cell.trim());
}

/** Letters a plain decimal number may hold (e and E of an exponent); any other letter means "not a number" (0x10, Infinity). */
const NON_DECIMAL = /[a-df-zA-DF-Z_]/;

/** A cell as a finite number, NaN when it is missing, undefined when it is text. */
export function parseCell(cell: string): number | undefined {
  const t = cell.trim();
  if (MISSING.has(t)) return NaN;
  const v = +t;
  if (Number.isFinite(v) && !NON_DECIMAL.test(t)) return v;
  return undefined;
}

/** Texts that are the file's bytes: a gzip is unpacked first; binary bytes are DATA_PARSE. */
export function decodeText(bytes: Uint8Array, ctx: LoadContext): string {
  const data = maybeGunzip(bytes, ctx);
  checkBytes(data.length, ctx);
  const probe = data.subarray(0, Math.min(data.length, 65536));
  const nul = probe.indexOf(0);
  if (nul >= 0 || (data[0] === 0x50 && data[1] === 0x4b && data[2] === 3 && data[3] === 4)) {
    throw new DataError('DATA_PARSE', 'The file is binary, not a text table (CSV, TSV or JSON records).', {
      line: 1,
      column: 1,
      fix: 'Choose a .csv, .tsv or .json file.',
    });
  }
  return new TextDecoder('utf-8').decode(data);
}

/** Reads the cells of a table file. `labelColumn` (may be "") keeps that column's text. */
export function readTable(bytes: Uint8Array, ctx: LoadContext, labelColumn: string): RawTable {
  const text = decodeText(bytes, ctx);
  const first = /\S/.exec(text);
  if (!first) throw new DataError('DATA_EMPTY', 'The file is empty.', { fix: 'A table needs a header row and at least one row of values.' });
  if (first[0] === '[' || first[0] === '{') return readJson(text, ctx, labelColumn);
  return readDelimited(text, ctx, labelColumn);
}

/** Grows row storage by doubling. */
class Rows {
  values: Float32Array;
  rowPos: Int32Array;
  rows = 0;
  constructor(readonly width: number) {
    this.values = new Float32Array(1024 * Math.max(1, width));
    this.rowPos = new Int32Array(1024);
  }
  /** The offset of a new row's first value. */
  add(pos: number): number {
    if (this.rows === this.rowPos.length) {
      const rp = new Int32Array(this.rowPos.length * 2);
      rp.set(this.rowPos);
      this.rowPos = rp;
      const v = new Float32Array(this.values.length * 2);
      v.set(this.values);
      this.values = v;
    }
    this.rowPos[this.rows] = pos;
    return this.rows++ * this.width;
  }
}

function headerNames(header: string[], line: number | undefined): string[] {
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      throw new DataError('DATA_PARSE', `Two columns are named ${JSON.stringify(name)}; each column needs its own name.`, {
        line,
        field: name,
        fix: 'Rename one of them in the header.',
      });
    }
    seen.add(name);
  }
  return header;
}

function readDelimited(text: string, ctx: LoadContext, labelColumn: string): RawTable {
  const valueLimit = limitsOf(ctx).values;
  const nl = text.includes('\n') ? 10 : 13;
  let pos = 0; // where the next row may start
  let line = 1; // the line at `pos`
  let header: string[] | null = null;
  let rows: Rows | null = null;
  let firstText: (CellRef | null)[] = [];
  let present = new Uint32Array(0);
  let labelIdx = -1;
  let labels: (string | null)[] | null = null;
  let sinceProgress = 0;
  // One string per distinct label: a million rows of a few classes hold a million references, not a million strings.
  const names = new Map<string, string>();
  const intern = (s: string): string => {
    let v = names.get(s);
    if (v === undefined) names.set(s, (v = s));
    return v;
  };

  const countLines = (from: number, to: number): number => {
    let n = 0;
    for (let i = text.indexOf(nl === 10 ? '\n' : '\r', from); i >= 0 && i < to; i = text.indexOf(nl === 10 ? '\n' : '\r', i + 1)) n++;
    return n;
  };

  Papa.parse<string[]>(text, {
    skipEmptyLines: true,
    step(result) {
      // Blank lines before the row were skipped: step over them to find the row's own line.
      while (pos < text.length && (text.charCodeAt(pos) === 10 || text.charCodeAt(pos) === 13)) {
        if (text.charCodeAt(pos) === nl) line++;
        pos++;
      }
      const rowLine = line;
      const end = result.meta.cursor;
      line += countLines(pos, end);
      pos = end;
      for (const err of result.errors) {
        if (err.code === 'UndetectableDelimiter') continue; // one column: no delimiter to find
        const at = typeof err.index === 'number' ? lineColumn(text, quoteAt(text, err.index)) : { line: rowLine, column: 1 };
        throw new DataError('DATA_PARSE', `Line ${at.line}, column ${at.column}: ${err.message.replace(/\.$/, '')}.`, {
          line: at.line,
          column: at.column,
          fix: err.code === 'MissingQuotes' ? 'Close the quoted field with a " or remove the stray quote.' : undefined,
        });
      }
      const cells = result.data;
      if (!header) {
        header = headerNames(cells, 1);
        const w = header.length;
        rows = new Rows(w);
        firstText = new Array<CellRef | null>(w).fill(null);
        present = new Uint32Array(w);
        if (labelColumn !== '') {
          labelIdx = header.indexOf(labelColumn);
          labels = [];
        }
        return;
      }
      const w = header.length;
      if (cells.length !== w) {
        throw new DataError(
          'DATA_SHAPE',
          `Line ${rowLine} has ${cells.length} field${cells.length === 1 ? '' : 's'} but the header names ${w} columns${cells.length < w ? ` (nothing for ${JSON.stringify(header[cells.length])})` : ''}.`,
          { line: rowLine, field: cells.length > w ? undefined : header[cells.length], fix: 'Every row needs one value per header column (an empty cell is a missing value).' },
        );
      }
      const r = rows!;
      if ((r.rows + 1) * w > valueLimit) checkValues((r.rows + 1) * w, ctx);
      const o = r.add(rowLine);
      const v = r.values;
      for (let c = 0; c < w; c++) {
        const cell = cells[c]!;
        const x = parseCell(cell);
        if (x === undefined) {
          v[o + c] = NaN;
          present[c]!++;
          if (firstText[c] === null) firstText[c] = { line: rowLine, text: cell };
        } else {
          v[o + c] = x;
          if (!Number.isNaN(x)) present[c]!++;
        }
      }
      if (labels) labels.push(labelIdx >= 0 && !isMissingCell(cells[labelIdx]!) ? intern(cells[labelIdx]!.trim()) : null);
      if (ctx.onProgress && ++sinceProgress >= 65536) {
        sinceProgress = 0;
        ctx.onProgress(end / text.length);
      }
    },
  });
  if (!header || !rows) throw new DataError('DATA_EMPTY', 'The file is empty.');
  const r: Rows = rows;
  ctx.onProgress?.(1);
  return {
    format: 'delimited',
    header,
    rows: r.rows,
    values: r.values.subarray(0, r.rows * r.width),
    firstText,
    present,
    rowPos: r.rowPos.subarray(0, r.rows),
    labels,
  };
}

/** Papaparse reports a quote error at or just after the quote: point at the quote itself. */
function quoteAt(text: string, index: number): number {
  return text[index] !== '"' && text[index - 1] === '"' ? index - 1 : index;
}

function readJson(text: string, ctx: LoadContext, labelColumn: string): RawTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const { line, column, short } = jsonSyntaxError(text, e);
    throw new DataError('DATA_PARSE', `The file is not valid JSON at line ${line}, column ${column}: ${short}.`, { line, column });
  }
  if (!Array.isArray(doc)) {
    throw new DataError('DATA_PARSE', 'A JSON data file must be an array of flat records, like [{"a": 1, "b": 2}, …].', { line: 1, column: 1 });
  }
  // Columns: every key, in the order they first appear.
  const index = new Map<string, number>();
  doc.forEach((rec: unknown, i) => {
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      throw new DataError('DATA_PARSE', `Record ${i} is ${rec === null ? 'null' : Array.isArray(rec) ? 'an array' : `a ${typeof rec}`}, not a record like {"a": 1}.`, {
        record: i,
      });
    }
    for (const k of Object.keys(rec)) if (!index.has(k)) index.set(k, index.size);
  });
  const header = [...index.keys()];
  const w = header.length;
  if (doc.length === 0 || w === 0) throw new DataError('DATA_EMPTY', 'The JSON array holds no record with a value.');
  checkValues(doc.length * w, ctx);
  const rows = new Rows(w);
  const firstText = new Array<CellRef | null>(w).fill(null);
  const present = new Uint32Array(w);
  const labelIdx = labelColumn !== '' ? (index.get(labelColumn) ?? -1) : -1;
  const labels: (string | null)[] | null = labelColumn !== '' ? [] : null;
  doc.forEach((rec: Record<string, unknown>, i) => {
    const o = rows.add(i);
    const v = rows.values;
    v.fill(NaN, o, o + w);
    for (const [k, x] of Object.entries(rec)) {
      const c = index.get(k)!;
      let num: number | undefined;
      if (x === null) num = NaN;
      else if (typeof x === 'number') num = Number.isFinite(x) ? x : undefined;
      else if (typeof x === 'string') num = parseCell(x);
      else if (typeof x === 'boolean') num = undefined;
      else {
        throw new DataError('DATA_PARSE', `Record ${i}, column ${JSON.stringify(k)} holds ${Array.isArray(x) ? 'an array' : 'an object'}; records must be flat.`, {
          record: i,
          field: k,
        });
      }
      if (num === undefined) {
        present[c]!++;
        if (firstText[c] === null) firstText[c] = { record: i, text: String(x) };
      } else {
        v[o + c] = num;
        if (!Number.isNaN(num)) present[c]!++;
      }
    }
    if (labels) {
      const x = labelIdx >= 0 ? rec[labelColumn] : null;
      labels.push(x === null || x === undefined || (typeof x === 'string' && isMissingCell(x)) ? null : String(x).trim());
    }
  });
  ctx.onProgress?.(1);
  return {
    format: 'json',
    header,
    rows: rows.rows,
    values: rows.values.subarray(0, rows.rows * w),
    firstText,
    present,
    rowPos: rows.rowPos.subarray(0, rows.rows),
    labels,
  };
}

/** "line 7" or "record 6", for messages. */
export function rowName(t: RawTable, r: number): string {
  return t.format === 'json' ? `record ${t.rowPos[r]}` : `line ${t.rowPos[r]}`;
}

/** The line / record of row r, as diagnostic fields. */
export function rowWhere(t: RawTable, r: number): { line?: number; record?: number } {
  return t.format === 'json' ? { record: t.rowPos[r]! } : { line: t.rowPos[r]! };
}

export function cellWhere(ref: CellRef): { line?: number; record?: number } {
  return ref.record !== undefined ? { record: ref.record } : { line: ref.line! };
}

export function cellName(ref: CellRef): string {
  return ref.record !== undefined ? `record ${ref.record}` : `line ${ref.line}`;
}

/**
 * The feature columns (by index) a node uses: the named ones, each present and numeric, or
 * every numeric column that holds a value, except `exclude`. DATA_NOT_NUMERIC / DATA_EMPTY.
 */
export function selectColumns(t: RawTable, named: readonly string[], exclude: string): number[] {
  if (named.length > 0) {
    return named.map((name) => {
      const c = t.header.indexOf(name);
      if (c < 0) {
        throw new DataError('DATA_NOT_NUMERIC', `There is no column named ${JSON.stringify(name)}; the columns are ${listNames(t.header)}.`, {
          field: name,
          fix: 'Column names are matched exactly (case and spaces included).',
        });
      }
      const bad = t.firstText[c];
      if (bad) {
        throw new DataError('DATA_NOT_NUMERIC', `Column ${JSON.stringify(name)} is not numeric: ${cellName(bad)} holds ${JSON.stringify(clip(bad.text))}.`, {
          ...cellWhere(bad),
          field: name,
          fix: 'Fix that cell, or leave the column out of `columns`.',
        });
      }
      return c;
    });
  }
  const cols: number[] = [];
  t.header.forEach((name, c) => {
    if (name !== exclude && t.firstText[c] === null && t.present[c]! > 0) cols.push(c);
  });
  if (cols.length === 0) {
    throw new DataError('DATA_EMPTY', `No column is numeric (every non-missing cell a number); the columns are ${listNames(t.header)}.`, {
      fix: 'A table needs at least one numeric column besides the label.',
    });
  }
  return cols;
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 12).map((n) => JSON.stringify(n));
  return shown.join(', ') + (names.length > 12 ? `, … (${names.length} in all)` : '');
}

export function clip(s: string, n = 40): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
