/**
 * Twenty-odd kinds of broken data file, each refused with its §7 code and, where it has one,
 * the line (or JSON record) and the column — never an exception, never a half dataset.
 */
import { describe, expect, it } from 'vitest';
import { loadTable, type TableParams } from '../../../src/runtime/data/table';
import { loadSequence, type SequenceParams } from '../../../src/runtime/data/sequence';
import { loadImages, type ImagesParams } from '../../../src/runtime/data/images';
import { DATA_LIMITS, type LoadResult } from '../../../src/runtime/data/dataset';
import type { Diagnostic } from '../../../src/graph/diagnostics';
import { gz, gzipBomb, idx, png, text, zip } from './fixtures';

const T: TableParams = { columns: [], labelColumn: '', missing: 'drop-rows', standardize: true, heldOutFraction: 0.25 };
const S: SequenceParams = { columns: [], length: 4, stride: 0, standardize: true, heldOutFraction: 0.25 };
const I: ImagesParams = { size: 4, channels: 1, heldOut: 1 };
const ctx = { nodeId: 'data' };
const small = { ...ctx, limits: { ...DATA_LIMITS, bytes: 4 << 20 } };
const zipBomb = zip({ 'a/1.png': png(4, 4, 1, () => 1), 'a/big.png': new Uint8Array(16 << 20) }, 1);

const table = (s: string | Uint8Array, p: Partial<TableParams> = {}) => loadTable(typeof s === 'string' ? text(s) : s, { ...T, ...p }, ctx);

interface Case {
  name: string;
  load: () => LoadResult;
  want: Partial<Diagnostic> & { code: Diagnostic['code'] };
}

const good = 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n';
const truncatedPng = png(4, 4, 1, () => 9).slice(0, 40);

const CASES: Case[] = [
  { name: 'text in a named numeric column', load: () => table('a,b\n1,2\n3,oops\n5,6\n', { columns: ['a', 'b'] }), want: { code: 'DATA_NOT_NUMERIC', line: 3, field: 'b' } },
  { name: 'a missing cell with missing: "error"', load: () => table('a,b\n1,2\n3,4\n5,\n7,8\n', { missing: 'error' }), want: { code: 'DATA_NOT_NUMERIC', line: 4, field: 'b' } },
  { name: 'a missing label with missing: "error"', load: () => table('a,k\n1,x\n2,NA\n3,y\n', { missing: 'error', labelColumn: 'k' }), want: { code: 'DATA_NOT_NUMERIC', line: 3, field: 'k' } },
  { name: 'a row with too few fields', load: () => table('a,b,c\n1,2,3\n4,5\n6,7,8\n'), want: { code: 'DATA_SHAPE', line: 3, field: 'c' } },
  { name: 'a row with too many fields', load: () => table('a,b\n1,2\n3,4\n5,6,7\n'), want: { code: 'DATA_SHAPE', line: 4 } },
  { name: 'an unclosed quote', load: () => table('a,b\n1,2\n3,"4\n5,6\n'), want: { code: 'DATA_PARSE', line: 3, column: 3 } },
  { name: 'a named column that is not in the header', load: () => table(good, { columns: ['a', 'c'] }), want: { code: 'DATA_NOT_NUMERIC', field: 'c' } },
  { name: 'a label column that is not in the header', load: () => table(good, { labelColumn: 'Label' }), want: { code: 'DATA_NOT_NUMERIC', field: 'Label' } },
  { name: 'Infinity and 1e999 are not finite numbers', load: () => table('a\n1\n1e999\n2\n', { columns: ['a'] }), want: { code: 'DATA_NOT_NUMERIC', line: 3, field: 'a' } },
  { name: 'hex is not a decimal number', load: () => table('a\n1\n0x1F\n', { columns: ['a'] }), want: { code: 'DATA_NOT_NUMERIC', line: 3, field: 'a' } },
  { name: 'two columns with one name', load: () => table('a,b,a\n1,2,3\n'), want: { code: 'DATA_PARSE', line: 1, field: 'a' } },
  { name: 'an empty file', load: () => table(''), want: { code: 'DATA_EMPTY' } },
  { name: 'a header and no rows', load: () => table('a,b\n'), want: { code: 'DATA_EMPTY' } },
  { name: 'no numeric column', load: () => table('name,kind\nx,p\ny,q\n'), want: { code: 'DATA_EMPTY' } },
  { name: 'every row has a missing value', load: () => table('a,b\n1,\n,2\nNA,NA\n'), want: { code: 'DATA_EMPTY' } },
  { name: 'a split with nothing left to train on', load: () => table('a\n1\n', { heldOutFraction: 0.5 }), want: { code: 'DATA_EMPTY' } },
  { name: 'a binary file dropped on a table', load: () => table(png(2, 2, 1, () => 0)), want: { code: 'DATA_PARSE', line: 1, column: 1 } },
  { name: 'JSON with a syntax error', load: () => table('[{"a": 1},\n {"a": 2,}]'), want: { code: 'DATA_PARSE', line: 2, column: 10 } },
  { name: 'JSON that is not an array', load: () => table('{"a": [1, 2]}'), want: { code: 'DATA_PARSE', line: 1 } },
  { name: 'a JSON record that is not a record', load: () => table('[{"a": 1}, {"a": 2}, 3]'), want: { code: 'DATA_PARSE', record: 2 } },
  { name: 'a JSON record with a nested value', load: () => table('[{"a": 1}, {"a": {"b": 2}}]'), want: { code: 'DATA_PARSE', record: 1, field: 'a' } },
  { name: 'a JSON string in a named numeric column', load: () => table('[{"a": 1}, {"a": 2}, {"a": "two"}]', { columns: ['a'] }), want: { code: 'DATA_NOT_NUMERIC', record: 2, field: 'a' } },
  { name: 'a truncated gzip', load: () => table(gz(text(good)).slice(0, 20)), want: { code: 'DATA_PARSE' } },
  // The byte limit, lowered here to keep the test quick (tests/integration/data-limits.test.ts checks the real 200 MB).
  // 16 GB of zeros: only a loader that stops inflating at the limit gets through it.
  { name: 'a gzip that unpacks past the limit', load: () => loadTable(gzipBomb(16384, text('a\n')), T, small), want: { code: 'DATA_TOO_LARGE' } },
  { name: 'more values than the limit', load: () => loadTable(text('a,b\n1,2\n3,4\n5,6\n'), T, { ...ctx, limits: { ...DATA_LIMITS, values: 5 } }), want: { code: 'DATA_TOO_LARGE' } },
  { name: 'a gap in a series', load: () => loadSequence(text('a\n1\n2\n\n3\nNA\n5\n6\n7\n8\n'), S, ctx), want: { code: 'DATA_NOT_NUMERIC', line: 6, field: 'a' } },
  { name: 'a series shorter than one window', load: () => loadSequence(text('a\n1\n2\n3\n'), S, ctx), want: { code: 'DATA_SHAPE' } },
  { name: 'a series too short to split', load: () => loadSequence(text('a\n1\n2\n3\n4\n5\n6\n7\n8\n'), { ...S, stride: 1, heldOutFraction: 0.5 }, ctx), want: { code: 'DATA_EMPTY' } },
  { name: 'IDX with a wrong magic', load: () => loadImages(text('not idx at all'), null, I, ctx), want: { code: 'DATA_PARSE', line: 1, column: 1 } },
  { name: 'IDX of float32 values', load: () => loadImages(idx([2, 2, 2], new Uint8Array(32), 0x0d), null, I, ctx), want: { code: 'DATA_PARSE' } },
  { name: 'IDX whose header does not match its length', load: () => loadImages(idx([3, 4, 4]).slice(0, 40), null, I, ctx), want: { code: 'DATA_SHAPE' } },
  { name: 'IDX cut inside its header', load: () => loadImages(idx([3, 4, 4]).slice(0, 9), null, I, ctx), want: { code: 'DATA_SHAPE' } },
  { name: 'IDX labels that do not match the images', load: () => loadImages(idx([3, 2, 2]), idx([4]), I, ctx), want: { code: 'DATA_SHAPE' } },
  { name: 'IDX labels of two dimensions', load: () => loadImages(idx([3, 2, 2]), idx([3, 1]), I, ctx), want: { code: 'DATA_SHAPE' } },
  { name: 'IDX images of two dimensions', load: () => loadImages(idx([3, 4]), null, I, ctx), want: { code: 'DATA_SHAPE' } },
  { name: 'IDX over 50 million values', load: () => loadImages(idx([50_001, 1000, 1], new Uint8Array(50_001_000)), null, I, ctx), want: { code: 'DATA_TOO_LARGE' } },
  { name: 'a zip with no images', load: () => loadImages(zip({ 'a/readme.txt': text('hi') }), null, I, ctx), want: { code: 'DATA_EMPTY' } },
  { name: 'a zip with a broken PNG', load: () => loadImages(zip({ 'a/1.png': png(4, 4, 1, () => 1), 'a/2.png': truncatedPng }), null, I, ctx), want: { code: 'DATA_PARSE' } },
  { name: 'a zip cut short', load: () => loadImages(zip({ 'a/1.png': png(4, 4, 1, () => 1), 'a/2.png': png(4, 4, 1, () => 2) }).slice(0, 100), null, I, ctx), want: { code: 'DATA_PARSE' } },
  { name: 'a zip that unpacks past the limit', load: () => loadImages(zipBomb, null, I, small), want: { code: 'DATA_TOO_LARGE' } },
];

describe('broken data files', () => {
  it('has at least twenty kinds', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.want.code}`, () => {
      const r = c.load();
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.diagnostics).toHaveLength(1);
      const d = r.diagnostics[0]!;
      expect(d).toMatchObject({ severity: 'error', node: 'data', ...c.want });
      // Where the case names a line, record or column, the message says it too.
      if (c.want.line !== undefined && c.want.code !== 'DATA_PARSE') expect(d.message).toMatch(new RegExp(`[Ll]ine ${c.want.line}\\b`));
      if (c.want.record !== undefined) expect(d.message).toMatch(new RegExp(`[Rr]ecord ${c.want.record}\\b`));
      if (c.want.field !== undefined) expect(d.message).toContain(JSON.stringify(c.want.field));
      expect(d.message.length).toBeGreaterThan(10);
    });
  }
});
