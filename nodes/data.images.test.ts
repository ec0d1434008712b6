import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import dataImages from './data.images';
import type { DataFeed, DataInfo, FeedTransform, ShapeResult } from './types';
import { paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

function shapes(data?: DataInfo): ShapeResult {
  return dataImages.inferShapes({ nodeId: 'im', params: paramsOf(dataImages, {}), inputs: {}, multi: {}, hint: () => undefined, data });
}

describe('data.images', () => {
  it('has the params of DESIGN §7 with their defaults; channels is 1 or 3', () => {
    expect(paramsOf(dataImages, {})).toEqual({ file: '', sha256: '', labelsFile: '', size: 28, channels: 1, binarize: 'none', batchSize: 128, heldOut: 1000 });
    expect(dataImages.params.safeParse({ channels: 3 }).success).toBe(true);
    expect(dataImages.params.safeParse({ channels: 2 }).success).toBe(false);
  });

  it('is file-backed: its data hook names the file, the batch size and the held-out count', () => {
    const p = paramsOf(dataImages, { file: 'train-images-idx3-ubyte.gz', batchSize: 32, heldOut: 500 });
    expect(dataImages.data!.builtin).toBeUndefined();
    expect([dataImages.data!.file!(p), dataImages.data!.batchSize(p), dataImages.data!.heldOut(p, 10000)]).toEqual(['train-images-idx3-ubyte.gz', 32, 500]);
  });

  it('x is [B,H·W·C] with the image structure loading learned; a table is BAD_PARAM', () => {
    expect(shapes({ structure: { kind: 'image', h: 32, w: 24, c: 3 }, n: 10 })).toEqual({
      ok: true,
      outputs: { x: ['B', 2304], label: ['B'] },
      structure: { x: { kind: 'image', h: 32, w: 24, c: 3 } },
    });
    expect(shapes()).toEqual({ ok: true, outputs: {} });
    const r = shapes({ structure: { kind: 'table', f: 4 }, n: 10 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.code, r.port]).toEqual(['BAD_PARAM', 'x']);
  });

  it('asks the feed for its pixels binarized as its params say (none: untouched)', () => {
    const seen: Array<FeedTransform | undefined> = [];
    const feed: DataFeed = {
      size: 1,
      x: (_id, transform) => {
        seen.push(transform);
        const v = new Float32Array([0.2, 0.7]);
        transform?.apply(v, () => 0.5);
        return tf.tensor2d(v, [1, 2]);
      },
      labels: () => tf.tensor1d([4], 'int32'),
    };
    const run = (binarize: string) => {
      const out = dataImages.forward({ nodeId: 'im', params: paramsOf(dataImages, { binarize }), inputs: {}, multi: {}, vars: {}, data: feed, mode: 'train', step: 1 } as never);
      const x = out.x!.arraySync();
      tf.dispose(Object.values(out));
      return x;
    };
    expect(run('threshold')).toEqual([[0, 1]]);
    const none = run('none') as number[][];
    expect(none[0]![0]).toBeCloseTo(0.2, 6);
    expect(seen[1]).toBeUndefined();
  });
});
