import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import dataTable from './data.table';
import type { DataFeed, ShapeResult } from './types';
import { paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

const info = { structure: { kind: 'table' as const, f: 4 }, n: 333, columns: ['a', 'b', 'c', 'd'] };

function shapes(data?: typeof info | { structure: { kind: 'image'; h: number; w: number; c: number }; n: number }): ShapeResult {
  return dataTable.inferShapes({ nodeId: 't', params: paramsOf(dataTable, {}), inputs: {}, multi: {}, hint: () => undefined, data });
}

describe('data.table', () => {
  it('has the params of DESIGN §7 with their defaults', () => {
    expect(paramsOf(dataTable, {})).toEqual({
      file: '',
      sha256: '',
      columns: [],
      labelColumn: '',
      missing: 'drop-rows',
      standardize: true,
      batchSize: 64,
      heldOutFraction: 0.1,
    });
    expect(dataTable.params.safeParse({ file: 'a.csv', missing: 'skip' }).success).toBe(false);
    expect(dataTable.params.safeParse({ heldOutFraction: 1 }).success).toBe(false);
  });

  it('is file-backed: its data hook names the file, the batch size and ceil(n·heldOutFraction)', () => {
    const p = paramsOf(dataTable, { file: 'rows.csv', batchSize: 32, heldOutFraction: 0.1 });
    expect(dataTable.data!.builtin).toBeUndefined();
    expect(dataTable.data!.file!(p)).toBe('rows.csv');
    expect(dataTable.data!.batchSize(p)).toBe(32);
    expect(dataTable.data!.heldOut(p, 333)).toBe(34);
    expect(dataTable.data!.heldOut(p, 330)).toBe(33);
  });

  it('x is [B,F] with the table structure loading learned; nothing without it; another structure is BAD_PARAM', () => {
    expect(shapes(info)).toEqual({ ok: true, outputs: { x: ['B', 4], label: ['B'] }, structure: { x: { kind: 'table', f: 4 } } });
    expect(shapes()).toEqual({ ok: true, outputs: {} });
    const r = shapes({ structure: { kind: 'image', h: 2, w: 2, c: 1 }, n: 3 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.code, r.port]).toEqual(['BAD_PARAM', 'x']);
  });

  it('forwards the feed’s rows and labels as they are', () => {
    const feed: DataFeed = { size: 2, x: () => tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]), labels: () => tf.tensor1d([1, 0], 'int32') };
    const out = dataTable.forward({ nodeId: 't', params: paramsOf(dataTable, {}), inputs: {}, multi: {}, vars: {}, data: feed, mode: 'train', step: 1 } as never);
    expect(out.x!.arraySync()).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(out.label!.arraySync()).toEqual([1, 0]);
    tf.dispose(Object.values(out));
  });
});
