import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTable, type TableParams } from '../../../src/runtime/data/table';
import { splitIndices } from '../../../src/runtime/data/split';
import type { Dataset, LoadResult } from '../../../src/runtime/data/dataset';
import { gz, text } from './fixtures';

const P: TableParams = { columns: [], labelColumn: '', missing: 'drop-rows', standardize: false, heldOutFraction: 0.25 };

function ok(r: LoadResult): Dataset {
  if (!r.ok) throw new Error(`expected a dataset, got ${JSON.stringify(r.diagnostics)}`);
  return r.dataset;
}

function rows(d: Dataset): number[][] {
  return Array.from({ length: d.n }, (_, i) => Array.from(d.values.subarray(i * d.dim, (i + 1) * d.dim)));
}

describe('data.table: reading', () => {
  it('reads every numeric column, in header order, skipping text columns and the label', () => {
    const d = ok(loadTable(text('name,a,b,kind\nx,1,2.5,p\ny,3,-4e1,q\nz,5,6,p\nw,7,8,q\n'), { ...P, labelColumn: 'kind' }));
    expect(d.columns).toEqual(['a', 'b']);
    expect(d.structure).toEqual({ kind: 'table', f: 2 });
    expect(rows(d)).toEqual([[1, 2.5], [3, -40], [5, 6], [7, 8]]);
    expect(d.classes).toEqual(['p', 'q']);
    expect(Array.from(d.labels!)).toEqual([0, 1, 0, 1]);
  });

  it('takes the named columns in the order named', () => {
    const d = ok(loadTable(text('a,b,c\n1,2,3\n4,5,6\n7,8,9\n10,11,12\n'), { ...P, columns: ['c', 'a'] }));
    expect(d.columns).toEqual(['c', 'a']);
    expect(rows(d)).toEqual([[3, 1], [6, 4], [9, 7], [12, 10]]);
  });

  it('detects the delimiter (comma, semicolon, tab) and ignores a UTF-8 BOM', () => {
    const want = [[1, 2], [3, 4], [5, 6], [7, 8]];
    for (const sep of [',', ';', '\t']) {
      const body = ['a', 'b'].join(sep) + '\n' + want.map((r) => r.join(sep)).join('\n') + '\n';
      const d = ok(loadTable(text(`\ufeff${body}`), P));
      expect(d.columns, JSON.stringify(sep)).toEqual(['a', 'b']);
      expect(rows(d)).toEqual(want);
    }
  });

  it('reads JSON records the same as the CSV, missing keys and nulls as missing values', () => {
    const json = JSON.stringify([{ a: 1, b: '2', s: 'u' }, { a: 3, b: 4, s: 'v' }, { a: null, b: 5, s: 'u' }, { b: 6, s: 'v' }, { a: 7, b: 8, s: 'v' }]);
    const csv = 'a,b,s\n1,2,u\n3,4,v\n,5,u\nNA,6,v\n7,8,v\n';
    const a = ok(loadTable(text(json), { ...P, labelColumn: 's' }));
    const b = ok(loadTable(text(csv), { ...P, labelColumn: 's' }));
    expect(rows(a)).toEqual(rows(b));
    expect(rows(a)).toEqual([[1, 2], [3, 4], [7, 8]]);
    expect(Array.from(a.labels!)).toEqual(Array.from(b.labels!));
    expect(a.dropped.first.map((r) => r.record)).toEqual([2, 3]);
    expect(b.dropped.first.map((r) => r.line)).toEqual([4, 5]);
  });

  it('treats empty, NA, NaN and null as missing and drops those rows, saying how many and where', () => {
    const d = ok(loadTable(text('a,b\n1,2\n,3\nNA,4\n5,NaN\n6, null \n7,8\n9,10\n'), P));
    expect(rows(d)).toEqual([[1, 2], [7, 8], [9, 10]]);
    expect(d.dropped.count).toBe(4);
    expect(d.dropped.first.map((r) => [r.line, r.field])).toEqual([[3, 'a'], [4, 'a'], [5, 'b'], [6, 'b']]);
    const w = d.warnings.find((x) => x.code === 'DATA_ROWS_DROPPED')!;
    expect(w).toMatchObject({ severity: 'warning', line: 3, field: 'a' });
    expect(w.message).toContain('4 of 7 rows');
  });

  it('counts lines across quoted line breaks and blank lines', () => {
    const d = ok(loadTable(text('note,a\n"two\nlines",1\n\n"x",\nok,3\nok,4\n'), P));
    expect(d.dropped.first).toEqual([{ line: 5, field: 'a', reason: 'missing value in "a"' }]);
  });

  it('reads a gzip-compressed CSV', () => {
    const d = ok(loadTable(gz(text('a\n1\n2\n3\n4\n')), P));
    expect(rows(d)).toEqual([[1], [2], [3], [4]]);
  });

  it('orders classes numerically when every label is a number, and as text otherwise', () => {
    const d = ok(loadTable(text('x,y\n1,10\n2,9\n3,2\n4,10\n'), { ...P, labelColumn: 'y' }));
    expect(d.classes).toEqual(['2', '9', '10']);
    expect(Array.from(d.labels!)).toEqual([2, 1, 0, 2]);
  });

  it('splits as §7 says: the fixed permutation of n, the last ceil(n·fraction) held out', () => {
    const body = Array.from({ length: 37 }, (_, i) => `${i}`).join('\n');
    const d = ok(loadTable(text(`a\n${body}\n`), { ...P, heldOutFraction: 0.1 }));
    const want = splitIndices(37, 4);
    expect(d.heldOut).toEqual(want.heldOut);
    expect(d.train).toEqual(want.train);
    // Example i is the file's i-th row.
    expect(d.values[d.heldOut[0]!]).toBe(d.heldOut[0]);
  });

  it('reports progress up to 1', () => {
    const seen: number[] = [];
    ok(loadTable(text('a\n1\n2\n'), P, { onProgress: (f) => seen.push(f) }));
    expect(seen.at(-1)).toBe(1);
  });
});

describe('data.table: standardising', () => {
  const csv = 'a,b,c\n' + Array.from({ length: 40 }, (_, i) => `${i * 3 + 1},${(i * 7) % 11},5`).join('\n') + '\n';
  const params = { ...P, standardize: true, heldOutFraction: 0.2 };

  it('uses the mean and standard deviation (ddof 0) of the training rows only', () => {
    const d = ok(loadTable(text(csv), params));
    const raw = rows(ok(loadTable(text(csv), P)));
    for (let j = 0; j < 2; j++) {
      const tr = Array.from(d.train, (i) => raw[i]![j]!);
      const mean = tr.reduce((a, b) => a + b, 0) / tr.length;
      const std = Math.sqrt(tr.reduce((a, b) => a + (b - mean) ** 2, 0) / tr.length);
      expect(d.standardization!.mean[j]).toBeCloseTo(mean, 10);
      expect(d.standardization!.std[j]).toBeCloseTo(std, 10);
      for (let i = 0; i < d.n; i++) expect(d.values[i * 3 + j]).toBeCloseTo((raw[i]![j]! - mean) / std, 5);
    }
  });

  it('is blind to the held-out rows: changing one leaves the training values as they were', () => {
    const d = ok(loadTable(text(csv), params));
    const lines = csv.split('\n');
    const h = d.heldOut[0]!;
    lines[h + 1] = '100000,100000,5';
    const e = ok(loadTable(text(lines.join('\n')), params));
    expect(e.standardization!.mean).toEqual(d.standardization!.mean);
    for (const i of d.train) expect(e.values[i * 3]).toBe(d.values[i * 3]);
  });

  it('only centres a constant column, with DATA_CONSTANT_COLUMN naming it', () => {
    const d = ok(loadTable(text(csv), params));
    expect(d.standardization!.std[2]).toBe(0);
    for (let i = 0; i < d.n; i++) expect(d.values[i * 3 + 2]).toBe(0);
    const w = d.warnings.filter((x) => x.code === 'DATA_CONSTANT_COLUMN');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ severity: 'warning', field: 'c' });
  });
});

describe('sample:penguins', () => {
  const bytes = new Uint8Array(readFileSync(new URL('../../../public/data/samples/penguins.csv', import.meta.url)));
  it('reads 342 of 344 birds with 4 measurements and 3 species', () => {
    const d = ok(loadTable(bytes, { ...P, labelColumn: 'Species', standardize: true, heldOutFraction: 0.1 }));
    expect(d.columns).toEqual(['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)']);
    expect(d.n).toBe(342);
    expect(d.heldOut.length).toBe(35);
    expect(d.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(d.dropped.count).toBe(2);
    // Standardised over the training birds: mean 0, sd 1 there.
    for (let j = 0; j < 4; j++) {
      const v = Array.from(d.train, (i) => d.values[i * 4 + j]!);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      expect(m).toBeCloseTo(0, 5);
      expect(Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length)).toBeCloseTo(1, 5);
    }
  });
});
