import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSequence, planWindows, type SequenceParams } from '../../../src/runtime/data/sequence';
import type { Dataset, LoadResult } from '../../../src/runtime/data/dataset';
import { text } from './fixtures';

const P: SequenceParams = { columns: [], length: 10, stride: 0, standardize: false, heldOutFraction: 0.1 };

function ok(r: LoadResult): Dataset {
  if (!r.ok) throw new Error(`expected a dataset, got ${JSON.stringify(r.diagnostics)}`);
  return r.dataset;
}

/** A series of `n` rows: a = row, b = 1000 + row, and a text column. */
function series(n: number): Uint8Array {
  return text('day,a,b\n' + Array.from({ length: n }, (_, r) => `d${r},${r},${1000 + r}`).join('\n') + '\n');
}

describe('data.sequence windows', () => {
  it('cuts windows every `length` rows by default and holds out the last ones in time', () => {
    const d = ok(loadSequence(series(100), P));
    expect(d.structure).toEqual({ kind: 'sequence', t: 10, f: 2 });
    expect(d.columns).toEqual(['a', 'b']);
    expect(d.windows).toEqual({ total: 10, train: 9, heldOut: 1, overlapping: 0, heldOutStartRow: 90 });
    expect(Array.from(d.train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(d.heldOut)).toEqual([9]);
    // Time-major: t0's F values, then t1's, …
    expect(Array.from(d.values.subarray(9 * 20, 9 * 20 + 4))).toEqual([90, 1090, 91, 1091]);
  });

  it('drops the training windows that overlap the held-out ones (stride < length)', () => {
    const d = ok(loadSequence(series(100), { ...P, stride: 5 }));
    // 19 windows; ceil(1.9) = 2 held out, from row 85; windows i with 5i + 10 ≤ 85 train: 16; one dropped.
    expect(d.windows).toEqual({ total: 19, train: 16, heldOut: 2, overlapping: 1, heldOutStartRow: 85 });
    expect(d.n).toBe(18);
    const lastTrainEnd = d.values[15 * 20 + 9 * 2]!; // window 15's last row, column a
    expect(lastTrainEnd).toBe(84);
    expect(d.values[16 * 20]).toBe(85); // the first held-out window starts at row 85
    expect(d.values[17 * 20]).toBe(90);
  });

  it('standardises over the training windows rows only (each row once)', () => {
    const d = ok(loadSequence(series(100), { ...P, stride: 5, standardize: true }));
    // Training windows cover rows 0…84: a = 0…84, mean 42, sd sqrt((85² − 1)/12).
    expect(d.standardization!.mean[0]).toBeCloseTo(42, 10);
    expect(d.standardization!.std[0]).toBeCloseTo(Math.sqrt((85 * 85 - 1) / 12), 10);
    expect(d.values[0]).toBeCloseTo(-42 / Math.sqrt((85 * 85 - 1) / 12), 5);
  });

  it('counts rows in gaps between windows out of the standardisation (stride > length)', () => {
    const d = ok(loadSequence(series(100), { ...P, length: 2, stride: 10, standardize: true }));
    // Windows start at 0,10,…,90 (10); 1 held out (row 90); train rows 0,1,10,11,…,80,81.
    const rowsA = Array.from({ length: 9 }, (_, i) => [10 * i, 10 * i + 1]).flat();
    const mean = rowsA.reduce((a, b) => a + b, 0) / rowsA.length;
    expect(d.standardization!.mean[0]).toBeCloseTo(mean, 10);
  });

  it('plans windows as §7 says', () => {
    expect(() => planWindows(32, 32, 32, 0.1)).toThrow(/no training window/);
    expect(planWindows(64, 32, 0, 0.1)).toMatchObject({ total: 2, train: 1, heldOut: 1 });
  });
});

describe('sample:seattle-weather', () => {
  it('gives 45 windows of 32 days × 4 numeric columns', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../../../public/data/samples/seattle-weather.csv', import.meta.url)));
    const d = ok(loadSequence(bytes, { ...P, length: 32, standardize: true }));
    expect(d.columns).toEqual(['precipitation', 'temp_max', 'temp_min', 'wind']);
    expect(d.windows!.total).toBe(Math.floor(1461 / 32));
    expect(d.dim).toBe(128);
  });
});
