/**
 * The held-out set exactly as Trainer.evaluate() feeds it (same images, same binarization),
 * in chunks so memory stays bounded.
 */
import type { DataFeed } from '../../../nodes/types';
import type { Trainer } from '../trainer';

export interface HeldOutChunk {
  index: number;
  /** First and one-past-last held-out example. */
  start: number;
  end: number;
  feed: DataFeed;
}

export function* heldOutChunks(trainer: Trainer, chunkSize: number): Generator<HeldOutChunk> {
  const ds = trainer.dataset;
  const n = ds.heldOutCount;
  const size = Math.max(1, Math.floor(chunkSize));
  for (let a = 0, index = 0; a < n; a += size, index++) {
    const b = Math.min(n, a + size);
    // The trainer is the one place that knows how a data node's held-out images are made
    // (thresholded, scaled, "sample" binarized once per node).
    const feed = trainer.heldOutFeed(a, b);
    yield { index, start: a, end: b, feed };
  }
}
