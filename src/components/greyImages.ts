/**
 * Grey images (count × width × height bytes, 0…255, image after image) tiled into one RGBA
 * ImageData, so a grid of digits costs one putImageData instead of one per digit. Used by
 * the training grids, the probe thumbnails and the latent views.
 */

export interface GreyImages {
  count: number;
  width: number;
  height: number;
  /** 1 (grey, the default) or 3 (RGB, channels last). */
  channels?: 1 | 3;
  pixels: Uint8Array;
}

export type Rgb = readonly [number, number, number];

/** The light grey between tiles of the training grids and probe thumbnails. */
export const TILE_BACKGROUND: Rgb = [0xd8, 0xdd, 0xe3];

/** An opaque W × H image filled with `background`. */
export function blankImage(width: number, height: number, background: Rgb): ImageData {
  const img = new ImageData(Math.max(1, width), Math.max(1, height));
  const d = img.data;
  const [r, g, b] = background;
  for (let o = 0; o < d.length; o += 4) {
    d[o] = r;
    d[o + 1] = g;
    d[o + 2] = b;
    d[o + 3] = 255;
  }
  return img;
}

/** Writes image `i` of `images` (grey or RGB) into `target` with its top-left corner at (x, y) (clipped to the target). */
export function putGrey(target: ImageData, images: GreyImages, i: number, x: number, y: number): void {
  const { width: w, height: h, pixels } = images;
  const c = images.channels ?? 1;
  const d = target.data;
  const base = i * w * h * c;
  for (let row = 0; row < h; row++) {
    const ty = y + row;
    if (ty < 0 || ty >= target.height) continue;
    for (let col = 0; col < w; col++) {
      const tx = x + col;
      if (tx < 0 || tx >= target.width) continue;
      const p = base + (row * w + col) * c;
      const o = (ty * target.width + tx) * 4;
      d[o] = pixels[p]!;
      d[o + 1] = pixels[p + (c === 3 ? 1 : 0)]!;
      d[o + 2] = pixels[p + (c === 3 ? 2 : 0)]!;
      d[o + 3] = 255;
    }
  }
}

/**
 * The 2-D context of a canvas that we write pixels into (and read back for PNG export).
 * `willReadFrequently` keeps it in CPU memory: drawing it never waits on the GPU process,
 * which is busy with the training worker's WebGL while training runs.
 */
export function pixelContext(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  return canvas.getContext('2d', { willReadFrequently: true })!;
}
