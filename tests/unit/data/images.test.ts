import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadImages, type ImagesParams } from '../../../src/runtime/data/images';
import { resizeToBytes } from '../../../src/runtime/data/pixels';
import { splitIndices } from '../../../src/runtime/data/split';
import type { Dataset, LoadResult } from '../../../src/runtime/data/dataset';
import { gz, idx, jpg, png, text, zip } from './fixtures';
import { describeWithTool, FASHION_MNIST_DIR } from '../../fixtures/tools';

const P: ImagesParams = { size: 4, channels: 1, heldOut: 1 };

function ok(r: LoadResult): Dataset {
  if (!r.ok) throw new Error(`expected a dataset, got ${JSON.stringify(r.diagnostics)}`);
  return r.dataset;
}

/** Debian's dataset-fashion-mnist (apt install dataset-fashion-mnist; CI installs it). */
const FASHION = FASHION_MNIST_DIR;

describe('IDX files', () => {
  it('reads images and labels, keeping the bytes and the file order', () => {
    const pixels = Uint8Array.from({ length: 5 * 2 * 3 }, (_, i) => i * 7);
    const d = ok(loadImages(idx([5, 2, 3], pixels), idx([5], Uint8Array.from([3, 1, 3, 0, 1])), P));
    expect(d.structure).toEqual({ kind: 'image', h: 2, w: 3, c: 1 });
    expect(d.dim).toBe(6);
    expect(Array.from(d.values)).toEqual(Array.from(pixels));
    expect(d.classes).toEqual(['0', '1', '3']);
    expect(Array.from(d.labels!)).toEqual([2, 1, 2, 0, 1]);
    expect(d.heldOut).toEqual(splitIndices(5, 1).heldOut);
  });

  it('reads gzip-compressed IDX and a 4-D IDX with 3 channels', () => {
    const d = ok(loadImages(gz(idx([2, 2, 2, 3])), null, P));
    expect(d.structure).toEqual({ kind: 'image', h: 2, w: 2, c: 3 });
    expect(d.labels).toBeNull();
  });
});

// Skipped (and counted) without the files; failing without them in CI (tests/fixtures/tools.ts).
describeWithTool('fashion-mnist', 'IDX files: Debian\'s Fashion-MNIST', () => {
  it(`reads Fashion-MNIST from ${FASHION} (10,000 test images, 1,000 per class)`, () => {
    const images = new Uint8Array(readFileSync(`${FASHION}/t10k-images-idx3-ubyte.gz`));
    const labels = new Uint8Array(readFileSync(`${FASHION}/t10k-labels-idx1-ubyte.gz`));
    const d = ok(loadImages(images, labels, { ...P, heldOut: 1000 }));
    expect(d.n).toBe(10000);
    expect(d.structure).toEqual({ kind: 'image', h: 28, w: 28, c: 1 });
    expect(d.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const counts = new Array(10).fill(0);
    for (const l of d.labels!) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    expect(d.train.length).toBe(9000);
    // Pixels are bytes as stored: some ink, some background.
    let max = 0;
    for (let i = 0; i < 784; i++) max = Math.max(max, d.values[i]!);
    expect(max).toBeGreaterThan(200);
  });
});

describe('zips of images', () => {
  const grey = (v: number) => png(4, 4, 1, () => v);
  it('labels by parent folder, sorts entries by path and skips __MACOSX/ and dot files', () => {
    const z = zip({
      'set/cat/b.png': grey(20),
      'set/dog/a.png': grey(40),
      'set/cat/a.png': grey(10),
      '__MACOSX/set/cat/._a.png': text('junk'),
      'set/.DS_Store': text('junk'),
      'set/cat/.hidden.png': grey(99),
    });
    const d = ok(loadImages(z, null, P));
    expect(d.n).toBe(3);
    expect(d.classes).toEqual(['cat', 'dog']);
    expect(Array.from(d.labels!)).toEqual([0, 0, 1]);
    expect([d.values[0], d.values[16], d.values[32]]).toEqual([10, 20, 40]);
    expect(d.warnings).toEqual([]);
  });

  it('leaves out files that are not images, with DATA_ROWS_DROPPED naming the first', () => {
    const d = ok(loadImages(zip({ 'a/1.png': grey(1), 'a/2.png': grey(2), 'a/notes.txt': text('hello') }), null, P));
    expect(d.n).toBe(2);
    expect(d.dropped.first).toEqual([{ field: 'a/notes.txt', reason: 'not a PNG or JPEG file' }]);
    expect(d.warnings[0]).toMatchObject({ code: 'DATA_ROWS_DROPPED', field: 'a/notes.txt' });
  });

  it('turns RGB into grey as 0.299R + 0.587G + 0.114B, or keeps 3 channels', () => {
    const rgb = png(4, 4, 3, (_x, _y, c) => [200, 100, 50][c]!);
    const z = zip({ 'x/a.png': rgb, 'x/b.png': rgb }, 6);
    const g = ok(loadImages(z, null, P));
    expect(g.values[5]).toBe(Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50));
    const c = ok(loadImages(z, null, { ...P, channels: 3 }));
    expect(c.structure).toEqual({ kind: 'image', h: 4, w: 4, c: 3 });
    expect(Array.from(c.values.subarray(0, 6))).toEqual([200, 100, 50, 200, 100, 50]);
  });

  it('decodes JPEG (quality 100: within 2 of the colour) and ignores PNG alpha', () => {
    const z = zip({ 'j/a.jpg': jpg(8, 8, (_x, _y, c) => [30, 160, 90][c]!), 'j/b.png': png(4, 4, 4, (_x, _y, c) => (c === 3 ? 0 : 77)) });
    const d = ok(loadImages(z, null, { ...P, channels: 3 }));
    for (let i = 0; i < 16; i++) {
      expect(Math.abs(d.values[i * 3]! - 30)).toBeLessThanOrEqual(2);
      expect(Math.abs(d.values[i * 3 + 1]! - 160)).toBeLessThanOrEqual(2);
    }
    expect(d.values[48]).toBe(77);
  });

  it('resizes bilinearly as PyTorch does (F.interpolate, align_corners=False)', () => {
    // Reference: torch.nn.functional.interpolate(x, size=(5, 5), mode="bilinear", align_corners=False) on this 3×3 image.
    const src = [0, 100, 200, 50, 150, 250, 10, 20, 30];
    const torch = [
      [0, 40, 100, 160, 200],
      [20, 60, 120, 180, 220],
      [50, 90, 150, 210, 250],
      [26, 44.4, 72, 99.6, 118],
      [10, 14, 20, 26, 30],
    ];
    const out = new Uint8Array(25);
    resizeToBytes({ w: 3, h: 3, c: 1, data: Float32Array.from(src) }, 5, out, 0);
    expect(Array.from(out)).toEqual(torch.flat().map(Math.round));
    // Downscaling 6×6 → 4×4 (torch gives 12.25, 22.75, …): rounded.
    const big = Float32Array.from({ length: 36 }, (_, i) => i * 7);
    const small = new Uint8Array(16);
    resizeToBytes({ w: 6, h: 6, c: 1, data: big }, 4, small, 0);
    expect(Array.from(small.subarray(0, 4))).toEqual([12, 23, 33, 44]);
  });

  it('resizes whole zips to size × size', () => {
    const z = zip({ 'a/1.png': png(10, 6, 1, (x) => x * 20), 'a/2.png': png(3, 3, 1, () => 5) });
    const d = ok(loadImages(z, null, { ...P, size: 8 }));
    expect(d.structure).toEqual({ kind: 'image', h: 8, w: 8, c: 1 });
    expect(d.values.length).toBe(2 * 64);
    expect(d.values[64]).toBe(5);
  });
});
