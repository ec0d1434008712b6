/**
 * A loaded dataset as the trainer's DataSource (src/runtime/data/node-data.ts): image bytes
 * as byte/255, labels by class, and a sequence's split in time kept (never re-drawn as the
 * §7 permutation), so the held-out windows are the last ones.
 */
import { describe, expect, it } from 'vitest';
import { datasetSource, loaderFor } from '../../src/runtime/data/node-data';
import { Examples } from '../../src/runtime/data/examples';

const enc = (s: string) => new TextEncoder().encode(s);

describe('datasetSource', () => {
  it('a sequence keeps its split in time: the held-out windows are the last, the trainer uses them', () => {
    const rows = ['a,b', ...Array.from({ length: 40 }, (_, i) => `${i},${i * 2}`)].join('\n');
    const r = loaderFor('data.sequence')!({ file: enc(rows) }, { columns: [], length: 4, stride: 2, standardize: false, heldOutFraction: 0.2 }, {});
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const source = datasetSource(r.dataset);
    // 19 windows, the last ceil(3.8) = 4 held out (rows 30…39), the one before them overlaps: 14 train.
    expect(source.info).toMatchObject({ structure: { kind: 'sequence', t: 4, f: 2 }, n: 18, heldOut: 4 });
    const ex = Examples.fromSource(source, 4);
    expect(Array.from(ex.heldOutIndices)).toEqual([14, 15, 16, 17]);
    expect(Array.from(ex.fill([14]))).toEqual([30, 60, 31, 62, 32, 64, 33, 66]);
    expect(Array.from(ex.trainIndices).sort((x, y) => x - y)).toEqual(Array.from({ length: 14 }, (_, i) => i));
    expect(() => Examples.fromSource(source, 5)).toThrow(/holds out 4/);
  });

  it('a table is split as §7 says (the same split as the loader), its labels by class', () => {
    const rows = ['x,kind', ...Array.from({ length: 20 }, (_, i) => `${i},${i % 2 ? 'b' : 'a'}`)].join('\n');
    const r = loaderFor('data.table')!({ file: enc(rows) }, { columns: [], labelColumn: 'kind', missing: 'error', standardize: false, heldOutFraction: 0.25 }, {});
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const source = datasetSource(r.dataset);
    expect(source.split).toBeUndefined();
    const ex = Examples.fromSource(source, 5);
    expect(Array.from(ex.heldOutIndices)).toEqual(Array.from(r.dataset.heldOut));
    expect(Array.from(ex.labels([0, 1, 2]))).toEqual([0, 1, 0]);
    expect(source.info.labels).toEqual(['a', 'b']);
  });
});
