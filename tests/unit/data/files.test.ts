import { describe, expect, it } from 'vitest';
import { checkFileName, SAMPLES } from '../../../src/runtime/data/files';

const at = { node: 'data' };

describe('data file names (DESIGN.md section 7)', () => {
  it('takes plain file names', () => {
    for (const name of ['penguins.csv', 'my data (2).tsv', 'train-images-idx3-ubyte.gz', 'ünïcode.json', 'a.b.c']) {
      expect(checkFileName(name, at), name).toEqual({ ok: true, ref: { kind: 'file', name } });
    }
  });

  it('resolves the samples that ship', () => {
    expect(checkFileName('sample:penguins', at)).toEqual({ ok: true, ref: { kind: 'sample', name: 'penguins', asset: SAMPLES.penguins.asset } });
    expect(checkFileName('sample:seattle-weather', at)).toMatchObject({ ok: true, ref: { kind: 'sample', name: 'seattle-weather' } });
  });

  it('refuses paths, .., drives, absolute names and URLs with DATA_PATH on the node', () => {
    for (const name of ['data/x.csv', '../x.csv', '..', 'x..csv', '/etc/passwd', 'C:\\x.csv', 'c:x.csv', '\\\\server\\share\\x.csv', 'https://example.com/x.csv', 'file:x.csv', 'data:text/csv,a', 'x\n.csv']) {
      const r = checkFileName(name, { node: 'data', param: 'labelsFile' });
      expect(r.ok, name).toBe(false);
      if (!r.ok) {
        expect(r.diagnostic).toMatchObject({ code: 'DATA_PATH', node: 'data', severity: 'error' });
        expect(r.diagnostic.message).toContain('labelsFile');
      }
    }
  });

  it('says DATA_MISSING for an empty name or an unknown sample', () => {
    expect(checkFileName('', at)).toMatchObject({ ok: false, diagnostic: { code: 'DATA_MISSING', node: 'data' } });
    const r = checkFileName('sample:mnist-fashion', at);
    expect(r).toMatchObject({ ok: false, diagnostic: { code: 'DATA_MISSING' } });
    if (!r.ok) expect(r.diagnostic.fix).toContain('sample:penguins');
  });
});
