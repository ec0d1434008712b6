import { describe, expect, it } from 'vitest';
import { Examples } from '../../../src/runtime/data/examples';
import { loadTable } from '../../../src/runtime/data/table';
import { loadImages } from '../../../src/runtime/data/images';
import type { Dataset, LoadResult } from '../../../src/runtime/data/dataset';
import { idx, text } from './fixtures';

function ok(r: LoadResult): Dataset {
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.dataset;
}

describe('Examples of a loaded file', () => {
  const csv = 'a,b,k\n' + Array.from({ length: 50 }, (_, i) => `${i},${-i},${i % 3 === 0 ? 'x' : 'y'}`).join('\n') + '\n';
  const ds = ok(loadTable(text(csv), { columns: [], labelColumn: 'k', missing: 'drop-rows', standardize: false, heldOutFraction: 0.2 }));
  const ex = Examples.of(ds);

  it('visits every training example once per epoch, in an order drawn from the seed, the last batch smaller', () => {
    const seen: number[] = [];
    const sizes: number[] = [];
    for (let step = 1; step <= 4; step++) {
      const { epoch, indices } = ex.batchIndices(7, step, 12);
      expect(epoch).toBe(0);
      seen.push(...indices);
      sizes.push(indices.length);
    }
    expect(sizes).toEqual([12, 12, 12, 4]);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from(ds.train).sort((a, b) => a - b));
    expect(Array.from(ex.batchIndices(8, 1, 12).indices)).not.toEqual(seen.slice(0, 12));
    expect(ex.batchIndices(7, 5, 12).epoch).toBe(1);
  });

  it('fills float rows as loaded (times scale) and gives their classes', () => {
    const x = ex.fillImages([3, 0], { binarize: 'none', scale: 1 });
    expect(Array.from(x)).toEqual([3, -3, 0, 0]);
    expect(Array.from(ex.fillImages([3], { binarize: 'none', scale: 2 }))).toEqual([6, -6]);
    expect(Array.from(ex.labels([0, 1, 3]))).toEqual([0, 1, 0]);
  });

  it('reads image bytes as byte/255', () => {
    const im = Examples.of(ok(loadImages(idx([3, 1, 2], Uint8Array.from([0, 255, 51, 102, 204, 153])), null, { size: 28, channels: 1, heldOut: 1 })));
    expect(Array.from(im.fillImages([1], { binarize: 'none', scale: 1 }))).toEqual([51 / 255, 102 / 255].map(Math.fround));
    expect(Array.from(im.fillImages([1, 2], { binarize: 'threshold', scale: 1 }))).toEqual([0, 0, 1, 1]);
  });
});
