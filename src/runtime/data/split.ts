/**
 * The fixed MNIST split and the per-epoch batching (DESIGN.md section 3).
 * Pure TypeScript: no tfjs, no Node APIs.
 */
import { hashKey, mulberry32 } from '../random';

/** The seed of the one fixed shuffle of the package's digits. */
export const MNIST_SPLIT_SEED = 20240601;

/** In-place Fisher–Yates: for i = n-1 … 1, j = floor(rand()·(i+1)), swap(a[i], a[j]). */
function fisherYates(a: Uint32Array, rand: () => number): Uint32Array {
  for (let i = a.length - 1; i >= 1; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

function iota(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** perm = [0 … n-1] shuffled by Fisher–Yates driven by mulberry32(20240601). */
export function mnistPermutation(n = 10000): Uint32Array {
  return fisherYates(iota(n), mulberry32(MNIST_SPLIT_SEED));
}

/**
 * The digits taken in the order perm[0], perm[1], …: the last `heldOut` are held out,
 * the rest train. Values are indices into the package order.
 */
export function splitIndices(n: number, heldOut: number): { train: Uint32Array; heldOut: Uint32Array } {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`splitIndices: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(heldOut) || heldOut < 0 || heldOut > n) {
    throw new RangeError(`splitIndices: heldOut must be an integer in 0..${n}, got ${heldOut}`);
  }
  const perm = mnistPermutation(n);
  const cut = n - heldOut;
  return { train: perm.slice(0, cut), heldOut: perm.slice(cut) };
}

/** A permutation of 0 … count-1 for one epoch, keyed by (seed, 'epoch', epoch). */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  return fisherYates(iota(count), mulberry32(hashKey(seed, 'epoch', epoch)));
}

export interface BatchPosition {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch. */
  index: number;
  /** Positions [start, end) in the epoch's order. */
  start: number;
  end: number;
  stepsPerEpoch: number;
}

/**
 * Where step `step` (counted from 1) falls: an epoch is ceil(trainCount / batchSize)
 * steps and its last batch is smaller (PyTorch's DataLoader, drop_last=False).
 */
export function batchForStep(step: number, trainCount: number, batchSize: number): BatchPosition {
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`batchForStep: steps count from 1, got ${step}`);
  if (!Number.isInteger(trainCount) || trainCount < 1) throw new RangeError(`batchForStep: trainCount must be ≥ 1, got ${trainCount}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchForStep: batchSize must be ≥ 1, got ${batchSize}`);
  const stepsPerEpoch = Math.ceil(trainCount / batchSize);
  const k = step - 1;
  const epoch = Math.floor(k / stepsPerEpoch);
  const index = k - epoch * stepsPerEpoch;
  const start = index * batchSize;
  const end = Math.min(start + batchSize, trainCount);
  return { epoch, index, start, end, stepsPerEpoch };
}
