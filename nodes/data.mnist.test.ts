import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import dataMnist from './data.mnist';
import type { DataFeed, FeedTransform } from './types';
import { forward, inferShapes, leakCheck, paramsOf, useCpu } from '../tests/fixtures/node-harness';

beforeAll(useCpu);

/**
 * The node asks the runtime's feed for its batch with a transform made of its own params;
 * the pixels, the split and the keyed "sample" draws are the runtime's (tested with the
 * real data in tests/unit/mnist.test.ts and tests/integration/train.test.ts).
 */
function recordingFeed(): { feed: DataFeed; calls: Array<{ nodeId: string; transform: FeedTransform | undefined }> } {
  const calls: Array<{ nodeId: string; transform: FeedTransform | undefined }> = [];
  return {
    calls,
    feed: {
      size: 2,
      x: (nodeId, transform) => {
        calls.push({ nodeId, transform });
        const values = new Float32Array(2 * 784).fill(0.75);
        transform?.apply(values, () => 0.5);
        return tf.tensor2d(values, [2, 784]);
      },
      labels: () => tf.tensor1d([3, 7], 'int32'),
    },
  };
}

describe('data.mnist', () => {
  it('gives x [B,784] (a 28×28×1 image) and label [B]', () => {
    expect(inferShapes(dataMnist, {})).toEqual({ ok: true, outputs: { x: ['B', 784], label: ['B'] }, structure: { x: { kind: 'image', h: 28, w: 28, c: 1 } } });
  });

  it('its data hook: the built-in 10,000 digits, batchSize and heldOut from its params', () => {
    const p = paramsOf(dataMnist, { batchSize: 64, heldOut: 500 });
    expect(dataMnist.data!.builtin).toEqual({ structure: { kind: 'image', h: 28, w: 28, c: 1 }, n: 10000 });
    expect(dataMnist.data!.file).toBeUndefined();
    expect([dataMnist.data!.batchSize(p), dataMnist.data!.heldOut(p, 10000)]).toEqual([64, 500]);
  });

  it('asks the feed for its batch with its own binarize and scale', () => {
    const { feed, calls } = recordingFeed();
    const shapes = tf.tidy(() => {
      const o = forward(dataMnist, { params: { binarize: 'sample', scale: 2 }, data: feed });
      return { x: o.x!.shape, label: o.label!.shape, labels: Array.from(o.label!.dataSync()), first: o.x!.dataSync()[0] };
    });
    expect(calls.map((c) => [c.nodeId, c.transform?.key, c.transform?.random])).toEqual([['n', 'sample|2', true]]);
    // grey 0.75 with a constant draw of 0.5: sampled on, times scale 2
    expect(shapes).toEqual({ x: [2, 784], label: [2], labels: [3, 7], first: 2 });
  });

  it('binarize "none" at scale 1 asks for no transform; "threshold" is x > 0.5, times scale', () => {
    const { feed, calls } = recordingFeed();
    tf.tidy(() => forward(dataMnist, { data: feed }));
    expect(calls[0]!.transform).toBeUndefined();
    const t = tf.tidy(() => Array.from(forward(dataMnist, { params: { binarize: 'threshold', scale: 3 }, data: feed }).x!.dataSync().slice(0, 2)));
    expect(t).toEqual([3, 3]);
    const v = Float32Array.from([0.2, 0.5, 0.51, 1]);
    calls[1]!.transform!.apply(v);
    expect(Array.from(v)).toEqual([0, 0, 3, 3]);
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
