/**
 * Twenty-odd kinds of broken data file, each refused with its §7 code and, where it has one,
 * the line (or JSON record) and the column — never an exception, never a half dataset.
 */
import { describe, expect, it } from 'vitest';
import { loadTable, type TableParams } from '../../../src/runtime/data/table';
import { loadSequence, type SequenceParams } from '../../../src/runtime/data/sequence';
import { loadImages, type ImagesParams } from '../../../src/runtime/data/images';
import type { LoadResult } from '../../../src/runtime/data/dataset';
import { BROKEN_DEFAULTS, BROKEN_FILES, type BrokenFile } from '../../fixtures/broken-data';

/** A case through its node type's loader, with the case's params over the defaults. */
function load(c: BrokenFile): LoadResult {
  const ctx = { nodeId: 'data', ...(c.limits ? { limits: c.limits } : {}) };
  const params = { ...BROKEN_DEFAULTS[c.type], ...c.params };
  if (c.type === 'data.table') return loadTable(c.bytes(), params as unknown as TableParams, ctx);
  if (c.type === 'data.sequence') return loadSequence(c.bytes(), params as unknown as SequenceParams, ctx);
  return loadImages(c.bytes(), c.labels?.() ?? null, params as unknown as ImagesParams, ctx);
}

const CASES = BROKEN_FILES.map((c) => ({ name: c.name, load: () => load(c), want: c.want }));

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
