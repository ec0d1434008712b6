/**
 * The real size limits of DESIGN.md section 7 (the unit tests lower them to stay quick): a
 * gzip that unpacks past 200 MB is refused once inflating passes the limit.
 */
import { describe, expect, it } from 'vitest';
import { loadTable } from '../../src/runtime/data/table';
import { DATA_LIMITS } from '../../src/runtime/data/dataset';
import { gzipBomb, text } from '../unit/data/fixtures';

describe('data size limits', () => {
  it('is 200 MB decompressed and 50 million values', () => {
    expect(DATA_LIMITS).toEqual({ bytes: 200 * 1024 * 1024, values: 50_000_000 });
  });

  // 16 GB of zeros: inflating it all would not fit in memory or in the test's time.
  it('refuses a 16 GB gzip bomb with DATA_TOO_LARGE, stopping at 200 MB', () => {
    const r = loadTable(gzipBomb(16384, text('a\n')), { columns: [], labelColumn: '', missing: 'drop-rows', standardize: true, heldOutFraction: 0.1 }, { nodeId: 'd' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics[0]).toMatchObject({ code: 'DATA_TOO_LARGE', node: 'd' });
    expect(r.diagnostics[0]!.message).toContain('200 MB');
  });
});
