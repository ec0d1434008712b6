/**
 * Binarize and scale pixels in [0,1], in place (data.mnist's params; DESIGN §3): "threshold"
 * is x > 0.5, "sample" is x ~ Bernoulli(pixel) from `rand`, then × scale. One place for the
 * rule: the node's feed transform, the runtime's image grids and the drawing pad use it.
 */
import type { FeedTransform } from '../types';

export type Binarize = 'none' | 'threshold' | 'sample';

export interface BinarizeOptions {
  binarize: Binarize;
  /** Multiplies the (binarized) [0,1] pixels. */
  scale: number;
}

/** values[i] ← binarize(values[i]) · scale. "sample" needs `rand`. */
export function binarizeInPlace(values: Float32Array, o: BinarizeOptions, rand?: () => number): Float32Array {
  const { binarize, scale } = o;
  const n = values.length;
  if (binarize === 'none') {
    if (scale !== 1) for (let i = 0; i < n; i++) values[i] = values[i]! * scale;
  } else if (binarize === 'threshold') {
    for (let i = 0; i < n; i++) values[i] = values[i]! > 0.5 ? scale : 0;
  } else {
    if (!rand) throw new Error("binarize 'sample' needs a random source");
    for (let i = 0; i < n; i++) values[i] = rand() < values[i]! ? scale : 0;
  }
  return values;
}

/** The feed transform of these options; undefined when it changes nothing (none, × 1). */
export function binarizeTransform(o: BinarizeOptions): FeedTransform | undefined {
  if (o.binarize === 'none' && o.scale === 1) return undefined;
  return { key: `${o.binarize}|${o.scale}`, random: o.binarize === 'sample', apply: (values, rand) => void binarizeInPlace(values, o, rand) };
}
