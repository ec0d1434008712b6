import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { changedWarning, sha256Hex } from '../../../src/runtime/data/hash';
import { text } from './fixtures';

describe('data file hashes', () => {
  it('is the SHA-256 of the bytes, in lower-case hex', async () => {
    const bytes = text('a,b\n1,2\n');
    expect(await sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('warns DATA_CHANGED on the node only when a recorded hash differs', async () => {
    const h = await sha256Hex(text('x'));
    expect(changedWarning('data', 'x.csv', '', h)).toBeNull();
    expect(changedWarning('data', 'x.csv', h.toUpperCase(), h)).toBeNull();
    expect(changedWarning('data', 'x.csv', '0'.repeat(64), h)).toMatchObject({ code: 'DATA_CHANGED', severity: 'warning', node: 'data' });
  });
});
