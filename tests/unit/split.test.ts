import { describe, expect, it } from 'vitest';
import { batchForStep, epochOrder, mnistPermutation, splitIndices } from '../../src/runtime/data/split';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';

function isPermutation(a: Uint32Array, n: number): boolean {
  if (a.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const v of a) {
    if (v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

describe('mnistPermutation', () => {
  it('matches the check values of DESIGN.md section 3', () => {
    const perm = mnistPermutation();
    expect(Array.from(perm.slice(0, 10))).toEqual([8836, 2469, 9948, 8687, 8490, 3960, 3537, 9062, 1334, 666]);
  });
  it('is a permutation of 0…9999 and deterministic', () => {
    const perm = mnistPermutation(10000);
    expect(isPermutation(perm, 10000)).toBe(true);
    expect(mnistPermutation(10000)).toEqual(perm);
  });
});

describe('splitIndices', () => {
  it('holds out the last heldOut digits of the permutation', () => {
    const { train, heldOut } = splitIndices(10000, 1000);
    expect(train.length).toBe(9000);
    expect(heldOut.length).toBe(1000);
    const perm = mnistPermutation();
    expect(Array.from(train.slice(0, 3))).toEqual([8836, 2469, 9948]);
    expect(Array.from(heldOut)).toEqual(Array.from(perm.slice(9000)));
  });
  it('is disjoint and covering', () => {
    const { train, heldOut } = splitIndices(10000, 1000);
    const all = new Uint32Array(10000);
    all.set(train, 0);
    all.set(heldOut, train.length);
    expect(isPermutation(all, 10000)).toBe(true);
    const h = new Set(heldOut);
    expect(train.some((i) => h.has(i))).toBe(false);
  });
  it('held-out class histogram matches the check values', async () => {
    const raw = await loadMnistNode();
    const { heldOut } = splitIndices(raw.count, 1000);
    const hist = new Array<number>(10).fill(0);
    for (const i of heldOut) hist[raw.labels[i]!]!++;
    expect(hist).toEqual([95, 113, 109, 82, 111, 91, 108, 108, 90, 93]);
  });
  it('rejects a heldOut larger than the data', () => {
    expect(() => splitIndices(10, 11)).toThrow(RangeError);
    expect(() => splitIndices(10, -1)).toThrow(RangeError);
  });
});

describe('epochOrder', () => {
  it('is a deterministic permutation that differs across epochs and seeds', () => {
    const a = epochOrder(9000, 1, 0);
    expect(isPermutation(a, 9000)).toBe(true);
    expect(epochOrder(9000, 1, 0)).toEqual(a);
    expect(epochOrder(9000, 1, 1)).not.toEqual(a);
    expect(epochOrder(9000, 2, 0)).not.toEqual(a);
    expect(isPermutation(epochOrder(9000, 2, 5), 9000)).toBe(true);
  });
  it('handles tiny counts', () => {
    expect(Array.from(epochOrder(1, 3, 0))).toEqual([0]);
    expect(epochOrder(0, 3, 0).length).toBe(0);
  });
});

describe('batchForStep', () => {
  // 9000 train digits, batch 128: 70 full batches and one of 40 → 71 steps per epoch.
  it('numbers steps from 1 with a smaller last batch', () => {
    expect(batchForStep(1, 9000, 128)).toEqual({ epoch: 0, index: 0, start: 0, end: 128, stepsPerEpoch: 71 });
    expect(batchForStep(2, 9000, 128)).toEqual({ epoch: 0, index: 1, start: 128, end: 256, stepsPerEpoch: 71 });
    expect(batchForStep(71, 9000, 128)).toEqual({ epoch: 0, index: 70, start: 8960, end: 9000, stepsPerEpoch: 71 });
    expect(batchForStep(72, 9000, 128)).toEqual({ epoch: 1, index: 0, start: 0, end: 128, stepsPerEpoch: 71 });
    expect(batchForStep(142, 9000, 128)).toEqual({ epoch: 1, index: 70, start: 8960, end: 9000, stepsPerEpoch: 71 });
  });
  it('has no short batch when the batch size divides the count', () => {
    expect(batchForStep(10, 100, 10)).toEqual({ epoch: 0, index: 9, start: 90, end: 100, stepsPerEpoch: 10 });
    expect(batchForStep(11, 100, 10).epoch).toBe(1);
  });
  it('covers every position exactly once per epoch', () => {
    const seen = new Uint8Array(1000);
    const spe = batchForStep(1, 1000, 33).stepsPerEpoch;
    expect(spe).toBe(31);
    for (let s = 1; s <= spe; s++) {
      const b = batchForStep(s, 1000, 33);
      for (let k = b.start; k < b.end; k++) seen[k]!++;
    }
    expect(seen.every((v) => v === 1)).toBe(true);
  });
  it('rejects step 0', () => {
    expect(() => batchForStep(0, 100, 10)).toThrow(RangeError);
  });
});
