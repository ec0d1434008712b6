import { beforeAll, describe, expect, it } from 'vitest';

// Node has no ImageData: a minimal one with the browser's constructor and fields.
beforeAll(() => {
  if (typeof globalThis.ImageData === 'undefined') {
    class NodeImageData {
      readonly data: Uint8ClampedArray;
      constructor(
        readonly width: number,
        readonly height: number,
      ) {
        this.data = new Uint8ClampedArray(width * height * 4);
      }
    }
    (globalThis as unknown as { ImageData: unknown }).ImageData = NodeImageData;
  }
});

const { blankImage, putGrey } = await import('../../src/components/greyImages');

const rgba = (img: ImageData, x: number, y: number) => Array.from(img.data.slice((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

describe('grey image tiles', () => {
  it('fills the background opaque and writes image i at (x, y) as grey RGBA', () => {
    // Two 2×2 images: [0,1,2,3] and [10,20,30,40].
    const images = { count: 2, width: 2, height: 2, pixels: new Uint8Array([0, 1, 2, 3, 10, 20, 30, 40]) };
    const img = blankImage(5, 3, [7, 8, 9]);
    putGrey(img, images, 1, 2, 1);
    expect(rgba(img, 0, 0)).toEqual([7, 8, 9, 255]);
    expect(rgba(img, 2, 1)).toEqual([10, 10, 10, 255]);
    expect(rgba(img, 3, 1)).toEqual([20, 20, 20, 255]);
    expect(rgba(img, 2, 2)).toEqual([30, 30, 30, 255]);
    expect(rgba(img, 3, 2)).toEqual([40, 40, 40, 255]);
    expect(rgba(img, 4, 2)).toEqual([7, 8, 9, 255]);
  });

  it('clips a tile that crosses the edge instead of wrapping into the next row', () => {
    const images = { count: 1, width: 2, height: 2, pixels: new Uint8Array([50, 60, 70, 80]) };
    const img = blankImage(3, 3, [0, 0, 0]);
    putGrey(img, images, 0, 2, 2);
    expect(rgba(img, 2, 2)).toEqual([50, 50, 50, 255]);
    // (3, 2) is outside: row 2's neighbour in memory is not written.
    expect(rgba(img, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(Array.from(img.data).filter((v, i) => i % 4 !== 3 && v !== 0)).toEqual([50, 50, 50]);
  });
});

describe('RGB image tiles', () => {
  it('writes an RGB image (channels last) as its own colours', () => {
    // One 2×1 RGB image: a red pixel, then a blue one.
    const images = { count: 1, width: 2, height: 1, channels: 3 as const, pixels: new Uint8Array([200, 10, 20, 5, 6, 250]) };
    const img = blankImage(3, 2, [0, 0, 0]);
    putGrey(img, images, 0, 1, 1);
    expect(rgba(img, 1, 1)).toEqual([200, 10, 20, 255]);
    expect(rgba(img, 2, 1)).toEqual([5, 6, 250, 255]);
    expect(rgba(img, 0, 1)).toEqual([0, 0, 0, 255]);
  });
});
