/**
 * A split set of examples and its batches: MNIST (DESIGN.md section 3) and every loaded data
 * file (section 7) alike. Values are bytes (pixels, x = byte/255) or float32 (tables and
 * sequences, as loaded); each epoch visits the training examples in an order drawn from the
 * graph's seed. Pure TypeScript: no tfjs, no Node APIs.
 */
import type { Dataset } from './dataset';
import type { DataSource } from '../../../nodes/types';
import { binarizeInPlace, type BinarizeOptions } from '../../../nodes/lib/binarize';
import { batchForStep, epochOrder, splitIndices } from './split';
import { structureWidth } from '../../graph/structure';
import type { ExportData } from '../../export/pytorch';

export type { Binarize } from '../../../nodes/lib/binarize';

export interface FillImagesOptions extends BinarizeOptions {
  /** Uniform [0,1) source; required for binarize 'sample'. */
  rand?: () => number;
}

export class Examples {
  /** count × pixels values: bytes (read as byte/255) or float32. */
  readonly values: Uint8Array | Float32Array;
  /** Values per example. */
  readonly pixels: number;
  readonly count: number;
  /** Class per example, or null. */
  readonly classOf: ArrayLike<number> | null;
  /** Indices of the examples. */
  readonly trainIndices: Uint32Array;
  readonly heldOutIndices: Uint32Array;
  private cachedEpoch: { seed: number; epoch: number; order: Uint32Array } | null = null;

  constructor(opts: { values: Uint8Array | Float32Array; dim: number; labels: ArrayLike<number> | null; train: Uint32Array; heldOut: Uint32Array }) {
    if (opts.train.length === 0) throw new RangeError('Examples: no training example');
    this.values = opts.values;
    this.pixels = opts.dim;
    this.count = opts.values.length / opts.dim;
    this.classOf = opts.labels;
    this.trainIndices = opts.train;
    this.heldOutIndices = opts.heldOut;
  }

  /** The examples of a loaded data file (DESIGN.md section 7). */
  static of(ds: Dataset): Examples {
    return new Examples({ values: ds.values, dim: ds.dim, labels: ds.labels, train: ds.train, heldOut: ds.heldOut });
  }

  /** The examples a data node's source gives (the node contract's DataSource), split as DESIGN §7 says. */
  static fromSource(source: DataSource, heldOut: number): Examples {
    const { n } = source.info;
    const dim = structureWidth(source.info.structure);
    const all = Uint32Array.from({ length: n }, (_, i) => i);
    const rows = new Float32Array(n * dim);
    source.fill(all, rows);
    if (source.split && source.split.heldOut.length !== heldOut) {
      throw new RangeError(`Examples.fromSource: the source holds out ${source.split.heldOut.length} examples, the plan ${heldOut}`);
    }
    const { train, heldOut: held } = source.split ?? splitIndices(n, heldOut);
    return new Examples({ values: rows, dim, labels: source.labels(all), train, heldOut: held });
  }

  /** D: values per example. */
  get width(): number {
    return this.pixels;
  }

  get trainCount(): number {
    return this.trainIndices.length;
  }

  get heldOutCount(): number {
    return this.heldOutIndices.length;
  }

  /** The training examples of step `step` (from 1) for a graph seed. */
  batchIndices(seed: number, step: number, batchSize: number): { epoch: number; indices: Uint32Array } {
    const pos = batchForStep(step, this.trainCount, batchSize);
    const c = this.cachedEpoch;
    let order: Uint32Array;
    if (c && c.seed === seed && c.epoch === pos.epoch) {
      order = c.order;
    } else {
      order = epochOrder(this.trainCount, seed, pos.epoch);
      this.cachedEpoch = { seed, epoch: pos.epoch, order };
    }
    const indices = new Uint32Array(pos.end - pos.start);
    for (let k = 0; k < indices.length; k++) indices[k] = this.trainIndices[order[pos.start + k]!]!;
    return { epoch: pos.epoch, indices };
  }

  /**
   * [indices.length × pixels] floats: the value (a byte /255, a float as loaded). Writes into
   * `out` when it is large enough (returns a subarray of the right length).
   */
  fill(indices: ArrayLike<number>, out?: Float32Array): Float32Array {
    const P = this.pixels;
    const n = indices.length * P;
    const dst = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
    const values = this.values;
    const inv = values instanceof Uint8Array ? 1 / 255 : 1;
    for (let r = 0; r < indices.length; r++) {
      const idx = indices[r]!;
      if (!(idx >= 0 && idx < this.count)) throw new RangeError(`fillImages: index ${idx} outside 0…${this.count - 1}`);
      const src = idx * P;
      const o = r * P;
      if (inv === 1) for (let p = 0; p < P; p++) dst[o + p] = values[src + p]!;
      else for (let p = 0; p < P; p++) dst[o + p] = values[src + p]! * inv;
    }
    return dst;
  }

  /** fill, then binarized and times `scale` as a data node's params ask (nodes/lib/binarize). */
  fillImages(indices: ArrayLike<number>, opts: FillImagesOptions, out?: Float32Array): Float32Array {
    if (opts.binarize === 'sample' && !opts.rand) throw new Error("fillImages: binarize 'sample' needs opts.rand");
    return binarizeInPlace(this.fill(indices, out), opts, opts.rand);
  }

  /** The classes of the examples (0 for every example without labels). */
  labels(indices: ArrayLike<number>): Int32Array {
    const out = new Int32Array(indices.length);
    if (this.classOf) for (let i = 0; i < indices.length; i++) out[i] = this.classOf[indices[i]!]!;
    return out;
  }
}

/** The examples of a data node's source as the PyTorch export writes them (DESIGN.md §9): the values the trainer holds, its split. */
export function exportDataOf(source: DataSource, heldOut: number): ExportData {
  const ex = Examples.fromSource(source, heldOut);
  const all = Uint32Array.from({ length: ex.count }, (_, i) => i);
  return { values: ex.values as Float32Array, dim: ex.width, labels: ex.labels(all), train: ex.trainIndices, heldOut: ex.heldOutIndices };
}
