import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import dataMnist from './data.mnist';
import type { DataFeed } from './types';
import { forward, inferShapes, leakCheck, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

/**
 * The node only asks the runtime's feed for the batch with its own params; the pixels,
 * the split, the binarization and the keyed "sample" draws are the runtime's (tested with
 * the real data in tests/unit/mnist.test.ts and tests/integration/train.test.ts).
 */
function recordingFeed(): { feed: DataFeed; calls: Array<{ binarize: string; scale: number; nodeId: string }> } {
  const calls: Array<{ binarize: string; scale: number; nodeId: string }> = [];
  return {
    calls,
    feed: {
      size: 2,
      images: (o, nodeId) => {
        calls.push({ ...o, nodeId });
        return tf.fill([2, 784], o.scale);
      },
      labels: () => tf.tensor1d([3, 7], 'int32'),
    },
  };
}

describe('data.mnist', () => {
  it('gives x [B,784] and label [B]', () => {
    expect(inferShapes(dataMnist, {})).toEqual({ ok: true, outputs: { x: ['B', 784], label: ['B'] } });
  });

  it('asks the feed for its batch with its own binarize and scale', () => {
    const { feed, calls } = recordingFeed();
    const shapes = tf.tidy(() => {
      const o = forward(dataMnist, { params: { binarize: 'sample', scale: 2 }, data: feed });
      return { x: o.x!.shape, label: o.label!.shape, labels: Array.from(o.label!.dataSync()) };
    });
    expect(calls).toEqual([{ binarize: 'sample', scale: 2, nodeId: 'n' }]);
    expect(shapes).toEqual({ x: [2, 784], label: [2], labels: [3, 7] });
  });

  it('range: x in [0, scale] (or [scale, 0] for a negative scale), label in [0, 9]', () => {
    expect(dataMnist.range!(paramsOf(dataMnist), 'x', {})).toEqual([0, 1]);
    expect(dataMnist.range!(paramsOf(dataMnist, { scale: 255 }), 'x', {})).toEqual([0, 255]);
    expect(dataMnist.range!(paramsOf(dataMnist, { scale: -1 }), 'x', {})).toEqual([-1, 0]);
    expect(dataMnist.range!(paramsOf(dataMnist), 'label', {})).toEqual([0, 9]);
  });

  it('params: defaults, and batchSize 1…10000', () => {
    expect(paramsOf(dataMnist)).toEqual({ batchSize: 128, binarize: 'none', scale: 1, heldOut: 1000 });
    expect(dataMnist.params.safeParse({ batchSize: 10001 }).success).toBe(false);
    expect(dataMnist.params.safeParse({ batchSize: 0 }).success).toBe(false);
    expect(dataMnist.params.safeParse({ batchSize: 10000 }).success).toBe(true);
    expect(dataMnist.params.safeParse({ binarize: 'round' }).success).toBe(false);
  });

  it('leaves no tensor behind', () => {
    const { feed } = recordingFeed();
    expect(leakCheck(() => forward(dataMnist, { data: feed })).leaked).toBe(0);
  });
});
